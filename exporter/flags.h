#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "exporter/common/logging.h"
#include "exporter/config/config.h"
#include "exporter/findings/diagnose.h"
#include "exporter/findings/tracker.h"
#include "exporter/http/http_server.h"
#include "exporter/scrape/collector.h"

namespace virtnet {

struct Flags {
  // serve: the exporter. diagnose: collect, report findings, exit 0/1/2. rules: print the alert
  // rules made from the same definitions as diagnose's findings.
  enum class Mode { kServe, kDiagnose, kRules };
  Mode mode = Mode::kServe;
  DiagnoseOptions diagnose;
  std::string rule_overrides;  // rules and diagnose: --rules.overrides
  HttpOptions http;
  std::string config_file;
  bool config_check = false;
  FlagOverrides overrides;
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
  std::string rootfs = "/";
  std::string run_as;  // --run-as USER: drop from root to it, keeping the collectors' capabilities
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kLogfmt;
  std::chrono::milliseconds scrape_timeout{10000};
  TrackerOptions findings;  // the running exporter's findings and recent events
  // Nothing scraped this long: the exporter collects for its findings, at most once a minute.
  std::chrono::milliseconds idle_collect_after{5 * 60 * 1000};
};

struct FlagsOutcome {
  std::optional<Flags> flags;  // empty: exit with `exit_code` (help, version, or an error)
  int exit_code = 0;
};

// Prometheus-style flags. Help and version go to `out`, errors to `err` (one line each).
FlagsOutcome parse_flags(int argc, const char* const* argv,
                         const std::vector<CollectorInfo>& registry, std::ostream& out,
                         std::ostream& err);

// "10s", "500ms", "1m", "1.5s", "24h"; above 0 and at most `max`. Throws std::invalid_argument.
std::chrono::milliseconds parse_duration(const std::string& text,
                                         std::chrono::milliseconds max = std::chrono::hours(1));

}  // namespace virtnet
