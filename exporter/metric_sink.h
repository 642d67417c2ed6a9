#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace virtnet {

using Labels = std::vector<std::pair<std::string, std::string>>;

// A collector's metric name: its prefix ("virtnet_sockstat_") and what is measured.
inline std::string metric_name(std::string_view prefix, std::string_view suffix) {
  std::string s(prefix);
  s += suffix;
  return s;
}

// Builds metric families at scrape time. The text serializer does not merge families of the same
// name, so the sink keeps one family per name and appends samples to it. Label values may hold
// any bytes: the sink makes them valid (sanitize_label_value), for every collector.
class MetricSink {
 public:
  void gauge(std::string_view name, std::string_view help, double value, const Labels& labels = {});
  void counter(std::string_view name, std::string_view help, double value,
               const Labels& labels = {});
  std::vector<prometheus::MetricFamily> take();
  bool empty() const { return families_.empty(); }

 private:
  prometheus::ClientMetric& add(std::string_view name, std::string_view help,
                                prometheus::MetricType type, const Labels& labels);

  std::vector<prometheus::MetricFamily> families_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace virtnet
