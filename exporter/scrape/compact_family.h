#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/common/packed_labels.h"

namespace virtnet {

// A metric family as the sink keeps it and the server writes it: every sample's labels in one
// buffer and its values in one array, a few allocations a family rather than several a sample.
// At 40,000 series that is a quarter of prometheus-cpp's MetricFamily (docs/performance.md), and
// the buffers are large enough to go back to the kernel when freed. Turned into a MetricFamily
// where one is wanted (diagnose, tests).
struct CompactFamily {
  std::string name, help;
  prometheus::MetricType type = prometheus::MetricType::Gauge;
  // Sample i's labels are labels[ends[i - 1], ends[i]) (from 0 for the first): for each label its
  // name, a NUL, its value, a NUL. Values come repaired from the sink, so none holds a NUL.
  std::string labels;
  std::vector<std::uint32_t> ends;
  std::vector<double> values;                                   // counter, gauge: one a sample
  std::vector<prometheus::ClientMetric::Histogram> histograms;  // histogram: one a sample

  std::size_t size() const { return ends.size(); }
  // Sample i's labels as stored (empty: it has none).
  std::string_view sample_labels(std::size_t i) const {
    const std::uint32_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(labels).substr(begin, ends[i] - begin);
  }
  // Sample i's labels, as f(name, value) in order.
  template <typename F>
  void for_each_label(std::size_t i, F&& f) const {
    for_each_packed_label(sample_labels(i), f);
  }
  // Appends one label to the sample being added (begin it with add_label calls, end it with
  // end_sample).
  void add_label(std::string_view label_name, std::string_view value);
  void end_sample();
  // Appends every sample of `other`, a family of the same name and type.
  void append(CompactFamily&& other);
};

prometheus::MetricFamily to_family(const CompactFamily& f);
std::vector<prometheus::MetricFamily> to_families(const std::vector<CompactFamily>& families);

}  // namespace virtnet
