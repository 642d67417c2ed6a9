#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "exporter/sources/fs_root.h"
#include "exporter/sources/proc_pid_parse.h"

namespace virtnet {

// The processes as one walk of /proc saw them: each one's parsed stat (pid, start time, comm,
// threads, CPU, ...). Per-process files beyond stat are each collector's to read.
struct ProcTable {
  std::vector<ProcStat> procs;  // in /proc's order; kernel threads included (flags say so)
  // stat files that did not parse (each logged by the walk), and the reasons, for counters.
  std::size_t unparsable = 0;
  std::string error;  // non-empty: /proc itself could not be listed, `procs` is empty
  std::chrono::steady_clock::time_point taken;
  std::uint64_t seq = 0;  // which walk: 1, 2, ...
};

// A process's threads as one listing of /proc/PID/task saw them, each with its schedstat (which
// says whether it ran since: see Schedstat).
struct ThreadSched {
  std::int64_t tid = 0;
  std::optional<Schedstat> sched;  // none: unreadable or not three numbers
};
struct ThreadList {
  ReadStatus status = ReadStatus::kOk;  // of the listing; kAbsent: the process is gone
  int err = 0;
  std::vector<ThreadSched> threads;  // in the listing's order
};

// One walk of /proc shared by the collectors that need the processes (process, qemu): the
// first to ask walks, a collector asking meanwhile waits for that walk, and a walk younger than
// `share_window` is handed out again. Collectors of one scrape run at once, so a scrape walks
// /proc once however many of them ask; scrapes are further apart than the window.
class ProcWalk {
 public:
  explicit ProcWalk(FsRoot proc,
                    std::chrono::milliseconds share_window = std::chrono::milliseconds(500))
      : proc_(std::move(proc)), window_(share_window) {}

  // The walk a collector uses: `shared` when it walks the collector's own /proc root, else one of
  // its own that walks at every call (unit tests, where the fixture changes between scrapes).
  static std::shared_ptr<ProcWalk> for_collector(const std::shared_ptr<ProcWalk>& shared,
                                                 const FsRoot& proc);

  std::shared_ptr<const ProcTable> get();
  // The threads of `p`, a process of `table`: listed and their schedstat read by the first
  // collector to ask during that walk, handed to the others as it is (a qemu's threads are
  // listed and their schedstat read once a scrape, not once a collector).
  std::shared_ptr<const ThreadList> threads(const ProcTable& table, const ProcStat& p);
  const std::string& root() const { return proc_.root(); }
  std::size_t walks() const;  // how many walks were made (for tests)

 private:
  FsRoot proc_;
  std::chrono::milliseconds window_;
  mutable std::mutex mu_;  // held during a walk: a second caller waits, then reuses it
  std::shared_ptr<const ProcTable> last_;
  std::size_t walks_ = 0;
  std::string buf_;
  std::unordered_set<std::string> unparsable_;  // pids whose stat did not parse at the last walk
  // The threads read during the walk threads_seq_ (dropped when a later walk asks).
  std::mutex threads_mu_;
  std::uint64_t threads_seq_ = 0;
  std::unordered_map<ProcKey, std::shared_ptr<const ThreadList>, ProcKeyHash> threads_;
  std::string thread_buf_;
};

}  // namespace virtnet
