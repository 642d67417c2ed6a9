#include <gtest/gtest.h>

#include "exporter/collector_registry.h"
#include "exporter/findings/tracker.h"
#include "exporter/scrape/metric_sink.h"

namespace virtnet {
namespace {

using namespace std::chrono_literals;
using Steady = FindingsTracker::Steady;
using Wall = FindingsTracker::Wall;

// One collection of a host: a link with `headroom` bytes, a VRRP master with `gaps` master-down
// gaps so far, the longest of the last 5 minutes `longest` seconds.
Samples host(double headroom, double gaps, double longest = 3.6, bool vrrp_ok = true) {
  MetricSink m;
  m.add(MetricDef::gauge("virtnet_scrape_collector_success", ""), vrrp_ok ? 1 : 0,
        {{"collector", "vrrp"}});
  m.add(MetricDef::gauge("virtnet_link_mtu_headroom_bytes", ""), headroom,
        {{"netns", ""}, {"link", "vx0"}});
  const Labels router = {{"netns", "qrouter-1"},
                         {"interface", "ha-1"},
                         {"vlan", ""},
                         {"vrid", "7"},
                         {"family", "ipv4"},
                         {"address", "10.0.0.1"},
                         {"source", "169.254.0.2"}};
  if (gaps >= 0) {
    m.add(MetricDef::counter("virtnet_vrrp_master_down_gaps_total", ""), gaps, router);
    m.add(MetricDef::gauge("virtnet_vrrp_last_gap_seconds", ""), 1.0, router);
    m.add(MetricDef::gauge("virtnet_vrrp_longest_gap_seconds", ""), longest, router);
  }
  m.add(MetricDef::gauge("virtnet_unrelated", ""), 1);
  return samples_of(m.take(), condition_metrics(condition_groups(builtin_collectors())));
}

struct Clock {
  Steady::time_point steady = Steady::now();
  Wall::time_point wall = Wall::now();
  void advance(std::chrono::milliseconds d) {
    steady += d;
    wall += d;
  }
};

FindingsTracker tracker(std::size_t max_events = 1000) {
  TrackerOptions o;
  o.max_events = max_events;
  return FindingsTracker(condition_groups(builtin_collectors()), o);
}

TEST(FindingsTracker, OnlyWhatTheConditionsReadIsKept) {
  const auto s = host(-100, 0);
  EXPECT_EQ(s.count("virtnet_unrelated"), 0u);
  EXPECT_EQ(s.at("virtnet_link_mtu_headroom_bytes").size(), 1u);
}

TEST(FindingsTracker, EvaluatesEachCollectionAgainstTheOneBefore) {
  auto t = tracker();
  Clock c;
  t.observe(host(-100, 0), c.steady, c.wall, true);
  EXPECT_FALSE(t.view().evaluated);  // one collection: nothing to take a rate from
  c.advance(15s);
  t.observe(host(-100, 1), c.steady, c.wall, true);
  auto v = t.view();
  ASSERT_TRUE(v.evaluated);
  EXPECT_DOUBLE_EQ(v.window_seconds, 15);
  ASSERT_EQ(v.findings.size(), 2u);  // both critical: in the order they are declared
  EXPECT_EQ(v.findings[0].def->alert, "VirtnetLinkMtuHeadroomNegative");
  EXPECT_EQ(v.findings[1].def->alert, "VirtnetVrrpMasterDownGap");
  EXPECT_DOUBLE_EQ(v.findings[1].value, 1.0 / 15);  // a rate over the 15 s between the two
  ASSERT_EQ(v.events.size(), 2u);
  for (const auto& e : v.events) EXPECT_FALSE(e.ended);

  // The gap's counter stays: that finding ends, with its gap; the link goes on.
  c.advance(15s);
  t.observe(host(-100, 1), c.steady, c.wall, true);
  c.advance(15s);
  t.observe(host(-100, 1), c.steady, c.wall, true);
  v = t.view();
  ASSERT_EQ(v.findings.size(), 1u);
  EXPECT_EQ(v.findings[0].def->alert, "VirtnetLinkMtuHeadroomNegative");
  ASSERT_EQ(v.events.size(), 2u);
  const Event& gap = v.events[0].alert == "VirtnetVrrpMasterDownGap" ? v.events[0] : v.events[1];
  ASSERT_TRUE(gap.ended);
  EXPECT_NEAR(*gap.ended - gap.began, 15, 0.01);
  ASSERT_TRUE(gap.measure);
  EXPECT_DOUBLE_EQ(*gap.measure, 3.6);
  EXPECT_EQ(gap.measure_name, "gap");
  EXPECT_EQ(gap.culprit.back(), (std::pair<std::string, std::string>{"source", "169.254.0.2"}));
  EXPECT_EQ(t.stats().evaluations, 3u);
}

TEST(FindingsTracker, AbsentOnceAndBackIsTheSameEvent) {
  auto t = tracker();
  Clock c;
  for (double h : {-100.0, -100.0, 0.0, -200.0, 0.0, 0.0, -50.0}) {
    t.observe(host(h, -1), c.steady, c.wall, true);
    c.advance(10s);
  }
  const auto v = t.view();
  // -100 -100 (0) -200: one event, its worst -200; (0) (0): ended; -50: a new one.
  ASSERT_EQ(v.events.size(), 2u);
  EXPECT_FALSE(v.events[0].ended);
  EXPECT_DOUBLE_EQ(v.events[0].value, -50);
  ASSERT_TRUE(v.events[1].ended);
  EXPECT_DOUBLE_EQ(v.events[1].value, -200);
  EXPECT_NE(v.events[1].description.find("-200 bytes"), std::string::npos);
}

TEST(FindingsTracker, ACollectorLateAtTheFirstCollectionIsNotCountedFromZero) {
  auto t = tracker();
  Clock c;
  t.observe(host(0, -1, 0, false), c.steady, c.wall, true);  // vrrp late: none of its series
  c.advance(15s);
  t.observe(host(0, 40), c.steady, c.wall, true);  // back, 40 gaps since it started
  EXPECT_TRUE(t.view().findings.empty());          // not 40 new ones in 15 s
  c.advance(15s);
  t.observe(host(0, 41), c.steady, c.wall, true);
  ASSERT_EQ(t.view().findings.size(), 1u);  // one more is
}

TEST(FindingsTracker, ACollectionTooSoonAfterTheLastIsNotEvaluated) {
  auto t = tracker();
  Clock c;
  t.observe(host(0, 0), c.steady, c.wall, true);
  c.advance(15s);
  t.observe(host(0, 3), c.steady, c.wall, true);
  c.advance(5ms);  // a second Prometheus of a pair
  t.observe(host(0, 3), c.steady, c.wall, true);
  const auto v = t.view();
  EXPECT_EQ(v.evaluations, 1u);
  ASSERT_EQ(v.findings.size(), 1u);  // the gaps found over the 15 s still stand
  c.advance(15s);                    // and the next is judged against the 15 s one, not the 5 ms
  t.observe(host(0, 4), c.steady, c.wall, true);
  ASSERT_EQ(t.view().findings.size(), 1u);
  EXPECT_NEAR(t.view().findings[0].value, 1.0 / 15, 1e-3);
}

TEST(FindingsTracker, EventsStayBoundedAndTheDroppedAreCounted) {
  auto t = tracker(3);
  Clock c;
  for (int i = 0; i < 20; ++i) {  // the link flaps: an event every other evaluation pair
    t.observe(host(i % 4 < 2 ? -100 : 0, -1), c.steady, c.wall, true);
    c.advance(10s);
  }
  const auto s = t.stats();
  EXPECT_EQ(s.events, 3u);
  EXPECT_GT(s.evicted, 0u);
  EXPECT_EQ(s.max_events, 3u);
}

TEST(FindingsTracker, OnlyScrapesFromOutsideCountAsScraped) {
  auto t = tracker();
  Clock c;
  EXPECT_FALSE(t.last_scraped());
  t.observe(host(0, 0), c.steady, c.wall, false);
  EXPECT_FALSE(t.last_scraped());
  t.observe(host(0, 0), c.steady + 2s, c.wall, true);
  EXPECT_EQ(t.last_scraped(), c.steady + 2s);
}

TEST(FindingsTracker, TheReportCarriesRunbooksAndEvents) {
  auto t = tracker();
  Clock c;
  t.observe(host(-100, -1), c.steady, c.wall, true);
  c.advance(10s);
  t.observe(host(-100, -1), c.steady, c.wall, true);
  RuleSettings s;
  const Report r = t.report(6, s);
  EXPECT_TRUE(r.running);
  EXPECT_EQ(r.collectors, 6u);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].runbook_url,
            "file:///usr/share/doc/virtnet-exporter/runbooks/VirtnetLinkMtuHeadroomNegative.md");
  EXPECT_EQ(r.events.size(), 1u);
  EXPECT_FALSE(r.not_judged.empty());  // the fleet-wide ones
  // Through JSON and back (the API, diagnose --from): the same report.
  const Report back = parse_report_json(render_json(r));
  EXPECT_EQ(back.findings[0].culprit, r.findings[0].culprit);
  EXPECT_EQ(back.findings[0].description, r.findings[0].description);
  EXPECT_EQ(back.events[0].began, r.events[0].began);
  EXPECT_EQ(back.evaluated_at, r.evaluated_at);
  EXPECT_EQ(report_exit_code(back), 1);
  EXPECT_THROW(parse_report_json("{\"collectors\": 1}"), std::invalid_argument);
  EXPECT_THROW(parse_report_json("<html>"), std::invalid_argument);
}

}  // namespace
}  // namespace virtnet
