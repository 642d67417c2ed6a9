#include "collectors/vrrp/vrrp_tracker.h"

#include <map>

namespace virtnet::vrrp {

namespace {

std::size_t mix(std::size_t h, std::size_t v) {
  return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

enum class Verdict { kNone, kLate, kMasterDown };

// A silence longer than this many intervals is the router leaving sight (a namespace or tap gone
// and back, an instance migrated away and back), not a failure seen: a new baseline.
constexpr double kOutOfSight = 30;

}  // namespace

std::size_t KeyHash::operator()(const RouterKey& k) const {
  std::size_t h = mix(mix(std::hash<std::string>{}(k.interface), k.vlan), k.vrid);
  h = mix(mix(h, static_cast<std::size_t>(k.family)), std::hash<std::string>{}(k.netns));
  return mix(mix(h, k.inner_vlan), std::hash<std::string>{}(k.address));
}

std::size_t KeyHash::operator()(const SourceKey& k) const {
  return mix((*this)(k.router), std::hash<std::string>{}(k.source));
}

double SourceState::master_down_interval() const {
  return vrrp::master_down_interval(version, priority, interval);
}

void Tracker::observe(const RouterKey& router, const Advert& a, double when) {
  const std::string source = source_text(a);
  std::lock_guard lk(observe_mu_);
  // Judge the silence before this advertisement, and whose it was: the router's last source's.
  bool backwards = false, change = false, duplicate = false;
  std::string silent;
  Verdict verdict = Verdict::kNone;
  double gap = 0;
  routers_.update(router, [&](RouterState& r) {
    if (!r.last_source.empty()) {
      gap = when - r.last_seen;
      change = r.last_source != source;
      silent = r.last_source;
      const double i = r.last_interval;
      if (gap < 0) {
        backwards = true;  // a clock step: no silence to judge; start again from here
        change = false;
      } else if (!change && gap < i / 4 && a.priority == r.last_priority) {
        // A copy: unicast to each peer in turn, or lo's frames seen going out and coming in.
        duplicate = true;
        return;
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
    }
    r.last_source = source;
    r.last_seen = when;
    r.last_priority = a.priority;
    r.last_interval = a.interval_seconds;
    r.last_version = a.version;
  });
  if (duplicate) return;
  if (backwards) reject(Reject::kClock);
  auto judge = [&](SourceState& s) {
    s.last_gap = gap;
    if (verdict == Verdict::kMasterDown) ++s.master_down;
    if (verdict == Verdict::kLate) ++s.late;
  };
  // A takeover is the silent master's; the new master's own state follows.
  if (change && verdict != Verdict::kNone) sources_.update_existing({router, silent}, judge);
  const bool continued = !silent.empty() && !change && !backwards;
  sources_.update({router, source}, [&](SourceState& s) {
    if (continued) judge(s);
    if (!backwards) ++s.adverts;  // a stepped-back one is only a new baseline
    if (s.last_seen == 0 || when - s.last_seen > s.master_down_interval()) s.since = when;
    s.prev_seen = s.last_seen;
    s.last_seen = when;
    s.version = a.version;
    s.priority = a.priority;
    s.auth_type = a.auth_type;
    s.via_ah = a.via_ah;
    s.interval = a.interval_seconds;
  });
}

void Tracker::forget_netns(const std::string& netns) {
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

}  // namespace virtnet::vrrp
