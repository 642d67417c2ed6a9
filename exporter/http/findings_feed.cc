#include "exporter/http/findings_feed.h"

#include <algorithm>

namespace virtnet {

namespace {

constexpr auto kActive = MetricDef::gauge(
    "virtnet_findings_active",
    "Findings at the last evaluation, by severity: the conditions of the shipped alerts that "
    "hold on this host (the landing page and /api/v1/findings list them).");
constexpr auto kEvaluations = MetricDef::counter(
    "virtnet_findings_evaluations_total",
    "Evaluations of the findings: one a full scrape at least a second after the one before, or "
    "the exporter's own collection when nothing scrapes.");
constexpr auto kEvaluationSeconds = MetricDef::gauge("virtnet_findings_evaluation_duration_seconds",
                                                     "How long the last evaluation took.");
constexpr auto kEvents = MetricDef::gauge("virtnet_findings_events",
                                          "Recent events held (findings as they began and ended).");
constexpr auto kEventsLimit = MetricDef::gauge(
    "virtnet_findings_events_limit", "The most recent events held (--findings.events.max).");
constexpr auto kEventsDropped = MetricDef::counter(
    "virtnet_findings_events_dropped_total",
    "Recent events dropped: pushed out of a full ring (reason=\"full\"), or ended longer than "
    "--findings.events.max-age ago (reason=\"age\").");

}  // namespace

Samples samples_of(const std::vector<CompactFamily>& families, const MetricNameSet& names) {
  Samples out;
  for (const auto& f : families) {
    if (!names.count(f.name) || f.values.size() != f.size()) continue;  // no histogram is read
    SampleTable& t = out[f.name];
    if (t.size() == 0) {
      t.labels = f.labels;
      t.ends = f.ends;
      t.values = f.values;
      continue;
    }
    // The same family twice (not served so, but cheap to handle): appended.
    const auto base = static_cast<std::uint32_t>(t.labels.size());
    t.labels += f.labels;
    for (auto e : f.ends) t.ends.push_back(base + e);
    t.values.insert(t.values.end(), f.values.begin(), f.values.end());
  }
  return out;
}

IdleCollector::IdleCollector(Scraper& scraper, FindingsTracker& tracker,
                             std::chrono::milliseconds after, std::chrono::milliseconds every)
    : scraper_(scraper), tracker_(tracker), after_(after), every_(every), last_(started_ - every) {}

IdleCollector::Clock::time_point IdleCollector::next_due() const {
  const auto scraped = tracker_.last_scraped().value_or(started_);
  return std::max(scraped + after_, last_ + every_);
}

std::optional<std::chrono::milliseconds> IdleCollector::wait() const {
  if (after_.count() == 0) return std::nullopt;
  const auto due = next_due();
  const auto now = Clock::now();
  return due <= now ? std::chrono::milliseconds(0)
                    : std::chrono::ceil<std::chrono::milliseconds>(due - now);
}

bool IdleCollector::run_if_due() {
  if (after_.count() == 0 || Clock::now() < next_due()) return false;
  last_ = Clock::now();
  ScrapeRefusal refused;
  auto families = scraper_.scrape_compact(std::nullopt, {}, &refused);
  if (refused.http_status) return false;  // stopping
  tracker_.observe(samples_of(families, tracker_.metrics()), Clock::now(),
                   std::chrono::system_clock::now(), false);
  return true;
}

const std::vector<MetricDef>& findings_metric_defs() {
  static const std::vector<MetricDef> defs = {kActive, kEvaluations, kEvaluationSeconds,
                                              kEvents, kEventsLimit, kEventsDropped};
  return defs;
}

void append_findings_metrics(const FindingsTracker::Stats& s, std::vector<CompactFamily>& out) {
  MetricSink m;
  for (const char* severity : {"critical", "warning", "info"}) {
    auto it = s.active.find(severity);
    m.add(kActive, it == s.active.end() ? 0 : static_cast<double>(it->second),
          {{"severity", severity}});
  }
  m.add(kEvaluations, static_cast<double>(s.evaluations));
  m.add(kEvaluationSeconds, s.last_evaluation_seconds);
  m.add(kEvents, static_cast<double>(s.events));
  m.add(kEventsLimit, static_cast<double>(s.max_events));
  m.add(kEventsDropped, static_cast<double>(s.evicted), {{"reason", "full"}});
  m.add(kEventsDropped, static_cast<double>(s.expired), {{"reason", "age"}});
  for (auto& f : m.take_compact()) out.push_back(std::move(f));
}

}  // namespace virtnet
