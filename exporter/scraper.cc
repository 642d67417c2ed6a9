#include "exporter/scraper.h"

#include <algorithm>
#include <condition_variable>
#include <thread>

#include "exporter/logging.h"
#include "exporter/metric_sink.h"
#include "exporter/self_metrics.h"

namespace virtnet {

namespace {
using Clock = Scraper::Clock;

struct RunResult {
  CollectStatus status = CollectStatus::kError;
  std::vector<prometheus::MetricFamily> families;
  double seconds = 0;
  std::string error;
};
}  // namespace

class CollectorWorker {
 public:
  explicit CollectorWorker(std::unique_ptr<Collector> c) : s_(std::make_shared<Shared>()) {
    s_->name = std::string(c->name());
    s_->collector = std::move(c);
    thread_ = std::thread([s = s_] { loop(*s); });
  }

  ~CollectorWorker() {
    bool stuck;
    {
      std::lock_guard lk(s_->mu);
      s_->stop = true;
      stuck = s_->running;
      s_->cv.notify_all();
    }
    // A collector stuck in a system call cannot be interrupted; its thread owns the shared state
    // and frees it when the call returns.
    if (stuck) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }

  const std::string& name() const { return s_->name; }

  bool start() {
    std::lock_guard lk(s_->mu);
    if (s_->running || s_->pending) return false;
    s_->done = false;
    s_->pending = true;
    s_->cv.notify_all();
    return true;
  }

  // Waits until the collector is done, the deadline passes or `stopping` is set (checked every
  // 100 ms: shutdown need not be prompter than that).
  std::optional<RunResult> wait(Clock::time_point deadline, const std::atomic<bool>& stopping) {
    std::unique_lock lk(s_->mu);
    for (;;) {
      const auto slice = std::min(deadline, Clock::now() + std::chrono::milliseconds(100));
      if (s_->cv.wait_until(lk, slice, [&] { return s_->done; })) break;
      if (Clock::now() >= deadline || stopping) return std::nullopt;
    }
    s_->done = false;
    return std::move(s_->result);
  }

 private:
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    bool pending = false, running = false, done = false, stop = false;
    RunResult result;
    std::string name;
    std::unique_ptr<Collector> collector;
  };

  static void loop(Shared& s) {
    for (;;) {
      {
        std::unique_lock lk(s.mu);
        s.cv.wait(lk, [&] { return s.pending || s.stop; });
        if (s.stop) return;
        s.pending = false;
        s.running = true;
      }
      RunResult r;
      MetricSink sink;
      const auto t0 = Clock::now();
      try {
        r.status = s.collector->collect(sink);
        r.families = sink.take();
      } catch (const std::exception& e) {
        r.status = CollectStatus::kError;
        r.error = e.what();
      } catch (...) {
        r.status = CollectStatus::kError;
        r.error = "unknown exception";
      }
      r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      std::lock_guard lk(s.mu);
      s.running = false;
      s.done = true;
      s.result = std::move(r);
      s.cv.notify_all();
    }
  }

  std::shared_ptr<Shared> s_;
  std::thread thread_;
};

Scraper::Scraper(std::chrono::milliseconds default_budget) : default_budget_(default_budget) {}
Scraper::~Scraper() = default;

void Scraper::set_collectors(std::vector<std::unique_ptr<Collector>> enabled,
                             std::vector<CollectorStatusView> listing) {
  std::vector<std::unique_ptr<CollectorWorker>> workers;
  for (auto& c : enabled) workers.push_back(std::make_unique<CollectorWorker>(std::move(c)));
  {
    std::lock_guard lk(scrape_mu_);
    workers_.swap(workers);
  }
  std::lock_guard sl(status_mu_);
  status_ = std::move(listing);
  // The old set (now in `workers`) is destroyed after both locks are released, so a scrape
  // never waits on it; a worker stuck in a system call is detached, not joined.
}

std::chrono::milliseconds Scraper::budget(std::optional<double> scraper_timeout) const {
  if (!scraper_timeout || !(*scraper_timeout > 0)) return default_budget_;
  // The header is the client's to choose: a scrape may not hold the collectors (and make every
  // other scrape wait) longer than two minutes, whatever it asks for.
  if (*scraper_timeout > kMaxScrapeSeconds) return std::chrono::seconds(kMaxScrapeSeconds);
  // Leave room to serialize and send: half a second, or a tenth of a short timeout.
  const double margin = std::min(0.5, *scraper_timeout * 0.1);
  return std::chrono::milliseconds(static_cast<long>((*scraper_timeout - margin) * 1000));
}

void Scraper::stop() { *stopping_ = true; }

std::vector<prometheus::MetricFamily> Scraper::scrape(std::optional<double> scraper_timeout,
                                                      const std::set<std::string>& only,
                                                      ScrapeRefusal* refused,
                                                      std::optional<Clock::time_point> arrival) {
  ScrapeRefusal ignored;
  if (!refused) refused = &ignored;
  const auto deadline = arrival.value_or(Clock::now()) + budget(scraper_timeout);
  if (*stopping_) {
    *refused = {503, "shutting down"};
    return {};
  }
  std::unique_lock lk(scrape_mu_, std::defer_lock);
  if (!lk.try_lock_until(deadline)) {
    *refused = {503, "another scrape held the collectors until this scrape's deadline"};
    return {};
  }
  for (const auto& n : only) {
    if (std::none_of(workers_.begin(), workers_.end(),
                     [&](const auto& w) { return w->name() == n; })) {
      *refused = {400, "unknown or disabled collector in collect[]: " + n};
      return {};
    }
  }
  const auto t0 = Clock::now();
  std::vector<bool> wanted(workers_.size()), started(workers_.size());
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    wanted[i] = only.empty() || only.count(workers_[i]->name()) > 0;
    if (wanted[i]) started[i] = workers_[i]->start();
  }

  std::vector<prometheus::MetricFamily> out;
  MetricSink meta;
  std::vector<CollectorStatusView> updates;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    if (!wanted[i]) continue;
    const auto& name = workers_[i]->name();
    RunResult r;
    if (!started[i]) {
      r.error = "still running since an earlier scrape";
      r.seconds = 0;
    } else if (auto got = workers_[i]->wait(deadline, *stopping_)) {
      r = std::move(*got);
    } else {
      r.error = "timed out";
      r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    }
    const bool ok = r.status != CollectStatus::kError;
    if (!ok && !r.error.empty()) {
      log_error("collector failed", {{"collector", name}, {"err", r.error}});
    }
    for (auto& f : r.families) out.push_back(std::move(f));
    meta.gauge("virtnet_scrape_collector_duration_seconds",
               "virtnet_exporter: Duration of a collector scrape.", r.seconds,
               {{"collector", name}});
    meta.gauge("virtnet_scrape_collector_success",
               "virtnet_exporter: Whether a collector succeeded.", ok ? 1 : 0,
               {{"collector", name}});
    CollectorStatusView u;
    u.name = name;
    u.enabled = u.has_run = true;
    u.last_success = ok;
    u.last_duration_seconds = r.seconds;
    u.last_error = r.error;
    u.last_time = std::chrono::system_clock::now();
    updates.push_back(std::move(u));
  }
  append_self_metrics(meta);
  for (auto& f : meta.take()) out.push_back(std::move(f));

  std::lock_guard sl(status_mu_);
  for (auto& u : updates) {
    for (auto& s : status_) {
      if (s.name == u.name) {
        u.help = std::move(s.help);
        s = std::move(u);
        break;
      }
    }
  }
  return out;
}

std::vector<CollectorStatusView> Scraper::status() const {
  std::lock_guard sl(status_mu_);
  return status_;
}

}  // namespace virtnet
