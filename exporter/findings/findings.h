#pragma once

// exporter/findings/: the conditions an operator must act on (this table), the Prometheus rule file
// made from it, and diagnose's evaluation and report. It reads metric families only and may call
// common; the app and the HTTP layer call it.

#include <prometheus/metric_family.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace virtnet {

// One definition per condition an operator must act on. The shipped Prometheus alert rules
// (alerts/virtnet.rules.yml, printed by `virtnet_exporter rules`) and `virtnet_exporter diagnose`
// are both made from this table, so the two cannot disagree.
enum class Cmp { kEq, kNe, kLt, kGt };
enum class Kind {
  kValue,   // the sample as it is
  kRate,    // per-second increase of a counter (PromQL rate over 5m; diagnose: over --watch)
  kGrowth,  // a gauge's value 6 h ahead at its current slope (PromQL predict_linear over 1h;
            // diagnose: the slope over --watch, or the value itself without a first sample)
};
inline constexpr double kGrowthHorizonSeconds = 6 * 3600;

struct Definition {
  std::string alert;                                      // VirtnetQemuNetdevUserspace
  std::string metric;                                     // virtnet_qemu_netdev_vhost
  std::vector<std::pair<std::string, std::string>> only;  // label == value matchers
  Kind kind = Kind::kValue;
  Cmp cmp = Cmp::kEq;
  double threshold = 0;
  std::string for_duration;          // how long before Prometheus fires ("5m")
  std::string severity;              // "critical" or "warning"
  std::vector<std::string> culprit;  // the labels that name it
  // With {label} and {value} placeholders: Prometheus templates in the rules, the sample's own
  // labels in diagnose.
  std::string summary;
  std::string next_check;
  // A counter of events the exporter counts from its own start (captured packets): in diagnose, a
  // series that appears during the watch started from 0 at its beginning.
  bool counts_from_start = false;
};

const std::vector<Definition>& definitions();

// The rule file, YAML, as promtool checks it.
std::string rules_yaml();

// A definition met by one series.
struct Finding {
  const Definition* def;
  std::map<std::string, std::string> labels;
  double value;
  std::string summary;  // placeholders filled
  std::string next_check;
};

// Evaluates every definition on two collections `window_seconds` apart (rates need both; values
// are read from `last`). Worst first: critical before warning, then in table order.
std::vector<Finding> evaluate(const std::vector<prometheus::MetricFamily>& first,
                              const std::vector<prometheus::MetricFamily>& last,
                              double window_seconds);

}  // namespace virtnet
