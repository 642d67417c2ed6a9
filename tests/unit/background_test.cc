#include "exporter/scrape/background.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "exporter/scrape/scraper.h"
#include "exporter/sources/poll_timeout.h"
#include "tests/support/test_collectors.h"
#include "tests/unit/metric_lookup.h"

namespace virtnet {
namespace {

using namespace std::chrono_literals;

struct Pair {
  std::uint64_t a = 0, b = 0;
};

// Readers never see an entry half-written, nor more entries than the cap, while a writer works.
TEST(BoundedState, SnapshotsAreConsistentUnderConcurrentUpdates) {
  BoundedState<int, Pair> state(16);
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, over{0}, snapshots{0}, ready{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      ++ready;
      do {
        auto s = state.snapshot();
        ++snapshots;
        if (s.entries.size() > 16) ++over;
        for (const auto& [k, p] : s.entries) torn += p.a != p.b;
      } while (!done);
    });
  }
  while (ready < 3) std::this_thread::yield();
  std::thread writer([&] {
    for (std::uint64_t i = 1; i <= 20000; ++i) {
      state.update(static_cast<int>(i % 40), [&](Pair& p) {
        p.a = i;
        p.b = i;
      });
    }
    done = true;
  });
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn, 0);
  EXPECT_EQ(over, 0);
  EXPECT_GT(snapshots, 0);
  auto s = state.snapshot();
  EXPECT_EQ(s.entries.size(), 16u);
  EXPECT_EQ(s.evictions, 20000u - 16);  // every update of a key not among the last 16 evicts
}

TEST(BoundedState, CapEvictsTheLeastRecentlyUpdatedAndCounts) {
  BoundedState<std::string, int> state(3);
  EXPECT_FALSE(state.snapshot().last_update);
  for (auto k : {"a", "b", "c"}) state.update(k, [](int& v) { ++v; });
  state.update("a", [](int& v) { ++v; });  // a is now the most recent
  state.update("d", [](int& v) { ++v; });  // evicts b
  auto s = state.snapshot();
  ASSERT_EQ(s.entries.size(), 3u);
  EXPECT_EQ(s.entries[0].first, "c");
  EXPECT_EQ(s.entries[1].first, "a");
  EXPECT_EQ(s.entries[1].second, 2);
  EXPECT_EQ(s.entries[2].first, "d");
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_TRUE(s.last_update);
  state.erase("a");
  EXPECT_EQ(state.snapshot().entries.size(), 2u);
  EXPECT_EQ(state.snapshot().evictions, 1u);  // an erase is not an eviction
}

// A worker waiting for input with everything read (a capture thread in its poll) is current for
// as long as it waits; once it wakes, its state ages from its last update again.
TEST(BoundedState, AWaitingWorkersStateIsCurrent) {
  BoundedState<int, int> state(4);
  state.mark_updated();
  const auto updated = *state.snapshot().last_update;
  state.mark_waiting();
  const auto waited = std::chrono::steady_clock::now();
  EXPECT_GE(*state.snapshot().last_update, waited);  // "now", however long it has waited
  EXPECT_GT(*state.snapshot().last_update, updated);
  state.mark_updated();  // woke: a worker stuck from here on ages
  const auto woke = *state.snapshot().last_update;
  EXPECT_LE(woke, std::chrono::steady_clock::now());
  EXPECT_EQ(*state.snapshot().last_update, woke);
}

TEST(PollTimeout, TheEarliestDeadlineRoundedUpOrNone) {
  const auto now = std::chrono::steady_clock::now();
  EXPECT_EQ(poll_timeout_ms({}, now), -1);
  EXPECT_EQ(poll_timeout_ms({std::nullopt, std::nullopt}, now), -1);
  EXPECT_EQ(poll_timeout_ms({now + 3s, std::nullopt, now + 250ms}, now), 250);
  EXPECT_EQ(poll_timeout_ms({now + 1500us}, now), 2);  // not 1: it would wake before it is due
  EXPECT_EQ(poll_timeout_ms({now - 1s, now + 1s}, now), 0);
  EXPECT_EQ(poll_timeout_ms({now + std::chrono::hours(48)}, now), 24 * 3600 * 1000);
}

// An update returning true establishes its entry: a flood of newcomers churns probation alone,
// and the established keep their values (counters that an eviction would have reset).
TEST(BoundedState, EstablishedEntriesOutliveAFloodOfNewcomers) {
  BoundedState<int, int> state(8);
  for (int round = 0; round < 3; ++round) {
    for (int k = 0; k < 3; ++k) state.update(k, [](int& v) { return ++v >= 3; });
  }
  for (int k = 100; k < 10100; ++k) state.update(k, [](int& v) { ++v; });
  for (int k = 0; k < 3; ++k) state.update(k, [](int& v) { return ++v >= 3; });
  const auto s = state.snapshot();
  ASSERT_EQ(s.entries.size(), 8u);
  EXPECT_EQ(s.protected_entries, 3u);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(s.entries[static_cast<std::size_t>(k)].first, k);
    EXPECT_EQ(s.entries[static_cast<std::size_t>(k)].second, 4);
  }
  EXPECT_EQ(s.evictions, 10000u - 5);
}

// The protected segment holds 3/4 of the cap. Full, it makes room only by an entry idle for
// demote_after, which goes back to probation; else the newly established waits on probation.
TEST(BoundedState, AFullProtectedSegmentGivesWayOnlyToIdleness) {
  auto promote = [](int& v) {
    ++v;
    return true;
  };
  BoundedState<int, int> busy(4, std::chrono::hours(1));
  for (int k = 0; k < 4; ++k) busy.update(k, promote);
  EXPECT_EQ(busy.snapshot().protected_entries, 3u);
  busy.update(3, promote);  // established, but no room
  auto s = busy.snapshot();
  EXPECT_EQ(s.protected_entries, 3u);
  EXPECT_EQ(s.entries.back().first, 3);
  BoundedState<int, int> idle(4, std::chrono::milliseconds(0));
  for (int k = 0; k < 4; ++k) idle.update(k, promote);
  s = idle.snapshot();
  EXPECT_EQ(s.protected_entries, 3u);
  ASSERT_EQ(s.entries.size(), 4u);
  EXPECT_EQ(s.entries[0].first, 1);  // 0, the least recent, went back to probation
  EXPECT_EQ(s.entries[3].first, 0);
}

TEST(BackgroundThread, StopsPromptlyThroughItsSignal) {
  BackgroundThread t("prompt");
  auto ran = std::make_shared<std::atomic<int>>(0);
  t.start([ran](const StopSignal& stop) {
    while (stop.sleep_for(10s)) ++*ran;  // would sleep 10 s but for the signal
  });
  std::this_thread::sleep_for(50ms);
  const auto t0 = std::chrono::steady_clock::now();
  t.request_stop();
  EXPECT_TRUE(t.join_until(std::chrono::steady_clock::now() + 2s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 200ms);
  EXPECT_EQ(*ran, 0);
}

// A body that throws ends with the reason kept: the capture collectors report it at each scrape.
TEST(BackgroundThread, WhatTheBodyThrewIsItsFailure) {
  BackgroundThread ok("ok"), bad("bad");
  EXPECT_EQ(bad.failure(), "");  // not started
  ok.start([](const StopSignal& stop) { stop.sleep_for(10s); });
  bad.start([](const StopSignal&) { throw std::runtime_error("recvmsg: Network is down"); });
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(ok.failure(), "");  // still running
  EXPECT_EQ(bad.failure(), "recvmsg: Network is down");
  ok.request_stop();
  EXPECT_TRUE(ok.join_until(std::chrono::steady_clock::now() + 2s));
  EXPECT_EQ(ok.failure(), "");  // a clean return is no failure
}

TEST(BackgroundThread, ABodyThatIgnoresTheSignalIsLeftAfterTheBound) {
  auto finished = std::make_shared<std::atomic<bool>>(false);
  const auto t0 = std::chrono::steady_clock::now();
  {
    BackgroundThread t("deaf");
    t.start([finished](const StopSignal&) {
      std::this_thread::sleep_for(600ms);
      *finished = true;
    });
    t.request_stop();
    EXPECT_FALSE(t.join_until(std::chrono::steady_clock::now() + 200ms));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
  EXPECT_FALSE(*finished);
  std::this_thread::sleep_for(700ms);  // it ends on its own, owning what it uses
  EXPECT_TRUE(*finished);
}

// Through the real scraper: collect() copies while the worker writes; the health series show the
// cap, the evictions and a fresh update; a stop within its bound; a stalled body left behind.
TEST(BackgroundCollector, ScrapedWhileItsWorkerRuns) {
  std::unique_ptr<Collector> c;
  CollectorOptions o;
  o.set("cap", std::int64_t{4});
  o.set("period_ms", std::int64_t{1});
  o.set("stall_ms", std::int64_t{0});
  for (auto& info : virtnet::testing::misbehaving_collectors()) {
    if (info.name == "test_background") c = info.make(o, Sources{});
  }
  ASSERT_TRUE(c);
  Scraper s(1s);
  std::vector<CollectorSlot> v;
  v.push_back({"test_background", std::move(c)});
  s.set_collectors(std::move(v), {});
  std::this_thread::sleep_for(100ms);
  for (int i = 0; i < 50; ++i) {
    auto f = s.scrape(std::nullopt);
    ASSERT_EQ(
        testing::value(f, "virtnet_scrape_collector_success", {{"collector", "test_background"}}),
        1);
    EXPECT_EQ(testing::value(f, "virtnet_background_entries", {{"collector", "test_background"}}),
              4);
    EXPECT_LT(testing::value(f, "virtnet_background_last_update_age_seconds",
                             {{"collector", "test_background"}}),
              0.5);
  }
  auto f = s.scrape(std::nullopt);
  EXPECT_GT(
      testing::value(f, "virtnet_background_evictions_total", {{"collector", "test_background"}}),
      0);
  const auto t0 = std::chrono::steady_clock::now();
  s.set_collectors({}, {});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 300ms);
}

}  // namespace
}  // namespace virtnet
