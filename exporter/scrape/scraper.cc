#include "exporter/scrape/scraper.h"

#include <map>
#include <set>
#include <unordered_map>

#include "exporter/common/logging.h"
#include "exporter/common/utf8.h"
#include "exporter/scrape/collector_worker.h"
#include "exporter/scrape/metric_sink.h"
#include "exporter/scrape/self_metrics.h"

namespace virtnet {

using Clock = Scraper::Clock;

bool Scraper::Gate::enter_until(Clock::time_point deadline) {
  std::unique_lock lk(mu_);
  if (!cv_.wait_until(lk, deadline, [&] { return !busy_; })) return false;
  busy_ = true;
  return true;
}

void Scraper::Gate::enter() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return !busy_; });
  busy_ = true;
}

void Scraper::Gate::leave() {
  {
    std::lock_guard lk(mu_);
    busy_ = false;
  }
  cv_.notify_one();
}

Scraper::Scraper(std::chrono::milliseconds default_budget) : default_budget_(default_budget) {}

Scraper::~Scraper() { stop_all(workers_); }

void Scraper::stop_all(std::vector<std::unique_ptr<CollectorWorker>>& workers) {
  // Told all at once, then waited for until one deadline: N stuck collectors cost one stop
  // bound, not N.
  for (auto& w : workers) w->request_stop();
  const auto deadline = Clock::now() + kStopBound;
  for (auto& w : workers) w->join_until(deadline);
  workers.clear();
}

Scraper::Installed Scraper::set_collectors(std::vector<CollectorSlot> slots,
                                           std::vector<CollectorStatusView> listing) {
  Installed out;
  std::vector<std::unique_ptr<CollectorWorker>> retired;
  {
    // No scrape runs meanwhile; a worker busy now is one its scrape gave up on (stuck).
    gate_.enter();
    GateHold hold{gate_};
    // First everything that can fail (starting new workers), with workers_ untouched: if it
    // throws, the running set stays whole and the new workers are stopped on the way out.
    std::set<std::string> keep;
    std::map<std::string, std::unique_ptr<CollectorWorker>> created;
    for (auto& slot : slots) {
      auto old = std::find_if(workers_.begin(), workers_.end(),
                              [&](const auto& w) { return w->name() == slot.name; });
      const bool running = old != workers_.end();
      if (!slot.fresh) {
        if (running) keep.insert(slot.name);
        continue;
      }
      if (running && (*old)->busy()) {
        // Replacing it would leave its thread behind, one more at every reload while it hangs.
        keep.insert(slot.name);
        out.kept_busy.push_back(slot.name);
        log_warn("collector busy past its deadline; kept with its old options until a later reload",
                 {{"collector", slot.name}});
        continue;
      }
      auto w = std::make_unique<CollectorWorker>(std::move(slot.fresh), std::move(slot.metrics));
      if (w->start_failed()) out.failed_start.push_back(slot.name);
      created.emplace(slot.name, std::move(w));
    }
    // Then the swap, which only moves.
    std::vector<std::unique_ptr<CollectorWorker>> next;
    next.reserve(slots.size());
    retired.reserve(workers_.size());
    for (const auto& slot : slots) {
      if (auto c = created.find(slot.name); c != created.end()) {
        next.push_back(std::move(c->second));
      } else if (keep.count(slot.name)) {
        for (auto& w : workers_) {
          if (w && w->name() == slot.name) {
            next.push_back(std::move(w));
            break;
          }
        }
      }
    }
    for (auto& w : workers_) {
      if (w) retired.push_back(std::move(w));
    }
    workers_ = std::move(next);

    // The landing page, under the gate too (a scrape in between would update rows about to go):
    // a kept collector keeps its last result, a new one starts afresh.
    std::lock_guard sl(status_mu_);
    for (auto& row : listing) {
      if (!keep.count(row.name)) continue;
      for (const auto& old : status_) {
        if (old.name != row.name) continue;
        row.has_run = old.has_run;
        row.last_success = old.last_success;
        row.last_duration_seconds = old.last_duration_seconds;
        row.last_error = old.last_error;
        row.late = old.late;
        row.last_time = old.last_time;
      }
    }
    status_ = std::move(listing);
  }
  // Stopped after the gate is released, so a scrape never waits on them.
  stop_all(retired);
  return out;
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

namespace {

constexpr auto kDuration = MetricDef::gauge("virtnet_scrape_collector_duration_seconds",
                                            "virtnet_exporter: Duration of a collector scrape.");
constexpr auto kSuccess =
    MetricDef::gauge("virtnet_scrape_collector_success",
                     "virtnet_exporter: Whether a collector succeeded within the deadline.");
constexpr auto kAge = MetricDef::gauge(
    "virtnet_scrape_collector_result_age_seconds",
    "virtnet_exporter: How long ago the collector's run that is served finished (large when a "
    "late run from the previous scrape is served), plus the age of the data that run served "
    "(libvirt's last answer while libvirtd hangs).");

// Series shared by collectors (virtnet_background_*) go into one family: the text format allows
// one HELP and TYPE per name.
void merge(std::vector<CompactFamily>& out, std::unordered_map<std::string, std::size_t>& index,
           std::vector<CompactFamily>&& families, const std::string& collector) {
  for (auto& f : families) {
    auto [it, fresh] = index.try_emplace(f.name, out.size());
    if (fresh) {
      out.push_back(std::move(f));
    } else if (out[it->second].type == f.type) {
      out[it->second].append(std::move(f));
    } else {
      // The same name with another type cannot be served (its values would print as the first
      // type's): left out, and said why.
      log_debug("series left out: its name has another type in another collector",
                {{"collector", collector}, {"metric", f.name}});
    }
  }
}

}  // namespace

const std::vector<MetricDef>& scrape_metric_defs() {
  static const std::vector<MetricDef> defs = {kDuration, kSuccess, kAge};
  return defs;
}

std::optional<ScrapeRefusal> Scraper::refusal(const std::set<std::string>& only) const {
  for (const auto& n : only) {
    if (std::none_of(workers_.begin(), workers_.end(),
                     [&](const auto& w) { return w->name() == n; })) {
      return ScrapeRefusal{400, "unknown or disabled collector in collect[]: " + n};
    }
  }
  return std::nullopt;
}

// The run begun for this scrape if it is done by the deadline; else the previous scrape's run if
// it finished late (served, marked); else nothing, marked.
Scraper::Outcome Scraper::gather(CollectorWorker& w, const std::optional<std::uint64_t>& run,
                                 Clock::time_point deadline, Clock::time_point t0) {
  Outcome o;
  if (run) {
    if (auto got = w.wait(*run, deadline, *stopping_)) {
      o.run = std::move(*got);
      o.ok = o.run.status != CollectStatus::kError;
      o.has_result = true;
      return o;
    }
  }
  if (auto late = w.take_late(kMaxLateAge)) {
    o.run = std::move(*late);
    o.has_result = true;
    o.late = "did not finish within the deadline; serving the previous run, finished late";
  } else if (!run) {
    o.late = "still running since an earlier scrape";
    o.run.finished = Clock::now();
  } else {
    o.late = "did not finish within the deadline";
    o.run.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    o.run.finished = Clock::now();
  }
  o.run.status = CollectStatus::kError;  // its own error, if any, is kept in run.error
  return o;
}

std::vector<CompactFamily> Scraper::scrape_compact(std::optional<double> scraper_timeout,
                                                   const std::set<std::string>& only,
                                                   ScrapeRefusal* refused,
                                                   std::optional<Clock::time_point> arrival) {
  ScrapeRefusal ignored;
  if (!refused) refused = &ignored;
  const auto deadline = arrival.value_or(Clock::now()) + budget(scraper_timeout);
  const ScrapeRefusal busy{503, "another scrape held the collectors until this scrape's deadline"};
  if (*stopping_) {
    *refused = {503, "shutting down"};
    return {};
  }
  if (!gate_.enter_until(deadline)) {
    *refused = busy;
    return {};
  }
  GateHold hold{gate_};
  if (Clock::now() >= deadline) {  // the gate came free just as the time ran out
    *refused = busy;
    return {};
  }
  if (auto r = refusal(only)) {
    *refused = std::move(*r);
    return {};
  }

  // Every collector asked at once, then each waited for until the one deadline.
  const auto t0 = Clock::now();
  std::vector<std::pair<CollectorWorker*, std::optional<std::uint64_t>>> runs;
  for (auto& w : workers_) {
    if (!only.empty() && only.count(w->name()) == 0) continue;
    runs.emplace_back(w.get(), w->begin());
  }

  std::vector<CompactFamily> out;
  std::unordered_map<std::string, std::size_t> family_index;
  MetricSink meta;
  std::vector<Update> updates;
  for (auto& [worker, run] : runs) {
    const auto& name = worker->name();
    Outcome o = gather(*worker, run, deadline, t0);
    merge(out, family_index, std::move(o.run.families), name);
    const Labels l = {{"collector", name}};
    meta.add(kDuration, o.run.seconds, l);
    meta.add(kSuccess, o.ok ? 1 : 0, l);
    meta.add(kAge,
             o.run.data_age + std::chrono::duration<double>(Clock::now() - o.run.finished).count(),
             l);
    CollectorStatusView u;
    u.name = name;
    u.enabled = u.has_run = true;
    u.last_success = o.ok;
    u.last_duration_seconds = o.run.seconds;
    // The reason may quote a name from outside (a namespace, a path): shown on the landing page
    // and logged, it is made valid text here, for every collector.
    if (!o.ok) append_utf8_repaired(u.last_error, o.run.error, true);
    u.late = std::move(o.late);
    u.last_time = std::chrono::system_clock::now();
    updates.push_back({std::move(u), o.has_result});
  }
  append_self_metrics(meta);
  for (auto& f : meta.take_compact()) out.push_back(std::move(f));
  record(updates);
  return out;
}

// The landing page's rows, and the log: a collector's failure is logged when it starts failing
// or its own error changes, not at every scrape, and not when only its lateness changes (a
// collector slower than the scrape interval alternates between late and served late).
void Scraper::record(std::vector<Update>& updates) {
  std::lock_guard sl(status_mu_);
  for (auto& [u, has_result] : updates) {
    for (auto& s : status_) {
      if (s.name != u.name) continue;
      // Without a result this time, the collector's own last words stand.
      if (!has_result) u.last_error = s.last_error;
      if (!u.last_success && (!s.has_run || s.last_success || s.last_error != u.last_error)) {
        log_error("collector failed",
                  {{"collector", u.name}, {"err", u.last_error}, {"late", u.late}});
      } else if (u.last_success && s.has_run && !s.last_success) {
        log_info("collector recovered", {{"collector", u.name}});
      }
      u.help = std::move(s.help);
      s = std::move(u);
      break;
    }
  }
}

std::vector<CollectorStatusView> Scraper::status() const {
  std::lock_guard sl(status_mu_);
  return status_;
}

}  // namespace virtnet
