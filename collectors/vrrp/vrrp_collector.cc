#include "collectors/vrrp/vrrp_collector.h"

#include <linux/capability.h>
#include <poll.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "collectors/vrrp/vrrp_tracker.h"
#include "exporter/common/logging.h"
#include "exporter/scrape/capture_cost.h"
#include "exporter/sources/cpu_budget.h"
#include "exporter/sources/netns.h"
#include "exporter/sources/packet_capture.h"
#include "exporter/sources/poll_timeout.h"

namespace virtnet::vrrp {

namespace {

constexpr auto kMasters = MetricDef::gauge(
    "virtnet_vrrp_masters",
    "Sources acting as master of the virtual router now (heard within their "
    "Master_Down_Interval, priority above 0, not taken over since): 1 is healthy, 0 no master "
    "heard, 2 or more split brain.");
constexpr auto kMasterChanges =
    MetricDef::counter("virtnet_vrrp_master_changes_total",
                       "Advertisements from another source than the one before (failovers).");
constexpr auto kRejected = MetricDef::counter(
    "virtnet_vrrp_packets_rejected_total",
    "Captured VRRP packets not counted as advertisements, by reason (clock: earlier than the "
    "router's previous one; it only sets a new baseline).");
constexpr auto kNotAdmitted = MetricDef::counter(
    "virtnet_vrrp_sources_not_admitted_total",
    "Advertisements from sources not yet tracked beyond new_sources_per_second, not counted (a "
    "flood of newcomers).");
constexpr auto kCost = capture_cost_metrics("virtnet_vrrp_packets_dropped_total",
                                            "virtnet_vrrp_capture_held_seconds_total",
                                            "virtnet_vrrp_capture_cpu_seconds_total");
constexpr auto kPrioritySources = MetricDef::gauge(
    "virtnet_vrrp_priority_sources",
    "Sources of established routers read through the priority capture, which a flood of "
    "newcomers cannot fill.");
constexpr auto kNetnsCaptured = MetricDef::gauge(
    "virtnet_vrrp_netns_captured", "Named network namespaces whose VRRP is captured.");
constexpr auto kAdverts = MetricDef::counter("virtnet_vrrp_advertisements_total",
                                             "VRRP advertisements captured, by source.");
constexpr auto kLate = MetricDef::counter(
    "virtnet_vrrp_late_advertisements_total",
    "Silences of the source as master over 1.5 advertisement intervals that no backup took "
    "over: at least one advertisement missed.");
constexpr auto kMasterDown = MetricDef::counter(
    "virtnet_vrrp_master_down_gaps_total",
    "Silences of the source as master that a backup took over (it advertised after more than 2 "
    "intervals), or past its Master_Down_Interval with no backup heard, or past 4 intervals.");
constexpr auto kLastGap = MetricDef::gauge(
    "virtnet_vrrp_last_gap_seconds",
    "Time between the source's last two advertisements as master, or from its last one until a "
    "backup took over (capture timestamps).");
constexpr auto kLastAdvert =
    MetricDef::gauge("virtnet_vrrp_last_advertisement_timestamp_seconds",
                     "When the source's last advertisement was captured (Unix time).");
constexpr auto kPriority =
    MetricDef::gauge("virtnet_vrrp_priority", "The priority in the source's last advertisement.");
constexpr auto kInterval =
    MetricDef::gauge("virtnet_vrrp_advertisement_interval_seconds",
                     "The advertisement interval in the source's last advertisement.");
constexpr auto kUnjudged = MetricDef::counter(
    "virtnet_vrrp_unjudged_gaps_total",
    "Silences of the source as master over 1.5 intervals that spanned frames the capture lost "
    "(see packets_dropped_total): neither late nor master-down, since what was lost may have "
    "filled them.");
constexpr auto kGaps = MetricDef::histogram(
    "virtnet_vrrp_advertisement_gap_seconds",
    "Time between the source's consecutive advertisements (capture timestamps), whoever "
    "advertised between; gaps that spanned lost frames are left out.");
constexpr auto kMasterDownGaps =
    MetricDef::histogram("virtnet_vrrp_master_down_gap_seconds",
                         "The length of each of the source's master-down silences.");
constexpr auto kLongestGap = MetricDef::gauge(
    "virtnet_vrrp_longest_gap_seconds",
    "The longest gap between the source's advertisements that ended within the last gap_window "
    "seconds (to a tenth of it).");
constexpr auto kRouterInfo =
    MetricDef::gauge("virtnet_vrrp_router_info",
                     "The VRRP version and authentication type a source advertises with (never the "
                     "authentication data).");

// VRRP, and AH that may carry it; behind a tag left in the frame (QinQ's inner one) too. libpcap's
// `vlan` moves the offsets of everything after it: it comes last.
constexpr const char* kVrrp = "ip proto 112 or ip6 proto 112 or ip proto 51 or ip6 proto 51";
constexpr const char* kVrrpFilter =
    "ip proto 112 or ip6 proto 112 or ip proto 51 or ip6 proto 51 or "
    "(vlan and (ip proto 112 or ip6 proto 112 or ip proto 51 or ip6 proto 51))";
// Matches nothing: a priority capture before any router is established.
constexpr const char* kNothing = "";
// The sources a namespace's priority filter names at most (its program stays far below the
// kernel's 4096 instructions); further established ones are read with the rest.
constexpr std::size_t kMaxPrioritySources = 64;

using Addresses = std::set<std::pair<Family, Address>>;

std::string sources_clause(const Addresses& a) {
  std::string out;
  for (const auto& [f, addr] : a) {
    out += (out.empty() ? "src host " : " or src host ") + address_text(f, addr);
  }
  return out;
}

// VRRP from these sources (`from`), or from any other (`!from`).
std::string filter_for(const Addresses& a, bool from) {
  if (a.empty()) return from ? kNothing : kVrrpFilter;
  const std::string cond = std::string(from ? "" : "not ") + "(" + sources_clause(a) + ")";
  const std::string base = std::string("(") + kVrrp + ")";
  return "(" + base + " and " + cond + ") or (vlan and " + base + " and " + cond + ")";
}

std::string_view family_name(Family f) { return f == Family::kIpv4 ? "ipv4" : "ipv6"; }

std::string_view auth_name(const SourceState& s) {
  if (s.via_ah) return "ah";
  if (s.version == 3) return "none";
  switch (s.auth_type) {
    case 0:
      return "none";
    case 1:
      return "simple";
    case 2:
      return "ah";
    default:
      return "other";
  }
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Labels router_labels(const std::string& netns, const RouterKey& k) {
  return {{"netns", netns},
          {"interface", k.interface},
          {"vlan", k.inner_vlan == 0 ? std::to_string(k.vlan)
                                     : std::to_string(k.vlan) + "." + std::to_string(k.inner_vlan)},
          {"vrid", std::to_string(k.vrid)},
          {"family", std::string(family_name(k.family))},
          {"address", k.has_address ? address_text(k.family, k.address) : std::string()}};
}

// What the capture thread and collect() share; the thread owns it through a shared_ptr so that
// a thread left running past the stop bound never touches freed memory.
struct Shared {
  Shared(std::size_t cap, Tracker::Options o, NetnsScope scope, double cpu)
      : tracker(cap, o), netns(std::move(scope)), cpu_fraction(cpu) {}
  Tracker tracker;
  std::unique_ptr<PacketCapture> own;  // the exporter's namespace, opened by start()
  std::set<std::string> interfaces;    // empty: all
  const NetnsScope netns;
  const double cpu_fraction;
  CaptureCost cost;
  std::atomic<std::size_t> captured_netns{0}, priority_sources{0};
  std::mutex mu;
  std::string netns_error;  // the last look's failures ("" when every namespace is captured)
  std::map<std::uint32_t, std::string> netns_names;  // of the captures open: 0 is ""
};

// One namespace's captures: the general one, and the priority one once a router there is
// established (its filter passes the established routers' sources, the general one all others).
struct NsCapture {
  std::uint32_t id = 0;
  std::string name;  // "" the exporter's own
  std::unique_ptr<PacketCapture> general, priority;
  Addresses on_priority;
  DropWatch general_drops, priority_drops;
  double general_read = 0, priority_read = 0;  // Unix time of the last look at the drops
};

using FrameFn = std::function<void(NsCapture&, PacketCapture&, Channel, const Frame&)>;

// The captures, one per namespace: named ones are opened when they appear in netns_dir and closed
// when they go (looked at every 10 s); the watcher knows a namespace by its inode, so one deleted
// and made again under the same name is captured anew, under a new number.
class Captures {
 public:
  explicit Captures(const std::shared_ptr<Shared>& s) : s_(s), watcher_(s->netns) {
    auto& own = by_ns_[""];
    own.general = std::move(s->own);
    own.general_read = own.priority_read = unix_now();
    std::lock_guard lk(s_->mu);
    s_->netns_names[0] = "";
  }

  void rescan() {
    const auto scan = watcher_.scan();
    std::string why = std::move(failed_);  // captures that stopped since the last look
    failed_.clear();
    auto add = [&](const std::string& w) { why += (why.empty() ? "" : "; ") + w; };
    // A listing that failed changes nothing: every capture is kept until one works.
    if (!scan.problem.empty()) add(scan.problem);
    for (const auto& ns : scan.removed) {
      if (auto it = by_ns_.find(ns); it != by_ns_.end()) retire(it);
    }
    for (const auto& ns : scan.added) {
      std::unique_ptr<PacketCapture> c;
      const auto r = run_in_netns(watcher_.path(ns),
                                  [&] { c = std::make_unique<PacketCapture>(kVrrpFilter); });
      if (r.status == NetnsStatus::kOk) {
        auto& n = by_ns_[ns];
        n.id = ++last_id_;
        n.name = ns;
        n.general = std::move(c);
        n.general_read = n.priority_read = unix_now();
        std::lock_guard lk(s_->mu);
        s_->netns_names[n.id] = ns;
        continue;
      }
      watcher_.forget(ns);  // tried again at the next look
      if (r.status == NetnsStatus::kError) add("netns " + ns + ": " + r.error);
    }
    s_->captured_netns = by_ns_.size() - 1;
    changed_ = true;
    rescan_error_ = why;
    std::lock_guard lk(s_->mu);
    if (!why.empty() && why != s_->netns_error) log_warn("vrrp: namespaces", {{"err", why}});
    s_->netns_error = why;
  }

  // A named namespace's capture that failed: closed, reported until the next look reopens it.
  void fail(const std::string& ns, const std::string& why) {
    failed_ += (failed_.empty() ? "" : "; ") + ("netns " + ns + ": " + why);
    if (auto it = by_ns_.find(ns); it != by_ns_.end()) retire(it);
    watcher_.forget(ns);
    // The last look's reasons stand beside it until the next look.
    std::lock_guard lk(s_->mu);
    s_->netns_error = rescan_error_ + (rescan_error_.empty() ? "" : "; ") + failed_;
  }

  // The kernel's drops since the last look, each capture's as a loss for the tracker.
  void read_drops(double held) {
    const double now = unix_now();
    for (auto& [name, n] : by_ns_) {
      account(n.general_drops.read(n.general->dropped(), held), n.general_read, now,
              Channel::kGeneral);
      n.general_read = now;
      if (n.priority) {
        account(n.priority_drops.read(n.priority->dropped(), held), n.priority_read, now,
                Channel::kPriority);
      }
      n.priority_read = now;
    }
  }

  // Moves the established routers' sources to each namespace's priority capture (opened for its
  // first), and those no longer established back. The filters change one after the other, in
  // the order that loses no frame (one may pass both: the tracker sees a copy), and the capture
  // that had the frames first is read first, so that each source's frames are read in order.
  // A socket's buffer (1 MiB) holds fewer frames than one dispatch reads.
  void set_priority(const std::vector<Speaker>& speakers, const FrameFn& on_frame) {
    std::map<std::uint32_t, Addresses> want;
    for (const auto& sp : speakers) want[sp.netns].insert({sp.family, sp.source});
    std::size_t total = 0;
    std::vector<std::pair<std::string, std::string>> failures;  // closed after the walk
    for (auto& entry : by_ns_) {  // not a structured binding: the lambda below captures it
      const std::string& name = entry.first;
      NsCapture& n = entry.second;
      const Addresses& w = want[n.id];
      if (w == n.on_priority) {
        total += w.size();
        continue;
      }
      if (!n.priority) {
        if (auto why = open_priority(n); !why.empty()) {
          failures.emplace_back(name, "priority capture: " + why);
          continue;
        }
      }
      Addresses kept;
      std::set_intersection(n.on_priority.begin(), n.on_priority.end(), w.begin(), w.end(),
                            std::inserter(kept, kept.end()));
      auto read = [&](PacketCapture& c, Channel ch) {
        return c.dispatch([&](const Frame& f) { on_frame(n, c, ch, f); });
      };
      bool ok = true;
      if (kept != n.on_priority) {  // some go back to the general capture
        ok = n.general->set_filter(filter_for(kept, false)) &&
             n.priority->set_filter(filter_for(kept, true)) &&
             read(*n.priority, Channel::kPriority) && read(*n.general, Channel::kGeneral);
        n.on_priority = kept;
      }
      if (ok && kept != w) {  // some come to the priority capture
        ok = n.priority->set_filter(filter_for(w, true)) &&
             n.general->set_filter(filter_for(w, false)) && read(*n.general, Channel::kGeneral) &&
             read(*n.priority, Channel::kPriority);
        n.on_priority = w;
      }
      if (!ok) {
        failures.emplace_back(
            name, !n.general->error().empty() ? n.general->error() : n.priority->error());
      }
      total += n.on_priority.size();
    }
    for (const auto& [ns, why] : failures) {
      if (ns.empty()) throw std::runtime_error(why);
      fail(ns, why);
    }
    s_->priority_sources = total;
  }

  // The thread waited from a moment when every capture was drained until `woke` (Unix time):
  // nothing was lost meanwhile, since a frame the kernel drops is one a full buffer had no room
  // for, and a buffer with a frame in it wakes the thread. Drops read next are put after `woke`
  // less a second (the wake-up's own delay, generously), not since the look before the wait.
  void waited_until(double woke) {
    for (auto& [name, n] : by_ns_) {
      n.general_read = std::max(n.general_read, woke - 1);
      n.priority_read = std::max(n.priority_read, woke - 1);
    }
  }

  // True once after the set of captures changed.
  bool changed() { return std::exchange(changed_, false); }
  std::map<std::string, NsCapture>& all() { return by_ns_; }

 private:
  using Map = std::map<std::string, NsCapture>;

  void account(DropWatch::Reading r, double from, double to, Channel ch) {
    if (r.frames == 0) return;
    s_->cost.add_drops(r);
    s_->tracker.lost(from, to, ch);
  }

  // "" when opened; why not otherwise.
  std::string open_priority(NsCapture& n) {
    std::unique_ptr<PacketCapture> c;
    auto make = [&] { c = std::make_unique<PacketCapture>(kNothing); };
    if (n.name.empty()) {
      make();
    } else if (const auto r = run_in_netns(watcher_.path(n.name), make);
               r.status != NetnsStatus::kOk) {
      return r.status == NetnsStatus::kGone ? "gone" : r.error;
    }
    n.priority = std::move(c);
    n.priority_read = unix_now();
    changed_ = true;
    return "";
  }

  Map::iterator retire(Map::iterator it) {
    s_->tracker.forget_netns(it->second.id);  // when it comes back, from a fresh baseline
    changed_ = true;
    {
      std::lock_guard lk(s_->mu);
      s_->netns_names.erase(it->second.id);
    }
    return by_ns_.erase(it);
  }

  std::shared_ptr<Shared> s_;
  NetnsWatcher watcher_;
  Map by_ns_;
  std::uint32_t last_id_ = 0;
  std::string failed_;        // captures that failed since the last look
  std::string rescan_error_;  // what the last look found wrong
  bool changed_ = true;
};

void capture_loop(const std::shared_ptr<Shared>& s, const StopSignal& stop) {
  Captures captures(s);
  CpuBudget budget(s->cpu_fraction);
  std::uint64_t logged = 0;
  const auto second = std::chrono::seconds(1);
  using TimePoint = std::chrono::steady_clock::time_point;
  TimePoint next_scan = std::chrono::steady_clock::now();
  // The drops, the speakers to prioritise and the cost are looked at a second after frames were
  // read, and each second while the budget holds a capture back: nothing of theirs changes
  // otherwise, and the thread sleeps until a frame comes.
  std::optional<TimePoint> next_stats;
  const FrameFn on_frame = [&](NsCapture& ns, PacketCapture& c, Channel ch, const Frame& f) {
    const ParseResult r = parse_frame(f.bytes);
    if (r.reject != Reject::kNone) {
      s->tracker.reject(r.reject);
      // Logged at debug: a flood of bad packets must not flood the log too.
      if (logged++ < 10) log_debug("vrrp: packet rejected", {{"reason", reject_name(r.reject)}});
      return;
    }
    const double when = f.when > 0 ? f.when : unix_now();
    const std::string& iface = c.interface_name(f.ifindex, when);
    if (!s->interfaces.empty() && !s->interfaces.contains(iface)) return;
    // The kernel keeps the outer tag in metadata; a tag still in the frame is inside it (QinQ),
    // or the outer one when the kernel left it there.
    RouterKey key{ns.id,
                  iface,
                  f.vlan != 0 ? f.vlan : r.advert.vlan,
                  f.vlan != 0 ? r.advert.vlan : std::uint16_t{0},
                  r.advert.vrid,
                  r.advert.family,
                  r.advert.addresses > 0,
                  r.advert.first_address};
    s->tracker.observe(key, r.advert, when, ch);
  };
  struct Polled {
    std::string ns;
    Channel channel;
  };
  std::vector<pollfd> fds;
  std::vector<Polled> polled;               // what fds[i + 1] is
  std::optional<CpuBudget::Allow> polling;  // what fds was made for
  while (!stop.raised()) {
    const auto now = std::chrono::steady_clock::now();
    if (s->netns.enabled && now >= next_scan) {
      captures.rescan();
      next_scan = now + 10 * second;
    }
    const auto allow = budget.allow();
    if (captures.changed() || allow != polling) {
      polling = allow;
      fds.assign(1, {stop.fd(), POLLIN, 0});
      polled.clear();
      // The priority captures first: read first in each round.
      for (const Channel ch : {Channel::kPriority, Channel::kGeneral}) {
        const bool allowed = ch == Channel::kPriority ? allow != CpuBudget::Allow::kNothing
                                                      : allow == CpuBudget::Allow::kAll;
        if (!allowed) continue;
        for (auto& [name, n] : captures.all()) {
          PacketCapture* c = ch == Channel::kPriority ? n.priority.get() : n.general.get();
          if (c == nullptr) continue;
          fds.push_back({c->fd(), POLLIN, 0});
          polled.push_back({name, ch});
        }
      }
    }
    for (auto& p : fds) p.revents = 0;
    std::optional<TimePoint> window, scan;
    if (allow != CpuBudget::Allow::kAll) {
      window = now + budget.until_next_window();
      if (!next_stats) next_stats = now + second;
    }
    if (s->netns.enabled) scan = next_scan;
    if (allow == CpuBudget::Allow::kAll) s->tracker.mark_waiting();  // else frames are left
    const int n = ::poll(fds.data(), fds.size(), poll_timeout_ms({window, scan, next_stats}));
    s->tracker.mark_alive();
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    if (fds[0].revents & POLLIN) break;
    if (!next_stats) captures.waited_until(unix_now());
    bool busy = false;
    for (std::size_t i = 0; i < polled.size(); ++i) {
      if (fds[i + 1].revents == 0) continue;
      auto it = captures.all().find(polled[i].ns);
      if (it == captures.all().end()) continue;  // failed this round
      NsCapture& ns = it->second;
      const Channel ch = polled[i].channel;
      PacketCapture& c = ch == Channel::kPriority ? *ns.priority : *ns.general;
      const bool ok = c.dispatch([&](const Frame& f) { on_frame(ns, c, ch, f); });
      busy |= c.last_read() >= PacketCapture::kBatch;
      if (c.last_read() > 0 && !next_stats) next_stats = std::chrono::steady_clock::now() + second;
      if (ok) continue;
      if (polled[i].ns.empty()) throw std::runtime_error(c.error());
      captures.fail(polled[i].ns, c.error());  // the others go on
    }
    if (next_stats && std::chrono::steady_clock::now() >= *next_stats) {
      captures.read_drops(budget.held_seconds());
      captures.set_priority(s->tracker.established_speakers(kMaxPrioritySources, unix_now()),
                            on_frame);
      s->cost.note(budget);
      next_stats.reset();
    }
    if (busy && !stop.sleep_for(kBusyPause)) break;
  }
}

class VrrpCollector : public Collector {
 public:
  explicit VrrpCollector(const CollectorOptions& o)
      : shared_(std::make_shared<Shared>(
            static_cast<std::size_t>(o.get_int("max_routers")),
            Tracker::Options{static_cast<double>(o.get_int("gap_window")),
                             static_cast<double>(o.get_int("new_sources_per_second"))},
            netns_scope(o), capture_cpu_fraction(o))),
        forget_after_(static_cast<double>(o.get_int("forget_after"))) {
    for (const auto& i : o.get_list("interfaces")) shared_->interfaces.insert(i);
  }

  std::string_view name() const override { return "vrrp"; }

  void start() override {
    shared_->own = std::make_unique<PacketCapture>(kVrrpFilter);
    try {
      thread_.start([s = shared_](const StopSignal& stop) { capture_loop(s, stop); });
    } catch (...) {
      shared_->own.reset();  // no socket filling up unread
      throw;
    }
  }

  void stop() override { thread_.request_stop(); }
  bool join(std::chrono::steady_clock::time_point deadline) override {
    return thread_.join_until(deadline);
  }

  CollectStatus collect(MetricSink& out) override {
    const double now = unix_now();
    Tracker& t = shared_->tracker;
    t.forget_before(now - forget_after_);
    std::map<std::uint32_t, std::string> names;
    {
      std::lock_guard lk(shared_->mu);
      names = shared_->netns_names;
    }
    // A namespace closed since the snapshot: its entries are gone with it.
    auto netns = [&](std::uint32_t id) -> const std::string* {
      auto it = names.find(id);
      return it == names.end() ? nullptr : &it->second;
    };
    const auto sources = t.sources();
    for (const auto& [k, s] : sources.entries) {
      if (const auto* ns = netns(k.router.netns)) emit_source(out, *ns, k, s, now, t.gap_window());
    }
    std::map<RouterKey, int> acting;
    for (const auto& [k, n] : masters(sources.entries, now)) acting[k] = n;
    const auto routers = t.routers();
    for (const auto& [k, r] : routers.entries) {
      const auto* ns = netns(k.netns);
      if (ns == nullptr) continue;
      const auto labels = router_labels(*ns, k);
      out.add(kMasters, acting[k], labels);
      out.add(kMasterChanges, static_cast<double>(r.changes), labels);
    }
    for (std::size_t i = 1; i < static_cast<std::size_t>(Reject::kCount); ++i) {
      const auto r = static_cast<Reject>(i);
      out.add(kRejected, static_cast<double>(t.rejected(r)),
              {{"reason", std::string(reject_name(r))}});
    }
    emit_capture_cost(out, kCost, shared_->cost);
    out.add(kNotAdmitted, static_cast<double>(t.not_admitted()));
    out.add(kPrioritySources, static_cast<double>(shared_->priority_sources.load()));
    if (shared_->netns.enabled) {
      out.add(kNetnsCaptured, static_cast<double>(shared_->captured_netns.load()));
    }
    emit_background_health(out, "vrrp", "sources", sources);
    emit_background_health(out, "vrrp", "routers", routers);
    // Whatever stopped the capture is the reason from then on.
    if (auto why = thread_.failure(); !why.empty()) return out.fail("capture stopped: " + why);
    std::lock_guard lk(shared_->mu);
    if (!shared_->netns_error.empty()) return out.fail(shared_->netns_error);
    return CollectStatus::kOk;
  }

 private:
  static void emit_source(MetricSink& out, const std::string& netns, const SourceKey& k,
                          const SourceState& s, double now, double window) {
    auto labels = router_labels(netns, k.router);
    labels.emplace_back("source", address_text(k.router.family, k.source));
    out.add(kAdverts, static_cast<double>(s.adverts), labels);
    out.add(kLate, static_cast<double>(s.late), labels);
    out.add(kMasterDown, static_cast<double>(s.master_down), labels);
    out.add(kUnjudged, static_cast<double>(s.unjudged), labels);
    out.add(kLastGap, s.last_gap, labels);
    out.add(kLongestGap, s.longest.max(now, window), labels);
    out.add_histogram(kGaps, kGapBuckets, s.gaps.counts, s.gaps.sum, labels);
    out.add_histogram(kMasterDownGaps, kMasterDownBuckets, s.master_down_gaps.counts,
                      s.master_down_gaps.sum, labels);
    out.add(kLastAdvert, s.last_seen, labels);
    out.add(kPriority, s.priority, labels);
    out.add(kInterval, s.interval, labels);
    auto info = labels;
    info.emplace_back("version", std::to_string(s.version));
    info.emplace_back("auth_type", std::string(auth_name(s)));
    out.add(kRouterInfo, 1, info);
  }

  std::shared_ptr<Shared> shared_;
  double forget_after_;
  BackgroundThread thread_{"vrrp"};
};

}  // namespace

CollectorInfo vrrp_info() {
  auto options = std::vector<OptionSpec>{
      OptionSpec::make("interfaces", OptionType::kStringList, "",
                       "Only these interfaces (default: every interface of the namespace)."),
      OptionSpec::integer("max_routers", 256, 1, 65536,
                          "The most (router, source) tracked, and routers: a newcomer on "
                          "probation is dropped beyond it, and counted; an established router "
                          "(3 advertisements on time in a row) is not."),
      OptionSpec::integer("forget_after", 3600, 60, 7 * 86400,
                          "Seconds after which a source not heard from is forgotten."),
      OptionSpec::integer("new_sources_per_second", 100, 1, 100000,
                          "Sources not yet tracked admitted a second at most: beyond, a flood of "
                          "newcomers is counted, not tracked."),
      OptionSpec::integer("gap_window", 300, 10, 86400,
                          "Seconds of the window of virtnet_vrrp_longest_gap_seconds."),
      capture_cpu_option()};
  for (auto& o : netns_options("capture VRRP (looked for every 10 s, a socket each)")) {
    options.push_back(std::move(o));
  }
  return {
      "vrrp",
      "VRRP advertisements (keepalived, Neutron L3-HA) captured on every interface: gaps longer "
      "than Master_Down_Interval, failovers, split brain, priorities. Needs CAP_NET_RAW.",
      false,
      std::move(options),
      [](const CollectorOptions& o, const Sources&) -> std::unique_ptr<Collector> {
        return std::make_unique<VrrpCollector>(o);
      },
      [](const CollectorOptions& o) {
        std::vector<CapabilityNeed> needs{
            {CAP_NET_RAW, "to capture VRRP advertisements (AF_PACKET)"}};
        for (auto& n : netns_capabilities(netns_scope(o))) needs.push_back(std::move(n));
        return needs;
      },
      {kMasters,  kMasterChanges,   kRejected,      kCost.dropped, kNotAdmitted,    kCost.held,
       kCost.cpu, kPrioritySources, kNetnsCaptured, kAdverts,      kLate,           kMasterDown,
       kUnjudged, kLastGap,         kLongestGap,    kGaps,         kMasterDownGaps, kLastAdvert,
       kPriority, kInterval,        kRouterInfo},
      vrrp_conditions(),
  };
}

}  // namespace virtnet::vrrp
