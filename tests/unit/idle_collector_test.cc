#include <gtest/gtest.h>

#include <thread>

#include "exporter/collector_registry.h"
#include "exporter/http/findings_feed.h"

namespace virtnet {
namespace {

using namespace std::chrono_literals;

// A link with negative headroom, collected as any collector's series.
class BadLink : public Collector {
 public:
  std::string_view name() const override { return "badlink"; }
  CollectStatus collect(MetricSink& out) override {
    out.add(MetricDef::gauge("virtnet_link_mtu_headroom_bytes", ""), -100,
            {{"netns", ""}, {"link", "vx0"}});
    return CollectStatus::kOk;
  }
};

struct Rig {
  Scraper scraper{2000ms};
  FindingsTracker tracker{condition_groups(builtin_collectors()), TrackerOptions{}};
  Rig() {
    std::vector<CollectorSlot> slots;
    slots.emplace_back("badlink", std::make_unique<BadLink>());
    scraper.set_collectors(std::move(slots), {});
  }
};

TEST(IdleCollector, CollectsWhenNothingScrapesAtMostOnceEach) {
  Rig r;
  IdleCollector idle(r.scraper, r.tracker, 50ms, 1100ms);
  ASSERT_TRUE(idle.wait());
  EXPECT_GT(*idle.wait(), 0ms);  // not due before `after`
  EXPECT_FALSE(idle.run_if_due());
  std::this_thread::sleep_for(*idle.wait());
  EXPECT_TRUE(idle.run_if_due());
  EXPECT_FALSE(idle.run_if_due());  // not again within `every`
  EXPECT_GT(*idle.wait(), 1000ms);
  EXPECT_FALSE(r.tracker.view().evaluated);  // one collection so far
  std::this_thread::sleep_for(*idle.wait());
  EXPECT_TRUE(idle.run_if_due());
  const auto v = r.tracker.view();
  ASSERT_TRUE(v.evaluated);  // two collections 1.1 s apart: judged
  ASSERT_EQ(v.findings.size(), 1u);
  EXPECT_EQ(v.findings[0].labels.at("link"), "vx0");
  EXPECT_FALSE(r.tracker.last_scraped());  // its own collections are not scrapes
}

TEST(IdleCollector, AScrapeFromOutsidePutsItOff) {
  Rig r;
  IdleCollector idle(r.scraper, r.tracker, 300ms, 10ms);
  std::this_thread::sleep_for(200ms);
  r.tracker.observe({}, IdleCollector::Clock::now(), std::chrono::system_clock::now(), true);
  std::this_thread::sleep_for(200ms);  // 400 ms since the start, 200 since the scrape
  EXPECT_FALSE(idle.run_if_due());
  EXPECT_GT(*idle.wait(), 50ms);
}

TEST(IdleCollector, ZeroIsNever) {
  Rig r;
  IdleCollector idle(r.scraper, r.tracker, 0ms);
  EXPECT_FALSE(idle.wait());
  EXPECT_FALSE(idle.run_if_due());
}

}  // namespace
}  // namespace virtnet
