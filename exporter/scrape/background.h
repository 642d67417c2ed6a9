#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "exporter/scrape/bounded_thread.h"

namespace virtnet {

class MetricSink;
struct MetricDef;

// For collectors whose data comes from events (captured packets) or from calls that can hang
// (libvirt): a thread owns that work, collect() only copies a snapshot. Nothing else in the
// exporter works in the background.

// An eventfd that tells a background body to stop: poll() it beside the body's own fds, or
// sleep on it.
class StopSignal {
 public:
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;
  int fd() const { return fd_; }
  void raise();
  bool raised() const;
  // Sleeps up to `d`; false if the signal was raised (at once, or meanwhile).
  bool sleep_for(std::chrono::milliseconds d) const;

 private:
  int fd_ = -1;
};

// One thread running a body until it is told to stop. The body must own (through shared_ptr)
// everything it touches: a body that does not return by the stop deadline is left running, and
// must not outlive what it uses. A collector with one tells it to stop in Collector::stop()
// (request_stop: never waits) and waits for it in Collector::join (join_until).
class BackgroundThread {
 public:
  using Body = std::function<void(const StopSignal&)>;
  explicit BackgroundThread(std::string name) : name_(std::move(name)) {}
  // Stops it, if still running, within kStopBound.
  ~BackgroundThread();
  BackgroundThread(const BackgroundThread&) = delete;
  BackgroundThread& operator=(const BackgroundThread&) = delete;

  void start(Body body);  // once; starts the thread (never in a constructor of a collector)
  // Raises the stop signal; returns at once.
  void request_stop();
  // Waits for the body to return until `deadline`: true if it did (joined), false (logged) if
  // not: its thread is then left to finish on its own.
  bool join_until(std::chrono::steady_clock::time_point deadline);
  // What the body threw, if it ended so ("" while it runs or after a clean return): a
  // collector's failure reason from then on.
  std::string failure() const;

 private:
  struct Shared {
    StopSignal stop;
    std::mutex mu;
    std::string failure;
  };
  std::string name_;
  std::shared_ptr<Shared> s_;
  BoundedThread thread_;
};

// State a background body updates and collect() snapshots: entries keyed by K, at most `cap` of
// them (the least recently updated is evicted, and counted), and the time of the last successful
// update, so that a stale snapshot shows. Every call takes the lock only for the copy or the
// update itself: the body does its slow work (a poll, a libvirt call) outside update().
template <typename K, typename V, typename Hash = std::hash<K>>
class BoundedState {
 public:
  using Clock = std::chrono::steady_clock;
  explicit BoundedState(std::size_t cap) : cap_(cap) {}

  // Creates the entry if it is new (evicting at the cap), calls f(V&) on it, marks it most
  // recently updated, and the state updated now.
  template <typename F>
  void update(const K& key, F&& f) {
    std::lock_guard lk(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) {
      if (cap_ == 0) return;
      if (index_.size() >= cap_) {
        index_.erase(order_.front().first);
        order_.pop_front();
        ++evictions_;
      }
      order_.emplace_back(key, V{});
      it = index_.emplace(key, std::prev(order_.end())).first;
    } else {
      order_.splice(order_.end(), order_, it->second);
    }
    f(it->second->second);
    last_update_ = Clock::now();
  }

  // Calls f(V&) on the entry if there is one (and marks it most recently updated); false if not.
  template <typename F>
  bool update_existing(const K& key, F&& f) {
    std::lock_guard lk(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    order_.splice(order_.end(), order_, it->second);
    f(it->second->second);
    last_update_ = Clock::now();
    return true;
  }

  // A successful pass that changed no entry (a poll that found nothing new) is still fresh data.
  void mark_updated() {
    std::lock_guard lk(mu_);
    last_update_ = Clock::now();
  }

  void erase(const K& key) {
    std::lock_guard lk(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return;
    order_.erase(it->second);
    index_.erase(it);
  }

  // Erases every entry for which pred(key, value) holds, under one lock: an entry updated
  // meanwhile is judged on its update.
  template <typename P>
  void erase_if(P&& pred) {
    std::lock_guard lk(mu_);
    for (auto it = order_.begin(); it != order_.end();) {
      if (pred(it->first, it->second)) {
        index_.erase(it->first);
        it = order_.erase(it);
      } else {
        ++it;
      }
    }
  }

  struct Snapshot {
    std::vector<std::pair<K, V>> entries;  // least recently updated first
    std::uint64_t evictions = 0;
    std::optional<Clock::time_point> last_update;  // none: never updated
    std::size_t cap = 0;
  };
  Snapshot snapshot() const {
    std::lock_guard lk(mu_);
    return {std::vector<std::pair<K, V>>(order_.begin(), order_.end()), evictions_, last_update_,
            cap_};
  }

 private:
  mutable std::mutex mu_;
  std::size_t cap_;
  std::list<std::pair<K, V>> order_;
  std::unordered_map<K, typename std::list<std::pair<K, V>>::iterator, Hash> index_;
  std::uint64_t evictions_ = 0;
  std::optional<Clock::time_point> last_update_;
};

// The series below: the framework's, allowed to every collector.
const std::vector<MetricDef>& background_metric_defs();

// The health of a background collector's state, the same series for each (label `collector`):
// virtnet_background_entries, _entries_limit, _evictions_total, and
// _last_update_age_seconds (left out until the first update).
void emit_background_health(MetricSink& out, std::string_view collector, std::size_t entries,
                            std::size_t cap, std::uint64_t evictions,
                            std::optional<std::chrono::steady_clock::time_point> last_update);

template <typename S>
void emit_background_health(MetricSink& out, std::string_view collector, const S& snapshot) {
  emit_background_health(out, collector, snapshot.entries.size(), snapshot.cap, snapshot.evictions,
                         snapshot.last_update);
}

}  // namespace virtnet
