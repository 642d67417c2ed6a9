#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "collectors/vrrp/vrrp_parse.h"
#include "exporter/background.h"

namespace virtnet::vrrp {

// A virtual router as seen on one interface: VRIDs are per link and per address family.
struct RouterKey {
  std::string interface;
  std::uint8_t vrid = 0;
  Family family = Family::kIpv4;
  bool operator==(const RouterKey&) const = default;
};

// One source advertising for a virtual router: normally the master alone; two at once is split
// brain, a change is a failover.
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
  // Gaps over Master_Down_Interval: long enough for the backup to take over.
  std::uint64_t master_down = 0;
  // Shorter gaps over 1.5 advertisement intervals: one advertisement missed at least.
  std::uint64_t late = 0;
  double last_gap = 0;   // seconds
  double last_seen = 0;  // Unix time of the last advertisement
  std::uint8_t version = 0, priority = 0, auth_type = 0;
  bool via_ah = false;
  double interval = 0;  // advertised, seconds
  double master_down_interval() const;
};

struct RouterState {
  std::string last_source;
  std::uint64_t changes = 0;  // advertisements from another source than the one before
  double last_seen = 0;
};

// The capture thread's view of every virtual router it has heard, bounded; collect() reads
// snapshots. Times are the kernel's capture timestamps (the real-time clock).
class Tracker {
 public:
  explicit Tracker(std::size_t max_sources) : sources_(max_sources), routers_(max_sources) {}

  void observe(const std::string& interface, const Advert& a, double when);
  void reject(Reject r) { ++rejected_[static_cast<std::size_t>(r)]; }
  std::uint64_t rejected(Reject r) const { return rejected_[static_cast<std::size_t>(r)].load(); }
  // Sources and routers not heard since `cutoff` (Unix time) are forgotten.
  void forget_before(double cutoff);

  BoundedState<SourceKey, SourceState, KeyHash>::Snapshot sources() const {
    return sources_.snapshot();
  }
  BoundedState<RouterKey, RouterState, KeyHash>::Snapshot routers() const {
    return routers_.snapshot();
  }
  void mark_alive() { sources_.mark_updated(); }

 private:
  BoundedState<SourceKey, SourceState, KeyHash> sources_;
  BoundedState<RouterKey, RouterState, KeyHash> routers_;
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Reject::kCount)> rejected_{};
};

}  // namespace virtnet::vrrp
