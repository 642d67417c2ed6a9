#include "collectors/vrrp/vrrp_tracker.h"

#include <gtest/gtest.h>

namespace virtnet::vrrp {
namespace {

Advert advert(std::uint8_t last_octet, std::uint8_t priority = 100, double interval = 1) {
  Advert a;
  a.version = 2;
  a.vrid = 51;
  a.priority = priority;
  a.interval_seconds = interval;
  a.source = {10, 0, 0, last_octet};
  return a;
}

const SourceState& state_of(const Tracker& t, const std::string& source, SourceState& keep) {
  for (const auto& [k, s] : t.sources().entries) {
    if (k.source == source) return keep = s;
  }
  throw std::runtime_error("no source " + source);
}

// Master_Down_Interval for priority 100 at 1 s: 3.609 s.
TEST(VrrpTracker, SortsGapsIntoLateAndMasterDown) {
  Tracker t(16);
  double when = 1000;
  for (double gap : {1.0, 1.0, 1.2, 2.5, 3.5, 3.7, 5.0, 1.0}) {
    t.observe("eth0", advert(1), when);
    when += gap;
  }
  t.observe("eth0", advert(1), when);
  SourceState s;
  state_of(t, "10.0.0.1", s);
  EXPECT_EQ(s.adverts, 9u);
  EXPECT_EQ(s.late, 2u);         // 2.5 and 3.5: missed adverts, the backup still waiting
  EXPECT_EQ(s.master_down, 2u);  // 3.7 and 5.0: past Master_Down_Interval
  EXPECT_DOUBLE_EQ(s.last_gap, 1.0);
  EXPECT_DOUBLE_EQ(s.last_seen, when);
}

TEST(VrrpTracker, AClockStepBackIsNoGap) {
  Tracker t(16);
  t.observe("eth0", advert(1), 1000);
  t.observe("eth0", advert(1), 990);
  t.observe("eth0", advert(1), 991);
  SourceState s;
  state_of(t, "10.0.0.1", s);
  EXPECT_EQ(s.master_down + s.late, 0u);
  EXPECT_EQ(t.rejected(Reject::kClock), 1u);
}

TEST(VrrpTracker, CountsFailoversPerRouterAndKeepsInterfacesApart) {
  Tracker t(16);
  t.observe("eth0", advert(1, 150), 1000);
  t.observe("eth0", advert(2), 1004);       // the backup took over
  t.observe("eth0", advert(1, 150), 1005);  // and the master came back (preempt)
  t.observe("eth1", advert(1, 150), 1005);
  const auto routers = t.routers().entries;
  ASSERT_EQ(routers.size(), 2u);
  for (const auto& [k, r] : routers) {
    EXPECT_EQ(r.changes, k.interface == "eth0" ? 2u : 0u) << k.interface;
  }
  EXPECT_EQ(t.sources().entries.size(), 3u);
}

TEST(VrrpTracker, BoundedAndForgetful) {
  Tracker t(2);
  for (std::uint8_t i = 1; i <= 4; ++i) t.observe("eth0", advert(i), 1000 + i);
  auto snap = t.sources();
  EXPECT_EQ(snap.entries.size(), 2u);
  EXPECT_EQ(snap.evictions, 2u);
  t.forget_before(1003.5);
  snap = t.sources();
  ASSERT_EQ(snap.entries.size(), 1u);
  EXPECT_EQ(snap.entries[0].first.source, "10.0.0.4");
}

}  // namespace
}  // namespace virtnet::vrrp
