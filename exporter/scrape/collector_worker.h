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
#include <thread>
#include <vector>

#include "exporter/scrape/collector.h"

namespace virtnet {

// What one run of a collector produced.
struct RunResult {
  CollectStatus status = CollectStatus::kError;
  std::vector<prometheus::MetricFamily> families;
  double seconds = 0;
  std::string error;
  std::chrono::steady_clock::time_point finished;
};

// A collector on its own long-lived thread. The scraper asks for a run (begin) and waits for it
// until a deadline; a run that finishes after it is kept, unconsumed, for take_late(). Thread
// safety: every member may be called from any thread; the collector itself runs only on the
// worker thread (start() and stop() excepted, see Collector).
class CollectorWorker {
 public:
  using Clock = std::chrono::steady_clock;

  // Calls the collector's start() (a throw is kept as its failure) and starts the thread.
  explicit CollectorWorker(std::unique_ptr<Collector> c);
  // Stops the collector and joins the thread within `bound`; a thread still inside collect()
  // then (a system call that does not return) is left behind, logged, and frees the collector
  // when the call returns.
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
  // Tells the collector and the thread to stop, without waiting (the destructor waits, until
  // kStopBound after this call): several workers are stopped at once this way.
  void request_stop();

  static constexpr std::chrono::seconds kStopBound{2};

 private:
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    bool pending = false, running = false, stop = false, exited = false;
    std::uint64_t requested = 0, finished = 0;  // run ids
    bool consumed = true;                       // the result of run `finished` was served
    RunResult result;
    std::string name;
    std::string start_error;
    std::unique_ptr<Collector> collector;
  };
  static void loop(Shared& s);

  std::shared_ptr<Shared> s_;
  std::thread thread_;
  std::optional<Clock::time_point> stop_deadline_;
};

}  // namespace virtnet
