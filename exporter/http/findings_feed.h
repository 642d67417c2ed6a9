#pragma once

#include <vector>

#include "exporter/findings/tracker.h"
#include "exporter/scrape/compact_family.h"
#include "exporter/scrape/metric_sink.h"

namespace virtnet {

// The samples the findings read, from a scrape's families: the three buffers of each metric a
// condition reads are copied as they are, nothing else.
Samples samples_of(const std::vector<CompactFamily>& families, const MetricNameSet& names);

// The virtnet_findings_* families: what the running exporter's evaluation found and costs, and
// what its recent events hold and pushed out.
const std::vector<MetricDef>& findings_metric_defs();
void append_findings_metrics(const FindingsTracker::Stats& stats, std::vector<CompactFamily>& out);

}  // namespace virtnet
