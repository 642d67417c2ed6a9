#include "exporter/scrape/collector_worker.h"

#include "exporter/common/logging.h"
#include "exporter/scrape/metric_sink.h"

namespace virtnet {

CollectorWorker::CollectorWorker(std::unique_ptr<Collector> c) : s_(std::make_shared<Shared>()) {
  s_->name = std::string(c->name());
  try {
    c->start();
  } catch (const std::exception& e) {
    s_->start_error = std::string("cannot start: ") + e.what();
    log_error("collector cannot start", {{"collector", s_->name}, {"err", e.what()}});
  }
  s_->collector = std::move(c);
  try {
    thread_ = std::thread([s = s_] { loop(*s); });
  } catch (...) {  // no thread to be had: undo start() before the caller sees the failure
    s_->collector->stop();
    throw;
  }
}

void CollectorWorker::request_stop() {
  if (stop_deadline_) return;
  stop_deadline_ = Clock::now() + kStopBound;
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

CollectorWorker::~CollectorWorker() {
  request_stop();
  std::unique_lock lk(s_->mu);
  const bool exited = s_->cv.wait_until(lk, *stop_deadline_, [&] { return s_->exited; });
  lk.unlock();
  if (exited) {
    thread_.join();
  } else {
    // Stuck in a system call that cannot be interrupted: the thread owns the shared state (and
    // the collector) and frees them when the call returns.
    log_warn("collector did not stop in time; its thread is left to finish",
             {{"collector", s_->name},
              {"bound_ms", std::to_string(std::chrono::milliseconds(kStopBound).count())}});
    thread_.detach();
  }
}

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
    MetricSink sink;
    const auto t0 = Clock::now();
    if (!s.start_error.empty()) {
      r.error = s.start_error;
    } else {
      try {
        r.status = s.collector->collect(sink);
        r.families = sink.take();
        if (r.status == CollectStatus::kError) {
          r.error = sink.error().empty() ? "failed (see the log)" : sink.error();
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
  std::lock_guard lk(s.mu);
  s.exited = true;
  s.cv.notify_all();
}

}  // namespace virtnet
