#include "collectors/vrrp/vrrp_tracker.h"

namespace virtnet::vrrp {

namespace {

std::size_t mix(std::size_t h, std::size_t v) {
  return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

}  // namespace

std::size_t KeyHash::operator()(const RouterKey& k) const {
  return mix(mix(std::hash<std::string>{}(k.interface), k.vrid),
             static_cast<std::size_t>(k.family));
}

std::size_t KeyHash::operator()(const SourceKey& k) const {
  return mix((*this)(k.router), std::hash<std::string>{}(k.source));
}

double SourceState::master_down_interval() const {
  return vrrp::master_down_interval(version, priority, interval);
}

void Tracker::observe(const std::string& interface, const Advert& a, double when) {
  const SourceKey key{{interface, a.vrid, a.family}, source_text(a)};
  bool backwards = false;
  sources_.update(key, [&](SourceState& s) {
    if (s.adverts > 0) {
      const double gap = when - s.last_seen;
      if (gap < 0) {
        backwards = true;  // a clock step: no gap to judge; start again from here
      } else {
        s.last_gap = gap;
        // Judged by what the source advertised before the gap.
        if (gap > s.master_down_interval()) {
          ++s.master_down;
        } else if (gap > 1.5 * s.interval) {
          ++s.late;
        }
      }
    }
    ++s.adverts;
    s.last_seen = when;
    s.version = a.version;
    s.priority = a.priority;
    s.auth_type = a.auth_type;
    s.via_ah = a.via_ah;
    s.interval = a.interval_seconds;
  });
  if (backwards) reject(Reject::kClock);
  routers_.update(key.router, [&](RouterState& r) {
    if (!r.last_source.empty() && r.last_source != key.source) ++r.changes;
    r.last_source = key.source;
    r.last_seen = when;
  });
}

void Tracker::forget_before(double cutoff) {
  sources_.erase_if([&](const SourceKey&, const SourceState& s) { return s.last_seen < cutoff; });
  routers_.erase_if([&](const RouterKey&, const RouterState& r) { return r.last_seen < cutoff; });
}

}  // namespace virtnet::vrrp
