#pragma once

// exporter/findings/: the conditions an operator must act on (declared by each collector, see
// exporter/common/condition.h), the Prometheus rule file made from them, and diagnose's evaluation
// and report. It reads metric families only and may call common; the app and the HTTP layer call
// it.

#include <prometheus/metric_family.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "exporter/common/condition.h"
#include "exporter/findings/samples.h"

namespace virtnet {

// The conditions as the operator wants them: each override's threshold, `for`, severity and
// matchers applied, the disabled ones left out. Throws std::invalid_argument naming an alert that
// no condition declares, or an override a condition cannot take.
std::vector<ConditionGroup> apply_overrides(std::vector<ConditionGroup> groups,
                                            const RuleSettings& settings);

// The rule file, YAML, as promtool checks it: a group per collector, each rule with severity,
// summary, description, next_check and runbook_url, every selector carrying settings.selector.
std::string rules_yaml(const std::vector<ConditionGroup>& groups, const RuleSettings& settings);

// The runbook of an alert: settings.runbook_url with {alert} filled.
std::string runbook_url(const RuleSettings& settings, const std::string& alert);

// The PromQL expression of one condition.
std::string promql(const Condition& c, const RuleSettings& settings);

// A condition met by one series.
struct Finding {
  const Condition* def;
  std::map<std::string, std::string> labels;
  double value;
  std::string description;  // placeholders filled
  std::string next_check;
  std::optional<double> measure;  // the condition's measure series, when it declares one
};

// How far past its threshold a finding is: the higher, the worse (its value for a "greater
// than", minus it for a "less than").
double badness(const Finding& f);

// Evaluates every condition on two collections `window_seconds` apart (rates and slopes need
// both; values are read from `last`). Worst first: critical before warning before info, then in
// declaration order, then the furthest past its threshold. Fleet-wide conditions are not judged.
std::vector<Finding> evaluate(const std::vector<ConditionGroup>& groups,
                              const std::vector<prometheus::MetricFamily>& first,
                              const std::vector<prometheus::MetricFamily>& last,
                              double window_seconds);
// The same on the samples the conditions read (condition_metrics), as the running exporter keeps
// them between scrapes.
std::vector<Finding> evaluate(const std::vector<ConditionGroup>& groups, const Samples& first,
                              const Samples& last, double window_seconds);

// The fleet-wide conditions: what only Prometheus can judge, which diagnose names as such.
std::vector<const Condition*> fleet_only(const std::vector<ConditionGroup>& groups);

}  // namespace virtnet
