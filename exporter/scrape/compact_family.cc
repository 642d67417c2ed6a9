#include "exporter/scrape/compact_family.h"

#include <limits>
#include <stdexcept>

namespace virtnet {

void CompactFamily::add_label(std::string_view label_name, std::string_view value) {
  if (value.find('\0') != std::string_view::npos) {
    throw std::logic_error("label value of " + name + " holds a NUL (not repaired?)");
  }
  labels += label_name;
  labels += '\0';
  labels += value;
  labels += '\0';
}

void CompactFamily::end_sample() {
  if (labels.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("labels of " + name + " past 4 GiB");
  }
  ends.push_back(static_cast<std::uint32_t>(labels.size()));
}

void CompactFamily::append(CompactFamily&& other) {
  const std::size_t base = labels.size();
  if (base + other.labels.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("labels of " + name + " past 4 GiB");
  }
  labels += other.labels;
  ends.reserve(ends.size() + other.ends.size());
  for (auto e : other.ends) ends.push_back(static_cast<std::uint32_t>(base + e));
  values.insert(values.end(), other.values.begin(), other.values.end());
  for (auto& h : other.histograms) histograms.push_back(std::move(h));
  other = {};
}

prometheus::MetricFamily to_family(const CompactFamily& f) {
  prometheus::MetricFamily out{f.name, f.help, f.type, {}};
  out.metric.reserve(f.size());
  for (std::size_t i = 0; i < f.size(); ++i) {
    auto& m = out.metric.emplace_back();
    f.for_each_label(i, [&](std::string_view k, std::string_view v) {
      m.label.push_back({std::string(k), std::string(v)});
    });
    switch (f.type) {
      case prometheus::MetricType::Counter:
        m.counter.value = f.values[i];
        break;
      case prometheus::MetricType::Histogram:
        m.histogram = f.histograms[i];
        break;
      default:
        m.gauge.value = f.values[i];
        break;
    }
  }
  return out;
}

std::vector<prometheus::MetricFamily> to_families(const std::vector<CompactFamily>& families) {
  std::vector<prometheus::MetricFamily> out;
  out.reserve(families.size());
  for (const auto& f : families) out.push_back(to_family(f));
  return out;
}

}  // namespace virtnet
