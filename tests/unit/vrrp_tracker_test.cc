#include "collectors/vrrp/vrrp_tracker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

namespace virtnet::vrrp {
namespace {

RouterKey router(const std::string& iface, std::uint16_t vlan = 0, std::uint8_t vrid = 51,
                 std::uint32_t netns = 0) {
  RouterKey k;
  k.netns = netns;
  k.interface = iface;
  k.vlan = vlan;
  k.vrid = vrid;
  return k;
}

const RouterKey kEth0 = router("eth0");

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
    if (address_text(k.router.family, k.source) == source && k.router == r) return s;
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
  const RouterKey v10 = router("eth1", 10), v20 = router("eth1", 20);
  for (int i = 0; i < 3; ++i) {
    t.observe(v10, advert(1), 1000 + i);
    t.observe(v20, advert(2), 1000.5 + i);
  }
  EXPECT_EQ(masters_of(t, 1002.6, v10), 1);
  EXPECT_EQ(masters_of(t, 1002.6, v20), 1);
  // Neutron: every router's namespace has its own ha-* interface, often with the same VRID.
  const RouterKey r1 = router("ha-1", 0, 1, 1), r2 = router("ha-1", 0, 1, 2);
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
  a.has_address = b.has_address = true;
  a.address = {192, 0, 2, 10};
  b.address = {192, 0, 2, 20};
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
    t.observe(router("eth" + std::to_string(i)), advert(i), 1000 + i);
  }
  auto snap = t.sources();
  EXPECT_EQ(snap.entries.size(), 2u);
  EXPECT_EQ(snap.evictions, 2u);
  t.forget_before(1003.5);
  snap = t.sources();
  ASSERT_EQ(snap.entries.size(), 1u);
  EXPECT_EQ(address_text(Family::kIpv4, snap.entries[0].first.source), "10.0.0.4");
  EXPECT_EQ(t.routers().entries.size(), 1u);
}

// The flood of the issue: 10,000 (source, VRID) pairs, 175,000 advertisements a second, beside
// 10 routers that advertised on time before it. Whatever the admission rate (here unlimited, so
// that every newcomer is tracked and the table churns at its cap), none of the 10 is evicted and
// every one of their advertisements is counted, with their gaps.
TEST(VrrpTracker, AFloodOfNewcomersEvictsNoEstablishedRouter) {
  for (const double admitted : {100.0, 1e9}) {
    Tracker t(256, Tracker::Options{300, admitted});
    auto real = [](int i) { return router("eth0", 0, static_cast<std::uint8_t>(200 + i)); };
    double when = 1000;
    for (int second = 0; second < 5; ++second, when += 1) {
      for (int i = 0; i < 10; ++i) t.observe(real(i), advert(1), when + i / 64.0);
    }
    for (int second = 0; second < 10; ++second, when += 1) {
      for (int n = 0; n < 17500; ++n) {  // a tenth of a second's flood
        Advert a = advert(0);
        const int pair = (second * 17500 + n) % 10000;
        a.source = {172, 16, static_cast<std::uint8_t>(pair / 256),
                    static_cast<std::uint8_t>(pair)};
        t.observe(router("eth0", 0, static_cast<std::uint8_t>(1 + pair % 199)), a, when + n * 1e-6);
      }
      for (int i = 0; i < 10; ++i) t.observe(real(i), advert(1), when + i / 64.0);
    }
    const auto snap = t.sources();
    EXPECT_LE(snap.entries.size(), 256u);
    EXPECT_GT(snap.evictions, admitted > 1000 ? 100000u : 500u) << admitted;
    EXPECT_EQ(snap.protected_entries, 10u);  // the flood's newcomers never are established
    for (int i = 0; i < 10; ++i) {
      const auto s = state_of(t, "10.0.0.1", real(i));
      EXPECT_EQ(s.adverts, 15u);
      EXPECT_EQ(s.gaps.counts[3], 14u);  // 14 gaps of 1 s, in the le="1" bucket
      EXPECT_EQ(s.late + s.master_down, 0u);
    }
    if (admitted < 1000) {
      EXPECT_GT(t.not_admitted(), 150000u);
    }
  }
}

// The established ones are those that keep time: a source advertising many times a second (a
// flood from one address) never is.
TEST(VrrpTracker, OnlyASourceKeepingTimeIsEstablished) {
  Tracker t(16);
  for (int i = 0; i < 100; ++i) t.observe(kEth0, advert(1, 100, 1), 1000 + i * 0.05);
  EXPECT_FALSE(state_of(t, "10.0.0.1").established);
  for (int i = 0; i < 3; ++i) t.observe(kEth0, advert(1, 100, 1), 1010 + i);
  EXPECT_FALSE(state_of(t, "10.0.0.1").established);  // 2 on time in a row, after a long one
  t.observe(kEth0, advert(1, 100, 1), 1013);
  EXPECT_TRUE(state_of(t, "10.0.0.1").established);
  EXPECT_EQ(t.established_speakers(64, 1013).size(), 1u);
  EXPECT_EQ(t.established_speakers(0, 1013).size(), 0u);
}

// Bounds in seconds 0.25 to 30: 1x, 1.5x, 2x, 3x and 4x of 0.5, 1 and 2 s each in a bucket, a gap
// on a bound in that bucket (Prometheus's `le`).
TEST(VrrpTracker, GapsFallInTheirBuckets) {
  Tracker t(16);
  double when = 1000;
  t.observe(kEth0, advert(1), when);
  for (double gap : {1.0, 1.0, 1.5, 3.5, 8.0, 45.0}) {
    when += gap;
    t.observe(kEth0, advert(1), when);
  }
  const auto s = state_of(t, "10.0.0.1");
  auto bucket = [](double le) {
    for (std::size_t i = 0; i < kGapBuckets.size(); ++i) {
      if (kGapBuckets[i] == le) return i;
    }
    return kGapBuckets.size();  // +Inf
  };
  EXPECT_EQ(s.gaps.counts[bucket(1)], 2u);
  EXPECT_EQ(s.gaps.counts[bucket(1.5)], 1u);
  EXPECT_EQ(s.gaps.counts[bucket(4)], 1u);
  EXPECT_EQ(s.gaps.counts[bucket(8)], 1u);
  EXPECT_EQ(s.gaps.counts[kGapBuckets.size()], 1u);  // 45 s: past 30
  EXPECT_DOUBLE_EQ(s.gaps.sum, 60.0);
  for (double x : {0.5, 1.0, 2.0}) {
    for (double m : {1.0, 1.5, 2.0, 3.0, 4.0}) {
      EXPECT_NE(bucket(x * m), kGapBuckets.size()) << x * m << " is a bound";
    }
  }
  // The master-down silences by length: 8 s (past a lone master's 3.6 s); 45 s is 30 intervals
  // out of sight, a new baseline.
  EXPECT_EQ(s.master_down, 1u);
  EXPECT_EQ(s.late, 1u);                        // 3.5 s
  EXPECT_EQ(s.master_down_gaps.counts[2], 1u);  // le="8"
}

// The longest gap of the last gap_window seconds: an 8 s stall is seen until it is a window old
// (to a tenth of it), then forgotten.
TEST(VrrpTracker, TheLongestGapLastsItsWindow) {
  Tracker t(16, Tracker::Options{300, 100});
  double when = 1000;
  for (int i = 0; i < 5; ++i) t.observe(kEth0, advert(1), when += 1);
  EXPECT_DOUBLE_EQ(state_of(t, "10.0.0.1").longest.max(when, 300), 1.0);
  t.observe(kEth0, advert(1), when += 8);
  const double stall_end = when;
  auto longest_at = [&](double at) {
    while (when + 1 <= at) t.observe(kEth0, advert(1), when += 1);
    return state_of(t, "10.0.0.1").longest.max(at, 300);
  };
  EXPECT_DOUBLE_EQ(longest_at(stall_end), 8.0);
  EXPECT_DOUBLE_EQ(longest_at(stall_end + 250), 8.0);
  EXPECT_DOUBLE_EQ(longest_at(stall_end + 331), 1.0);  // a window and a slot later
  EXPECT_DOUBLE_EQ(state_of(t, "10.0.0.1").longest.max(when + 1000, 300), 0.0);  // none since
}

// Frames lost by a capture (its buffer overflowed, or it was held at its CPU budget): a silence
// spanning the loss is neither late nor master-down, nor in the histogram. A loss on the general
// capture does not blind a source read through the priority one since before its silence.
TEST(VrrpTracker, LostFramesLeaveASilenceUnjudged) {
  Tracker t(16);
  for (int i = 0; i < 4; ++i) t.observe(kEth0, advert(1), 1000 + i);
  t.lost(1003.5, 1004.5);
  t.observe(kEth0, advert(1), 1009);
  auto s = state_of(t, "10.0.0.1");
  EXPECT_EQ(s.unjudged, 1u);
  EXPECT_EQ(s.master_down + s.late, 0u);
  EXPECT_EQ(s.gaps.counts[kGapBuckets.size() - 5], 0u);  // no 6 s gap counted
  // Through the priority capture from 1010 on; the general one loses frames from 1012 to 1020.
  for (int i = 10; i < 12; ++i) t.observe(kEth0, advert(1), 1000 + i, Channel::kPriority);
  t.lost(1012, 1020, Channel::kGeneral);
  t.observe(kEth0, advert(1), 1018, Channel::kPriority);
  s = state_of(t, "10.0.0.1");
  EXPECT_EQ(s.unjudged, 1u);
  EXPECT_EQ(s.master_down, 1u);
  // The priority capture's own losses do blind it.
  t.observe(kEth0, advert(1), 1019, Channel::kPriority);
  t.lost(1019.5, 1020, Channel::kPriority);
  t.observe(kEth0, advert(1), 1025, Channel::kPriority);
  EXPECT_EQ(state_of(t, "10.0.0.1").unjudged, 2u);
}

// A frame read from the other capture after a later one (the filters changed between them): a
// copy of one already counted, or an earlier frame of another source; neither a clock step.
TEST(VrrpTracker, FramesFromTheOtherCaptureOutOfOrderAreNoClockStep) {
  Tracker t(16);
  for (int i = 0; i < 4; ++i) t.observe(kEth0, advert(1), 1000 + i);
  t.observe(kEth0, advert(1), 1004, Channel::kPriority);
  t.observe(kEth0, advert(1), 1004, Channel::kGeneral);        // the same frame through both
  t.observe(kEth0, advert(2, 90), 1003.9, Channel::kGeneral);  // another source, read late
  EXPECT_EQ(t.rejected(Reject::kClock), 0u);
  EXPECT_EQ(state_of(t, "10.0.0.1").adverts, 5u);
  EXPECT_EQ(state_of(t, "10.0.0.2").adverts, 1u);
  t.observe(kEth0, advert(1), 1005, Channel::kPriority);
  EXPECT_EQ(state_of(t, "10.0.0.1").late + state_of(t, "10.0.0.1").master_down, 0u);
}

// The capture thread observes while scrapes snapshot, count masters and forget (run under
// ThreadSanitizer in tsan_tests).
TEST(VrrpTracker, ObserveWhileCollecting) {
  Tracker t(8);
  std::atomic<bool> done{false};
  std::thread capture([&] {
    for (int i = 0; i < 20000; ++i) {
      const RouterKey r =
          router("eth" + std::to_string(i % 5), 0, static_cast<std::uint8_t>(1 + i % 3));
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
