#include "collectors/vrrp/vrrp_tracker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

namespace virtnet::vrrp {
namespace {

const RouterKey kEth0{"eth0", 0, 51, Family::kIpv4, "", 0, ""};

Advert advert(std::uint8_t last_octet, std::uint8_t priority = 100, double interval = 1) {
  Advert a;
  a.version = 2;
  a.vrid = 51;
  a.priority = priority;
  a.interval_seconds = interval;
  a.source = {10, 0, 0, last_octet};
  return a;
}

SourceState state_of(const Tracker& t, const std::string& source, const RouterKey& r = kEth0) {
  for (const auto& [k, s] : t.sources().entries) {
    if (k.source == source && k.router == r) return s;
  }
  throw std::runtime_error("no source " + source);
}

int masters_of(const Tracker& t, double now, const RouterKey& r = kEth0) {
  for (const auto& [k, n] : masters(t.sources().entries, now)) {
    if (k == r) return n;
  }
  return -1;
}

// A master alone (no backup ever heard): Master_Down_Interval at priority 100, 1 s is 3.609 s.
TEST(VrrpTracker, AMasterAloneSortsItsSilences) {
  Tracker t(16);
  double when = 1000;
  for (double gap : {1.0, 1.0, 1.2, 2.5, 3.5, 3.7, 5.0, 1.0}) {
    t.observe(kEth0, advert(1), when);
    when += gap;
  }
  t.observe(kEth0, advert(1), when);
  const auto s = state_of(t, "10.0.0.1");
  EXPECT_EQ(s.adverts, 9u);
  EXPECT_EQ(s.late, 2u);         // 2.5 and 3.5: missed advertisements
  EXPECT_EQ(s.master_down, 2u);  // 3.7 and 5.0: past Master_Down_Interval
  EXPECT_DOUBLE_EQ(s.last_gap, 1.0);
  EXPECT_DOUBLE_EQ(s.last_seen, when);
}

// The paused master of the incident: the backup takes over after its own Master_Down_Interval,
// then the master comes back and preempts. One silence, the master's; none for the backup.
TEST(VrrpTracker, ATakeoverIsTheSilentMastersAndAPreemptionNobodys) {
  Tracker t(16);
  for (int i = 0; i < 3; ++i) t.observe(kEth0, advert(1, 150), 1000 + i);
  t.observe(kEth0, advert(2, 100), 1002 + 3.61);  // backup's timer ran out
  t.observe(kEth0, advert(2, 100), 1002 + 4.61);
  t.observe(kEth0, advert(1, 150), 1007.0);  // master resumes, preempts at once
  EXPECT_EQ(masters_of(t, 1007.1), 1);       // the backup stopped counting at once
  EXPECT_EQ(masters_of(t, 1006.0), 1);       // and during the pause, the backup alone
  t.observe(kEth0, advert(1, 150), 1008.0);
  const auto m = state_of(t, "10.0.0.1");
  const auto b = state_of(t, "10.0.0.2");
  EXPECT_EQ(m.master_down, 1u);
  EXPECT_NEAR(m.last_gap, 1.0, 1e-9);  // its last gap since, as master again
  EXPECT_EQ(b.master_down + b.late, 0u);
  EXPECT_EQ(m.late, 0u);
  for (const auto& [k, r] : t.routers().entries) EXPECT_EQ(r.changes, 2u);
  // Later the master falls silent again: its silence again; the backup's long absence is none.
  for (int i = 1009; i <= 1596; ++i) t.observe(kEth0, advert(1, 150), i);
  t.observe(kEth0, advert(2, 100), 1600.0);
  EXPECT_EQ(state_of(t, "10.0.0.2").master_down, 0u);
  EXPECT_EQ(state_of(t, "10.0.0.1").master_down, 2u);
}

// With a backup known, a gap short of what a backup waits, with no takeover, is late only.
TEST(VrrpTracker, WithABackupKnownASilenceNobodyTookOverIsLate) {
  Tracker t(16);
  t.observe(kEth0, advert(2, 100), 1000);
  t.observe(kEth0, advert(1, 150), 1000.5);  // preempts: no silence
  t.observe(kEth0, advert(1, 150), 1004.0);  // 3.5 s, under 4 intervals
  t.observe(kEth0, advert(1, 150), 1009.0);  // 5 s: past any backup's wait
  const auto m = state_of(t, "10.0.0.1");
  EXPECT_EQ(m.late, 1u);
  EXPECT_EQ(m.master_down, 1u);
}

// keepalived stopping cleanly sends priority 0: the backup follows at once, nothing is a silence.
TEST(VrrpTracker, AResignationIsAHandover) {
  Tracker t(16);
  t.observe(kEth0, advert(1, 150), 1000);
  t.observe(kEth0, advert(1, 0), 1001);
  EXPECT_EQ(masters_of(t, 1001.1), 0);
  for (int i = 0; i < 300; ++i) t.observe(kEth0, advert(2, 100), 1001.2 + i);
  t.observe(kEth0, advert(1, 150), 1301);  // back five minutes later, preempting
  EXPECT_EQ(state_of(t, "10.0.0.1").master_down, 0u);
  EXPECT_EQ(state_of(t, "10.0.0.2").master_down, 0u);
  for (const auto& [k, r] : t.routers().entries) EXPECT_EQ(r.changes, 2u);  // a handover, a return
}

TEST(VrrpTracker, TwoMastersAlternatingAreSplitBrain) {
  Tracker t(16);
  for (int i = 0; i < 5; ++i) {
    t.observe(kEth0, advert(1, 150), 1000 + i);
    t.observe(kEth0, advert(2, 100), 1000.4 + i);
  }
  EXPECT_EQ(masters_of(t, 1004.5), 2);
  EXPECT_EQ(masters_of(t, 1010), 0);  // both silent past their Master_Down_Interval
  EXPECT_EQ(state_of(t, "10.0.0.1").master_down + state_of(t, "10.0.0.1").late, 0u);
}

// Routers on two VLANs of one trunk, and in two namespaces, are apart even with one VRID.
TEST(VrrpTracker, VlansAndInterfacesKeepRoutersApart) {
  Tracker t(16);
  const RouterKey v10{"eth1", 10, 51, Family::kIpv4, "", 0, ""},
      v20{"eth1", 20, 51, Family::kIpv4, "", 0, ""};
  for (int i = 0; i < 3; ++i) {
    t.observe(v10, advert(1), 1000 + i);
    t.observe(v20, advert(2), 1000.5 + i);
  }
  EXPECT_EQ(masters_of(t, 1002.6, v10), 1);
  EXPECT_EQ(masters_of(t, 1002.6, v20), 1);
  // Neutron: every router's namespace has its own ha-* interface, often with the same VRID.
  const RouterKey r1{"ha-1", 0, 1, Family::kIpv4, "qrouter-a", 0, ""},
      r2{"ha-1", 0, 1, Family::kIpv4, "qrouter-b", 0, ""};
  for (int i = 0; i < 3; ++i) {
    t.observe(r1, advert(1), 1000 + i);
    t.observe(r2, advert(2), 1000.5 + i);
  }
  EXPECT_EQ(masters_of(t, 1002.6, r1), 1);
  EXPECT_EQ(masters_of(t, 1002.6, r2), 1);
  for (const auto& [k, r] : t.routers().entries) EXPECT_EQ(r.changes, 0u);
}

// Unicast to two peers: each advertisement twice, microseconds apart. One advertisement, and the
// gap is the interval, not the microseconds.
TEST(VrrpTracker, CopiesAreOneAdvertisement) {
  Tracker t(16);
  for (int i = 0; i < 5; ++i) {
    t.observe(kEth0, advert(1), 1000 + i);
    t.observe(kEth0, advert(1), 1000 + i + 1e-5);
  }
  const auto s = state_of(t, "10.0.0.1");
  EXPECT_EQ(s.adverts, 5u);
  EXPECT_DOUBLE_EQ(s.last_gap, 1.0);
}

// A router out of sight for long (its namespace gone and back, an instance migrated away and
// back): a new baseline, not a silence seen.
TEST(VrrpTracker, LongOutOfSightIsANewBaseline) {
  Tracker t(16);
  t.observe(kEth0, advert(1), 1000);
  t.observe(kEth0, advert(1), 1600);
  t.observe(kEth0, advert(2), 2200);
  const auto s = state_of(t, "10.0.0.1");
  EXPECT_EQ(s.master_down + s.late, 0u);
  for (const auto& [k, r] : t.routers().entries) EXPECT_EQ(r.changes, 1u);
}

// keepalived's reply to a backup's blip forces an election: the loser advertises once or twice,
// then the winner twice; the loser stops counting at once.
TEST(VrrpTracker, AnElectionsLoserStopsCounting) {
  Tracker t(16);
  for (int i = 0; i < 5; ++i) t.observe(kEth0, advert(1, 150), 1000 + i);
  t.observe(kEth0, advert(2, 100), 1004.2);  // the backup, briefly thinking itself master
  t.observe(kEth0, advert(1, 150), 1004.3);  // forced election
  EXPECT_EQ(masters_of(t, 1004.35), 2);      // one interval's doubt
  t.observe(kEth0, advert(1, 150), 1005.3);
  EXPECT_EQ(masters_of(t, 1005.4), 1);
}

// Clusters that share VRID 1 on one link (Octavia) differ by their virtual address.
TEST(VrrpTracker, ClustersSharingAVridOnALinkStayApart) {
  Tracker t(16);
  RouterKey a = kEth0, b = kEth0;
  a.address = "192.0.2.10";
  b.address = "192.0.2.20";
  for (int i = 0; i < 3; ++i) {
    t.observe(a, advert(1), 1000 + i);
    t.observe(b, advert(2), 1000.5 + i);
  }
  EXPECT_EQ(masters_of(t, 1002.6, a), 1);
  EXPECT_EQ(masters_of(t, 1002.6, b), 1);
  for (const auto& [k, r] : t.routers().entries) EXPECT_EQ(r.changes, 0u);
}

TEST(VrrpTracker, AClockStepBackIsNoGapAndNoAdvertisement) {
  Tracker t(16);
  t.observe(kEth0, advert(1), 1000);
  t.observe(kEth0, advert(1), 990);
  t.observe(kEth0, advert(1), 991);
  const auto s = state_of(t, "10.0.0.1");
  EXPECT_EQ(s.master_down + s.late, 0u);
  EXPECT_EQ(s.adverts, 2u);
  EXPECT_EQ(t.rejected(Reject::kClock), 1u);
}

TEST(VrrpTracker, BoundedAndForgetful) {
  Tracker t(2);
  for (std::uint8_t i = 1; i <= 4; ++i) {
    t.observe({"eth" + std::to_string(i), 0, 51, Family::kIpv4, "", 0, ""}, advert(i), 1000 + i);
  }
  auto snap = t.sources();
  EXPECT_EQ(snap.entries.size(), 2u);
  EXPECT_EQ(snap.evictions, 2u);
  t.forget_before(1003.5);
  snap = t.sources();
  ASSERT_EQ(snap.entries.size(), 1u);
  EXPECT_EQ(snap.entries[0].first.source, "10.0.0.4");
  EXPECT_EQ(t.routers().entries.size(), 1u);
}

// The capture thread observes while scrapes snapshot, count masters and forget (run under
// ThreadSanitizer in tsan_tests).
TEST(VrrpTracker, ObserveWhileCollecting) {
  Tracker t(8);
  std::atomic<bool> done{false};
  std::thread capture([&] {
    for (int i = 0; i < 20000; ++i) {
      const RouterKey r{"eth" + std::to_string(i % 5),
                        0,
                        static_cast<std::uint8_t>(1 + i % 3),
                        Family::kIpv4,
                        "",
                        0,
                        ""};
      t.observe(r, advert(static_cast<std::uint8_t>(1 + i % 2)), 1000 + i * 0.01);
    }
    done = true;
  });
  std::size_t seen = 0;
  while (!done) {
    const auto snap = t.sources();
    seen += masters(snap.entries, 1100).size();
    t.forget_before(1000 + static_cast<double>(seen % 100));
  }
  capture.join();
  EXPECT_LE(t.sources().entries.size(), 8u);
}

}  // namespace
}  // namespace virtnet::vrrp
