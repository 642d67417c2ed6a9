#pragma once

#include <prometheus/metric_family.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "exporter/collector.h"

namespace virtnet {

class CollectorWorker;

// Why a scrape produced nothing: the server answers with this status and message.
struct ScrapeRefusal {
  int http_status = 0;  // 0: not refused
  std::string message;
};

struct CollectorStatusView {
  std::string name;
  std::string help;
  bool enabled = false;
  bool has_run = false;
  bool last_success = false;
  double last_duration_seconds = 0;
  std::string last_error;
  std::chrono::system_clock::time_point last_time;
};

// Runs the enabled collectors, each on its own long-lived thread, so that a slow or stuck one
// costs a scrape no more than its deadline: the scrape answers with everyone else's families and
// success 0 for the late one. A collector still busy from an earlier scrape is not started again.
class Scraper {
 public:
  static constexpr int kMaxScrapeSeconds = 120;

  explicit Scraper(std::chrono::milliseconds default_budget);
  ~Scraper();

  // Swaps the collector set (start-up, reload). `listing` names every known collector, enabled or
  // not, for the landing page.
  void set_collectors(std::vector<std::unique_ptr<Collector>> enabled,
                      std::vector<CollectorStatusView> listing);

  using Clock = std::chrono::steady_clock;

  // `scraper_timeout`: X-Prometheus-Scrape-Timeout-Seconds when the scraper sent it. `only`, when
  // not empty, restricts the scrape to those collectors (collect[] in the URL). The budget counts
  // from `arrival` (when the request came in; now if not given), so time spent waiting for a
  // scrape thread or for another scrape is part of it. Nothing is scraped, and `*refused` says
  // why, when a name in `only` is not an enabled collector (400), when another scrape held the
  // collectors until the deadline (503), or after stop() (503).
  std::vector<prometheus::MetricFamily> scrape(std::optional<double> scraper_timeout,
                                               const std::set<std::string>& only = {},
                                               ScrapeRefusal* refused = nullptr,
                                               std::optional<Clock::time_point> arrival = {});

  // Shutting down: scrapes waiting on collectors return now, later ones are refused at once.
  void stop();

  std::vector<CollectorStatusView> status() const;

  // The time a scrape may take: the scraper's timeout less a margin (at most kMaxScrapeSeconds),
  // else the default.
  std::chrono::milliseconds budget(std::optional<double> scraper_timeout) const;

 private:
  std::chrono::milliseconds default_budget_;
  std::timed_mutex scrape_mu_;  // one scrape at a time; also guards workers_
  std::shared_ptr<std::atomic<bool>> stopping_ = std::make_shared<std::atomic<bool>>(false);
  std::vector<std::unique_ptr<CollectorWorker>> workers_;
  mutable std::mutex status_mu_;
  std::vector<CollectorStatusView> status_;
};

}  // namespace virtnet
