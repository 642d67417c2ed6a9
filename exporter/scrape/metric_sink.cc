#include "exporter/scrape/metric_sink.h"

#include <stdexcept>

#include "exporter/common/utf8.h"

namespace virtnet {

MetricNames names_of(const std::vector<MetricDef>& defs) {
  MetricNames n;
  for (const auto& d : defs) n.emplace(d.name);
  return n;
}

void MetricSink::add(const MetricDef& def, double value, const Labels& labels) {
  auto it = index_.find(def.name);
  if (it == index_.end()) {
    if (declared_ && declared_->find(def.name) == declared_->end()) {
      throw std::logic_error("metric " + std::string(def.name) + " is not declared");
    }
    families_.push_back({std::string(def.name), std::string(def.help), def.type, {}});
    it = index_.emplace(def.name, families_.size() - 1).first;
  } else if (families_[it->second].type != def.type) {
    // A programming error in a collector; the scraper turns it into success 0.
    throw std::logic_error("metric " + std::string(def.name) + " emitted with two types");
  }
  auto& metric = families_[it->second].metric.emplace_back();
  metric.label.reserve(labels.size());
  // The one place every label value passes: whatever bytes a process, domain or interface name
  // holds, what is exported is valid UTF-8 of bounded length.
  for (const auto& [k, v] : labels) metric.label.push_back({k, sanitize_label_value(v)});
  if (def.type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
}

std::vector<prometheus::MetricFamily> MetricSink::take() {
  index_.clear();
  return std::exchange(families_, {});
}

CollectStatus MetricSink::fail(std::string_view why) {
  if (why.empty()) why = "failed";
  // A reason given twice (each namespace's copy of one error) is said once.
  std::size_t at = 0;
  while ((at = error_.find(why, at)) != std::string::npos) {
    const std::size_t end = at + why.size();
    if ((at == 0 || error_.compare(at - 2, 2, "; ") == 0) &&
        (end == error_.size() || error_.compare(end, 2, "; ") == 0)) {
      return CollectStatus::kError;
    }
    at = end;
  }
  if (error_.empty() && why.size() > kMaxErrorBytes) {  // one reason alone fills it: cut
    error_ = why.substr(0, utf8_cut(why, kMaxErrorBytes - kTruncationMarker.size()));
    error_ += kTruncationMarker;
    return CollectStatus::kError;
  }
  const std::size_t add = why.size() + (error_.empty() ? 0 : 2);
  if (error_.size() + add > kMaxErrorBytes) {
    ++omitted_;
  } else {
    if (!error_.empty()) error_ += "; ";
    error_ += why;
  }
  return CollectStatus::kError;
}

std::string MetricSink::error() const {
  if (omitted_ == 0) return error_;
  return error_ + (error_.empty() ? "" : "; ") + "and " + std::to_string(omitted_) + " more";
}

}  // namespace virtnet
