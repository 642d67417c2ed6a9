#pragma once

// A condition an operator must act on, declared by the collector whose series it reads (its
// CollectorInfo::conditions, beside its metrics). The shipped Prometheus rules (`virtnet_exporter
// rules`) and `virtnet_exporter diagnose` are both made from these declarations, so the two cannot
// disagree (exporter/findings/). Plain data: no PromQL is parsed here.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace virtnet {

enum class Cmp { kEq, kNe, kLt, kGt, kGe };

enum class Kind {
  kValue,     // the sample as it is
  kRate,      // a counter's per-second increase (PromQL rate over `range`; diagnose: over --watch)
  kIncrease,  // a counter's increase over `range` (diagnose: its increase over --watch)
  kTrend,     // a gauge `horizon_seconds` ahead at its slope (PromQL predict_linear over `range`;
              // diagnose: the slope over --watch, or the value itself without a first sample)
};

// A label matcher as PromQL spells it: op is =, !=, =~ or !~ (regexes anchored, as PromQL's).
struct Matcher {
  std::string label, op, value;
};

// One series selector and what is made of it.
struct Term {
  std::string metric;
  std::vector<Matcher> only;
  Kind kind = Kind::kValue;
  std::string range;           // kRate, kIncrease, kTrend: "5m", "1h"
  double horizon_seconds = 0;  // kTrend
  double scale = 1;            // the term times this ("twice its value now")
};

struct Condition {
  std::string alert;     // VirtnetLinkMtuHeadroomNegative: CamelCase, the Virtnet prefix
  std::string severity;  // critical (pages), warning (a ticket), info
  std::string summary;   // static: one sentence, from a capital to a period
  // With {label} and {value} placeholders: Prometheus templates in the rules, the sample's own
  // labels in diagnose. The description names the culprit; the next check says where to look.
  std::string description;
  std::string next_check;
  std::vector<std::string> culprit;  // the labels that name it
  std::string for_duration;          // how long before Prometheus fires ("5m")

  // term CMP threshold; or term / per CMP threshold (a ratio of two series); or term CMP limit
  // (a series as the limit: a process's own max_fds). `on` joins the other series to the term
  // (PromQL adds instance and job).
  Term term;
  Cmp cmp = Cmp::kEq;
  double threshold = 0;
  std::optional<Term> per;
  std::optional<Term> limit;
  std::vector<std::string> on;
  // A conjunction: the condition counts only where the guard holds too (joined by `on`).
  struct Guard {
    Term term;
    Cmp cmp = Cmp::kGt;
    double threshold = 0;
  };
  std::optional<Guard> guard;

  // A fleet-wide condition that only Prometheus can judge (series from several hosts, `up`): the
  // whole PromQL expression, {selector} standing for the job selector. diagnose says it cannot.
  std::string fleet_expr;
  // A counter of events the exporter counts from its own start (captured packets): in diagnose, a
  // series that appears during the watch started from 0 at its beginning.
  bool counts_from_start = false;

  // What the running exporter's recent events keep of a finding besides its value: series that
  // say how bad it was (the length of a VRRP master's silence), joined on the culprit labels, the
  // largest of them; an event keeps its largest value. The condition's own value (a rate of
  // gaps) says less.
  struct Measure {
    std::string name;  // "gap"
    std::vector<std::string> metrics;
    std::string unit;  // "s"
  };
  std::optional<Measure> measure;
};

// The conditions of one collector (or of the exporter itself): a rule group.
struct ConditionGroup {
  std::string name;  // the rule group: virtnet_vrrp
  std::vector<Condition> conditions;
};

// What an operator changes without editing YAML by hand (`virtnet_exporter rules
// --rules.overrides FILE`, and diagnose with the same file).
struct ConditionOverride {
  std::optional<double> threshold;
  std::optional<std::string> for_duration, severity;
  std::vector<Matcher> matchers;  // narrow the condition: a deliberate design left out
  bool disabled = false;
};
struct RuleSettings {
  std::vector<Matcher> selector{{"job", "=~", "virtnet.*"}};  // on every series of every rule
  std::string runbook_url = "file:///usr/share/doc/virtnet-exporter/runbooks/{alert}.md";
  std::map<std::string, ConditionOverride> alerts;
};

}  // namespace virtnet
