#pragma once

#include <prometheus/metric_family.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "exporter/scrape/collector.h"
#include "exporter/scrape/collector_worker.h"

namespace virtnet {

struct CollectorStatusView {
  std::string name;
  std::string help;
  bool enabled = false;
  bool has_run = false;
  bool last_success = false;
  double last_duration_seconds = 0;
  // Why the collector itself last failed, in its own words ("" if it did not): a late scrape
  // keeps the one it knew.
  std::string last_error;
  // Apart from that: why the scrape had no fresh result of it ("" when it had one).
  std::string late;
  std::chrono::system_clock::time_point last_time;
};

// Why a scrape produced nothing: the server answers with this status and message.
struct ScrapeRefusal {
  int http_status = 0;  // 0: not refused
  std::string message;
};

// One enabled collector for Scraper::set_collectors: a new instance, or none to keep the running
// one of that name as it is, with its state.
struct CollectorSlot {
  CollectorSlot(std::string n, std::unique_ptr<Collector> c, std::vector<MetricDef> m = {})
      : name(std::move(n)), fresh(std::move(c)), metrics(std::move(m)) {}
  std::string name;
  std::unique_ptr<Collector> fresh;
  std::vector<MetricDef> metrics;  // its declaration (CollectorInfo::metrics); empty: unchecked
};

// The virtnet_scrape_collector_* families every scrape carries.
const std::vector<MetricDef>& scrape_metric_defs();

// Runs the enabled collectors, each on its own long-lived thread, so that a slow or stuck one
// costs a scrape no more than its deadline: the scrape answers with everyone else's families and
// success 0 for the late one. A collector still busy from an earlier scrape is neither started
// again nor waited for.
//
// A late run's result is not thrown away: if the next scrape's run is not done by its deadline
// either, that scrape serves the late result (success 0, and its age in
// virtnet_scrape_collector_result_age_seconds), so a collector at 1.1x its budget still reports,
// one scrape behind, while its success says it is too slow.
class Scraper {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kMaxScrapeSeconds = 120;
  // A late result older than this is not served.
  static constexpr std::chrono::minutes kMaxLateAge{5};
  // How long stopping the collectors (their stop() and join(), their worker threads) may take
  // altogether before a thread is left behind, logged.
  static constexpr std::chrono::seconds kStopBound = virtnet::kStopBound;

  explicit Scraper(std::chrono::milliseconds default_budget);
  ~Scraper();  // stops every collector, all within one kStopBound

  // Installs the enabled collectors (start-up, reload); `listing` names every known collector,
  // enabled or not, for the landing page. A slot without an instance keeps the running collector
  // of that name, state and thread included; a new instance replaces it (started here); a
  // running collector not named is stopped. A collector that is still busy past its scrape's
  // deadline (stuck in a system call) is kept as it is rather than replaced, so reloads never
  // pile up threads: the names so kept are returned, and their new options apply at a later
  // reload. Disabling a stuck collector does leave its thread behind (logged).
  // If starting a new collector throws (no thread to be had), the running set is left whole.
  struct Installed {
    std::vector<std::string> kept_busy;     // kept with their old options (busy past a deadline)
    std::vector<std::string> failed_start;  // new instances whose start() threw
  };
  Installed set_collectors(std::vector<CollectorSlot> slots,
                           std::vector<CollectorStatusView> listing);

  // `scraper_timeout`: X-Prometheus-Scrape-Timeout-Seconds when the scraper sent it. `only`, when
  // not empty, restricts the scrape to those collectors (collect[] in the URL). The budget counts
  // from `arrival` (when the request came in; now if not given), so time spent waiting for a
  // scrape thread or for another scrape is part of it. Nothing is scraped, and `*refused` says
  // why, when a name in `only` is not an enabled collector (400), when another scrape held the
  // collectors until the deadline (503), or after stop() (503).
  std::vector<CompactFamily> scrape_compact(std::optional<double> scraper_timeout,
                                            const std::set<std::string>& only = {},
                                            ScrapeRefusal* refused = nullptr,
                                            std::optional<Clock::time_point> arrival = {});
  // The same, as prometheus-cpp's families (diagnose, tests).
  std::vector<prometheus::MetricFamily> scrape(std::optional<double> scraper_timeout,
                                               const std::set<std::string>& only = {},
                                               ScrapeRefusal* refused = nullptr,
                                               std::optional<Clock::time_point> arrival = {}) {
    return to_families(scrape_compact(scraper_timeout, only, refused, arrival));
  }

  // Shutting down: scrapes waiting on collectors return now, later ones are refused at once.
  void stop();

  std::vector<CollectorStatusView> status() const;

  // The time a scrape may take: the scraper's timeout less a margin (at most kMaxScrapeSeconds),
  // else the default.
  std::chrono::milliseconds budget(std::optional<double> scraper_timeout) const;

 private:
  // One scrape (or reload) at a time holds the collectors; also guards workers_. A gate rather
  // than std::timed_mutex: a scrape waits for it only until its deadline (and ThreadSanitizer
  // does not see pthread_mutex_clocklock, which timed_mutex uses).
  class Gate {
   public:
    bool enter_until(Clock::time_point deadline);
    void enter();
    void leave();

   private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool busy_ = false;
  };
  struct GateHold {
    Gate& g;
    ~GateHold() { g.leave(); }
  };

  // What one collector gave this scrape, and why it is not fresh if it is not.
  struct Outcome {
    RunResult run;
    bool ok = false;
    bool has_result = false;  // a run was served (this scrape's, or the previous one late)
    std::string late;         // "": the run of this scrape, on time
  };
  struct Update {
    CollectorStatusView view;
    bool has_result = false;
  };
  std::optional<ScrapeRefusal> refusal(const std::set<std::string>& only) const;
  Outcome gather(CollectorWorker& w, const std::optional<std::uint64_t>& run,
                 Clock::time_point deadline, Clock::time_point t0);
  void record(std::vector<Update>& updates);

  static void stop_all(std::vector<std::unique_ptr<CollectorWorker>>& workers);

  std::chrono::milliseconds default_budget_;
  Gate gate_;
  std::shared_ptr<std::atomic<bool>> stopping_ = std::make_shared<std::atomic<bool>>(false);
  std::vector<std::unique_ptr<CollectorWorker>> workers_;
  mutable std::mutex status_mu_;
  std::vector<CollectorStatusView> status_;
};

}  // namespace virtnet
