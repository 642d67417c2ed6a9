#include "exporter/findings/diagnose.h"

#include <fmt/format.h>
#include <time.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "exporter/common/utf8.h"

namespace virtnet {

namespace {

using Json = nlohmann::ordered_json;  // culprit labels keep the condition's order

std::string collectors_text(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " collector" : " collectors");
}

std::string culprit_text(const std::vector<std::pair<std::string, std::string>>& culprit) {
  std::string s;
  for (const auto& [name, value] : culprit)
    s += (s.empty() ? "" : " ") + name + "=\"" + value + "\"";
  return s;
}

std::string fleet_text(const std::vector<std::string>& fleet) {
  if (fleet.empty()) return "";
  std::string s = "not judged here, only Prometheus can (fleet-wide):";
  for (const auto& a : fleet) s += " " + a;
  return s + "\n";
}

std::string seconds_text(double s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

std::string duration_text(double s) {
  if (s < 120) return fmt::format("{:.0f} s", s);
  if (s < 7200) return fmt::format("{:.0f} min", s / 60);
  return fmt::format("{:.1f} h", s / 3600);
}

// Where the findings come from, in the header's brackets.
std::string whence(const Report& r, double now) {
  std::string s = collectors_text(r.collectors);
  if (!r.running) return s + ", watched " + seconds_text(r.watch_seconds) + " s";
  if (!r.source.empty()) s += ", from " + r.source;
  if (r.evaluated_at) {
    s += ", evaluated " + duration_text(std::max(0.0, now - *r.evaluated_at)) + " ago over " +
         seconds_text(std::round(r.watch_seconds * 10) / 10) + " s";
  }
  return s;
}

void events_text(const Report& r, double now, std::ostream& out) {
  out << "\nrecent events, newest first (" << r.events.size() << " held of at most "
      << r.events_capacity << ", " << r.events_evicted << " pushed out):\n";
  if (r.events.empty()) out << "   none\n";
  for (const auto& e : r.events) {
    const double end = e.ended.value_or(now);
    out << "- " << utc_time(e.began) << (e.ended ? " to " + utc_time(*e.ended) : " to now") << " ("
        << duration_text(std::max(0.0, end - e.began)) << ") [" << e.severity << "] " << e.alert
        << "  " << culprit_text(e.culprit);
    if (e.measure) {
      out << "  " << e.measure_name << " " << fmt::format("{:.3g}", *e.measure) << " "
          << e.measure_unit;
    }
    out << "\n   " << e.description << "\n";
  }
}

Json event_json(const Event& e) {
  Json c = Json::object();
  for (const auto& [name, value] : e.culprit) c[name] = value;
  Json j = {{"alert", e.alert},
            {"severity", e.severity},
            {"culprit", c},
            {"summary", e.summary},
            {"description", e.description},
            {"value", e.value},
            {"began", e.began},
            {"ended", nullptr}};
  if (e.ended) j["ended"] = *e.ended;
  if (e.measure) {
    j["measure"] = {{"name", e.measure_name}, {"value", *e.measure}, {"unit", e.measure_unit}};
  }
  return j;
}

// The JSON readers: a clear error for what is missing or of the wrong type.
const Json& field(const Json& j, const char* name) {
  if (!j.is_object() || !j.contains(name)) {
    throw std::invalid_argument(std::string("no \"") + name + "\"");
  }
  return j.at(name);
}
// Strings from another exporter are printed to a terminal: valid UTF-8, no control character
// (an escape sequence), whatever it sent.
std::string printable(const std::string& s) {
  std::string out;
  append_utf8_repaired(out, s, true);
  return out;
}
std::string text(const Json& j, const char* name) {
  const Json& v = field(j, name);
  if (!v.is_string()) throw std::invalid_argument(std::string("\"") + name + "\" is not a string");
  return printable(v.get<std::string>());
}
double number(const Json& j, const char* name) {
  const Json& v = field(j, name);
  if (!v.is_number()) throw std::invalid_argument(std::string("\"") + name + "\" is not a number");
  return v.get<double>();
}
std::size_t count(const Json& j, const char* name) {
  const double v = number(j, name);
  if (!(v >= 0 && v <= 1e15) || v != std::floor(v)) {
    throw std::invalid_argument(std::string("\"") + name + "\" is not a count");
  }
  return static_cast<std::size_t>(v);
}
const Json& array(const Json& j, const char* name) {
  const Json& v = field(j, name);
  if (!v.is_array()) throw std::invalid_argument(std::string("\"") + name + "\" is not a list");
  return v;
}
std::vector<std::pair<std::string, std::string>> culprit_of(const Json& j) {
  const Json& c = field(j, "culprit");
  if (!c.is_object()) throw std::invalid_argument("\"culprit\" is not an object");
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = c.begin(); it != c.end(); ++it) {
    if (!it->is_string()) throw std::invalid_argument("a culprit label is not a string");
    out.emplace_back(printable(it.key()), printable(it->get<std::string>()));
  }
  return out;
}

// The fields a finding and an event share, read into either.
template <typename T>
void read_common(const Json& j, T& out) {
  out.alert = text(j, "alert");
  out.severity = text(j, "severity");
  out.summary = text(j, "summary");
  out.description = text(j, "description");
  out.culprit = culprit_of(j);
  out.value = number(j, "value");
}

}  // namespace

std::string utc_time(double unix_seconds) {
  const time_t t = static_cast<time_t>(std::floor(unix_seconds));
  tm parts{};
  gmtime_r(&t, &parts);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buf;
}

Report make_report(const std::vector<Finding>& findings, const std::vector<const Condition*>& fleet,
                   std::size_t collectors, double watch_seconds, const RuleSettings& settings) {
  Report r;
  r.collectors = collectors;
  r.watch_seconds = watch_seconds;
  for (const auto& f : findings) {
    ReportFinding x;
    x.alert = f.def->alert;
    x.severity = f.def->severity;
    x.summary = f.def->summary;
    x.description = f.description;
    x.next_check = f.next_check;
    x.runbook_url = runbook_url(settings, f.def->alert);
    for (const auto& name : f.def->culprit) {
      if (auto it = f.labels.find(name); it != f.labels.end())
        x.culprit.emplace_back(name, it->second);
    }
    x.value = f.value;
    r.findings.push_back(std::move(x));
  }
  for (const auto* c : fleet) r.not_judged.push_back(c->alert);
  return r;
}

void render_text(const Report& r, double now, std::ostream& out) {
  if (r.running && !r.evaluated_at) {
    out << "virtnet_exporter diagnose: not evaluated yet (" << whence(r, now)
        << "): the exporter judges from two collections, its next scrape will do\n";
  } else if (r.findings.empty()) {
    out << "virtnet_exporter diagnose: nothing found" << (r.running ? " now" : "") << " ("
        << whence(r, now) << ")\n";
    if (!r.running) out << fleet_text(r.not_judged);
  } else {
    out << "virtnet_exporter diagnose: " << r.findings.size() << " finding"
        << (r.findings.size() == 1 ? "" : "s") << ", worst first (" << whence(r, now) << ")\n";
    int n = 0;
    for (const auto& f : r.findings) {
      out << "\n"
          << ++n << ". [" << f.severity << "] " << f.alert << "  " << culprit_text(f.culprit)
          << "\n   " << f.description << "\n   next: " << f.next_check << "\n";
    }
    if (!r.running && !r.not_judged.empty()) out << "\n" << fleet_text(r.not_judged);
  }
  if (r.running) {
    events_text(r, now, out);
    if (!r.not_judged.empty()) out << "\n" << fleet_text(r.not_judged);
  }
}

std::string render_json(const Report& r) {
  Json j;
  j["collectors"] = r.collectors;
  j["watch_seconds"] = r.watch_seconds;
  if (r.running) j["evaluated_at"] = r.evaluated_at ? Json(*r.evaluated_at) : Json(nullptr);
  j["findings"] = Json::array();
  for (const auto& f : r.findings) {
    Json c = Json::object();
    for (const auto& [name, value] : f.culprit) c[name] = value;
    j["findings"].push_back({{"alert", f.alert},
                             {"severity", f.severity},
                             {"culprit", c},
                             {"value", f.value},
                             {"summary", f.summary},
                             {"description", f.description},
                             {"next_check", f.next_check},
                             {"runbook_url", f.runbook_url}});
  }
  j["not_judged"] = Json::array();
  for (const auto& a : r.not_judged) {
    j["not_judged"].push_back({{"alert", a}, {"why", "fleet-wide: only Prometheus can"}});
  }
  if (r.running) {
    j["events"] = Json::array();
    RuleSettings runbooks;
    runbooks.runbook_url = r.runbook_template;
    for (const auto& e : r.events) {
      j["events"].push_back(event_json(e));
      if (!r.runbook_template.empty())
        j["events"].back()["runbook_url"] = runbook_url(runbooks, e.alert);
    }
    j["events_evicted"] = r.events_evicted;
    j["events_capacity"] = r.events_capacity;
    j["runbook_template"] = r.runbook_template;
  }
  // Label values are valid UTF-8 already (the sink); replace anything else rather than throw.
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Report parse_report_json(std::string_view body) {
  Json j;
  try {
    j = Json::parse(body);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("not JSON: ") + e.what());
  }
  Report r;
  r.running = true;
  r.collectors = count(j, "collectors");
  r.watch_seconds = number(j, "watch_seconds");
  if (!field(j, "evaluated_at").is_null()) r.evaluated_at = number(j, "evaluated_at");
  for (const auto& f : array(j, "findings")) {
    ReportFinding x;
    read_common(f, x);
    x.next_check = text(f, "next_check");
    x.runbook_url = text(f, "runbook_url");
    r.findings.push_back(std::move(x));
  }
  for (const auto& a : array(j, "not_judged")) r.not_judged.push_back(text(a, "alert"));
  for (const auto& x : array(j, "events")) {
    Event e;
    read_common(x, e);
    e.began = number(x, "began");
    if (!field(x, "ended").is_null()) e.ended = number(x, "ended");
    if (x.contains("measure")) {
      const Json& m = x.at("measure");
      e.measure_name = text(m, "name");
      e.measure = number(m, "value");
      e.measure_unit = text(m, "unit");
    }
    r.events.push_back(std::move(e));
  }
  r.events_evicted = count(j, "events_evicted");
  r.events_capacity = count(j, "events_capacity");
  if (j.contains("runbook_template") && j.at("runbook_template").is_string()) {
    r.runbook_template = text(j, "runbook_template");
  }
  return r;
}

int report_exit_code(const Report& r) { return r.findings.empty() && r.events.empty() ? 0 : 1; }

}  // namespace virtnet
