#include "collectors/vrrp/vrrp_collector.h"

#include <linux/capability.h>
#include <poll.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "collectors/vrrp/vrrp_tracker.h"
#include "exporter/common/logging.h"
#include "exporter/sources/netns.h"
#include "exporter/sources/packet_capture.h"

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
constexpr auto kDropped =
    MetricDef::counter("virtnet_vrrp_packets_dropped_total",
                       "Packets the kernel dropped because the capture socket's buffer was full.");
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
constexpr auto kRouterInfo =
    MetricDef::gauge("virtnet_vrrp_router_info",
                     "The VRRP version and authentication type a source advertises with (never the "
                     "authentication data).");

// VRRP, and AH that may carry it; behind a tag left in the frame (QinQ's inner one) too.
constexpr const char* kVrrpFilter =
    "ip proto 112 or ip6 proto 112 or ip proto 51 or ip6 proto 51 or "
    "(vlan and (ip proto 112 or ip6 proto 112 or ip proto 51 or ip6 proto 51))";

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

Labels router_labels(const RouterKey& k) {
  return {{"netns", k.netns},
          {"interface", k.interface},
          {"vlan", k.inner_vlan == 0 ? std::to_string(k.vlan)
                                     : std::to_string(k.vlan) + "." + std::to_string(k.inner_vlan)},
          {"vrid", std::to_string(k.vrid)},
          {"family", std::string(family_name(k.family))},
          {"address", k.address}};
}

// What the capture thread and collect() share; the thread owns it through a shared_ptr so that
// a thread left running past the stop bound never touches freed memory.
struct Shared {
  Shared(std::size_t cap, NetnsScope scope) : tracker(cap), netns(std::move(scope)) {}
  Tracker tracker;
  std::unique_ptr<PacketCapture> own;  // the exporter's namespace, opened by start()
  std::set<std::string> interfaces;    // empty: all
  const NetnsScope netns;
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::size_t> captured_netns{0};
  std::mutex mu;
  std::string netns_error;  // the last look's failures ("" when every namespace is captured)
};

// The captures, one per namespace ("" the exporter's own): named ones are opened when they appear
// in netns_dir and closed when they go (looked at every 10 s); the watcher knows a namespace by
// its inode, so one deleted and made again under the same name is captured anew.
class Captures {
 public:
  explicit Captures(const std::shared_ptr<Shared>& s) : s_(s), watcher_(s->netns) {
    by_ns_[""] = std::move(s->own);
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
        by_ns_[ns] = std::move(c);
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

  std::uint64_t dropped() {
    std::uint64_t n = retired_drops_;
    for (auto& [ns, c] : by_ns_) n += c->dropped();
    return n;
  }

  // True once after the set of captures changed.
  bool changed() { return std::exchange(changed_, false); }
  std::map<std::string, std::unique_ptr<PacketCapture>>& all() { return by_ns_; }

 private:
  using Map = std::map<std::string, std::unique_ptr<PacketCapture>>;
  Map::iterator retire(Map::iterator it) {
    retired_drops_ += it->second->dropped();
    s_->tracker.forget_netns(it->first);  // when it comes back, from a fresh baseline
    changed_ = true;
    return by_ns_.erase(it);
  }

  std::shared_ptr<Shared> s_;
  NetnsWatcher watcher_;
  Map by_ns_;
  std::uint64_t retired_drops_ = 0;
  std::string failed_;        // captures that failed since the last look
  std::string rescan_error_;  // what the last look found wrong
  bool changed_ = true;
};

void capture_loop(const std::shared_ptr<Shared>& s, const StopSignal& stop) {
  Captures captures(s);
  std::uint64_t logged = 0;
  const auto second = std::chrono::seconds(1);
  auto next_scan = std::chrono::steady_clock::now(), next_stats = next_scan + second;
  std::vector<pollfd> fds;
  std::vector<std::string> order;  // the namespace of fds[i + 1]
  auto on_frame = [&](const std::string& ns, PacketCapture& c, const Frame& f) {
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
    RouterKey key{iface,
                  f.vlan != 0 ? f.vlan : r.advert.vlan,
                  r.advert.vrid,
                  r.advert.family,
                  ns,
                  f.vlan != 0 ? r.advert.vlan : std::uint16_t{0},
                  first_address_text(r.advert)};
    s->tracker.observe(key, r.advert, when);
  };
  while (!stop.raised()) {
    const auto now = std::chrono::steady_clock::now();
    if (s->netns.enabled && now >= next_scan) {
      captures.rescan();
      next_scan = now + 10 * second;
    }
    if (captures.changed()) {
      fds.assign(1, {stop.fd(), POLLIN, 0});
      order.clear();
      for (auto& [ns, c] : captures.all()) {
        fds.push_back({c->fd(), POLLIN, 0});
        order.push_back(ns);
      }
    }
    for (auto& p : fds) p.revents = 0;
    const int n = ::poll(fds.data(), fds.size(), 1000);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    if (fds[0].revents & POLLIN) break;
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (fds[i + 1].revents == 0) continue;
      const std::string& ns = order[i];
      PacketCapture& c = *captures.all().at(ns);
      if (c.dispatch([&](const Frame& f) { on_frame(ns, c, f); })) continue;
      if (ns.empty()) throw std::runtime_error(c.error());
      captures.fail(ns, c.error());  // the others go on
    }
    if (std::chrono::steady_clock::now() >= next_stats) {
      s->dropped = captures.dropped();
      next_stats = std::chrono::steady_clock::now() + second;
    }
    s->tracker.mark_alive();
  }
}

class VrrpCollector : public Collector {
 public:
  explicit VrrpCollector(const CollectorOptions& o)
      : shared_(std::make_shared<Shared>(static_cast<std::size_t>(o.get_int("max_routers")),
                                         netns_scope(o))),
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
    const auto sources = t.sources();
    for (const auto& [k, s] : sources.entries) emit_source(out, k, s);
    std::map<RouterKey, int> acting;
    for (const auto& [k, n] : masters(sources.entries, now)) acting[k] = n;
    for (const auto& [k, r] : t.routers().entries) {
      const auto labels = router_labels(k);
      out.add(kMasters, acting[k], labels);
      out.add(kMasterChanges, static_cast<double>(r.changes), labels);
    }
    for (std::size_t i = 1; i < static_cast<std::size_t>(Reject::kCount); ++i) {
      const auto r = static_cast<Reject>(i);
      out.add(kRejected, static_cast<double>(t.rejected(r)),
              {{"reason", std::string(reject_name(r))}});
    }
    out.add(kDropped, static_cast<double>(shared_->dropped.load()));
    if (shared_->netns.enabled) {
      out.add(kNetnsCaptured, static_cast<double>(shared_->captured_netns.load()));
    }
    emit_background_health(out, "vrrp", sources);
    // Whatever stopped the capture is the reason from then on.
    if (auto why = thread_.failure(); !why.empty()) return out.fail("capture stopped: " + why);
    std::lock_guard lk(shared_->mu);
    if (!shared_->netns_error.empty()) return out.fail(shared_->netns_error);
    return CollectStatus::kOk;
  }

 private:
  static void emit_source(MetricSink& out, const SourceKey& k, const SourceState& s) {
    auto labels = router_labels(k.router);
    labels.emplace_back("source", k.source);
    out.add(kAdverts, static_cast<double>(s.adverts), labels);
    out.add(kLate, static_cast<double>(s.late), labels);
    out.add(kMasterDown, static_cast<double>(s.master_down), labels);
    out.add(kLastGap, s.last_gap, labels);
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
                          "The most (interface, VRID, family, source) tracked; the least "
                          "recently heard is dropped beyond it, and counted."),
      OptionSpec::integer("forget_after", 3600, 60, 7 * 86400,
                          "Seconds after which a source not heard from is forgotten.")};
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
      {kMasters, kMasterChanges, kRejected, kDropped, kNetnsCaptured, kAdverts, kLate, kMasterDown,
       kLastGap, kLastAdvert, kPriority, kInterval, kRouterInfo},
  };
}

}  // namespace virtnet::vrrp
