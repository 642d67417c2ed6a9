#pragma once

#include <prometheus/metric_family.h>

#include <map>
#include <string>
#include <vector>

namespace virtnet::testing {

using Fams = std::vector<prometheus::MetricFamily>;

// The value of the first sample of `name` whose labels include all of `want`; -1 if none.
inline double value(const Fams& fams, const std::string& name,
                    const std::map<std::string, std::string>& want = {}) {
  for (const auto& f : fams) {
    if (f.name != name) continue;
    for (const auto& m : f.metric) {
      bool match = true;
      for (const auto& [k, v] : want) {
        bool found = false;
        for (const auto& l : m.label) found = found || (l.name == k && l.value == v);
        match = match && found;
      }
      if (match) return f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    }
  }
  return -1;
}

inline std::size_t samples(const Fams& fams, const std::string& name) {
  for (const auto& f : fams) {
    if (f.name == name) return f.metric.size();
  }
  return 0;
}

// Every sample of `name`, as its label sets.
inline std::vector<std::map<std::string, std::string>> label_sets(const Fams& fams,
                                                                  const std::string& name) {
  std::vector<std::map<std::string, std::string>> out;
  for (const auto& f : fams) {
    if (f.name != name) continue;
    for (const auto& m : f.metric) {
      auto& l = out.emplace_back();
      for (const auto& p : m.label) l[p.name] = p.value;
    }
  }
  return out;
}

}  // namespace virtnet::testing
