#include "exporter/scrape/metric_sink.h"

#include <limits>
#include <stdexcept>

#include "exporter/common/label_value.h"
#include "exporter/common/utf8.h"

namespace virtnet {

MetricNames names_of(const std::vector<MetricDef>& defs) {
  MetricNames n;
  for (const auto& d : defs) n.emplace(d.name);
  return n;
}

CompactFamily* MetricSink::sample(const MetricDef& def, const Labels& labels) {
  auto it = index_.find(def.name);
  if (it == index_.end()) {
    if (declared_ && declared_->find(def.name) == declared_->end()) {
      refused_undeclared_ = true;
      fail("metric " + std::string(def.name) + " is not declared by the collector; left out");
      return nullptr;
    }
    auto& f = families_.emplace_back();
    f.name = def.name;
    f.help = def.help;
    f.type = def.type;
    it = index_.emplace(def.name, families_.size() - 1).first;
  } else if (families_[it->second].type != def.type) {
    // A programming error in a collector; the scraper turns it into success 0.
    throw std::logic_error("metric " + std::string(def.name) + " emitted with two types");
  }
  auto& family = families_[it->second];
  // The one place every label value passes: whatever bytes a process, domain or interface name
  // holds, what is exported is valid UTF-8 of bounded length, and two names stay two values.
  for (const auto& [k, v] : labels) family.add_label(k, sanitize_label_value(v));
  family.end_sample();
  return &family;
}

void MetricSink::add(const MetricDef& def, double value, const Labels& labels) {
  if (def.type == prometheus::MetricType::Histogram) {
    throw std::logic_error("histogram " + std::string(def.name) + " added as one value");
  }
  if (auto* family = sample(def, labels)) family->values.push_back(value);
}

void MetricSink::add_histogram(const MetricDef& def, std::span<const double> bounds,
                               std::span<const std::uint64_t> counts, double sum,
                               const Labels& labels) {
  if (counts.size() != bounds.size() + 1) {
    throw std::logic_error("histogram " + std::string(def.name) + ": counts and bounds disagree");
  }
  if (def.type != prometheus::MetricType::Histogram) {
    throw std::logic_error("metric " + std::string(def.name) + " is not a histogram");
  }
  auto* family = sample(def, labels);
  if (!family) return;
  auto& h = family->histograms.emplace_back();
  std::uint64_t cumulative = 0;
  h.bucket.reserve(counts.size());
  for (std::size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    h.bucket.push_back(
        {cumulative, i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity()});
  }
  h.sample_count = cumulative;
  h.sample_sum = sum;
}

std::vector<CompactFamily> MetricSink::take_compact() {
  index_.clear();
  return std::exchange(families_, {});
}

std::vector<prometheus::MetricFamily> MetricSink::take() { return to_families(take_compact()); }

CollectStatus MetricSink::fail(std::string_view why) {
  if (why.empty()) why = "failed";
  // A reason given twice (each namespace's copy of one error) is said once, kept or not.
  if (!reasons_.emplace(why).second) return CollectStatus::kError;
  // Room is kept for the count of those left out ("; and N more").
  constexpr std::size_t kRoom = kMaxErrorBytes - 32;
  const std::size_t sep = error_.empty() ? 0 : 2;
  if (error_.size() + sep + why.size() <= kRoom) {
    if (sep) error_ += "; ";
    error_ += why;
  } else if (error_.empty()) {  // one reason alone fills it: cut
    error_ = why.substr(0, utf8_cut(why, kRoom - kTruncationMarker.size()));
    error_ += kTruncationMarker;
  } else {
    ++omitted_;
  }
  return CollectStatus::kError;
}

std::string MetricSink::error() const {
  if (omitted_ == 0) return error_;
  return error_ + "; and " + std::to_string(omitted_) + " more";
}

}  // namespace virtnet
