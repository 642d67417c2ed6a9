#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "collectors/vrrp/vrrp_parse.h"
#include "exporter/scrape/background.h"

namespace virtnet::vrrp {

// A virtual router as seen on one interface of one network namespace: VRIDs are per link (per
// VLAN on a trunk) and per address family, and clusters that share one on a link (unicast
// clusters; Octavia uses VRID 1 for all) differ by the addresses they advertise.
struct RouterKey {
  std::string interface;
  std::uint16_t vlan = 0;  // 0: untagged
  std::uint8_t vrid = 0;
  Family family = Family::kIpv4;
  std::string netns;             // "": the exporter's own network namespace
  std::uint16_t inner_vlan = 0;  // QinQ: the tag inside `vlan`; 0: none
  std::string address;           // the first virtual address advertised ("" none)
  bool operator==(const RouterKey&) const = default;
  auto operator<=>(const RouterKey&) const = default;
};

// One source advertising for a virtual router: normally the master alone.
struct SourceKey {
  RouterKey router;
  std::string source;
  bool operator==(const SourceKey&) const = default;
};

struct KeyHash {
  std::size_t operator()(const RouterKey& k) const;
  std::size_t operator()(const SourceKey& k) const;
};

struct SourceState {
  std::uint64_t adverts = 0;
  // Silences of this source while it was master, long enough for a backup to take over: a
  // backup did take over (it advertised after more than 2 intervals of silence), or, with no
  // backup ever heard, past its Master_Down_Interval; or past 4 intervals, longer than any
  // backup waits.
  std::uint64_t master_down = 0;
  // Shorter silences over 1.5 intervals: one advertisement missed at least.
  std::uint64_t late = 0;
  double last_gap = 0;   // its last silence as master, seconds (see above)
  double last_seen = 0;  // Unix time of its last advertisement
  double prev_seen = 0;  // and of the one before
  double since = 0;      // start of its current run (no silence past its Master_Down_Interval)
  std::uint8_t version = 0, priority = 0, auth_type = 0;
  bool via_ah = false;
  double interval = 0;  // advertised, seconds
  double master_down_interval() const;
};

struct RouterState {
  std::string last_source;  // who sent the router's last advertisement
  double last_seen = 0;
  std::uint8_t last_priority = 0;
  std::uint8_t last_version = 0;
  double last_interval = 0;
  bool backup_heard = false;  // a second source has advertised at some time
  std::uint64_t changes = 0;  // advertisements from another source than the one before
};

// The capture thread's view of every virtual router it has heard, bounded; collect() reads
// snapshots. Times are the kernel's capture timestamps (the real-time clock).
class Tracker {
 public:
  explicit Tracker(std::size_t max_sources) : sources_(max_sources), routers_(max_sources) {}

  void observe(const RouterKey& router, const Advert& a, double when);
  void reject(Reject r) { ++rejected_[static_cast<std::size_t>(r)]; }
  std::uint64_t rejected(Reject r) const { return rejected_[static_cast<std::size_t>(r)].load(); }
  // Sources and routers not heard since `cutoff` (Unix time) are forgotten.
  void forget_before(double cutoff);
  // Everything heard in a namespace whose capture closed: when it comes back, from scratch.
  void forget_netns(const std::string& netns);

  BoundedState<SourceKey, SourceState, KeyHash>::Snapshot sources() const {
    return sources_.snapshot();
  }
  BoundedState<RouterKey, RouterState, KeyHash>::Snapshot routers() const {
    return routers_.snapshot();
  }
  void mark_alive() { sources_.mark_updated(); }

 private:
  std::mutex observe_mu_;  // observe() reads a router and then writes its sources
  BoundedState<SourceKey, SourceState, KeyHash> sources_;
  BoundedState<RouterKey, RouterState, KeyHash> routers_;
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Reject::kCount)> rejected_{};
};

// How many sources of each router act as master at `now`: heard within their Master_Down_Interval
// with a priority above 0, and not silent since another source began a run or advertised twice
// (a master preempted, or a node that lost an election, stops counting at once; two that go on
// advertising over each other both count: split brain).
std::vector<std::pair<RouterKey, int>> masters(
    const std::vector<std::pair<SourceKey, SourceState>>& sources, double now);

}  // namespace virtnet::vrrp
