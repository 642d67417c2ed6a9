#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

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

}  // namespace virtnet
