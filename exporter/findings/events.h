#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace virtnet {

// A finding of the running exporter's from the evaluation that first found it to the first that
// did not: one entry of the recent events.
struct Event {
  std::uint64_t id = 0;  // in the order the events began
  std::string alert, severity, summary;
  std::vector<std::pair<std::string, std::string>> culprit;  // in the condition's order
  std::string description;                                   // as filled at its worst moment
  double value = 0;                                          // the condition's value at that moment
  // The condition's measure (the length of a VRRP master's silence): its largest value.
  std::optional<double> measure;
  std::string measure_name, measure_unit;
  double began = 0;             // Unix seconds
  std::optional<double> ended;  // empty while it lasts
};

// The recent events, bounded in count and age whatever happens. When it is full, the entry
// pushed out is the oldest of the alert that holds the most entries (an ended one before one that
// lasts): a finding that flaps, or a flood of culprits an outsider controls (BPDUs from many taps),
// pushes out its own entries, not the VRRP gap of an hour ago. Every entry pushed out is
// counted; one ended longer than `max_age` ago is dropped and counted apart. Texts are cut to
// kMaxTextBytes, so an entry's size is bounded too.
class EventRing {
 public:
  static constexpr std::size_t kMaxTextBytes = 1024;
  EventRing(std::size_t capacity, double max_age_seconds);

  // Adds `e` (its id is set here) and returns its id; pushes one out if the ring is full.
  std::uint64_t add(Event e);
  // The entry, if it is still held.
  Event* find(std::uint64_t id);
  // Drops the entries that ended before `now` less max_age.
  void expire(double now);
  std::vector<Event> newest_first() const;
  std::size_t size() const { return entries_.size(); }
  std::size_t capacity() const { return capacity_; }
  std::uint64_t evicted() const { return evicted_; }
  std::uint64_t expired() const { return expired_; }

  // Cuts a text to kMaxTextBytes on a character boundary, marked.
  static std::string bounded(std::string s);

 private:
  void evict_one();
  void erase(std::map<std::uint64_t, Event>::iterator it);

  std::size_t capacity_;
  double max_age_;
  std::uint64_t next_id_ = 1;
  std::uint64_t evicted_ = 0, expired_ = 0;
  std::map<std::uint64_t, Event> entries_;     // by id: oldest first
  std::map<std::string, std::size_t> counts_;  // entries held, by alert
};

}  // namespace virtnet
