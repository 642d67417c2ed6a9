#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "exporter/scrape/collect_status.h"

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

  // Why the collect failed, for the landing page and the log (logged once per change, not once per
  // scrape): `return out.fail("cannot list /proc: ...");`. The first reason given is kept.
  CollectStatus fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return CollectStatus::kError;
  }
  const std::string& error() const { return error_; }

 private:
  prometheus::ClientMetric& add(std::string_view name, std::string_view help,
                                prometheus::MetricType type, const Labels& labels);

  std::vector<prometheus::MetricFamily> families_;
  std::unordered_map<std::string, std::size_t> index_;
  std::string error_;
};

}  // namespace virtnet
