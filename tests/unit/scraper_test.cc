#include "exporter/scraper.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/support/test_collectors.h"

namespace virtnet {
namespace {

using namespace std::chrono_literals;

class Fast : public Collector {
 public:
  std::string_view name() const override { return "fast"; }
  CollectStatus collect(MetricSink& out) override {
    out.gauge("virtnet_fast_value", "A value.", ++calls_);
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
  s.set_collectors(std::move(cs), {});
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

TEST(Scraper, FailingAndThrowingCollectorsDoNotFailTheScrape) {
  std::vector<std::unique_ptr<Collector>> cs;
  cs.push_back(std::make_unique<Fast>());
  cs.push_back(make("test_fail"));
  cs.push_back(make("test_throw"));
  Scraper s(1s);
  s.set_collectors(std::move(cs), {});
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
  s.set_collectors(std::move(cs), {});
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
  // Destroying the scraper while the slow one sleeps must not block on it.
  t0 = std::chrono::steady_clock::now();
  s.set_collectors({}, {});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
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
  s.set_collectors(std::move(cs), {});
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
  s.set_collectors(std::move(cs), {});
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
  s.set_collectors(std::move(cs), {});
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
  s.set_collectors(std::move(cs), {});
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
  s.set_collectors(std::move(cs), listing);
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
  s.set_collectors(std::move(cs), {});
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
