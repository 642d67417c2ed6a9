#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "exporter/findings/diagnose.h"
#include "exporter/findings/events.h"
#include "exporter/findings/findings.h"
#include "exporter/findings/samples.h"

namespace virtnet {

struct TrackerOptions {
  std::size_t max_events = 1000;
  std::chrono::seconds max_event_age{24 * 3600};
  // A collection closer than this to the one before is not evaluated (two Prometheus servers of
  // a pair scraping a few milliseconds apart): a rate over so short a window is noise.
  std::chrono::milliseconds min_window{1000};
};

// The running exporter's findings: every full collection (a scrape of every collector, or the
// exporter's own when nothing scrapes) is evaluated against the one before, rates over the time
// between the two, and the findings that begin and end are kept as recent events. Thread-safe.
class FindingsTracker {
 public:
  using Steady = std::chrono::steady_clock;
  using Wall = std::chrono::system_clock;

  // Holds its own copy of the conditions: its findings point into it.
  FindingsTracker(std::vector<ConditionGroup> groups, TrackerOptions opts);

  // What observe() wants of a collection.
  const MetricNameSet& metrics() const { return metrics_; }

  // One collection of every enabled collector, taken at `at`. `scraped`: a scrape from outside
  // (not the exporter's own collection for the page).
  void observe(Samples samples, Steady::time_point at, Wall::time_point wall, bool scraped);

  struct View {
    bool evaluated = false;   // two collections were seen
    double evaluated_at = 0;  // Unix seconds
    double window_seconds = 0;
    std::vector<Finding> findings;  // worst first; they point into groups()
    std::vector<Event> events;      // newest first
    std::uint64_t events_evicted = 0, events_expired = 0;
    std::uint64_t evaluations = 0;
    double last_evaluation_seconds = 0;  // how long the last evaluation took
    std::size_t max_events = 0;
  };
  View view() const;
  // The view as diagnose prints it and the API serves it; `collectors` is how many are enabled.
  Report report(std::size_t collectors, const RuleSettings& settings) const;
  // The counts alone, for the scrape's own families.
  struct Stats {
    std::map<std::string, std::size_t> active;  // findings now, by severity
    std::size_t events = 0, max_events = 0;
    std::uint64_t evicted = 0, expired = 0, evaluations = 0;
    double last_evaluation_seconds = 0;
  };
  Stats stats() const;
  // When a scrape from outside was last observed; nothing if none was.
  std::optional<Steady::time_point> last_scraped() const;
  const std::vector<ConditionGroup>& groups() const { return groups_; }

 private:
  struct Active {
    std::uint64_t event = 0;  // 0: its event was pushed out
    double worst = 0;         // its badness at its worst moment
    bool missed = false;      // absent from the last evaluation (ended, unless it is back)
  };
  void update(const std::vector<Finding>& found, double now);

  const std::vector<ConditionGroup> groups_;
  const MetricNameSet metrics_;
  const TrackerOptions opts_;

  std::mutex observe_mu_;  // held by observe(); guards base_ and base_at_
  std::optional<Samples> base_;
  Steady::time_point base_at_{};
  mutable std::mutex mu_;  // the rest; never held during an evaluation
  std::optional<Steady::time_point> last_scraped_;
  std::vector<Finding> findings_;
  double evaluated_at_ = 0, window_ = 0, last_evaluation_ = 0;
  std::uint64_t evaluations_ = 0;
  EventRing ring_;
  std::map<std::string, Active> active_;  // by alert and every label of the finding's series
};

}  // namespace virtnet
