#pragma once

// exporter/scrape/: the scrape machinery. It owns the collector interface (this file: Collector,
// Sources, CollectorInfo), the metric sink (declared families, label repair, failure reasons),
// each collector's worker thread, the scraper (deadlines, late runs, merging, the landing page's
// rows), the background helper for event-driven collectors, the one join deadline, the
// exporter's own series and the capability gate. Collectors implement its interface; it may call
// sources and common only, and never includes a collector or the HTTP layer.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/common/capability_need.h"
#include "exporter/common/condition.h"
#include "exporter/common/options.h"
#include "exporter/scrape/metric_sink.h"
#include "exporter/sources/fs_root.h"
#include "exporter/sources/link_dump.h"
#include "exporter/sources/netns.h"

namespace virtnet {

class SockDiagSource;
class ProcWalk;

// Lifecycle: constructed (options validated, nothing opened: --config.check stops there), then
// start() once the signal mask is set, collect() at each scrape, stop() and join() before
// destruction.
class Collector {
 public:
  virtual ~Collector() = default;
  virtual std::string_view name() const = 0;
  // Opens what the collector holds between scrapes: sockets, background threads. Throwing marks
  // the collector failed (with the message) for as long as it is configured.
  virtual void start() {}
  // Runs on the collector's own worker thread; never concurrently with itself. Catches its own
  // failures and says why through MetricSink::fail (the scraper treats anything thrown as a
  // failure too).
  virtual CollectStatus collect(MetricSink& out) = 0;
  // Tells the collector's own threads to stop, and returns at once: it only signals. It may be
  // called while collect() runs on the worker thread (stuck in a system call, say), and the
  // scraper tells every collector before it waits for any, so that stopping N of them costs one
  // bound (kStopBound), not N.
  virtual void stop() {}
  // Waits, until `deadline` at most, for what stop() told to stop; false when something still
  // runs then (it is left to finish, owning what it uses). Called once, after stop(), on a
  // thread that is not inside collect().
  virtual bool join(std::chrono::steady_clock::time_point /*deadline*/) { return true; }
};

// Everything that touches the system, handed to collectors at construction.
struct Sources {
  FsRoot proc{"/proc"};
  FsRoot sys{"/sys"};
  FsRoot root{"/"};  // --path.rootfs: /dev, /etc
  long page_size = 4096;
  std::function<std::unique_ptr<SockDiagSource>()> make_sock_diag;
  // One walk of /proc per scrape, shared by the collectors that need the processes; a collector
  // makes its own when this is not set (unit tests).
  std::shared_ptr<ProcWalk> proc_walk;
  // Netlink link dumps and entering named namespaces; replaced in unit tests.
  std::function<void(int timeout_ms, const std::function<bool(std::string_view)>& on_chunk)>
      dump_links = &virtnet::dump_links;
  std::function<NetnsOutcome(const std::string& path, const std::function<void()>& fn)>
      run_in_netns = &virtnet::run_in_netns;
};

// What a collector is, declared beside its code: the registry (exporter/collector_registry.h)
// lists these, the config and flags are checked against `options`, --run-as keeps
// `capabilities`, and `metrics` is every family it can emit (the sink refuses others; the docs
// are checked against it).
struct CollectorInfo {
  std::string name;
  std::string help;
  bool default_enabled = true;
  std::vector<OptionSpec> options;
  std::function<std::unique_ptr<Collector>(const CollectorOptions&, const Sources&)> make;
  // The Linux capabilities the collector needs with these options (none when not set).
  std::function<std::vector<CapabilityNeed>(const CollectorOptions&)> capabilities;
  std::vector<MetricDef> metrics;
  // The conditions an operator must act on, on these metrics: the shipped rules and diagnose.
  std::vector<Condition> conditions;
};

}  // namespace virtnet
