#include "exporter/scrape/collector_worker.h"

#include "exporter/common/logging.h"
#include "exporter/scrape/background.h"
#include "exporter/scrape/metric_sink.h"

namespace virtnet {

CollectorWorker::CollectorWorker(std::unique_ptr<Collector> c, std::vector<MetricDef> metrics)
    : s_(std::make_shared<Shared>()) {
  s_->name = std::string(c->name());
  if (!metrics.empty()) {
    // The series the framework emits on a collector's behalf are everyone's.
    for (const auto& d : background_metric_defs()) metrics.push_back(d);
    s_->declared = names_of(metrics);
  }
  try {
    c->start();
  } catch (const std::exception& e) {
    s_->start_error = std::string("cannot start: ") + e.what();
    log_error("collector cannot start", {{"collector", s_->name}, {"err", e.what()}});
  }
  s_->collector = std::move(c);
  try {
    thread_.start("collector", s_->name, [s = s_] { loop(*s); });
  } catch (...) {  // no thread to be had: undo start() before the caller sees the failure
    try {
      s_->collector->stop();
      s_->collector->join(Clock::now() + kStopBound);
    } catch (...) {  // the first failure is the one to report
    }
    throw;
  }
}

void CollectorWorker::request_stop() {
  if (stop_requested_.exchange(true)) return;
  {
    std::lock_guard lk(s_->mu);
    s_->stop = true;
  }
  s_->cv.notify_all();
  try {
    s_->collector->stop();
  } catch (const std::exception& e) {
    log_warn("collector stop failed", {{"collector", s_->name}, {"err", e.what()}});
  }
}

bool CollectorWorker::join_until(Clock::time_point deadline) {
  if (joined_.exchange(true)) return true;
  request_stop();
  // Stuck inside collect(): the thread owns the shared state (and the collector) and frees them
  // when the call returns; the collector's own threads are its to stop then.
  if (!thread_.join_until(deadline)) return false;
  try {
    return s_->collector->join(deadline);
  } catch (const std::exception& e) {
    log_warn("collector stop failed", {{"collector", s_->name}, {"err", e.what()}});
    return false;
  }
}

CollectorWorker::~CollectorWorker() { join_until(Clock::now() + kStopBound); }

std::optional<std::uint64_t> CollectorWorker::begin() {
  std::lock_guard lk(s_->mu);
  if (s_->running || s_->pending) return std::nullopt;
  s_->pending = true;
  ++s_->requested;
  s_->cv.notify_all();
  return s_->requested;
}

std::optional<RunResult> CollectorWorker::wait(std::uint64_t id, Clock::time_point deadline,
                                               const std::atomic<bool>& stopping) {
  std::unique_lock lk(s_->mu);
  // Woken when the run ends; `stopping` is looked at every 100 ms (shutdown need not be prompter).
  for (;;) {
    const auto slice = std::min(deadline, Clock::now() + std::chrono::milliseconds(100));
    if (s_->cv.wait_until(lk, slice, [&] { return s_->finished >= id; })) break;
    if (Clock::now() >= deadline || stopping) return std::nullopt;
  }
  if (s_->consumed) return std::nullopt;  // not reached: one scrape at a time waits
  s_->consumed = true;
  return std::move(s_->result);  // served: nothing of it is kept (a scrape can be megabytes)
}

std::optional<RunResult> CollectorWorker::take_late(Clock::duration max_age) {
  std::lock_guard lk(s_->mu);
  if (s_->consumed || s_->finished == 0 || Clock::now() - s_->result.finished > max_age) {
    return std::nullopt;
  }
  s_->consumed = true;
  return std::move(s_->result);
}

bool CollectorWorker::busy() const {
  std::lock_guard lk(s_->mu);
  return s_->running;
}

void CollectorWorker::loop(Shared& s) {
  for (;;) {
    std::uint64_t id;
    {
      std::unique_lock lk(s.mu);
      s.cv.wait(lk, [&] { return s.pending || s.stop; });
      if (s.stop) break;
      s.pending = false;
      s.running = true;
      id = s.requested;
    }
    RunResult r;
    MetricSink sink(s.declared.empty() ? nullptr : &s.declared);
    const auto t0 = Clock::now();
    if (!s.start_error.empty()) {
      r.error = s.start_error;
    } else {
      try {
        r.status = s.collector->collect(sink);
        if (sink.refused_undeclared()) r.status = CollectStatus::kError;
        r.data_age = sink.data_age();
        r.families = sink.take_compact();
        if (r.status == CollectStatus::kError) {
          r.error = sink.error();
          if (r.error.empty()) r.error = "failed (see the log)";
        }
      } catch (const std::exception& e) {
        r.status = CollectStatus::kError;
        r.error = e.what();
      } catch (...) {
        r.status = CollectStatus::kError;
        r.error = "unknown exception";
      }
    }
    r.finished = Clock::now();
    r.seconds = std::chrono::duration<double>(r.finished - t0).count();
    std::lock_guard lk(s.mu);
    s.running = false;
    s.finished = id;
    s.consumed = false;
    s.result = std::move(r);
    s.cv.notify_all();
  }
}

}  // namespace virtnet
