#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/findings/events.h"
#include "exporter/findings/findings.h"

namespace virtnet {

struct DiagnoseOptions {
  std::chrono::milliseconds watch{10000};  // between the two collections (rates, packets)
  bool json = false;
  // --from URL: a running exporter's findings and events instead of collecting here, read with
  // --http.config.file's credentials and TLS settings.
  std::string from;
  std::string http_config_file;
};

// What diagnose prints and the running exporter serves (/api/v1/findings, the landing page):
// findings worst first, each with its culprit and the next thing to check; and from a running
// exporter, its recent events.
struct ReportFinding {
  std::string alert, severity, summary, description, next_check, runbook_url;
  std::vector<std::pair<std::string, std::string>> culprit;  // in the condition's order
  double value = 0;
};
struct Report {
  std::size_t collectors = 0;  // how many ran
  double watch_seconds = 0;    // between the two collections the findings come from
  std::vector<ReportFinding> findings;
  std::vector<std::string> not_judged;  // fleet-wide alerts: only Prometheus can judge them
  // A running exporter's report: when it last evaluated (Unix seconds; empty before its second
  // collection), its recent events newest first, and what its ring holds and pushed out.
  bool running = false;
  std::optional<double> evaluated_at;
  std::vector<Event> events;
  std::uint64_t events_evicted = 0;
  std::size_t events_capacity = 0;
  std::string source;  // diagnose --from: the URL it was read from
  // The runbook URL with {alert} for an alert's name (RuleSettings::runbook_url): the events'
  // runbooks.
  std::string runbook_template;
};

Report make_report(const std::vector<Finding>& findings, const std::vector<const Condition*>& fleet,
                   std::size_t collectors, double watch_seconds, const RuleSettings& settings);

// The report an operator reads at 3 am; `now` (Unix seconds) dates a running exporter's
// evaluation and events.
void render_text(const Report& r, double now, std::ostream& out);
// The same as JSON: the API's body, and diagnose --output json's.
std::string render_json(const Report& r);
// A running exporter's JSON back (diagnose --from). Throws std::invalid_argument saying what is
// missing or malformed.
Report parse_report_json(std::string_view text);

// diagnose's exit code: 0 nothing found, 1 a finding now or a recent event.
int report_exit_code(const Report& r);

// "2026-12-07T15:20:01Z".
std::string utc_time(double unix_seconds);

}  // namespace virtnet
