#include "exporter/findings/samples.h"

namespace virtnet {

void SampleTable::add(const std::vector<std::pair<std::string, std::string>>& sample_labels,
                      double value) {
  for (const auto& [name, v] : sample_labels) {
    labels += name;
    labels += '\0';
    labels += v;
    labels += '\0';
  }
  ends.push_back(static_cast<std::uint32_t>(labels.size()));
  values.push_back(value);
}

MetricNameSet condition_metrics(const std::vector<ConditionGroup>& groups) {
  MetricNameSet out{std::string(kCollectorSuccessMetric)};
  for (const auto& g : groups) {
    for (const auto& c : g.conditions) {
      if (!c.fleet_expr.empty()) continue;
      out.insert(c.term.metric);
      if (c.per) out.insert(c.per->metric);
      if (c.limit) out.insert(c.limit->metric);
      if (c.guard) out.insert(c.guard->term.metric);
      if (c.measure) out.insert(c.measure->metrics.begin(), c.measure->metrics.end());
    }
  }
  return out;
}

Samples samples_of(const std::vector<prometheus::MetricFamily>& families,
                   const MetricNameSet& names) {
  Samples out;
  for (const auto& f : families) {
    if (!names.count(f.name)) continue;
    const bool counter = f.type == prometheus::MetricType::Counter;
    if (!counter && f.type != prometheus::MetricType::Gauge) continue;
    SampleTable& t = out[f.name];
    for (const auto& m : f.metric) {
      std::vector<std::pair<std::string, std::string>> labels;
      labels.reserve(m.label.size());
      for (const auto& l : m.label) labels.emplace_back(l.name, l.value);
      t.add(labels, counter ? m.counter.value : m.gauge.value);
    }
  }
  return out;
}

}  // namespace virtnet
