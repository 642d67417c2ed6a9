#include "exporter/findings/findings.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace virtnet {

namespace {

const char* op(Cmp c) {
  switch (c) {
    case Cmp::kEq:
      return "==";
    case Cmp::kNe:
      return "!=";
    case Cmp::kLt:
      return "<";
    case Cmp::kGt:
      return ">";
    case Cmp::kGe:
      return ">=";
  }
  return "==";
}

bool holds(Cmp c, double v, double t) {
  switch (c) {
    case Cmp::kEq:
      return v == t;
    case Cmp::kNe:
      return v != t;
    case Cmp::kLt:
      return v < t;
    case Cmp::kGt:
      return v > t;
    case Cmp::kGe:
      return v >= t;
  }
  return false;
}

std::string number(double v) {
  std::ostringstream os;
  os.precision(15);  // 1073741824 as it is, 0.25 without noise
  os << v;
  return os.str();
}

// A PromQL string literal.
std::string promql_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string matchers_text(const std::vector<Matcher>& ms) {
  std::string s;
  for (const auto& m : ms) {
    s += (s.empty() ? "" : ",") + m.label + m.op + promql_string(m.value);
  }
  return s;
}

std::string selector(const Term& t, const RuleSettings& s) {
  std::vector<Matcher> all = t.only;
  all.insert(all.end(), s.selector.begin(), s.selector.end());
  return all.empty() ? t.metric : t.metric + "{" + matchers_text(all) + "}";
}

std::string term_expr(const Term& t, const RuleSettings& s) {
  std::string e = selector(t, s);
  switch (t.kind) {
    case Kind::kValue:
      break;
    case Kind::kRate:
      e = "rate(" + e + "[" + t.range + "])";
      break;
    case Kind::kIncrease:
      e = "increase(" + e + "[" + t.range + "])";
      break;
    case Kind::kTrend:
      e = "predict_linear(" + e + "[" + t.range + "], " + number(t.horizon_seconds) + ")";
      break;
  }
  if (t.scale != 1) e = number(t.scale) + " * " + e;
  return e;
}

// Joins another series to the term: per host (instance, job), then the condition's own labels.
std::string on_clause(const Condition& c) {
  std::string s = "on(instance, job";
  for (const auto& l : c.on) s += ", " + l;
  return s + ")";
}

// Replaces each {name} placeholder with f(name).
template <typename F>
std::string substitute(const std::string& text, F&& f) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto close = text.find('}', i);
    if (text[i] == '{' && close != std::string::npos) {
      out += f(text.substr(i + 1, close - i - 1));
      i = close;
    } else {
      out += text[i];
    }
  }
  return out;
}

// As Prometheus' humanize1024 template function: 2.637Gi.
std::string humanize1024(double v) {
  const char* prefix = "";
  if (std::isfinite(v) && std::fabs(v) > 1) {
    for (const char* p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
      if (std::fabs(v) < 1024) break;
      prefix = p;
      v /= 1024;
    }
  }
  return fmt::format("{:.4g}{}", v, prefix);
}

// The value's forms a description may use: {value}, {value|int} (rounded), {value|percent}
// (0.94 as 94%), {value|humanize1024} (2.637Gi); each as Prometheus' template spells it and as
// diagnose prints it, alike.
struct ValueForm {
  const char* name;
  const char* tmpl;
  std::string (*print)(double);
};
constexpr ValueForm kValueForms[] = {
    {"value", "{{ $value }}", number},
    {"value|int", "{{ printf \"%.0f\" $value }}",
     [](double v) { return fmt::format("{:.0f}", v); }},
    {"value|percent", "{{ $value | humanizePercentage }}",
     [](double v) { return fmt::format("{:.4g}%", v * 100); }},
    {"value|humanize1024", "{{ $value | humanize1024 }}", humanize1024},
};
const ValueForm* value_form(const std::string& name) {
  for (const auto& f : kValueForms) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

// {label} -> Prometheus' {{ $labels.label }}; the value's forms as above. In diagnose, which
// runs on the host it judges, {instance} is "this host".
std::string to_template(const std::string& text) {
  return substitute(text, [](const std::string& name) {
    if (const auto* f = value_form(name)) return std::string(f->tmpl);
    return "{{ $labels." + name + " }}";
  });
}

std::string fill(const std::string& text, const std::map<std::string, std::string>& labels,
                 double value) {
  return substitute(text, [&](const std::string& name) {
    if (const auto* f = value_form(name)) return f->print(value);
    auto it = labels.find(name);
    if (it != labels.end()) return it->second;
    return name == "instance" ? std::string("this host") : std::string();  // diagnose runs on it
  });
}

// YAML double-quoted scalar.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

using Labels = std::map<std::string, std::string>;

Labels labels_of(std::string_view packed) {
  Labels out;
  for_each_packed_label(packed, [&](std::string_view name, std::string_view value) {
    out.emplace(std::string(name), std::string(value));
  });
  return out;
}

// A matcher as diagnose applies it; a regex compiled once, anchored as PromQL's are.
struct Match {
  const Matcher* m;
  std::shared_ptr<re2::RE2> re;
  explicit Match(const Matcher& x) : m(&x) {
    if (x.op == "=~" || x.op == "!~") re = std::make_shared<re2::RE2>(x.value, re2::RE2::Quiet);
  }
  bool operator()(std::string_view packed) const {
    const std::string_view v = packed_label(packed, m->label);  // absent is "", as in PromQL
    if (!re) return (v == m->value) == (m->op == "=");
    return (re->ok() && re2::RE2::FullMatch(v, *re)) == (m->op == "=~");
  }
};

// One sample: its labels as packed in its collection's table (the table outlives the
// evaluation), and its value.
struct Sample {
  std::string_view labels;
  double value;
};

// A term's samples in one collection, those its matchers keep, in the collection's order. The
// labels are matched where they lie: a map of them is built only for a finding.
std::vector<Sample> series_of(const Samples& samples, const Term& t) {
  std::vector<Sample> out;
  auto it = samples.find(t.metric);
  if (it == samples.end()) return out;
  std::vector<Match> ms;
  for (const auto& x : t.only) ms.emplace_back(x);
  const SampleTable& table = it->second;
  out.reserve(table.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    const std::string_view labels = table.sample_labels(i);
    if (!std::all_of(ms.begin(), ms.end(), [&](const Match& x) { return x(labels); })) continue;
    out.push_back({labels, table.values[i]});
  }
  return out;
}

// The shortest watch a trend is projected from: a few seconds' slope times hours is noise.
constexpr double kMinTrendWindowSeconds = 5;

// One term over the two collections, as diagnose judges it.
struct Judged {
  std::vector<Sample> now;
  std::unordered_map<std::string_view, double> before;  // rates and trends only
  const Term* t;
  bool counts_from_start;
  double window;

  // The term's value of a sample of `now`.
  std::optional<double> at(const Sample& s) const {
    const double v = s.value;
    auto b = before.find(s.labels);
    double out = v;
    switch (t->kind) {
      case Kind::kValue:
        break;
      case Kind::kRate:
      case Kind::kIncrease: {
        if (b == before.end() && !counts_from_start) return std::nullopt;
        const double start = b == before.end() ? 0 : b->second;
        if (!(window > 0) || v < start) return std::nullopt;  // no window, or a counter reset
        out = t->kind == Kind::kRate ? (v - start) / window : v - start;
        break;
      }
      case Kind::kTrend:
        // A slope needs two points far enough apart to tell it from noise.
        if (b == before.end() || !(window >= kMinTrendWindowSeconds)) return std::nullopt;
        out = v + (v - b->second) / window * t->horizon_seconds;
        break;
    }
    return out * t->scale;
  }
};

Judged judge(const Term& t, const Samples& first, const Samples& last, double window,
             bool counts_from_start) {
  Judged j{series_of(last, t), {}, &t, counts_from_start, window};
  if (t.kind != Kind::kValue) {
    const auto earlier = series_of(first, t);
    j.before.reserve(earlier.size());
    for (const auto& s : earlier) j.before.emplace(s.labels, s.value);  // first wins
  }
  return j;
}

// Whether the group's collector failed at the first collection (its success 0): late, with no
// result to serve, it left every one of its series out, and a counter "new" in the second is no
// increase from 0 but its whole total. Without its success series (families made by hand) it
// is taken to have run.
bool failed_in(const Samples& first, const std::string& group) {
  auto it = first.find(kCollectorSuccessMetric);
  if (it == first.end() || group.rfind("virtnet_", 0) != 0) return false;
  const std::string_view collector = std::string_view(group).substr(8);
  const SampleTable& t = it->second;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (packed_label(t.sample_labels(i), "collector") == collector) return t.values[i] == 0;
  }
  return false;
}

// The values of the labels `on` of a sample, each ended by a NUL: no value holds one, so two
// samples share a key only when they agree on every one of those labels (absent as "").
std::string project(std::string_view packed, const std::vector<std::string>& on) {
  std::string out;
  for (const auto& name : on) {
    out += packed_label(packed, name);
    out += '\0';
  }
  return out;
}

// Another term's series joined to a condition's by `on` (one host: no instance or job here),
// indexed once a evaluation: a lookup a finding rather than a scan of every series (800
// processes' fds against 800 limits).
class Joined {
 public:
  Joined(Judged j, const std::vector<std::string>& on) : judged_(std::move(j)), on_(on) {
    by_key_.reserve(judged_.now.size());
    for (std::size_t i = 0; i < judged_.now.size(); ++i) {
      by_key_.emplace(project(judged_.now[i].labels, on_), i);  // first wins
    }
  }
  std::optional<double> at(std::string_view labels) const {
    auto it = by_key_.find(project(labels, on_));
    if (it == by_key_.end()) return std::nullopt;
    return judged_.at(judged_.now[it->second]);
  }

 private:
  Judged judged_;
  std::vector<std::string> on_;
  std::unordered_map<std::string, std::size_t> by_key_;  // into judged_.now
};

void check_duration(const std::string& alert, const std::string& d) {
  static const re2::RE2 re("([0-9]+(ms|s|m|h|d|w|y))+");
  if (!re2::RE2::FullMatch(d, re)) {
    throw std::invalid_argument(alert + ": for: not a Prometheus duration: \"" + d + "\"");
  }
}

}  // namespace

std::vector<ConditionGroup> apply_overrides(std::vector<ConditionGroup> groups,
                                            const RuleSettings& settings) {
  std::set<std::string> used;
  for (auto& g : groups) {
    std::vector<Condition> kept;
    for (auto& c : g.conditions) {
      auto it = settings.alerts.find(c.alert);
      if (it == settings.alerts.end()) {
        kept.push_back(std::move(c));
        continue;
      }
      used.insert(c.alert);
      const ConditionOverride& o = it->second;
      if (o.disabled) continue;
      const bool fleet = !c.fleet_expr.empty();
      if (o.threshold) {
        if (fleet && c.fleet_expr.find("{threshold}") == std::string::npos) {
          throw std::invalid_argument(c.alert + ": threshold: a fleet-wide condition without one");
        }
        if (c.limit) {  // it compares with another series: a threshold would change nothing
          throw std::invalid_argument(c.alert + ": threshold: it compares with " + c.limit->metric +
                                      ", not with a number");
        }
        c.threshold = *o.threshold;
      }
      if (o.for_duration) {
        check_duration(c.alert, *o.for_duration);
        c.for_duration = *o.for_duration;
      }
      if (o.severity) {
        if (*o.severity != "critical" && *o.severity != "warning" && *o.severity != "info") {
          throw std::invalid_argument(c.alert + ": severity: critical, warning or info, not \"" +
                                      *o.severity + "\"");
        }
        c.severity = *o.severity;
      }
      for (const auto& m : o.matchers) {
        if (m.op != "=~" && m.op != "!~") continue;
        if (!re2::RE2(m.value, re2::RE2::Quiet).ok()) {
          throw std::invalid_argument(c.alert + ": matchers: not a regex: \"" + m.value + "\"");
        }
      }
      if (!o.matchers.empty()) {
        if (fleet) {
          throw std::invalid_argument(c.alert +
                                      ": matchers: a fleet-wide condition (narrow the selector)");
        }
        c.term.only.insert(c.term.only.end(), o.matchers.begin(), o.matchers.end());
      }
      kept.push_back(std::move(c));
    }
    g.conditions = std::move(kept);
  }
  for (const auto& [alert, o] : settings.alerts) {
    if (!used.count(alert)) throw std::invalid_argument(alert + ": no such alert");
  }
  return groups;
}

std::string promql(const Condition& c, const RuleSettings& s) {
  if (!c.fleet_expr.empty()) {
    return substitute(c.fleet_expr, [&](const std::string& name) {
      if (name == "threshold") return number(c.threshold);
      return s.selector.empty() ? std::string() : "{" + matchers_text(s.selector) + "}";
    });
  }
  const std::string on = on_clause(c);
  std::string e = term_expr(c.term, s);
  if (c.per) e += " / " + on + " group_left() " + term_expr(*c.per, s);
  if (c.limit) {
    e += std::string(" ") + op(c.cmp) + " " + on + " group_left() (" + term_expr(*c.limit, s) + ")";
  } else {
    e += std::string(" ") + op(c.cmp) + " " + number(c.threshold);
  }
  if (c.guard) {
    e = "(" + e + ") and " + on + " (" + term_expr(c.guard->term, s) + " " + op(c.guard->cmp) +
        " " + number(c.guard->threshold) + ")";
  }
  return e;
}

std::string runbook_url(const RuleSettings& settings, const std::string& alert) {
  return substitute(settings.runbook_url, [&](const std::string&) { return alert; });
}

std::string rules_yaml(const std::vector<ConditionGroup>& groups, const RuleSettings& settings) {
  std::string y =
      "# Generated by `virtnet_exporter rules` from the conditions each collector declares (the\n"
      "# ones `virtnet_exporter diagnose` evaluates): change them with --rules.overrides, not by "
      "hand.\ngroups:\n";
  for (const auto& g : groups) {
    if (g.conditions.empty()) continue;
    y += "  - name: " + g.name + "\n    rules:\n";
    for (const auto& c : g.conditions) {
      y += "      - alert: " + c.alert + "\n";
      y += "        expr: " + quoted(promql(c, settings)) + "\n";
      y += "        for: " + c.for_duration + "\n";
      y += "        labels:\n          severity: " + c.severity + "\n";
      y += "        annotations:\n";
      y += "          summary: " + quoted(c.summary) + "\n";
      y += "          description: " + quoted(to_template(c.description)) + "\n";
      y += "          next_check: " + quoted(to_template(c.next_check)) + "\n";
      y += "          runbook_url: " + quoted(runbook_url(settings, c.alert)) + "\n";
    }
  }
  return y;
}

double badness(const Finding& f) {
  const Cmp c = f.def->cmp;
  return c == Cmp::kLt ? -f.value : (c == Cmp::kGt || c == Cmp::kGe) ? f.value : 0.0;
}

std::vector<Finding> evaluate(const std::vector<ConditionGroup>& groups,
                              const std::vector<prometheus::MetricFamily>& first,
                              const std::vector<prometheus::MetricFamily>& last,
                              double window_seconds) {
  const auto names = condition_metrics(groups);
  return evaluate(groups, samples_of(first, names), samples_of(last, names), window_seconds);
}

std::vector<Finding> evaluate(const std::vector<ConditionGroup>& groups, const Samples& first,
                              const Samples& last, double window_seconds) {
  struct Ranked {
    Finding f;
    std::size_t order;
  };
  std::vector<Ranked> out;
  std::size_t order = 0;
  for (const auto& g : groups) {
    const bool failed_before = failed_in(first, g.name);
    for (const auto& c : g.conditions) {
      ++order;
      if (!c.fleet_expr.empty()) continue;
      const Judged main =
          judge(c.term, first, last, window_seconds, c.counts_from_start && !failed_before);
      std::optional<Joined> per, limit, guard;
      if (c.per) per.emplace(judge(*c.per, first, last, window_seconds, false), c.on);
      if (c.limit) limit.emplace(judge(*c.limit, first, last, window_seconds, false), c.on);
      if (c.guard) guard.emplace(judge(c.guard->term, first, last, window_seconds, false), c.on);
      // The measure's terms outlive the Judged that point to them.
      std::vector<Term> measure_terms;
      std::vector<Joined> measures;
      if (c.measure) {
        for (const auto& m : c.measure->metrics) measure_terms.push_back(Term{.metric = m});
        for (const auto& t : measure_terms) {
          measures.emplace_back(judge(t, first, last, 0, false), c.culprit);
        }
      }
      auto measured = [&](std::string_view labels) {
        std::optional<double> most;
        for (const auto& m : measures) {
          if (auto v = m.at(labels); v && (!most || *v > *most)) most = v;
        }
        return most;
      };
      for (const Sample& sample : main.now) {
        const std::string_view labels = sample.labels;
        auto v = main.at(sample);
        if (!v) continue;
        double value = *v;
        if (per) {
          auto d = per->at(labels);
          if (!d || *d == 0) continue;
          value /= *d;
        }
        if (limit) {
          auto l = limit->at(labels);
          if (!l || !holds(c.cmp, value, *l)) continue;
        } else if (!holds(c.cmp, value, c.threshold)) {
          continue;
        }
        if (guard) {
          auto gv = guard->at(labels);
          if (!gv || !holds(c.guard->cmp, *gv, c.guard->threshold)) continue;
        }
        if (!std::isfinite(value)) continue;
        Labels named = labels_of(labels);
        std::string description = fill(c.description, named, value);
        std::string next_check = fill(c.next_check, named, value);
        out.push_back({{&c, std::move(named), value, std::move(description), std::move(next_check),
                        measured(labels)},
                       order});
      }
    }
  }
  // Critical first, then warning, then info; then declaration order; within a condition the
  // furthest past its threshold (the most negative headroom, the highest ratio) first.
  auto rank = [](const Ranked& r) {
    const std::string& s = r.f.def->severity;
    return std::make_pair(s == "critical" ? 0 : s == "warning" ? 1 : 2, r.order);
  };
  std::stable_sort(out.begin(), out.end(), [&](const Ranked& a, const Ranked& b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    return badness(a.f) > badness(b.f);
  });
  std::vector<Finding> findings;
  findings.reserve(out.size());
  for (auto& r : out) findings.push_back(std::move(r.f));
  return findings;
}

std::vector<const Condition*> fleet_only(const std::vector<ConditionGroup>& groups) {
  std::vector<const Condition*> out;
  for (const auto& g : groups) {
    for (const auto& c : g.conditions) {
      if (!c.fleet_expr.empty()) out.push_back(&c);
    }
  }
  return out;
}

}  // namespace virtnet
