#include "exporter/findings/diagnose.h"

#include <nlohmann/json.hpp>

namespace virtnet {

namespace {

std::string collectors_text(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " collector" : " collectors");
}

std::string culprit(const Finding& f) {
  std::string s;
  for (const auto& name : f.def->culprit) {
    auto it = f.labels.find(name);
    if (it == f.labels.end()) continue;
    s += (s.empty() ? "" : " ") + name + "=\"" + it->second + "\"";
  }
  return s;
}

std::string fleet_text(const std::vector<const Condition*>& fleet) {
  if (fleet.empty()) return "";
  std::string s = "not judged here, only Prometheus can (fleet-wide):";
  for (const auto* c : fleet) s += " " + c->alert;
  return s + "\n";
}

}  // namespace

void render_text(const std::vector<Finding>& findings, const std::vector<const Condition*>& fleet,
                 std::size_t collectors, std::chrono::milliseconds watch, std::ostream& out) {
  const auto secs = std::chrono::duration<double>(watch).count();
  if (findings.empty()) {
    out << "virtnet_exporter diagnose: nothing found (" << collectors_text(collectors)
        << ", watched " << secs << " s)\n"
        << fleet_text(fleet);
    return;
  }
  out << "virtnet_exporter diagnose: " << findings.size() << " finding"
      << (findings.size() == 1 ? "" : "s") << ", worst first (" << collectors_text(collectors)
      << ", watched " << secs << " s)\n";
  int n = 0;
  for (const auto& f : findings) {
    out << "\n"
        << ++n << ". [" << f.def->severity << "] " << f.def->alert << "  " << culprit(f) << "\n   "
        << f.description << "\n   next: " << f.next_check << "\n";
  }
  if (!fleet.empty()) out << "\n" << fleet_text(fleet);
}

void render_json(const std::vector<Finding>& findings, const std::vector<const Condition*>& fleet,
                 std::size_t collectors, std::chrono::milliseconds watch, std::ostream& out) {
  nlohmann::json j;
  j["collectors"] = collectors;
  j["watch_seconds"] = std::chrono::duration<double>(watch).count();
  j["findings"] = nlohmann::json::array();
  for (const auto& f : findings) {
    nlohmann::json c = nlohmann::json::object();
    for (const auto& name : f.def->culprit) {
      if (auto it = f.labels.find(name); it != f.labels.end()) c[name] = it->second;
    }
    j["findings"].push_back({{"alert", f.def->alert},
                             {"severity", f.def->severity},
                             {"culprit", c},
                             {"value", f.value},
                             {"summary", f.def->summary},
                             {"description", f.description},
                             {"next_check", f.next_check}});
  }
  j["not_judged"] = nlohmann::json::array();
  for (const auto* c : fleet) {
    j["not_judged"].push_back({{"alert", c->alert}, {"why", "fleet-wide: only Prometheus can"}});
  }
  // Label values are valid UTF-8 already (the sink); replace anything else rather than throw.
  out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace virtnet
