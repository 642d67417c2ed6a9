#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/common/condition.h"
#include "exporter/common/packed_labels.h"

namespace virtnet {

// One metric's counter or gauge samples from one collection. Sample i's labels are
// labels[ends[i - 1], ends[i]) (from 0 for the first): for each label its name, a NUL, its value,
// a NUL; the layout the scrape's families keep, so that the running exporter copies three
// buffers a metric rather than building a map a sample.
struct SampleTable {
  std::string labels;
  std::vector<std::uint32_t> ends;
  std::vector<double> values;

  std::size_t size() const { return ends.size(); }
  void add(const std::vector<std::pair<std::string, std::string>>& sample_labels, double value);
  // Sample i's labels as stored (read them with for_each_packed_label, packed_label).
  std::string_view sample_labels(std::size_t i) const {
    const std::uint32_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(labels).substr(begin, ends[i] - begin);
  }
};

using MetricNameSet = std::set<std::string, std::less<>>;
// What the conditions read of one collection, by metric name.
using Samples = std::map<std::string, SampleTable, std::less<>>;

// The framework's per-collector success: whether a collector's series are all in a collection.
inline constexpr std::string_view kCollectorSuccessMetric = "virtnet_scrape_collector_success";

// Every metric a condition reads: its term, the series it is divided by or compared with, its
// guard and its measure; and the collectors' success. Fleet-wide conditions read nothing here.
MetricNameSet condition_metrics(const std::vector<ConditionGroup>& groups);

// The counters' and gauges' samples of `names` in prometheus-cpp's families (diagnose, tests).
Samples samples_of(const std::vector<prometheus::MetricFamily>& families,
                   const MetricNameSet& names);

}  // namespace virtnet
