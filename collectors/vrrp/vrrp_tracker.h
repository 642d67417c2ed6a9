#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collectors/vrrp/vrrp_parse.h"
#include "exporter/scrape/background.h"

namespace virtnet::vrrp {

using Address = std::array<std::uint8_t, 16>;  // 4 bytes used for IPv4

// A virtual router as seen on one interface of one network namespace: VRIDs are per link (per
// VLAN on a trunk) and per address family, and clusters that share one on a link (unicast
// clusters; Octavia uses VRID 1 for all) differ by the addresses they advertise. Compact: a
// frame is looked up without allocating (an interface name fits in std::string's own buffer), so
// that a flood of newcomers is refused at the cost of a lookup.
struct RouterKey {
  std::uint32_t netns = 0;       // the capture's number for the namespace (0: the exporter's own)
  std::string interface;         // its name in that namespace
  std::uint16_t vlan = 0;        // 0: untagged
  std::uint16_t inner_vlan = 0;  // QinQ: the tag inside `vlan`; 0: none
  std::uint8_t vrid = 0;
  Family family = Family::kIpv4;
  bool has_address = false;  // the first virtual address advertised
  Address address{};
  bool operator==(const RouterKey&) const = default;
  auto operator<=>(const RouterKey&) const = default;
};

// One source advertising for a virtual router: normally the master alone.
struct SourceKey {
  RouterKey router;
  Address source{};
  bool operator==(const SourceKey&) const = default;
};

// A source address in a namespace: what the priority capture's filter lets through.
struct Speaker {
  std::uint32_t netns = 0;
  Family family = Family::kIpv4;
  Address source{};
  auto operator<=>(const Speaker&) const = default;
};

// Which capture a frame came through: the general one, or the one whose kernel filter passes
// only the sources of established routers, so that a flood of newcomers neither costs them their
// frames nor blinds the judgement of their silences.
enum class Channel : std::uint8_t { kGeneral, kPriority };

struct KeyHash {
  std::size_t operator()(const RouterKey& k) const;
  std::size_t operator()(const SourceKey& k) const;
};

// The bounds, seconds, of the histogram of a source's gaps between its advertisements: 1x, 1.5x,
// 2x, 3x and 4x of the common intervals (0.5, 1 and 2 s) each fall in a bucket of its own.
inline constexpr std::array<double, 13> kGapBuckets = {0.25, 0.5, 0.75, 1,  1.5, 2, 3,
                                                       4,    6,   8,    12, 16,  30};
// And of the lengths of its master-down silences.
inline constexpr std::array<double, 5> kMasterDownBuckets = {2, 4, 8, 16, 30};

template <std::size_t N>
struct Histogram {
  std::array<std::uint64_t, N + 1> counts{};  // per bucket (not cumulative); the last: +Inf
  double sum = 0;
  void observe(double v, const std::array<double, N>& bounds) {
    std::size_t i = 0;
    while (i < N && v > bounds[i]) ++i;
    ++counts[i];
    sum += v;
  }
};

// The longest gap that ended within the last `window` seconds, kept in 10 slots of window / 10:
// 20 numbers a source, whatever the rate.
class WindowMax {
 public:
  void add(double when, double gap, double window);
  double max(double now, double window) const;

 private:
  static constexpr std::size_t kSlots = 10;
  std::array<double, kSlots> max_{};
  std::array<std::int64_t, kSlots> slot_{};  // which slot (when / slot length) each holds
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
  // Silences that spanned frames the capture lost (the kernel dropped them, or the capture was
  // at its CPU budget): neither late nor master-down, since what was lost may have filled them.
  std::uint64_t unjudged = 0;
  double last_gap = 0;        // its last silence as master, seconds (see above)
  double first_seen = 0;      // Unix time of its first advertisement
  double last_seen = 0;       // and of its last one
  double prev_seen = 0;       // and of the one before
  double since = 0;           // start of its current run (no silence past its Master_Down_Interval)
  double priority_since = 0;  // since when its frames come through the priority capture; 0: not
  std::uint8_t on_time = 0;   // advertisements in a row 0.75 to 1.5 intervals after the one before
  bool established = false;   // once 3 in a row were: protected from eviction by newcomers
  std::uint8_t version = 0, priority = 0, auth_type = 0;
  bool via_ah = false;
  double interval = 0;                                    // advertised, seconds
  Histogram<kGapBuckets.size()> gaps;                     // between its own advertisements
  Histogram<kMasterDownBuckets.size()> master_down_gaps;  // each master-down silence's length
  WindowMax longest;
  double master_down_interval() const;
};

struct RouterState {
  Address last_source{};  // who sent the router's last advertisement
  bool heard = false;     // anyone has
  double first_seen = 0;
  double last_seen = 0;
  std::uint64_t adverts = 0;
  std::uint8_t last_priority = 0;
  std::uint8_t last_version = 0;
  double last_interval = 0;
  bool backup_heard = false;  // a second source has advertised at some time
  std::uint64_t changes = 0;  // advertisements from another source than the one before
  // Since when the last source's frames have come through the priority capture without a break;
  // 0: its last one did not.
  double last_priority_since = 0;
};

// The capture thread's view of every virtual router it has heard, bounded; collect() reads
// snapshots. Times are the kernel's capture timestamps (the real-time clock).
class Tracker {
 public:
  struct Options {
    double gap_window = 300;      // seconds of the longest-gap window
    double new_per_second = 100;  // sources not yet tracked admitted a second (and at once)
  };
  Tracker(std::size_t max_sources, Options o);
  explicit Tracker(std::size_t max_sources) : Tracker(max_sources, Options{}) {}

  enum class Seen { kCounted, kCopy, kNotAdmitted };
  // A source not yet tracked is admitted only within new_per_second: a flood of newcomers costs
  // a lookup each, and pushes out nothing established (the tables are segmented: see
  // BoundedState).
  Seen observe(const RouterKey& router, const Advert& a, double when,
               Channel channel = Channel::kGeneral);
  void reject(Reject r) { ++rejected_[static_cast<std::size_t>(r)]; }
  std::uint64_t rejected(Reject r) const { return rejected_[static_cast<std::size_t>(r)].load(); }
  std::uint64_t not_admitted() const { return not_admitted_.load(); }
  // A capture lost frames between these times (Unix): silences that span it, and that it could
  // have carried, are not judged.
  void lost(double from, double to, Channel channel = Channel::kGeneral);
  // The sources of established routers, for the priority capture's filter: at most `max` in a
  // namespace (its filter's length is bounded), the longest established kept.
  std::vector<Speaker> established_speakers(std::size_t max, double now) const;
  // Sources and routers not heard since `cutoff` (Unix time) are forgotten.
  void forget_before(double cutoff);
  // Everything heard in a namespace whose capture closed: when it comes back, from scratch.
  void forget_netns(std::uint32_t netns);
  double gap_window() const { return options_.gap_window; }

  BoundedState<SourceKey, SourceState, KeyHash>::Snapshot sources() const {
    return sources_.snapshot();
  }
  BoundedState<RouterKey, RouterState, KeyHash>::Snapshot routers() const {
    return routers_.snapshot();
  }
  // The capture thread is working (mark_alive), or has read everything and waits (mark_waiting):
  // its state is current while it waits, however long no frame comes.
  void mark_alive() { sources_.mark_updated(); }
  void mark_waiting() { sources_.mark_waiting(); }

 private:
  bool admit(double when);
  // Whether frames that could have fallen between `from` and `to` were lost: through the
  // priority capture only, when a frame at `from` came through it and one at `to` does (`since`:
  // since when; 0: not so), or through either.
  bool blind(double from, double to, double since, Channel channel) const;

  const Options options_;
  std::mutex observe_mu_;  // observe() reads a router and then writes its sources
  BoundedState<SourceKey, SourceState, KeyHash> sources_;
  BoundedState<RouterKey, RouterState, KeyHash> routers_;
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Reject::kCount)> rejected_{};
  std::atomic<std::uint64_t> not_admitted_{0};
  double tokens_ = 0, tokens_at_ = 0;  // under observe_mu_
  // The last intervals with frames lost, per channel (contiguous losses merged into one).
  struct Losses {
    std::array<std::pair<double, double>, 8> at{};
    std::size_t next = 0;
    void add(double from, double to);
    bool overlap(double from, double to) const;
  };
  std::array<Losses, 2> lost_{};
};

// How many sources of each router act as master at `now`: heard within their Master_Down_Interval
// with a priority above 0, and not silent since another source began a run or advertised twice
// (a master preempted, or a node that lost an election, stops counting at once; two that go on
// advertising over each other both count: split brain).
std::vector<std::pair<RouterKey, int>> masters(
    const std::vector<std::pair<SourceKey, SourceState>>& sources, double now);

// "192.0.2.1" or the RFC 5952 text of an IPv6 address.
std::string address_text(Family f, const Address& a);

}  // namespace virtnet::vrrp
