#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "collectors/process/process_config.h"
#include "collectors/process/process_parse.h"
#include "exporter/sources/proc_pid_parse.h"

namespace virtnet::process {

using Key = ProcKey;
using KeyHash = ProcKeyHash;

// Counter readings of one process, for the group counters.
struct Counters {
  double user = 0, system = 0, voluntary = 0, involuntary = 0;
};

// What one scrape read of a process in a group.
struct Reading {
  Key key{};
  int group = -1;
  std::string comm, domain;
  Counters counters;
  bool has_ctxt = false;
  double threads = 0, start_time = 0;
  std::optional<std::uint64_t> fds, max_fds, pss;
  std::array<std::uint64_t, kFdKinds> kinds{};
  bool has_kinds = false;
  Status status;
  std::optional<MapsSummary> maps;
};

// Candidates for the top-N lists, kept for every process.
struct Candidate {
  std::int64_t pid;
  std::string comm;
  int group;
  std::uint64_t fds, mapped;
  std::uint64_t max_fds = 0;  // its soft RLIMIT_NOFILE; 0 when not read
};

// What the emitter needs from one scrape, and the state that outlives it.
struct ScrapeView {
  const std::vector<Group>& groups;
  const std::vector<Reading>& readings;
  std::vector<Candidate>& candidates;   // reordered by the top-N selection
  const std::vector<Counters>& totals;  // per group, accumulated across scrapes
  const std::vector<bool>& ever;        // per group: has had a process since start-up
  std::size_t top_n;
  bool has_btime;
  std::array<double, 2> read_errors;  // permission, other
  std::size_t scanned;
};

}  // namespace virtnet::process
