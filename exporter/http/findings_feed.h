#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "exporter/findings/tracker.h"
#include "exporter/scrape/compact_family.h"
#include "exporter/scrape/metric_sink.h"
#include "exporter/scrape/scraper.h"

namespace virtnet {

// The samples the findings read, from a scrape's families: the three buffers of each metric a
// condition reads are copied as they are, nothing else.
Samples samples_of(const std::vector<CompactFamily>& families, const MetricNameSet& names);

// With nothing scraping for `after`, the exporter collects for its findings (the landing page,
// the events), at most once `every`: the main thread runs it between signals (exporter/app.cc).
class IdleCollector {
 public:
  using Clock = Scraper::Clock;
  IdleCollector(Scraper& scraper, FindingsTracker& tracker, std::chrono::milliseconds after,
                std::chrono::milliseconds every = std::chrono::minutes(1));
  // How long one may wait before the next collection is due; nothing: never (`after` is 0).
  std::optional<std::chrono::milliseconds> wait() const;
  // Collects, and has the tracker judge it, if one is due; true if it did.
  bool run_if_due();

 private:
  Clock::time_point next_due() const;
  Scraper& scraper_;
  FindingsTracker& tracker_;
  const std::chrono::milliseconds after_, every_;
  const Clock::time_point started_ = Clock::now();
  Clock::time_point last_;
};

// The virtnet_findings_* families: what the running exporter's evaluation found and costs, and
// what its recent events hold and pushed out.
const std::vector<MetricDef>& findings_metric_defs();
void append_findings_metrics(const FindingsTracker::Stats& stats, std::vector<CompactFamily>& out);

}  // namespace virtnet
