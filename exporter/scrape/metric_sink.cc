#include "exporter/scrape/metric_sink.h"

#include <stdexcept>

#include "exporter/common/utf8.h"

namespace virtnet {

prometheus::ClientMetric& MetricSink::add(std::string_view name, std::string_view help,
                                          prometheus::MetricType type, const Labels& labels) {
  auto [it, inserted] = index_.try_emplace(std::string(name), families_.size());
  if (inserted) {
    families_.push_back({std::string(name), std::string(help), type, {}});
  } else if (families_[it->second].type != type) {
    // A programming error in a collector; the scraper turns it into success 0.
    throw std::logic_error("metric " + std::string(name) + " emitted with two types");
  }
  auto& family = families_[it->second];
  auto& metric = family.metric.emplace_back();
  metric.label.reserve(labels.size());
  // The one place every label value passes: whatever bytes a process, domain or interface name
  // holds, what is exported is valid UTF-8 of bounded length.
  for (const auto& [k, v] : labels) metric.label.push_back({k, sanitize_label_value(v)});
  return metric;
}

void MetricSink::gauge(std::string_view name, std::string_view help, double value,
                       const Labels& labels) {
  add(name, help, prometheus::MetricType::Gauge, labels).gauge.value = value;
}

void MetricSink::counter(std::string_view name, std::string_view help, double value,
                         const Labels& labels) {
  add(name, help, prometheus::MetricType::Counter, labels).counter.value = value;
}

std::vector<prometheus::MetricFamily> MetricSink::take() {
  index_.clear();
  return std::exchange(families_, {});
}

}  // namespace virtnet
