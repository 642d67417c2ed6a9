#include "exporter/findings/tracker.h"

#include <set>

namespace virtnet {

namespace {

double unix_seconds(FindingsTracker::Wall::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::string key_of(const Finding& f) {
  std::string k = f.def->alert;
  for (const auto& [name, value] : f.labels) {
    k += '\0';
    k += name;
    k += '\0';
    k += value;
  }
  return k;
}

Event event_of(const Finding& f, double now) {
  Event e;
  e.alert = f.def->alert;
  e.severity = f.def->severity;
  e.summary = f.def->summary;
  for (const auto& name : f.def->culprit) {
    if (auto it = f.labels.find(name); it != f.labels.end())
      e.culprit.emplace_back(name, it->second);
  }
  e.description = f.description;
  e.value = f.value;
  if (f.def->measure) {
    e.measure_name = f.def->measure->name;
    e.measure_unit = f.def->measure->unit;
    e.measure = f.measure;
  }
  e.began = now;
  return e;
}

}  // namespace

FindingsTracker::FindingsTracker(std::vector<ConditionGroup> groups, TrackerOptions opts)
    : groups_(std::move(groups)),
      metrics_(condition_metrics(groups_)),
      opts_(opts),
      ring_(opts.max_events, std::chrono::duration<double>(opts.max_event_age).count()) {}

void FindingsTracker::observe(Samples samples, Steady::time_point at, Wall::time_point wall,
                              bool scraped) {
  if (scraped) {
    std::lock_guard lk(mu_);
    last_scraped_ = at;
  }
  // One collection judged at a time; the page and the scrapes' own families wait only for the
  // results to be put in (mu_), not for the evaluation.
  std::lock_guard serial(observe_mu_);
  if (base_) {
    const auto window = at - base_at_;
    if (window < opts_.min_window) return;  // the base stays: the next is judged against it
    const auto t0 = Steady::now();
    const double secs = std::chrono::duration<double>(window).count();
    auto found = evaluate(groups_, *base_, samples, secs);
    const double now = unix_seconds(wall);
    std::lock_guard lk(mu_);
    update(found, now);
    findings_ = std::move(found);
    evaluated_at_ = now;
    window_ = secs;
    ++evaluations_;
    last_evaluation_ = std::chrono::duration<double>(Steady::now() - t0).count();
  }
  base_ = std::move(samples);
  base_at_ = at;
}

void FindingsTracker::update(const std::vector<Finding>& found, double now) {
  std::set<std::string> seen;
  for (const auto& f : found) {
    auto key = key_of(f);
    const double bad = badness(f);
    auto it = active_.find(key);
    if (it == active_.end()) {
      active_.emplace(key, Active{ring_.add(event_of(f, now)), bad, false});
    } else {
      Active& a = it->second;
      a.missed = false;
      if (Event* e = ring_.find(a.event)) {
        e->ended.reset();  // absent from one evaluation only: the same event goes on
        if (bad > a.worst) {
          a.worst = bad;
          e->value = f.value;
          e->description = EventRing::bounded(f.description);
        }
        if (f.measure && (!e->measure || *f.measure > *e->measure)) e->measure = f.measure;
      }
    }
    seen.insert(std::move(key));
  }
  for (auto it = active_.begin(); it != active_.end();) {
    if (seen.count(it->first)) {
      ++it;
      continue;
    }
    if (it->second.missed) {  // absent twice: over
      it = active_.erase(it);
      continue;
    }
    it->second.missed = true;
    if (Event* e = ring_.find(it->second.event)) e->ended = now;
    ++it;
  }
  ring_.expire(now);
}

FindingsTracker::View FindingsTracker::view() const {
  std::lock_guard lk(mu_);
  View v;
  v.evaluated = evaluations_ > 0;
  v.evaluated_at = evaluated_at_;
  v.window_seconds = window_;
  v.findings = findings_;
  v.events = ring_.newest_first();
  v.events_evicted = ring_.evicted();
  v.events_expired = ring_.expired();
  v.evaluations = evaluations_;
  v.last_evaluation_seconds = last_evaluation_;
  v.max_events = ring_.capacity();
  return v;
}

Report FindingsTracker::report(std::size_t collectors, const RuleSettings& settings) const {
  View v = view();
  Report r = make_report(v.findings, fleet_only(groups_), collectors, v.window_seconds, settings);
  r.running = true;
  if (v.evaluated) r.evaluated_at = v.evaluated_at;
  r.events = std::move(v.events);
  r.events_evicted = v.events_evicted;
  r.events_capacity = v.max_events;
  r.runbook_template = settings.runbook_url;
  return r;
}

FindingsTracker::Stats FindingsTracker::stats() const {
  std::lock_guard lk(mu_);
  Stats s;
  for (const auto& f : findings_) ++s.active[f.def->severity];
  s.events = ring_.size();
  s.max_events = ring_.capacity();
  s.evicted = ring_.evicted();
  s.expired = ring_.expired();
  s.evaluations = evaluations_;
  s.last_evaluation_seconds = last_evaluation_;
  return s;
}

std::optional<FindingsTracker::Steady::time_point> FindingsTracker::last_scraped() const {
  std::lock_guard lk(mu_);
  return last_scraped_;
}

}  // namespace virtnet
