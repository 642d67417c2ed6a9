#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace YAML {
class Node;
}
namespace re2 {
class RE2;
}

namespace virtnet::process {

// A named group of processes, as process-exporter users know them. A process belongs to the first
// group that matches it on comm, executable basename or cmdline regex.
struct Group {
  std::string name;
  std::vector<std::string> comm;  // exact, or a prefix with a trailing '*' ("nova-*")
  std::vector<std::string> exe;   // basename of /proc/PID/exe, same forms
  std::string cmdline;            // RE2, searched in the cmdline joined with spaces
  bool per_process = false;       // also export series per process (pid, comm)
  bool fd_kinds = false;          // count fds by kind: a readlink per fd
  bool smaps = false;             // read smaps_rollup (PSS) ...
  std::uint64_t smaps_max_rss_bytes = 1ull << 30;  // ... only for processes under this RSS
};

// The default set for cloud nodes.
extern const char* const kDefaultGroupsYaml;

// Validates and converts the `groups` option; throws ConfigError with file:line:column.
std::vector<Group> parse_groups(const YAML::Node& node, const std::string& file);

class Matcher {
 public:
  explicit Matcher(std::vector<Group> groups);
  ~Matcher();
  // Index of the matching group, or -1. `exe` and `cmdline` are called only when a group needs
  // them and comm did not already decide: both cost a system call (exe needs ptrace rights).
  int match(std::string_view comm, const std::function<std::string()>& exe,
            const std::function<std::string()>& cmdline) const;
  const std::vector<Group>& groups() const { return groups_; }

 private:
  std::vector<Group> groups_;
  std::vector<std::unique_ptr<re2::RE2>> regex_;  // per group; null if none
};

bool name_matches(const std::vector<std::string>& patterns, std::string_view name);

}  // namespace virtnet::process
