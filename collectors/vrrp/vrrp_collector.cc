#include "collectors/vrrp/vrrp_collector.h"

#include <linux/capability.h>
#include <net/if.h>
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "collectors/vrrp/vrrp_capture.h"
#include "collectors/vrrp/vrrp_tracker.h"
#include "exporter/logging.h"

namespace virtnet::vrrp {

namespace {

std::string m(std::string_view suffix) { return metric_name("virtnet_vrrp_", suffix); }

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
  return {{"interface", k.interface},
          {"vlan", std::to_string(k.vlan)},
          {"vrid", std::to_string(k.vrid)},
          {"family", std::string(family_name(k.family))}};
}

// Interface names by index, looked up again after a while (indexes are reused).
class InterfaceNames {
 public:
  const std::string& name(int ifindex, double now) {
    if (now - since_ > 30) {
      names_.clear();
      since_ = now;
    }
    auto it = names_.find(ifindex);
    if (it != names_.end()) return it->second;
    char buf[IF_NAMESIZE] = {};
    std::string n = if_indextoname(static_cast<unsigned>(ifindex), buf) != nullptr
                        ? buf
                        : "if" + std::to_string(ifindex);
    return names_.emplace(ifindex, std::move(n)).first->second;
  }

 private:
  std::unordered_map<int, std::string> names_;
  double since_ = 0;
};

// What the capture thread and collect() share; the thread owns it through a shared_ptr so that
// a thread left running past the stop bound never touches freed memory.
struct Shared {
  explicit Shared(std::size_t cap) : tracker(cap) {}
  Tracker tracker;
  std::unique_ptr<Capture> capture;
  std::set<std::string> interfaces;  // empty: all
  std::atomic<std::uint64_t> dropped{0};
  std::mutex mu;
  std::string error;  // why the capture stopped
};

void capture_loop(const std::shared_ptr<Shared>& s, const StopSignal& stop) {
  InterfaceNames names;
  std::uint64_t logged = 0;
  auto on_frame = [&](const Frame& f) {
    const ParseResult r = parse_frame(f.bytes);
    if (r.reject != Reject::kNone) {
      s->tracker.reject(r.reject);
      // Logged at debug: a flood of bad packets must not flood the log too.
      if (logged++ < 10) log_debug("vrrp: packet rejected", {{"reason", reject_name(r.reject)}});
      return;
    }
    const double when = f.when > 0 ? f.when : unix_now();
    const std::string& iface = names.name(f.ifindex, when);
    if (!s->interfaces.empty() && !s->interfaces.contains(iface)) return;
    // The kernel keeps the outer tag in metadata; a tag left in the frame is the next one.
    const std::uint16_t vlan = f.vlan != 0 ? f.vlan : r.advert.vlan;
    s->tracker.observe({iface, vlan, r.advert.vrid, r.advert.family}, r.advert, when);
  };
  while (!stop.raised()) {
    pollfd fds[2] = {{s->capture->fd(), POLLIN, 0}, {stop.fd(), POLLIN, 0}};
    const int n = ::poll(fds, 2, 1000);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (fds[1].revents & POLLIN)) break;
    if (!s->capture->dispatch(on_frame)) {
      std::lock_guard lk(s->mu);
      s->error = s->capture->error();
      log_error("vrrp: capture stopped", {{"err", s->error}});
      return;
    }
    s->dropped = s->capture->dropped();
    s->tracker.mark_alive();
  }
}

class VrrpCollector : public Collector {
 public:
  explicit VrrpCollector(const CollectorOptions& o)
      : shared_(std::make_shared<Shared>(static_cast<std::size_t>(o.get_int("max_routers")))),
        forget_after_(static_cast<double>(o.get_int("forget_after"))) {
    for (const auto& i : o.get_list("interfaces")) shared_->interfaces.insert(i);
  }

  std::string_view name() const override { return "vrrp"; }

  void start() override {
    shared_->capture = std::make_unique<Capture>();
    try {
      thread_.start([s = shared_](const StopSignal& stop) { capture_loop(s, stop); });
    } catch (...) {
      shared_->capture.reset();  // no socket filling up unread
      throw;
    }
  }

  void stop() override { thread_.stop(std::chrono::seconds(2)); }

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
      out.gauge(m("masters"),
                "Sources acting as master of the virtual router now (heard within their "
                "Master_Down_Interval, priority above 0, not taken over since): 1 is healthy, 0 "
                "no master heard, 2 or more split brain.",
                acting[k], labels);
      out.counter(m("master_changes_total"),
                  "Advertisements from another source than the one before (failovers).",
                  static_cast<double>(r.changes), labels);
    }
    for (std::size_t i = 1; i < static_cast<std::size_t>(Reject::kCount); ++i) {
      const auto r = static_cast<Reject>(i);
      out.counter(m("packets_rejected_total"),
                  "Captured VRRP packets not counted as advertisements, by reason (clock: "
                  "earlier than the router's previous one; it only sets a new baseline).",
                  static_cast<double>(t.rejected(r)), {{"reason", std::string(reject_name(r))}});
    }
    out.counter(m("packets_dropped_total"),
                "Packets the kernel dropped because the capture socket's buffer was full.",
                static_cast<double>(shared_->dropped.load()));
    emit_background_health(out, "vrrp", sources);
    std::lock_guard lk(shared_->mu);
    if (!shared_->error.empty()) return out.fail(shared_->error);
    return CollectStatus::kOk;
  }

 private:
  static void emit_source(MetricSink& out, const SourceKey& k, const SourceState& s) {
    auto labels = router_labels(k.router);
    labels.emplace_back("source", k.source);
    out.counter(m("advertisements_total"), "VRRP advertisements captured, by source.",
                static_cast<double>(s.adverts), labels);
    out.counter(m("late_advertisements_total"),
                "Silences of the source as master over 1.5 advertisement intervals that no "
                "backup took over: at least one advertisement missed.",
                static_cast<double>(s.late), labels);
    out.counter(m("master_down_gaps_total"),
                "Silences of the source as master that a backup took over (it advertised after "
                "more than 2 intervals), or past its Master_Down_Interval with no backup heard, "
                "or past 4 intervals.",
                static_cast<double>(s.master_down), labels);
    out.gauge(m("last_gap_seconds"),
              "Time between the source's last two advertisements as master, or from its last "
              "one until a backup took over (capture timestamps).",
              s.last_gap, labels);
    out.gauge(m("last_advertisement_timestamp_seconds"),
              "When the source's last advertisement was captured (Unix time).", s.last_seen,
              labels);
    out.gauge(m("priority"), "The priority in the source's last advertisement.", s.priority,
              labels);
    out.gauge(m("advertisement_interval_seconds"),
              "The advertisement interval in the source's last advertisement.", s.interval, labels);
    auto info = labels;
    info.emplace_back("version", std::to_string(s.version));
    info.emplace_back("auth_type", std::string(auth_name(s)));
    out.gauge(m("router_info"),
              "The VRRP version and authentication type a source advertises with (never the "
              "authentication data).",
              1, info);
  }

  std::shared_ptr<Shared> shared_;
  double forget_after_;
  BackgroundThread thread_{"vrrp"};
};

}  // namespace

CollectorInfo vrrp_info() {
  return {
      "vrrp",
      "VRRP advertisements (keepalived, Neutron L3-HA) captured on every interface: gaps longer "
      "than Master_Down_Interval, failovers, split brain, priorities. Needs CAP_NET_RAW.",
      false,
      {OptionSpec::make("interfaces", OptionType::kStringList, "",
                        "Only these interfaces (default: every interface of the namespace)."),
       OptionSpec::integer("max_routers", 256, 1, 65536,
                           "The most (interface, VRID, family, source) tracked; the least "
                           "recently heard is dropped beyond it, and counted."),
       OptionSpec::integer("forget_after", 3600, 60, 7 * 86400,
                           "Seconds after which a source not heard from is forgotten.")},
      [](const CollectorOptions& o, const Sources&) -> std::unique_ptr<Collector> {
        return std::make_unique<VrrpCollector>(o);
      },
      [](const CollectorOptions&) {
        return std::vector<CapabilityNeed>{
            {CAP_NET_RAW, "to capture VRRP advertisements (AF_PACKET)"}};
      },
  };
}

}  // namespace virtnet::vrrp
