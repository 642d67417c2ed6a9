#include "collectors/vrrp/vrrp_tracker.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace virtnet::vrrp {

namespace {

std::size_t mix(std::size_t h, std::size_t v) {
  return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

std::size_t mix_bytes(std::size_t h, const Address& a) {
  for (std::size_t i = 0; i < a.size(); i += 8) {
    std::uint64_t w = 0;
    for (std::size_t j = 0; j < 8; ++j) w = (w << 8) | a[i + j];
    h = mix(h, static_cast<std::size_t>(w));
  }
  return h;
}

enum class Verdict { kNone, kLate, kMasterDown, kUnjudged };

// A silence longer than this many intervals is the router leaving sight (a namespace or tap gone
// and back, an instance migrated away and back), not a failure seen: a new baseline.
constexpr double kOutOfSight = 30;

// Advertisements in a row, each 0.75 to 1.5 intervals after the one before, that make a source
// established: a flood's newcomers, one frame each or many a second, never are.
constexpr std::uint8_t kEstablishedAfter = 3;

}  // namespace

std::size_t KeyHash::operator()(const RouterKey& k) const {
  std::size_t h = mix(mix(k.netns, std::hash<std::string>{}(k.interface)), k.vlan);
  h = mix(mix(mix(h, k.inner_vlan), k.vrid), static_cast<std::size_t>(k.family));
  return k.has_address ? mix_bytes(h, k.address) : h;
}

std::size_t KeyHash::operator()(const SourceKey& k) const {
  return mix_bytes((*this)(k.router), k.source);
}

void WindowMax::add(double when, double gap, double window) {
  const double slot_len = window / kSlots;
  const auto slot = static_cast<std::int64_t>(std::floor(when / slot_len));
  auto& m = max_[static_cast<std::size_t>(slot % static_cast<std::int64_t>(kSlots))];
  auto& s = slot_[static_cast<std::size_t>(slot % static_cast<std::int64_t>(kSlots))];
  if (s != slot) {  // the slot's last use was a window ago: begin it again
    s = slot;
    m = 0;
  }
  m = std::max(m, gap);
}

double WindowMax::max(double now, double window) const {
  const double slot_len = window / kSlots;
  const auto current = static_cast<std::int64_t>(std::floor(now / slot_len));
  double out = 0;
  for (std::size_t i = 0; i < kSlots; ++i) {
    // The current slot and the nine before it: the window, to a slot's length.
    if (slot_[i] > current - static_cast<std::int64_t>(kSlots) && slot_[i] <= current) {
      out = std::max(out, max_[i]);
    }
  }
  return out;
}

double SourceState::master_down_interval() const {
  return vrrp::master_down_interval(version, priority, interval);
}

Tracker::Tracker(std::size_t max_sources, Options o)
    : options_(o), sources_(max_sources), routers_(max_sources), tokens_(o.new_per_second) {}

bool Tracker::admit(double when) {
  // A token bucket in capture time, as full as one second's worth at most.
  if (when > tokens_at_) {
    tokens_ =
        std::min(options_.new_per_second, tokens_ + (when - tokens_at_) * options_.new_per_second);
  }
  tokens_at_ = when;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void Tracker::Losses::add(double from, double to) {
  auto& last = at[(next + at.size() - 1) % at.size()];
  // A loss that goes on (a flood read a second at a time) stays one interval, however long.
  if (next > 0 && from <= last.second + 2 && to >= last.first) {
    last = {std::min(last.first, from), std::max(last.second, to)};
    return;
  }
  at[next++ % at.size()] = {from, to};
}

bool Tracker::Losses::overlap(double from, double to) const {
  // Older losses than the ring holds: unknown, so blind.
  if (next > at.size() && from < at[next % at.size()].first) return true;
  return std::any_of(at.begin(), at.end(), [&](const auto& l) {
    return l.second > l.first && l.first < to && l.second > from;
  });
}

void Tracker::lost(double from, double to, Channel channel) {
  std::lock_guard lk(observe_mu_);
  lost_[static_cast<std::size_t>(channel)].add(from, to);
}

bool Tracker::blind(double from, double to, double since, Channel channel) const {
  const bool priority_only = channel == Channel::kPriority && since > 0 && since <= from;
  return lost_[static_cast<std::size_t>(Channel::kPriority)].overlap(from, to) ||
         (!priority_only && lost_[static_cast<std::size_t>(Channel::kGeneral)].overlap(from, to));
}

Tracker::Seen Tracker::observe(const RouterKey& router, const Advert& a, double when,
                               Channel channel) {
  SourceKey key{router, {}};
  std::copy(a.source.begin(), a.source.end(), key.source.begin());
  std::lock_guard lk(observe_mu_);
  if (!sources_.contains(key) && !admit(when)) {
    ++not_admitted_;
    return Seen::kNotAdmitted;
  }
  const bool priority = channel == Channel::kPriority;
  // Judge the silence before this advertisement, and whose it was: the router's last source's.
  bool backwards = false, change = false, duplicate = false, out_of_order = false;
  Address silent{};
  bool had_last = false;
  Verdict verdict = Verdict::kNone;
  double gap = 0;
  routers_.update(router, [&](RouterState& r) {
    if (r.heard) {
      gap = when - r.last_seen;
      change = r.last_source != key.source;
      silent = r.last_source;
      had_last = true;
      const double i = r.last_interval;
      if (gap < 0 && change) {
        // Another source's frame read after a later one (the two captures are read in turn):
        // the router's view stays with the later.
        out_of_order = true;
        change = false;
        ++r.adverts;
        return false;
      }
      if (gap < 0) {
        backwards = true;  // a clock step: no silence to judge; start again from here
      } else if (!change && gap < i / 4 && a.priority == r.last_priority) {
        // A copy: unicast to each peer in turn, lo's frames seen going out and coming in, or a
        // frame both captures passed while their filters changed.
        duplicate = true;
        return false;
      }
      if (change) {
        ++r.changes;
        r.backup_heard = true;
      }
      if (backwards || gap > kOutOfSight * i) {
        // No silence to judge.
      } else if (r.last_priority == 0) {
        // The master resigned (priority 0): whoever follows, a handover, not a silence.
      } else if (change) {
        // Another source took over after the master fell silent; straight after it, it preempted
        // (or the two alternate: split brain, seen in masters).
        if (gap > 2 * i) verdict = Verdict::kMasterDown;
      } else if (gap > 4 * i || (!r.backup_heard &&
                                 gap > master_down_interval(r.last_version, r.last_priority, i))) {
        verdict = Verdict::kMasterDown;
      } else if (gap > 1.5 * i) {
        verdict = Verdict::kLate;
      }
      // Frames lost within the silence may have been the advertisements that would fill it.
      const double since = change ? 0 : r.last_priority_since;
      if (verdict != Verdict::kNone && blind(r.last_seen, when, since, channel)) {
        verdict = Verdict::kUnjudged;
      }
    } else {
      r.first_seen = when;
    }
    if (!priority) {
      r.last_priority_since = 0;
    } else if (change || r.last_priority_since == 0) {
      r.last_priority_since = when;
    }
    r.heard = true;
    r.last_source = key.source;
    r.last_seen = when;
    ++r.adverts;
    r.last_priority = a.priority;
    r.last_interval = a.interval_seconds;
    r.last_version = a.version;
    return false;  // promoted with its first established source, below
  });
  if (duplicate) return Seen::kCopy;
  if (backwards) reject(Reject::kClock);
  auto judge = [&](SourceState& s) {
    if (verdict == Verdict::kUnjudged) {
      ++s.unjudged;
      return;
    }
    s.last_gap = gap;
    if (verdict == Verdict::kMasterDown) {
      ++s.master_down;
      s.master_down_gaps.observe(gap, kMasterDownBuckets);
    }
    if (verdict == Verdict::kLate) ++s.late;
  };
  // A takeover is the silent master's; the new master's own state follows.
  if (change && verdict != Verdict::kNone) {
    sources_.update_existing(SourceKey{router, silent}, [&](SourceState& s) {
      judge(s);
      return false;
    });
  }
  const bool continued = had_last && !change && !backwards && !out_of_order;
  bool established = false;
  sources_.update(key, [&](SourceState& s) {
    if (continued) judge(s);
    const double own = when - s.last_seen;
    // Its own gap, between its advertisements, whoever spoke between: the length of a stall
    // stays in the histogram and the window after the master is back.
    if (!backwards && s.last_seen > 0 && own >= 0) {
      if (!blind(s.last_seen, when, s.priority_since, channel)) {
        s.gaps.observe(own, kGapBuckets);
        s.longest.add(when, own, options_.gap_window);
        const bool on_time = own >= 0.75 * a.interval_seconds && own <= 1.5 * a.interval_seconds;
        s.on_time = on_time ? static_cast<std::uint8_t>(std::min(255, s.on_time + 1)) : 0;
      }
    }
    if (!backwards) ++s.adverts;  // a stepped-back one is only a new baseline
    if (s.first_seen == 0) s.first_seen = when;
    if (s.last_seen == 0 || own > s.master_down_interval()) s.since = when;
    if (!priority) {
      s.priority_since = 0;
    } else if (s.priority_since == 0) {
      s.priority_since = when;
    }
    s.prev_seen = s.last_seen;
    s.last_seen = when;
    s.version = a.version;
    s.priority = a.priority;
    s.auth_type = a.auth_type;
    s.via_ah = a.via_ah;
    s.interval = a.interval_seconds;
    s.established = s.established || s.on_time >= kEstablishedAfter;
    established = s.established;
    return s.established;
  });
  if (established) {
    routers_.update_existing(router, [](RouterState&) { return true; });
  }
  return Seen::kCounted;
}

std::vector<Speaker> Tracker::established_speakers(std::size_t max, double now) const {
  // The longest established first, and the ones still heard before those gone quiet: a flood of
  // sources that keep time (and so become established) takes no place of a router there before.
  struct Candidate {
    bool quiet;
    double first_seen;
    Speaker speaker;
    auto operator<=>(const Candidate&) const = default;
  };
  std::vector<Candidate> all;
  for (const auto& [k, s] : sources_.snapshot().entries) {
    if (!s.established) continue;
    const bool quiet = now - s.last_seen > std::max(30.0, 10 * s.interval);
    all.push_back({quiet, s.first_seen, Speaker{k.router.netns, k.router.family, k.source}});
  }
  std::sort(all.begin(), all.end());
  std::map<std::uint32_t, std::size_t> per_netns;
  std::set<Speaker> out;
  for (const auto& c : all) {
    if (out.count(c.speaker) > 0 || per_netns[c.speaker.netns] >= max) continue;
    ++per_netns[c.speaker.netns];
    out.insert(c.speaker);
  }
  return {out.begin(), out.end()};
}

void Tracker::forget_netns(std::uint32_t netns) {
  sources_.erase_if(
      [&](const SourceKey& k, const SourceState&) { return k.router.netns == netns; });
  routers_.erase_if([&](const RouterKey& k, const RouterState&) { return k.netns == netns; });
}

void Tracker::forget_before(double cutoff) {
  sources_.erase_if([&](const SourceKey&, const SourceState& s) { return s.last_seen < cutoff; });
  routers_.erase_if([&](const RouterKey&, const RouterState& r) { return r.last_seen < cutoff; });
}

std::vector<std::pair<RouterKey, int>> masters(
    const std::vector<std::pair<SourceKey, SourceState>>& sources, double now) {
  std::map<RouterKey, std::vector<const SourceState*>> by_router;
  for (const auto& [k, s] : sources) by_router[k.router].push_back(&s);
  std::vector<std::pair<RouterKey, int>> out;
  for (const auto& [router, list] : by_router) {
    int n = 0;
    for (const SourceState* s : list) {
      if (s->priority == 0 || now - s->last_seen > s->master_down_interval()) continue;
      bool superseded = false;
      for (const SourceState* t : list) {
        superseded |= t != s && (t->since > s->last_seen || t->prev_seen > s->last_seen);
      }
      if (!superseded) ++n;
    }
    out.emplace_back(router, n);
  }
  return out;
}

std::string address_text(Family f, const Address& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(f == Family::kIpv4 ? AF_INET : AF_INET6, a.data(), buf, sizeof buf);
  return buf;
}

}  // namespace virtnet::vrrp
