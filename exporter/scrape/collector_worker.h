#pragma once

#include <prometheus/metric_family.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "exporter/scrape/bounded_thread.h"
#include "exporter/scrape/collector.h"

namespace virtnet {

// What one run of a collector produced.
struct RunResult {
  CollectStatus status = CollectStatus::kError;
  std::vector<CompactFamily> families;
  double seconds = 0;
  std::string error;
  std::chrono::steady_clock::time_point finished;
  double data_age = 0;  // how old the run's data already was (MetricSink::set_data_age)
};

// A collector on its own long-lived thread. The scraper asks for a run (begin) and waits for it
// until a deadline; a run that finishes after it is kept, unconsumed, for take_late(). Thread
// safety: every member may be called from any thread; the collector itself runs only on the
// worker thread (start() and stop() excepted, see Collector).
class CollectorWorker {
 public:
  using Clock = std::chrono::steady_clock;

  // Calls the collector's start() (a throw is kept as its failure) and starts the thread. With
  // `metrics` (the collector's declaration), a family it does not declare fails the run.
  explicit CollectorWorker(std::unique_ptr<Collector> c, std::vector<MetricDef> metrics = {});
  // request_stop(), then join_until kStopBound from then if that was not done already.
  ~CollectorWorker();

  const std::string& name() const { return s_->name; }

  // Asks for a run and returns its id; nothing if a run is still in flight from an earlier scrape
  // (that one is late already: the scrape does not wait on it, nor start a second copy).
  std::optional<std::uint64_t> begin();
  // The result of run `id` once done, or nothing at the deadline or when `stopping` is set.
  std::optional<RunResult> wait(std::uint64_t id, Clock::time_point deadline,
                                const std::atomic<bool>& stopping);
  // A result not yet served (a run that finished after its scrape's deadline), if younger than
  // `max_age`.
  std::optional<RunResult> take_late(Clock::duration max_age);
  // Inside collect() now.
  bool busy() const;
  bool start_failed() const { return !s_->start_error.empty(); }
  // Tells the collector (Collector::stop) and the thread to stop, without waiting: several
  // workers are told at once, then waited for until one deadline.
  void request_stop();
  // Waits until `deadline` for the thread to leave, then for the collector's own threads
  // (Collector::join). False when something was still running then: a thread still inside
  // collect() (a system call that does not return) is left behind, logged, and frees the
  // collector when the call returns.
  bool join_until(Clock::time_point deadline);

 private:
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    bool pending = false, running = false, stop = false;
    std::uint64_t requested = 0, finished = 0;  // run ids
    bool consumed = true;                       // the result of run `finished` was served
    RunResult result;
    std::string name;
    std::string start_error;
    std::unique_ptr<Collector> collector;
    MetricNames declared;  // empty: not checked
  };
  static void loop(Shared& s);

  std::shared_ptr<Shared> s_;
  BoundedThread thread_;
  std::atomic<bool> stop_requested_{false}, joined_{false};
};

}  // namespace virtnet
