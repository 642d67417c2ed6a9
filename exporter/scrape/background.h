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
#include <type_traits>
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
// them, and the time of the last successful update, so that a stale snapshot shows. Every call
// takes the lock only for the copy or the update itself: the body does its slow work (a poll, a
// libvirt call) outside update().
//
// Admission, so that a flood of newcomers cannot push out what is established (a segmented LRU):
// a new entry is on probation; an update whose function returns true ("established": heard
// regularly for a few intervals, say) moves it to the protected segment, which holds at most 3/4
// of the cap. At the cap, the least recently updated entry on probation is evicted, and counted:
// a flood of newcomers only churns probation. A protected entry leaves only when erased, or when
// it has not been updated for `demote_after` and the segment is full: then the least recently
// updated goes back to probation to make room for a newly established one. Past the cap with
// nothing on probation (a cap of 1), the least recent protected entry is evicted.
template <typename K, typename V, typename Hash = std::hash<K>>
class BoundedState {
 public:
  using Clock = std::chrono::steady_clock;
  explicit BoundedState(std::size_t cap, Clock::duration demote_after = std::chrono::minutes(10))
      : cap_(cap), protected_cap_(cap - cap / 4), demote_after_(demote_after) {}

  // Creates the entry if it is new (evicting at the cap), calls f(V&) on it, marks it most
  // recently updated, and the state updated now. When f returns bool, true promotes the entry.
  template <typename F>
  void update(const K& key, F&& f) {
    std::lock_guard lk(mu_);
    const auto now = Clock::now();
    auto it = index_.find(key);
    if (it == index_.end()) {
      if (cap_ == 0) return;
      if (index_.size() >= cap_) evict_one();
      probation_.push_back(Node{key, V{}, now});
      it = index_.emplace(key, Slot{std::prev(probation_.end()), false}).first;
    } else {
      touch(it->second, now);
    }
    apply(it->second, f, now);
    last_update_ = now;
  }

  // Calls f(V&) on the entry if there is one (and marks it most recently updated); false if not.
  template <typename F>
  bool update_existing(const K& key, F&& f) {
    std::lock_guard lk(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    const auto now = Clock::now();
    touch(it->second, now);
    apply(it->second, f, now);
    last_update_ = now;
    return true;
  }

  bool contains(const K& key) const {
    std::lock_guard lk(mu_);
    return index_.count(key) > 0;
  }

  // A successful pass that changed no entry (a poll that found nothing new) is still fresh data.
  // Ends a wait (mark_waiting).
  void mark_updated() {
    std::lock_guard lk(mu_);
    last_update_ = Clock::now();
    waiting_ = false;
  }

  // The worker has read everything there was and now waits for more (a capture thread in its
  // poll): its state stays current, so the snapshot says "updated now" until mark_updated() says
  // the worker woke. A worker that is stuck elsewhere, not waiting, ages as before.
  void mark_waiting() {
    std::lock_guard lk(mu_);
    last_update_ = Clock::now();
    waiting_ = true;
  }

  void erase(const K& key) {
    std::lock_guard lk(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return;
    list_of(it->second).erase(it->second.at);
    index_.erase(it);
  }

  // Erases every entry for which pred(key, value) holds, under one lock: an entry updated
  // meanwhile is judged on its update.
  template <typename P>
  void erase_if(P&& pred) {
    std::lock_guard lk(mu_);
    for (auto* list : {&probation_, &protected_}) {
      for (auto it = list->begin(); it != list->end();) {
        if (pred(it->key, it->value)) {
          index_.erase(it->key);
          it = list->erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  struct Snapshot {
    std::vector<std::pair<K, V>> entries;  // protected first, each segment least recent first
    std::uint64_t evictions = 0;
    std::size_t protected_entries = 0;             // the first ones of `entries`
    std::optional<Clock::time_point> last_update;  // none: never updated
    std::size_t cap = 0;
  };
  Snapshot snapshot() const {
    std::lock_guard lk(mu_);
    Snapshot s;
    s.entries.reserve(index_.size());
    for (const auto* list : {&protected_, &probation_}) {
      for (const auto& n : *list) s.entries.emplace_back(n.key, n.value);
    }
    s.evictions = evictions_;
    s.protected_entries = protected_.size();
    s.last_update = waiting_ ? std::optional(Clock::now()) : last_update_;
    s.cap = cap_;
    return s;
  }

 private:
  struct Node {
    K key;
    V value;
    Clock::time_point touched;
  };
  using List = std::list<Node>;
  struct Slot {
    typename List::iterator at;
    bool is_protected;
  };
  List& list_of(const Slot& s) { return s.is_protected ? protected_ : probation_; }

  void touch(Slot& s, Clock::time_point now) {
    auto& l = list_of(s);
    l.splice(l.end(), l, s.at);
    s.at->touched = now;
  }

  template <typename F>
  void apply(Slot& s, F&& f, Clock::time_point now) {
    if constexpr (std::is_same_v<decltype(f(s.at->value)), bool>) {
      if (f(s.at->value) && !s.is_protected) promote(s, now);
    } else {
      f(s.at->value);
    }
  }

  void promote(Slot& s, Clock::time_point now) {
    if (protected_.size() >= protected_cap_) {
      // Full: room is made only by an entry idle long enough, which goes back to probation as
      // its most recent; else the newly established one stays on probation.
      if (protected_.empty() || now - protected_.front().touched < demote_after_) return;
      probation_.splice(probation_.end(), protected_, protected_.begin());
      index_.at(probation_.back().key) = Slot{std::prev(probation_.end()), false};
    }
    protected_.splice(protected_.end(), probation_, s.at);
    s.is_protected = true;  // the iterator stays valid across the splice
  }

  void evict_one() {
    auto& from = probation_.empty() ? protected_ : probation_;
    ++evictions_;
    index_.erase(from.front().key);
    from.pop_front();
  }

  mutable std::mutex mu_;
  std::size_t cap_, protected_cap_;
  Clock::duration demote_after_;
  List probation_, protected_;
  std::unordered_map<K, Slot, Hash> index_;
  std::uint64_t evictions_ = 0;
  std::optional<Clock::time_point> last_update_;
  bool waiting_ = false;
};

// The series below: the framework's, allowed to every collector.
const std::vector<MetricDef>& background_metric_defs();

// The health of a background collector's state, the same series for each of its tables (labels
// `collector`, `table`): virtnet_background_entries, _established_entries (protected from
// eviction), _entries_limit, _evictions_total, and _last_update_age_seconds (left out until the
// first update).
struct BackgroundHealth {
  std::size_t entries = 0, established = 0, cap = 0;
  std::uint64_t evictions = 0;
  std::optional<std::chrono::steady_clock::time_point> last_update;
};
void emit_background_health(MetricSink& out, std::string_view collector, std::string_view table,
                            const BackgroundHealth& h);

template <typename S>
void emit_background_health(MetricSink& out, std::string_view collector, std::string_view table,
                            const S& snapshot) {
  emit_background_health(out, collector, table,
                         BackgroundHealth{snapshot.entries.size(), snapshot.protected_entries,
                                          snapshot.cap, snapshot.evictions, snapshot.last_update});
}

}  // namespace virtnet
