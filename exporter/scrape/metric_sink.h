#pragma once

#include <prometheus/metric_family.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "exporter/scrape/collect_status.h"
#include "exporter/scrape/compact_family.h"

namespace virtnet {

using Labels = std::vector<std::pair<std::string, std::string>>;

// One metric family a collector (or the framework) can emit: declared once, at namespace scope,
// and listed in the collector's CollectorInfo::metrics, so that the exporter knows every name it
// can serve (the docs are checked against that list) and the sink can refuse an undeclared one.
struct MetricDef {
  std::string_view name;
  std::string_view help;
  prometheus::MetricType type = prometheus::MetricType::Gauge;

  static constexpr MetricDef gauge(std::string_view name, std::string_view help) {
    return {name, help, prometheus::MetricType::Gauge};
  }
  static constexpr MetricDef counter(std::string_view name, std::string_view help) {
    return {name, help, prometheus::MetricType::Counter};
  }
  static constexpr MetricDef histogram(std::string_view name, std::string_view help) {
    return {name, help, prometheus::MetricType::Histogram};
  }
};

// Hashes std::string and std::string_view alike, so that a view finds a string key.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The names a sink accepts.
using MetricNames = std::unordered_set<std::string, NameHash, std::equal_to<>>;
MetricNames names_of(const std::vector<MetricDef>& defs);

// Builds metric families at scrape time. The text serializer does not merge families of the same
// name, so the sink keeps one family per name and appends samples to it. Label values may hold
// any bytes: the sink makes them valid (sanitize_label_value), for every collector.
class MetricSink {
 public:
  MetricSink() = default;
  // With `declared`, a family not in it is left out and is the collector's failure (a
  // programming error: what is served is what is declared, and the docs list), the rest served.
  explicit MetricSink(const MetricNames* declared) : declared_(declared) {}

  void add(const MetricDef& def, double value, const Labels& labels = {});
  // A histogram: `counts` per bucket (not cumulative), one more than `bounds` (the last is
  // +Inf's), and the sum of what was observed.
  void add_histogram(const MetricDef& def, std::span<const double> bounds,
                     std::span<const std::uint64_t> counts, double sum, const Labels& labels = {});
  // What was added, as it is served (the scrape path), or as prometheus-cpp's families (diagnose,
  // tests). Either leaves the sink empty.
  std::vector<CompactFamily> take_compact();
  std::vector<prometheus::MetricFamily> take();
  bool empty() const { return families_.empty(); }

  // Why the collect failed, for the landing page and the log: `return out.fail("cannot list
  // /proc: ...");`. Every reason given is kept, in order ("; " between them; a repeated one
  // once), within kMaxErrorBytes in all; the distinct ones past that are counted
  // ("; and 3 more"), and one that alone is too long is cut.
  CollectStatus fail(std::string_view why);
  // A collector serving data it read earlier (libvirt while libvirtd hangs) says how old it was:
  // virtnet_scrape_collector_result_age_seconds adds it.
  void set_data_age(double seconds) { data_age_ = seconds; }
  double data_age() const { return data_age_; }
  std::string error() const;
  // A family was left out because it was not declared: the run is a failure.
  bool refused_undeclared() const { return refused_undeclared_; }
  static constexpr std::size_t kMaxErrorBytes = 1024;

 private:
  // The family the sample goes to, its labels added (nullptr: left out, undeclared).
  CompactFamily* sample(const MetricDef& def, const Labels& labels);

  const MetricNames* declared_ = nullptr;
  std::vector<CompactFamily> families_;
  std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>> index_;
  std::string error_;
  double data_age_ = 0;
  std::unordered_set<std::string> reasons_;  // every distinct reason given, kept or not
  std::size_t omitted_ = 0;
  bool refused_undeclared_ = false;
};

}  // namespace virtnet
