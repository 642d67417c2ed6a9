#include "exporter/scrape/scraper.h"

#include <gtest/gtest.h>
#include <linux/capability.h>

#include <atomic>
#include <thread>

#include "exporter/scrape/background.h"
#include "exporter/scrape/capabilities.h"
#include "tests/support/test_collectors.h"
#include "tests/unit/fixture.h"

namespace virtnet {
namespace {

using namespace std::chrono_literals;

constexpr auto kFastValue = MetricDef::gauge("virtnet_fast_value", "A value.");

class Fast : public Collector {
 public:
  std::string_view name() const override { return "fast"; }
  CollectStatus collect(MetricSink& out) override {
    out.add(kFastValue, ++calls_);
    return CollectStatus::kOk;
  }
  int calls_ = 0;
};

std::unique_ptr<Collector> make(const std::string& name, CollectorOptions opts = {}) {
  for (auto& info : virtnet::testing::misbehaving_collectors()) {
    if (info.name == name) {
      for (const auto& spec : info.options) {
        if (spec.key == "sleep_ms") opts.set("sleep_ms", std::int64_t{3000});
      }
      return info.make(opts, Sources{});
    }
  }
  return nullptr;
}

std::vector<CollectorSlot> slots(std::vector<std::unique_ptr<Collector>> cs) {
  std::vector<CollectorSlot> out;
  for (auto& c : cs) {
    std::string n(c->name());
    out.push_back({std::move(n), std::move(c)});
  }
  return out;
}

double sample(const std::vector<prometheus::MetricFamily>& fams, const std::string& name,
              const std::string& collector = "") {
  for (const auto& f : fams) {
    if (f.name != name) continue;
    for (const auto& m : f.metric) {
      if (collector.empty() || (!m.label.empty() && m.label[0].value == collector)) {
        return f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
      }
    }
  }
  return -1;
}

bool has_family(const std::vector<prometheus::MetricFamily>& fams, const std::string& name) {
  for (const auto& f : fams) {
    if (f.name == name) return true;
  }
  return false;
}

TEST(Scraper, FastCollectorAndMetaMetrics) {
  std::vector<std::unique_ptr<Collector>> cs;
  cs.push_back(std::make_unique<Fast>());
  Scraper s(1s);
  s.set_collectors(slots(std::move(cs)), {});
  auto f1 = s.scrape(std::nullopt);
  auto f2 = s.scrape(std::nullopt);
  EXPECT_EQ(sample(f1, "virtnet_fast_value"), 1);
  EXPECT_EQ(sample(f2, "virtnet_fast_value"), 2);  // built fresh each scrape
  EXPECT_EQ(sample(f2, "virtnet_scrape_collector_success", "fast"), 1);
  EXPECT_GE(sample(f2, "virtnet_scrape_collector_duration_seconds", "fast"), 0);
  EXPECT_EQ(sample(f2, "virtnet_exporter_build_info"), 1);
  EXPECT_GT(sample(f2, "process_resident_memory_bytes"), 0);
  EXPECT_GT(sample(f2, "process_open_fds"), 0);
}

// Two collectors exporting one shared series name (virtnet_background_*): one family, one HELP.
class Shares : public Collector {
 public:
  explicit Shares(std::string n) : name_(std::move(n)) {}
  std::string_view name() const override { return name_; }
  CollectStatus collect(MetricSink& out) override {
    out.add(MetricDef::gauge("virtnet_shared_value", "Shared."), 1, {{"collector", name_}});
    if (name_ == "b") {
      out.add(MetricDef::counter("virtnet_typed_total", "A counter here."), 5);
    } else {
      out.add(MetricDef::gauge("virtnet_typed_total", "A gauge there."), 7);
    }
    return CollectStatus::kOk;
  }
  std::string name_;
};

TEST(Scraper, ASeriesNameSharedByCollectorsIsOneFamily) {
  std::vector<std::unique_ptr<Collector>> cs;
  cs.push_back(std::make_unique<Shares>("a"));
  cs.push_back(std::make_unique<Shares>("b"));
  Scraper s(1s);
  s.set_collectors(slots(std::move(cs)), {});
  const auto fams = s.scrape(std::nullopt);
  int n = 0;
  for (const auto& f : fams) {
    if (f.name != "virtnet_shared_value") continue;
    ++n;
    EXPECT_EQ(f.metric.size(), 2u);
  }
  EXPECT_EQ(n, 1);
  // The same name with two types: the first collector's kept, the other left out (its value
  // would print as 0 under the wrong type).
  n = 0;
  for (const auto& f : fams) {
    if (f.name != "virtnet_typed_total") continue;
    ++n;
    ASSERT_EQ(f.metric.size(), 1u);
    EXPECT_EQ(f.type, prometheus::MetricType::Gauge);
    EXPECT_EQ(f.metric[0].gauge.value, 7);
  }
  EXPECT_EQ(n, 1);
}

TEST(Scraper, FailingAndThrowingCollectorsDoNotFailTheScrape) {
  std::vector<std::unique_ptr<Collector>> cs;
  cs.push_back(std::make_unique<Fast>());
  cs.push_back(make("test_fail"));
  cs.push_back(make("test_throw"));
  Scraper s(1s);
  s.set_collectors(slots(std::move(cs)), {});
  auto f = s.scrape(std::nullopt);
  EXPECT_EQ(sample(f, "virtnet_fast_value"), 1);
  EXPECT_EQ(sample(f, "virtnet_scrape_collector_success", "fast"), 1);
  EXPECT_EQ(sample(f, "virtnet_scrape_collector_success", "test_fail"), 0);
  EXPECT_EQ(sample(f, "virtnet_scrape_collector_success", "test_throw"), 0);
  // What a failing collector emitted before failing is still served.
  EXPECT_TRUE(has_family(f, "virtnet_test_fail_partial"));
  auto st = s.status();
  ASSERT_EQ(st.size(), 0u);  // no listing was given
}

TEST(Scraper, SlowCollectorCostsNoMoreThanTheBudget) {
  std::vector<std::unique_ptr<Collector>> cs;
  cs.push_back(std::make_unique<Fast>());
  cs.push_back(make("test_slow"));  // sleeps 3 s
  Scraper s(300ms);
  s.set_collectors(slots(std::move(cs)), {});
  auto t0 = std::chrono::steady_clock::now();
  auto f = s.scrape(std::nullopt);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 1s);
  EXPECT_GE(took, 250ms);
  EXPECT_EQ(sample(f, "virtnet_fast_value"), 1);
  EXPECT_EQ(sample(f, "virtnet_scrape_collector_success", "test_slow"), 0);
  EXPECT_FALSE(has_family(f, "virtnet_test_slow_done"));
  // Still busy: the next scrape does not wait on it at all.
  t0 = std::chrono::steady_clock::now();
  f = s.scrape(std::nullopt);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 200ms);
  EXPECT_EQ(sample(f, "virtnet_scrape_collector_success", "test_slow"), 0);
  EXPECT_EQ(sample(f, "virtnet_fast_value"), 2);
  // Removing it while it sleeps waits for it at most Scraper::kStopBound, then leaves its thread.
  t0 = std::chrono::steady_clock::now();
  s.set_collectors({}, {});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, Scraper::kStopBound + 500ms);
}

TEST(Scraper, BudgetFromScraperHeader) {
  Scraper s(10s);
  EXPECT_EQ(s.budget(std::nullopt), 10s);
  EXPECT_EQ(s.budget(10.0), 9500ms);
  EXPECT_EQ(s.budget(2.0), 1800ms);
  EXPECT_EQ(s.budget(0.0), 10s);
  EXPECT_EQ(s.budget(-3.0), 10s);
  EXPECT_EQ(s.budget(1e9), 120s);  // the client chooses the header: capped
  EXPECT_EQ(s.budget(300.0), 120s);
}

TEST(Scraper, CollectFilter) {
  std::vector<std::unique_ptr<Collector>> cs;
  cs.push_back(std::make_unique<Fast>());
  cs.push_back(make("test_fail"));
  Scraper s(1s);
  s.set_collectors(slots(std::move(cs)), {});
  ScrapeRefusal refused;
  auto f = s.scrape(std::nullopt, {"fast"}, &refused);
  EXPECT_EQ(refused.http_status, 0);
  EXPECT_EQ(sample(f, "virtnet_scrape_collector_success", "fast"), 1);
  EXPECT_EQ(sample(f, "virtnet_scrape_collector_success", "test_fail"), -1);
  f = s.scrape(std::nullopt, {"nope"}, &refused);
  EXPECT_EQ(refused.http_status, 400);
  EXPECT_NE(refused.message.find("nope"), std::string::npos);
  EXPECT_TRUE(f.empty());
}

// The budget counts from the request's arrival: a request that waited in line has less left.
TEST(Scraper, BudgetCountsFromArrival) {
  std::vector<std::unique_ptr<Collector>> cs;
  CollectorOptions o;
  o.set("sleep_ms", std::int64_t{400});
  for (auto& info : virtnet::testing::misbehaving_collectors()) {
    if (info.name == "test_slow") cs.push_back(info.make(o, Sources{}));
  }
  Scraper s(1s);
  s.set_collectors(slots(std::move(cs)), {});
  // Arrived 700 ms ago with a 1 s budget: 300 ms left, the 400 ms collector is late.
  const auto t0 = Scraper::Clock::now();
  auto f = s.scrape(std::nullopt, {}, nullptr, t0 - 700ms);
  EXPECT_EQ(sample(f, "virtnet_scrape_collector_success", "test_slow"), 0);
  EXPECT_LT(Scraper::Clock::now() - t0, 600ms);
}

// A scrape that cannot have the collectors before its deadline is refused (503), not late.
TEST(Scraper, WaitingForAnotherScrapeIsBoundedByTheDeadline) {
  std::vector<std::unique_ptr<Collector>> cs;
  cs.push_back(make("test_slow"));  // sleeps 3 s
  Scraper s(2s);
  s.set_collectors(slots(std::move(cs)), {});
  std::thread first([&] { s.scrape(std::nullopt); });
  std::this_thread::sleep_for(100ms);
  ScrapeRefusal refused;
  const auto t0 = Scraper::Clock::now();
  s.scrape(1.0, {}, &refused);  // 0.9 s budget; the first holds the collectors for 2 s
  EXPECT_EQ(refused.http_status, 503);
  EXPECT_LT(Scraper::Clock::now() - t0, 1500ms);
  first.join();
}

TEST(Scraper, StopReleasesAWaitingScrape) {
  std::vector<std::unique_ptr<Collector>> cs;
  cs.push_back(make("test_slow"));
  Scraper s(10s);
  s.set_collectors(slots(std::move(cs)), {});
  const auto t0 = Scraper::Clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    s.stop();
  });
  s.scrape(std::nullopt);
  EXPECT_LT(Scraper::Clock::now() - t0, 1s);
  stopper.join();
  ScrapeRefusal refused;
  s.scrape(std::nullopt, {}, &refused);
  EXPECT_EQ(refused.http_status, 503);
}

TEST(Scraper, StatusForTheLandingPage) {
  std::vector<std::unique_ptr<Collector>> cs;
  cs.push_back(make("test_fail"));
  std::vector<CollectorStatusView> listing(2);
  listing[0].name = "test_fail";
  listing[0].enabled = true;
  listing[0].help = "h";
  listing[1].name = "other";
  Scraper s(1s);
  s.set_collectors(slots(std::move(cs)), listing);
  EXPECT_FALSE(s.status()[0].has_run);
  s.scrape(std::nullopt);
  auto st = s.status();
  ASSERT_EQ(st.size(), 2u);
  EXPECT_TRUE(st[0].has_run);
  EXPECT_FALSE(st[0].last_success);
  EXPECT_EQ(st[0].help, "h");
  EXPECT_FALSE(st[1].enabled);
}

TEST(Scraper, ConcurrentScrapesAreSerialisedAndSafe) {
  std::vector<std::unique_ptr<Collector>> cs;
  cs.push_back(std::make_unique<Fast>());
  Scraper s(1s);
  s.set_collectors(slots(std::move(cs)), {});
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i) {
    ts.emplace_back([&] {
      for (int j = 0; j < 25; ++j) {
        if (sample(s.scrape(std::nullopt), "virtnet_scrape_collector_success", "fast") == 1) ++ok;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_EQ(sample(s.scrape(std::nullopt), "virtnet_fast_value"), 101);
}

}  // namespace
}  // namespace virtnet

namespace virtnet {
namespace {

// Counts its runs (state that a reload must keep) and its lifecycle calls.
struct Lifecycle {
  std::atomic<int> starts{0}, stops{0};
};
class Counting : public Collector {
 public:
  Counting(std::string name, std::shared_ptr<Lifecycle> l, bool fail_start = false,
           std::chrono::milliseconds sleep = 0ms)
      : name_(std::move(name)),
        runs_name_("virtnet_" + name_ + "_runs_total"),
        l_(std::move(l)),
        fail_start_(fail_start),
        sleep_(sleep) {}
  std::string_view name() const override { return name_; }
  void start() override {
    ++l_->starts;
    if (fail_start_) throw std::runtime_error("no such device");
  }
  void stop() override { ++l_->stops; }
  CollectStatus collect(MetricSink& out) override {
    std::this_thread::sleep_for(sleep_);
    out.add(MetricDef::counter(runs_name_, "Runs."), ++runs_);
    if (runs_ == 2) return out.fail("second run fails, on purpose");
    return CollectStatus::kOk;
  }

 private:
  std::string name_, runs_name_;
  std::shared_ptr<Lifecycle> l_;
  bool fail_start_;
  std::chrono::milliseconds sleep_;
  int runs_ = 0;
};

std::vector<CollectorSlot> one(const std::string& name, std::unique_ptr<Collector> c) {
  std::vector<CollectorSlot> v;
  v.push_back({name, std::move(c)});
  return v;
}

std::size_t threads_now() { return testing::entries("/proc/self/task"); }

TEST(ScraperLifecycle, ReloadKeepsUnchangedCollectorsAndTheirState) {
  auto la = std::make_shared<Lifecycle>(), lb = std::make_shared<Lifecycle>();
  Scraper s(1s);
  std::vector<CollectorSlot> v;
  v.push_back({"a", std::make_unique<Counting>("a", la)});
  v.push_back({"b", std::make_unique<Counting>("b", lb)});
  s.set_collectors(std::move(v), {});
  EXPECT_EQ(la->starts, 1);
  s.scrape(std::nullopt);
  // Reload: a unchanged (no instance: kept), b rebuilt.
  auto lb2 = std::make_shared<Lifecycle>();
  v.clear();
  v.push_back({"a", nullptr});
  v.push_back({"b", std::make_unique<Counting>("b", lb2)});
  s.set_collectors(std::move(v), {});
  EXPECT_EQ(la->starts, 1);  // not started again
  EXPECT_EQ(la->stops, 0);
  EXPECT_EQ(lb->stops, 1);  // the old b was stopped
  EXPECT_EQ(lb2->starts, 1);
  auto f = s.scrape(std::nullopt);
  EXPECT_EQ(sample(f, "virtnet_a_runs_total"), 2);  // counted on across the reload
  EXPECT_EQ(sample(f, "virtnet_b_runs_total"), 1);  // a new instance
  // Removed at the next reload: stopped.
  s.set_collectors({}, {});
  EXPECT_EQ(la->stops, 1);
}

TEST(ScraperLifecycle, FailuresSayWhy) {
  auto l = std::make_shared<Lifecycle>();
  std::vector<CollectorStatusView> listing(2);
  listing[0].name = "ok";
  listing[1].name = "broken";
  Scraper s(1s);
  std::vector<CollectorSlot> v;
  v.push_back({"ok", std::make_unique<Counting>("ok", l)});
  v.push_back({"broken", std::make_unique<Counting>("broken", l, true)});
  s.set_collectors(std::move(v), listing);
  s.scrape(std::nullopt);
  auto f = s.scrape(std::nullopt);
  EXPECT_EQ(sample(f, "virtnet_scrape_collector_success", "ok"), 0);
  EXPECT_EQ(sample(f, "virtnet_scrape_collector_success", "broken"), 0);
  auto st = s.status();
  EXPECT_EQ(st[0].last_error, "second run fails, on purpose");
  EXPECT_EQ(st[1].last_error, "cannot start: no such device");
  s.scrape(std::nullopt);
  EXPECT_TRUE(s.status()[0].last_success);
}

// A reason quoting a name from outside (a namespace named with raw bytes and a newline) reaches
// the landing page as valid text.
class BadReason : public Collector {
 public:
  std::string_view name() const override { return "bad_reason"; }
  CollectStatus collect(MetricSink& out) override {
    return out.fail("namespace qrouter-\xff\nx: gone");
  }
};

TEST(ScraperLifecycle, FailureReasonsAreValidText) {
  std::vector<CollectorStatusView> listing(1);
  listing[0].name = "bad_reason";
  Scraper s(1s);
  s.set_collectors(one("bad_reason", std::make_unique<BadReason>()), listing);
  s.scrape(std::nullopt);
  EXPECT_EQ(s.status()[0].last_error, "namespace qrouter-\xEF\xBF\xBD\xEF\xBF\xBDx: gone");
}

// Review findings: a rebuilt collector's landing-page row starts afresh, a failed start is
// reported (the app builds it again at the next reload), stuck collectors stop together.
TEST(ScraperLifecycle, RebuiltRowsStartAfreshAndFailedStartsAreReported) {
  auto l = std::make_shared<Lifecycle>();
  std::vector<CollectorStatusView> listing(1);
  listing[0].name = "c";
  Scraper s(1s);
  auto first = s.set_collectors(one("c", std::make_unique<Counting>("c", l, true)), listing);
  EXPECT_EQ(first.failed_start, std::vector<std::string>{"c"});
  s.scrape(std::nullopt);
  EXPECT_TRUE(s.status()[0].has_run);
  auto second = s.set_collectors(one("c", std::make_unique<Counting>("c", l)), listing);
  EXPECT_TRUE(second.failed_start.empty());
  EXPECT_FALSE(s.status()[0].has_run);  // the new instance has not run yet
  std::vector<CollectorSlot> keep;
  keep.push_back({"c", nullptr});
  s.scrape(std::nullopt);
  s.set_collectors(std::move(keep), listing);
  EXPECT_TRUE(s.status()[0].has_run);  // kept: its last result stays
}

TEST(ScraperLifecycle, StuckCollectorsStopTogether) {
  auto l = std::make_shared<Lifecycle>();
  Scraper s(1s);
  std::vector<CollectorSlot> v;
  for (auto n : {"s1", "s2", "s3"}) v.push_back({n, std::make_unique<Counting>(n, l, false, 3s)});
  s.set_collectors(std::move(v), {});
  s.scrape(0.2);
  const auto t0 = Scraper::Clock::now();
  s.set_collectors({}, {});
  EXPECT_LT(Scraper::Clock::now() - t0, Scraper::kStopBound + 700ms);  // not 3 x 2 s
  EXPECT_EQ(l->stops, 3);
}

// Collectors whose background threads ignore their stop signal (a capture stuck in a system
// call): told all at once, waited for until one deadline. stop() blocking inside each made N of
// them cost N bounds.
class StuckBackground : public Collector {
 public:
  explicit StuckBackground(std::string name) : name_(std::move(name)), thread_(name_) {}
  std::string_view name() const override { return name_; }
  void start() override {
    thread_.start([](const StopSignal&) { std::this_thread::sleep_for(4s); });
  }
  void stop() override { thread_.request_stop(); }
  bool join(Scraper::Clock::time_point deadline) override { return thread_.join_until(deadline); }
  CollectStatus collect(MetricSink&) override { return CollectStatus::kOk; }

 private:
  std::string name_;
  BackgroundThread thread_;
};

TEST(ScraperLifecycle, StuckBackgroundThreadsStopWithinOneBound) {
  Scraper s(1s);
  std::vector<CollectorSlot> v;
  for (auto n : {"b1", "b2"}) v.push_back({n, std::make_unique<StuckBackground>(n)});
  // Wrapped as the capture collectors are (they need CAP_NET_RAW): the gate passes join() on.
  for (auto n : {"b3", "b4"}) {
    v.push_back({n, gate_on_capabilities(std::make_unique<StuckBackground>(n),
                                         {{CAP_NET_RAW, "to capture"}})});
  }
  s.set_collectors(std::move(v), {});
  s.scrape(std::nullopt);
  const auto t0 = Scraper::Clock::now();
  s.set_collectors({}, {});
  const auto took = Scraper::Clock::now() - t0;
  EXPECT_GE(took, Scraper::kStopBound - 100ms);  // they were waited for, not abandoned at once
  EXPECT_LT(took, Scraper::kStopBound + 700ms);  // one bound for all four, not 4 x 2 s
}

// A collector slower than its budget that fails in its own words: the late run served at the
// next scrape keeps its own error (lateness is said apart), and the failure is logged when it
// begins and when its own error first shows, not at every scrape.
class SlowFailing : public Collector {
 public:
  std::string_view name() const override { return "slowfail"; }
  CollectStatus collect(MetricSink& out) override {
    std::this_thread::sleep_for(400ms);
    return out.fail("boom: device busy");
  }
};

TEST(ScraperLifecycle, ALateCollectorsOwnErrorIsKeptAndLoggedOnce) {
  std::vector<CollectorStatusView> listing(1);
  listing[0].name = "slowfail";
  listing[0].enabled = true;
  Scraper s(1s);
  s.set_collectors(one("slowfail", std::make_unique<SlowFailing>()), listing);
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 8; ++i) {
    s.scrape(0.3);  // a 270 ms budget: every run is late
    std::this_thread::sleep_for(150ms);
  }
  const std::string log = ::testing::internal::GetCapturedStderr();
  const auto st = s.status();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_FALSE(st[0].last_success);
  EXPECT_EQ(st[0].last_error, "boom: device busy");
  EXPECT_NE(st[0].late, "");
  auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = 0; (at = log.find(what, at)) != std::string::npos; ++at) ++n;
    return n;
  };
  EXPECT_EQ(count("boom: device busy"), 1u) << log;
  EXPECT_LE(count("msg=\"collector failed\" collector=slowfail"), 2u) << log;
}

// A collector stuck past its deadline is kept by reloads that change it: no thread is added.
TEST(ScraperLifecycle, ReloadsDoNotPileUpThreadsBehindAStuckCollector) {
  auto l = std::make_shared<Lifecycle>();
  Scraper s(1s);
  s.set_collectors(one("stuck", std::make_unique<Counting>("stuck", l, false, 3s)), {});
  s.scrape(0.3);  // leaves it running
  const auto before = threads_now();
  for (int i = 0; i < 5; ++i) {
    auto kept =
        s.set_collectors(one("stuck", std::make_unique<Counting>("stuck", l, false, 3s)), {});
    ASSERT_EQ(kept.kept_busy, std::vector<std::string>{"stuck"});
  }
  EXPECT_EQ(threads_now(), before);
  EXPECT_EQ(l->starts, 1);  // the instances refused in its place were never started
}

// A run that finishes after its deadline is served by the next scrape if that one's is late too.
TEST(ScraperLifecycle, LateResultIsServedMarkedAtTheNextScrape) {
  auto l = std::make_shared<Lifecycle>();
  Scraper s(1s);
  s.set_collectors(one("slow", std::make_unique<Counting>("slow", l, false, 400ms)), {});
  auto f1 = s.scrape(0.3);  // 270 ms budget: late
  EXPECT_EQ(sample(f1, "virtnet_scrape_collector_success", "slow"), 0);
  EXPECT_FALSE(has_family(f1, "virtnet_slow_runs_total"));
  std::this_thread::sleep_for(300ms);  // run 1 finishes meanwhile
  auto f2 = s.scrape(0.3);             // run 2 is late too: run 1 is served
  EXPECT_EQ(sample(f2, "virtnet_scrape_collector_success", "slow"), 0);
  EXPECT_EQ(sample(f2, "virtnet_slow_runs_total"), 1);
  EXPECT_GT(sample(f2, "virtnet_scrape_collector_result_age_seconds", "slow"), 0.2);
}

TEST(ScraperLifecycle, TwoConcurrentScrapesEachWithinItsOwnBudget) {
  std::vector<std::unique_ptr<Collector>> cs;
  CollectorOptions o;
  o.set("sleep_ms", std::int64_t{600});
  for (auto& info : virtnet::testing::misbehaving_collectors()) {
    if (info.name == "test_slow") cs.push_back(info.make(o, Sources{}));
  }
  cs.push_back(std::make_unique<Fast>());
  Scraper s(10s);
  s.set_collectors(slots(std::move(cs)), {});
  std::chrono::steady_clock::duration took[2];
  std::vector<std::thread> ts;
  for (int i = 0; i < 2; ++i) {
    ts.emplace_back([&, i] {
      const auto t0 = Scraper::Clock::now();
      s.scrape(1.0, {}, nullptr, t0);  // 0.9 s budget each, from its own arrival
      took[i] = Scraper::Clock::now() - t0;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_LT(took[0], 1s);
  EXPECT_LT(took[1], 1s);
}

}  // namespace
}  // namespace virtnet
