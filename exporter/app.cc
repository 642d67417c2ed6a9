#include "exporter/app.h"

#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <iostream>
#include <set>
#include <stdexcept>

#include "exporter/collector_registry.h"
#include "exporter/common/logging.h"
#include "exporter/common/version.h"
#include "exporter/config/client_config.h"
#include "exporter/config/config.h"
#include "exporter/config/rule_settings.h"
#include "exporter/findings/diagnose.h"
#include "exporter/findings/findings.h"
#include "exporter/findings/tracker.h"
#include "exporter/flags.h"
#include "exporter/http/findings_feed.h"
#include "exporter/http/http_request.h"
#include "exporter/http/http_server.h"
#include "exporter/http/web_config_watch.h"
#include "exporter/scrape/capabilities.h"
#include "exporter/scrape/scraper.h"
#include "exporter/sources/http_get.h"
#include "exporter/sources/proc_walk.h"
#include "exporter/sources/sock_diag.h"

namespace virtnet {

namespace {

struct Built {
  std::vector<CollectorSlot> slots;
  std::vector<CollectorStatusView> listing;
};

// Constructs the enabled collectors (nothing is started: --config.check stops here); throws
// ConfigError if one refuses its options. With `running`, a collector whose configuration did
// not change is not built again: its slot keeps the running instance, with its state.
Built build_collectors(const std::vector<CollectorInfo>& registry, const Config& cfg,
                       const Sources& sources, const Config* running = nullptr,
                       const std::set<std::string>& rebuild = {}) {
  Built b;
  for (const auto& info : registry) {
    const auto& cc = cfg.collectors.at(info.name);
    CollectorStatusView row;
    row.name = info.name;
    row.help = info.help;
    row.enabled = cc.enabled;
    b.listing.push_back(std::move(row));
    if (!cc.enabled) continue;
    if (running && running->collectors.at(info.name) == cc && !rebuild.count(info.name)) {
      b.slots.push_back({info.name, nullptr});
      continue;
    }
    try {
      auto needs =
          info.capabilities ? info.capabilities(cc.options) : std::vector<CapabilityNeed>{};
      b.slots.push_back({info.name,
                         gate_on_capabilities(info.make(cc.options, sources), std::move(needs)),
                         info.metrics});
    } catch (const std::exception& e) {
      throw ConfigError("collector " + info.name + ": " + e.what());
    }
  }
  return b;
}

std::string enabled_names(const Built& b, bool rebuilt_only = false) {
  std::string s;
  for (const auto& slot : b.slots) {
    if (rebuilt_only && !slot.fresh) continue;
    if (!s.empty()) s += ',';
    s += slot.name;
  }
  return s;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Two collections --watch apart, then the findings; 0 clean, 1 found, 2 interrupted.
int diagnose(Scraper& scraper, Built built, const std::vector<ConditionGroup>& conditions,
             const RuleSettings& settings, const DiagnoseOptions& opts, const sigset_t& signals) {
  const std::size_t collectors = built.slots.size();
  scraper.set_collectors(std::move(built.slots), std::move(built.listing));
  auto first = scraper.scrape(std::nullopt);
  if (opts.watch.count() > 0) {
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(opts.watch);
    timespec wait{static_cast<time_t>(secs.count()),
                  static_cast<long>((opts.watch - secs).count()) * 1000000L};
    // SIGINT or SIGTERM ends the watch early: no report from half a window.
    for (;;) {
      const int sig = sigtimedwait(&signals, nullptr, &wait);
      if (sig < 0 && errno == EINTR) continue;
      if (sig == SIGINT || sig == SIGTERM) return 2;
      if (sig < 0) break;  // EAGAIN: the watch is over (a SIGHUP restarts it, harmlessly)
    }
  }
  const auto last = scraper.scrape(std::nullopt);
  const double watch = std::chrono::duration<double>(opts.watch).count();
  const auto findings = evaluate(conditions, first, last, watch);
  const Report report = make_report(findings, fleet_only(conditions), collectors, watch, settings);
  if (opts.json) {
    std::cout << render_json(report);
  } else {
    render_text(report, unix_now(), std::cout);
  }
  std::cout.flush();
  return report_exit_code(report);
}

// Waits for SIGHUP, SIGTERM or SIGINT at most `wait` (for ever without): the signal, or 0.
int wait_signal(const sigset_t& signals, std::optional<std::chrono::milliseconds> wait) {
  if (!wait) {
    int sig = 0;
    return sigwait(&signals, &sig) == 0 ? sig : 0;
  }
  timespec ts{static_cast<time_t>(wait->count() / 1000),
              static_cast<long>(wait->count() % 1000) * 1000000L};
  const int sig = sigtimedwait(&signals, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

// diagnose --from URL: a running exporter's findings and recent events, read as a scraper
// would; printed and exited on as diagnose does (2 when it cannot be read, or has not evaluated).
int diagnose_from(const DiagnoseOptions& opts) {
  std::string url = opts.from;
  // Credentials in the URL would be on the command line (ps, shell history) and in every
  // message naming the URL: they go in --http.config.file.
  const auto scheme = url.find("://");
  const auto authority = scheme == std::string::npos ? 0 : scheme + 3;
  if (url.find('@', authority) < url.find_first_of("/?#", authority)) {
    std::cerr << "virtnet_exporter: error: diagnose --from: a user or password in the URL; put "
                 "them in --http.config.file (basic_auth)\n";
    return 2;
  }
  const std::string shown = url;
  HttpGetOptions http;
  struct Wipe {
    std::string& p;
    ~Wipe() { explicit_bzero(p.data(), p.size()); }
  } wipe{http.password};
  try {
    if (!opts.http_config_file.empty()) http = load_client_config(opts.http_config_file);
    if (url.find(kFindingsPath) == std::string::npos) {
      while (!url.empty() && url.back() == '/') url.pop_back();
      url += kFindingsPath;
    }
    const auto got = http_get(url, http);
    if (got.status == 401) {
      throw std::runtime_error(
          "401 Unauthorized: the exporter wants credentials (basic_auth in --http.config.file)");
    }
    if (got.status != 200) throw std::runtime_error("HTTP status " + std::to_string(got.status));
    Report report = parse_report_json(got.body);
    report.source = shown;
    if (opts.json) {
      std::cout << render_json(report);
    } else {
      render_text(report, unix_now(), std::cout);
    }
    std::cout.flush();
    return report.evaluated_at ? report_exit_code(report) : 2;
  } catch (const std::exception& e) {
    std::cerr << "virtnet_exporter: error: diagnose --from " << shown << ": " << e.what() << "\n";
    return 2;
  }
}

Sources make_sources(const Flags& flags) {
  Sources sources;
  sources.proc = FsRoot(flags.procfs);
  sources.sys = FsRoot(flags.sysfs);
  sources.root = FsRoot(flags.rootfs);
  sources.page_size = sysconf(_SC_PAGESIZE);
  sources.make_sock_diag = [] { return make_netlink_sock_diag(5000); };
  sources.proc_walk = std::make_shared<ProcWalk>(sources.proc);
  return sources;
}

// --run-as: before any thread starts (capabilities are per thread, and threads inherit them),
// keeping what the enabled collectors need. False (logged) when it cannot.
bool drop_privileges(const std::string& user, const std::vector<CollectorInfo>& registry,
                     const Config& running) {
  std::vector<int> keep;
  for (const auto& info : registry) {
    const auto& cc = running.collectors.at(info.name);
    if (!cc.enabled || !info.capabilities) continue;
    for (const auto& n : info.capabilities(cc.options)) {
      if (std::find(keep.begin(), keep.end(), n.cap) == keep.end()) keep.push_back(n.cap);
    }
  }
  try {
    run_as(user, keep);
  } catch (const std::exception& e) {
    log_error("cannot drop privileges", {{"err", e.what()}});
    return false;
  }
  std::string names;
  for (int c : keep) names += (names.empty() ? "" : ",") + capability_name(c);
  log_info("running as an unprivileged user",
           {{"user", user}, {"capabilities", names.empty() ? "none" : names}});
  return true;
}

// SIGHUP, SIGTERM and SIGINT are taken synchronously by the main thread: blocked here, before
// any thread starts, so that every thread inherits the mask.
sigset_t block_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return signals;
}

// Every held connection is an fd: raise the soft limit to the hard one (as Go programs do by
// themselves), so the connection cap, not EMFILE, is what turns clients away.
void raise_fd_limit(int max_connections) {
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
    getrlimit(RLIMIT_NOFILE, &nofile);
  }
  if (nofile.rlim_cur != RLIM_INFINITY &&
      nofile.rlim_cur < static_cast<rlim_t>(max_connections) + 128) {
    log_warn("--web.max-connections is near the open files limit; raise LimitNOFILE",
             {{"max_connections", std::to_string(max_connections)},
              {"nofile", std::to_string(nofile.rlim_cur)}});
  }
}

// The running configuration, and the collectors to build again at the next reload even if
// unchanged (their start() failed).
struct Running {
  Config config;
  std::set<std::string> rebuild;
};

// SIGHUP: the file is read again; collectors whose configuration did not change keep running as
// they are. Whatever goes wrong (a ConfigError, or std::bad_alloc from a library), the running
// collectors are not touched: set_collectors is the last step.
void reload(const Flags& flags, const std::vector<CollectorInfo>& registry, const Sources& sources,
            Scraper& scraper, Running& running) {
  try {
    auto next = load_config(registry, flags.config_file, flags.overrides);
    auto built = build_collectors(registry, next, sources, &running.config, running.rebuild);
    const auto names = enabled_names(built);
    const auto rebuilt = enabled_names(built, true);
    const auto installed = scraper.set_collectors(std::move(built.slots), std::move(built.listing));
    // A collector kept busy still runs with its old options: the next reload tries again.
    for (const auto& n : installed.kept_busy) next.collectors[n] = running.config.collectors[n];
    running.rebuild = {installed.failed_start.begin(), installed.failed_start.end()};
    running.config = std::move(next);
    log_info("configuration reloaded", {{"collectors", names}, {"rebuilt", rebuilt}});
  } catch (const std::exception& e) {
    log_error("reload failed, keeping the running configuration", {{"err", e.what()}});
  }
}

// The exporter proper: the HTTP server and the collectors, then signals until SIGTERM or SIGINT.
int serve(const Flags& flags, const std::vector<CollectorInfo>& registry, const Sources& sources,
          Scraper& scraper, Built built, Config config, FindingsTracker& tracker,
          const RuleSettings& settings, const sigset_t& signals) {
  std::unique_ptr<HttpServer> server;
  try {
    server = std::make_unique<HttpServer>(flags.http, scraper, FindingsService{&tracker, settings});
  } catch (const std::exception& e) {
    log_error("cannot start the HTTP server", {{"err", e.what()}});
    return 1;
  }
  log_info("starting virtnet_exporter",
           {{"version", kVersion}, {"revision", kRevision}, {"collectors", enabled_names(built)}});
  Running running{std::move(config), {}};
  for (auto& n :
       scraper.set_collectors(std::move(built.slots), std::move(built.listing)).failed_start) {
    running.rebuild.insert(std::move(n));
  }
  server->set_ready(true);
  log_info("listening", {{"address", flags.http.listen_address},
                         {"port", std::to_string(server->port())},
                         {"telemetry_path", flags.http.telemetry_path},
                         {"tls", server->tls() ? "on" : "off"}});
  IdleCollector idle(scraper, tracker, flags.idle_collect_after);
  for (;;) {
    const int sig = wait_signal(signals, idle.wait());
    if (sig == 0) {
      idle.run_if_due();
      continue;
    }
    if (sig == SIGHUP) {
      reload(flags, registry, sources, scraper, running);
      continue;
    }
    log_info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    break;
  }
  server->set_ready(false);
  server.reset();
  return 0;
}

}  // namespace

int run_exporter(int argc, char** argv, const std::vector<CollectorInfo>& registry) {
  // glibc gives each thread that allocates an arena of its own, and each keeps what a scrape
  // freed (hundreds of KB at 200 VMs): with a thread per collector and a scrape pool, RSS was
  // 13.9 MiB on the synthetic hypervisor, 10.5 MiB with two arenas, at the same CPU per scrape.
  mallopt(M_ARENA_MAX, 2);
  // And glibc raises its mmap threshold to the largest block freed (a scrape at 800 VMs frees
  // buffers of several MB), its trim threshold to twice that, and malloc_trim never shrinks the
  // top of an arena other than the main one: the threads' arena kept ~5 MB resident between
  // scrapes, 1.7 MB of it in use (malloc_info). Fixed thresholds (glibc's defaults, no longer
  // moving): blocks of 128 KiB and more are mapped and unmapped on their own, a heap's free top
  // past 128 KiB is returned. At rest after 100 gzip scrapes, 18.1 -> 13.8 MiB at N = 800,
  // 12.5 -> 11.5 at N = 200 (bench/memory.py).
  mallopt(M_TRIM_THRESHOLD, 128 * 1024);
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  auto outcome = parse_flags(argc, argv, registry, std::cout, std::cerr);
  if (!outcome.flags) return outcome.exit_code;
  const Flags& flags = *outcome.flags;
  setup_logging(flags.log_level, flags.log_format);
  const bool diagnosing = flags.mode == Flags::Mode::kDiagnose;
  const int error_code = diagnosing ? 2 : 1;
  // The conditions, as the operator's overrides file wants them.
  RuleSettings rule_settings;
  std::vector<ConditionGroup> conditions;
  try {
    if (!flags.rule_overrides.empty()) rule_settings = load_rule_settings(flags.rule_overrides);
    try {
      conditions = apply_overrides(condition_groups(registry), rule_settings);
    } catch (const std::invalid_argument& e) {  // an override naming what it cannot change
      throw std::invalid_argument(flags.rule_overrides + ": " + e.what());
    }
  } catch (const std::exception& e) {
    std::cerr << "virtnet_exporter: error: --rules.overrides: " << e.what() << "\n";
    return error_code;
  }
  if (flags.mode == Flags::Mode::kRules) {
    std::cout << rules_yaml(conditions, rule_settings);
    return 0;
  }
  if (diagnosing && !flags.diagnose.from.empty()) return diagnose_from(flags.diagnose);
  const Sources sources = make_sources(flags);

  // Constructing the collectors validates them: --config.check stops after it.
  Built built;
  Config config;
  try {
    config = load_config(registry, flags.config_file, flags.overrides);
    built = build_collectors(registry, config, sources);
    if (flags.config_check) {
      // What the server would refuse at start is refused here too.
      check_http_options(flags.http);
      // Otherwise the HTTP server loads it, once, and keeps watching it.
      if (!flags.http.web_config_file.empty()) load_web_state(flags.http.web_config_file);
      std::cout << "configuration OK\n";
      return 0;
    }
  } catch (const std::exception& e) {  // ConfigError, or anything a library threw (bad_alloc)
    if (flags.config_check) {
      std::cerr << e.what() << "\n";
    } else {
      log_error("invalid configuration", {{"err", e.what()}});
    }
    return error_code;
  }

  if (!flags.run_as.empty() && !drop_privileges(flags.run_as, registry, config)) return error_code;
  const sigset_t signals = block_signals();
  raise_fd_limit(flags.http.max_connections);
  Scraper scraper(flags.scrape_timeout);
  if (diagnosing) {
    return diagnose(scraper, std::move(built), conditions, rule_settings, flags.diagnose, signals);
  }
  // The findings' conditions and events outlive every reload; a restart starts them afresh.
  FindingsTracker tracker(conditions, flags.findings);
  return serve(flags, registry, sources, scraper, std::move(built), std::move(config), tracker,
               rule_settings, signals);
}

}  // namespace virtnet
