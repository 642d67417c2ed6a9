#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "exporter/common/capability_need.h"
#include "exporter/common/options.h"

namespace virtnet {

// Named network namespaces, as iproute2 and Neutron keep them: /run/netns/NAME (qrouter-*,
// qdhcp-*, snat-*). Names are chosen by others: they reach labels through the sink only.

struct NetnsList {
  std::vector<std::string> names;  // sorted, at most `max`
  bool truncated = false;          // there were more
  int error = 0;                   // errno when the directory could not be read (ENOENT: none)
};
NetnsList list_netns(const std::string& dir, std::size_t max);

enum class NetnsStatus { kOk, kGone, kError };
struct NetnsOutcome {
  NetnsStatus status = NetnsStatus::kError;
  std::string error;  // why, for kError
};

// Runs `fn` inside the network namespace at `path`, on a thread of its own: setns changes only
// the calling thread's namespace, so the exporter's threads stay in theirs. A socket `fn` opens
// belongs to that namespace; /proc/thread-self/net shows it, but /proc/net and /proc/self/net
// show the process's main thread's namespace, not this one. kGone when the namespace vanished
// meanwhile (not an error); kError with the reason otherwise (EPERM without CAP_SYS_ADMIN, or what
// `fn` threw).
NetnsOutcome run_in_netns(const std::string& path, const std::function<void()>& fn);

// The options of every collector that looks into the named namespaces, the same for each:
// `netns` (off by default), `netns_dir` and `netns_max`. `what` says what it does there, for the
// help of `netns` ("walk their links").
struct NetnsScope {
  bool enabled = false;
  std::string dir = "/run/netns";
  std::size_t max = 256;
};
std::vector<OptionSpec> netns_options(const std::string& what);
NetnsScope netns_scope(const CollectorOptions& o);
// CAP_SYS_ADMIN (setns) when the scope is enabled; nothing otherwise.
std::vector<CapabilityNeed> netns_capabilities(const NetnsScope& s);

// The named namespaces now, and what changed since the last look. A namespace is known by its
// name and the inode of its file: one deleted and made again under the same name between two
// looks is reported gone and new.
class NetnsWatcher {
 public:
  explicit NetnsWatcher(NetnsScope scope) : scope_(std::move(scope)) {}

  struct Scan {
    std::vector<std::string> added;    // new since the last scan (or forgotten meanwhile)
    std::vector<std::string> removed;  // gone, or made again (then in `added` too)
    // Why the look is incomplete, "" if it is not: the directory could not be read (nothing is
    // added or removed then: what is known stays), or there were more than `max` (the first
    // `max` by name are kept). A directory that does not exist is no namespace, not a problem.
    std::string problem;
    bool truncated = false;  // more than `max`
  };
  Scan scan();
  // Makes the next scan report `name` as added again (a capture in it failed: try anew).
  void forget(const std::string& name);
  const std::map<std::string, ino_t>& current() const { return current_; }
  std::string path(const std::string& name) const { return scope_.dir + "/" + name; }
  const NetnsScope& scope() const { return scope_; }

 private:
  NetnsScope scope_;
  std::map<std::string, ino_t> current_;
};

}  // namespace virtnet
