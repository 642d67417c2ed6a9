#include "exporter/flags.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>
#include <ostream>
#include <tuple>

#include "exporter/common/version.h"

namespace virtnet {

namespace {

// Flags given as text, converted once CLI11 has parsed them all.
struct Texts {
  std::string level = "info", format = "logfmt", timeout = "10s", idle = "10s", handshake = "5s";
  std::string login_window = "1m";
  std::string watch = "10s", output = "text";
  std::string events_age = "24h", idle_collect = "5m";
  std::string rule_overrides;
  std::string from, http_config;
  bool version = false;
};

// The --collector.<name>[.<option>] flags. CLI11 writes into these; the values become overrides
// only for the flags that were given.
struct CollectorFlags {
  std::map<std::string, bool> bool_values;  // stable addresses for CLI11
  std::map<std::string, std::string> text_values;
  std::vector<std::pair<std::string, CLI::Option*>> bool_opts, text_opts;
};

void add_server_flags(CLI::App& app, Flags& f, Texts& t) {
  app.add_option("--web.listen-address", f.http.listen_address,
                 "Address to listen on: HOST:PORT, [IPV6]:PORT, or :PORT for every address, "
                 "IPv6 and IPv4 (IPv4 only where the kernel has no IPv6).")
      ->capture_default_str();
  app.add_option("--web.telemetry-path", f.http.telemetry_path,
                 "Path under which to expose metrics.")
      ->capture_default_str();
  app.add_option("--web.max-requests", f.http.max_requests,
                 "Scrapes served at once; more wait in line within their own deadline.")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--web.max-connections", f.http.max_connections,
                 "HTTP connections held at once; the surplus is closed on arrival.")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--web.max-connections-per-ip", f.http.max_connections_per_ip,
                 "HTTP connections held at once from one client address (0: no limit).")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  app.add_option("--web.idle-timeout", t.idle,
                 "Close a connection silent this long (reading a request, or kept alive).")
      ->capture_default_str();
  app.add_option("--web.tls-handshake-timeout", t.handshake,
                 "With TLS: close a connection whose handshake has not finished this long after "
                 "its accept.")
      ->capture_default_str();
  app.add_option("--web.login-failures-per-ip", f.http.login_failures_per_ip,
                 "With basic auth: refuse an address this many failed logins within "
                 "--web.login-failure-window at once, without a bcrypt (0: no limit).")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  app.add_option("--web.login-failure-window", t.login_window,
                 "The window of --web.login-failures-per-ip.")
      ->capture_default_str();
  app.add_option("--web.config.file", f.http.web_config_file,
                 "exporter-toolkit web-config.yml: TLS, basic auth, response headers; "
                 "re-read when it changes.");
  app.add_option("--scrape.timeout", t.timeout,
                 "Scrape budget when the scraper sends no X-Prometheus-Scrape-Timeout-Seconds.")
      ->capture_default_str();
  app.add_option("--config.file", f.config_file, "YAML configuration file (optional).");
  app.add_option("--run-as", f.run_as,
                 "Started as root: become this user, keeping only the capabilities the enabled "
                 "collectors need.");
  app.add_flag("--config.check", f.config_check,
               "Validate the configuration and flags, then exit (0 if valid, 1 if not).");
  app.add_option("--path.procfs", f.procfs, "procfs mountpoint.")->capture_default_str();
  app.add_option("--path.sysfs", f.sysfs, "sysfs mountpoint.")->capture_default_str();
  app.add_option("--path.rootfs", f.rootfs, "root filesystem (for /dev and /etc).")
      ->capture_default_str();
  app.add_option("--log.level", t.level, "Only log messages of this severity or above.")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_option("--log.format", t.format, "Output format of log messages.")
      ->capture_default_str()
      ->check(CLI::IsMember({"logfmt", "json"}));
  app.add_option("--findings.events.max", f.findings.max_events,
                 "Recent events (findings as they began and ended) held for the landing page and "
                 "/api/v1/findings; past it the oldest of the alert holding the most is dropped.")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--findings.events.max-age", t.events_age,
                 "Drop a recent event that ended longer ago than this.")
      ->capture_default_str();
  app.add_option("--findings.idle-collect-after", t.idle_collect,
                 "When nothing has scraped for this long, collect once a minute to keep the "
                 "findings and events current (0: never).")
      ->capture_default_str();
  app.add_flag("--collector.disable-defaults", f.overrides.disable_defaults,
               "Disable all collectors not explicitly enabled by flag or config.");
  app.add_flag("--version", t.version, "Show the version and exit.");
}

struct Subcommands {
  CLI::App* diagnose;
  CLI::App* rules;
};

// Subcommands take every option of the exporter (after or before their name).
Subcommands add_subcommands(CLI::App& app, Texts& t) {
  auto* diagnose = app.add_subcommand(
      "diagnose",
      "Run every collector once, watch for --watch, print the findings worst first with the "
      "culprit and the next thing to check; exit 0 when clean, 1 when something is found, 2 on "
      "an error.");
  diagnose->fallthrough();
  diagnose->add_option("--watch", t.watch, "How long to watch between the two collections.")
      ->capture_default_str();
  diagnose->add_option("--output", t.output, "text or json.")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  diagnose->add_option("--from", t.from,
                       "A running exporter's URL (http://host:10120): print its findings and its "
                       "recent events instead of collecting here.");
  diagnose->add_option("--http.config.file", t.http_config,
                       "With --from: basic_auth and tls_config as in Prometheus' http_config "
                       "(username, password_file; ca_file, cert_file, key_file, server_name, "
                       "insecure_skip_verify).");
  auto* rules = app.add_subcommand(
      "rules", "Print the Prometheus alert rules (the conditions diagnose reports) and exit.");
  rules->fallthrough();
  for (auto* sub : {diagnose, rules}) {
    sub->add_option("--rules.overrides", t.rule_overrides,
                    "A YAML file of the operator's choices: the job selector, the runbook URL, "
                    "and per alert its threshold, for, severity, matchers or disabled.");
  }
  app.require_subcommand(0, 1);
  return {diagnose, rules};
}

void add_collector_flags(CLI::App& app, const std::vector<CollectorInfo>& registry, Flags& f,
                         CollectorFlags& c) {
  for (const auto& info : registry) {
    app.add_flag_callback(
        "--collector." + info.name, [&f, name = info.name] { f.overrides.enabled[name] = true; },
        "Enable the " + info.name +
            " collector (default: " + (info.default_enabled ? "enabled" : "disabled") + ").");
    app.add_flag_callback(
        "--no-collector." + info.name,
        [&f, name = info.name] { f.overrides.enabled[name] = false; },
        "Disable the " + info.name + " collector.");
    for (const auto& spec : info.options) {
      if (spec.type == OptionType::kYaml) continue;  // structured: config file only
      const std::string key = info.name + "." + spec.key;
      const std::string flag = "--" + flag_name(info.name, spec);
      const std::string help = spec.help + " (default: " + spec.default_value + ")";
      if (spec.type == OptionType::kBool) {
        auto* o = app.add_flag(flag + ",!--no-" + flag.substr(2), c.bool_values[key], help);
        c.bool_opts.emplace_back(key, o);
      } else {
        auto* o = app.add_option(flag, c.text_values[key], help);
        c.text_opts.emplace_back(key, o);
      }
    }
  }
}

// What the text flags say, converted; the first error as one line, or "".
std::string apply_texts(const Texts& t, const CollectorFlags& c, Flags& f) {
  for (const auto& [key, opt] : c.bool_opts) {
    if (opt->count() > 0) f.overrides.options[key] = c.bool_values.at(key) ? "true" : "false";
  }
  for (const auto& [key, opt] : c.text_opts) {
    if (opt->count() > 0) f.overrides.options[key] = c.text_values.at(key);
  }
  try {
    f.scrape_timeout = parse_duration(t.timeout);
  } catch (const std::invalid_argument& e) {
    return std::string("--scrape.timeout: ") + e.what();
  }
  // libmicrohttpd counts in whole seconds: round up, at least 1.
  for (auto [text, flag, out] :
       {std::tuple{&t.idle, "--web.idle-timeout", &f.http.idle_timeout},
        std::tuple{&t.handshake, "--web.tls-handshake-timeout", &f.http.tls_handshake_timeout},
        std::tuple{&t.login_window, "--web.login-failure-window", &f.http.login_failure_window}}) {
    try {
      // 0 would mean "no timeout" to libmicrohttpd: never below 1 s.
      *out = std::chrono::seconds(std::max<long>(1, (parse_duration(*text).count() + 999) / 1000));
    } catch (const std::invalid_argument& e) {
      return std::string(flag) + ": " + e.what();
    }
  }
  try {
    f.findings.max_event_age = std::chrono::duration_cast<std::chrono::seconds>(
        parse_duration(t.events_age, std::chrono::hours(24 * 365)));
    if (f.findings.max_event_age.count() < 1) throw std::invalid_argument("under a second");
  } catch (const std::invalid_argument& e) {
    return std::string("--findings.events.max-age: ") + e.what();
  }
  try {
    f.idle_collect_after = t.idle_collect == "0" || t.idle_collect == "0s"
                               ? std::chrono::milliseconds(0)
                               : parse_duration(t.idle_collect, std::chrono::hours(24));
  } catch (const std::invalid_argument& e) {
    return std::string("--findings.idle-collect-after: ") + e.what();
  }
  f.log_level = t.level == "debug"   ? LogLevel::kDebug
                : t.level == "warn"  ? LogLevel::kWarn
                : t.level == "error" ? LogLevel::kError
                                     : LogLevel::kInfo;
  f.log_format = t.format == "json" ? LogFormat::kJson : LogFormat::kLogfmt;
  return "";
}

}  // namespace

std::chrono::milliseconds parse_duration(const std::string& text, std::chrono::milliseconds max) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    throw std::invalid_argument("not a duration: \"" + text + "\" (want e.g. 10s or 500ms)");
  }
  const std::string unit = text.substr(used);
  double ms = 0;
  if (unit == "ms") {
    ms = v;
  } else if (unit == "s") {
    ms = v * 1000;
  } else if (unit == "m") {
    ms = v * 60000;
  } else if (unit == "h") {
    ms = v * 3600000;
  } else {
    throw std::invalid_argument("not a duration: \"" + text + "\" (want e.g. 10s or 500ms)");
  }
  if (!(ms > 0) || ms > static_cast<double>(max.count())) {
    throw std::invalid_argument("duration out of range: \"" + text + "\"");
  }
  return std::chrono::milliseconds(static_cast<long>(ms));
}

FlagsOutcome parse_flags(int argc, const char* const* argv,
                         const std::vector<CollectorInfo>& registry, std::ostream& out,
                         std::ostream& err) {
  Flags f;
  // diagnose reports an error with 2 (1 means "found something").
  const int error_code =
      std::any_of(argv + 1, argv + argc, [](const char* a) { return std::string(a) == "diagnose"; })
          ? 2
          : 1;
  CLI::App app{
      "virtnet_exporter: a Prometheus exporter for KVM / OpenStack hypervisors and "
      "network nodes.",
      "virtnet_exporter"};
  app.get_formatter()->column_width(44);
  Texts texts;
  CollectorFlags collector_flags;
  add_server_flags(app, f, texts);
  const auto sub = add_subcommands(app, texts);
  add_collector_flags(app, registry, f, collector_flags);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    app.exit(e, out, err);
    return {std::nullopt, 0};
  } catch (const CLI::ParseError& e) {
    err << "virtnet_exporter: error: " << e.what() << " (try --help)\n";
    return {std::nullopt, error_code};
  }
  if (sub.diagnose->parsed()) {
    f.mode = Flags::Mode::kDiagnose;
    f.diagnose.json = texts.output == "json";
    f.diagnose.from = texts.from;
    f.diagnose.http_config_file = texts.http_config;
    if (f.diagnose.from.empty() && !f.diagnose.http_config_file.empty()) {
      err << "virtnet_exporter: error: --http.config.file: only with --from\n";
      return {std::nullopt, 2};
    }
    try {
      f.diagnose.watch = texts.watch == "0" || texts.watch == "0s" ? std::chrono::milliseconds(0)
                                                                   : parse_duration(texts.watch);
    } catch (const std::invalid_argument& e) {
      err << "virtnet_exporter: error: --watch: " << e.what() << "\n";
      return {std::nullopt, 2};
    }
  }
  if (sub.rules->parsed()) f.mode = Flags::Mode::kRules;
  f.rule_overrides = texts.rule_overrides;
  if (texts.version) {
    out << "virtnet_exporter, version " << kVersion << " (revision: " << kRevision << ")\n"
        << "  build compiler: " << kCompiler << "\n";
    return {std::nullopt, 0};
  }
  if (const auto why = apply_texts(texts, collector_flags, f); !why.empty()) {
    err << "virtnet_exporter: error: " << why << "\n";
    return {std::nullopt, error_code};
  }
  return {std::move(f), 0};
}

}  // namespace virtnet
