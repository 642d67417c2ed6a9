#include "exporter/findings/events.h"

#include <algorithm>

#include "exporter/common/utf8.h"

namespace virtnet {

EventRing::EventRing(std::size_t capacity, double max_age_seconds)
    : capacity_(capacity == 0 ? 1 : capacity), max_age_(max_age_seconds) {}

std::string EventRing::bounded(std::string s) {
  if (s.size() <= kMaxTextBytes) return s;
  s.resize(utf8_cut(s, kMaxTextBytes - kTruncationMarker.size()));
  s += kTruncationMarker;
  return s;
}

std::uint64_t EventRing::add(Event e) {
  while (entries_.size() >= capacity_) evict_one();
  e.id = next_id_++;
  e.summary = bounded(std::move(e.summary));
  e.description = bounded(std::move(e.description));
  for (auto& [name, value] : e.culprit) value = bounded(std::move(value));
  ++counts_[e.alert];
  const auto id = e.id;
  entries_.emplace(id, std::move(e));
  return id;
}

Event* EventRing::find(std::uint64_t id) {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

void EventRing::erase(std::map<std::uint64_t, Event>::iterator it) {
  auto c = counts_.find(it->second.alert);
  if (c != counts_.end() && --c->second == 0) counts_.erase(c);
  entries_.erase(it);
}

void EventRing::evict_one() {
  std::size_t most = 0;
  for (const auto& [alert, n] : counts_) most = std::max(most, n);
  // Of the alerts holding the most, the one whose oldest entry is oldest (entries are in the
  // order they began); of its entries, the oldest that ended, else its oldest.
  const std::string* alert = nullptr;
  auto victim = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (!alert) {
      if (counts_[it->second.alert] != most) continue;
      alert = &it->second.alert;
      victim = it;
    }
    if (it->second.alert == *alert && it->second.ended) {
      victim = it;
      break;
    }
  }
  if (victim == entries_.end()) return;
  ++evicted_;
  erase(victim);
}

void EventRing::expire(double now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto next = std::next(it);
    if (it->second.ended && *it->second.ended < now - max_age_) {
      ++expired_;
      erase(it);
    }
    it = next;
  }
}

std::vector<Event> EventRing::newest_first() const {
  std::vector<Event> out;
  out.reserve(entries_.size());
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) out.push_back(it->second);
  return out;
}

}  // namespace virtnet
