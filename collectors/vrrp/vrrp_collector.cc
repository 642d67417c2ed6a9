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

std::string m(std::string_view suffix) { return metric_name("virtnet_vrrp_", suffix); }

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
  explicit Shared(std::size_t cap) : tracker(cap) {}
  Tracker tracker;
  std::unique_ptr<PacketCapture> own;  // the exporter's namespace, opened by start()
  std::set<std::string> interfaces;    // empty: all
  bool netns = false;
  std::string netns_dir;
  std::size_t netns_max = 0;
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::size_t> captured_netns{0};
  std::mutex mu;
  std::string netns_error;  // the last walk's failures ("" when every namespace is captured)
};

// The captures, one per namespace ("" the exporter's own): named ones are opened when they appear
// in netns_dir and closed when they go (looked at every 10 s). A namespace is known by its file's
// inode, so one deleted and made again under the same name is captured anew.
class Captures {
 public:
  struct Entry {
    std::unique_ptr<PacketCapture> capture;
    ino_t inode = 0;
  };

  explicit Captures(const std::shared_ptr<Shared>& s) : s_(s) {
    by_ns_[""].capture = std::move(s->own);
  }

  void rescan() {
    const auto list = list_netns(s_->netns_dir, s_->netns_max);
    std::string why = std::move(failed_);  // captures that stopped since the last rescan
    failed_.clear();
    auto add = [&](const std::string& w) { why += (why.empty() ? "" : "; ") + w; };
    if (list.error != 0 && list.error != ENOENT) {
      // Not a reason to drop what is captured: keep every capture until a listing works.
      add("cannot list " + s_->netns_dir + ": " + std::strerror(list.error));
    } else {
      if (list.truncated) add("more than netns_max namespaces");
      std::map<std::string, ino_t> present;
      for (const auto& ns : list.names) {
        struct stat st {};
        if (::stat((s_->netns_dir + "/" + ns).c_str(), &st) == 0) present[ns] = st.st_ino;
      }
      for (auto it = by_ns_.begin(); it != by_ns_.end();) {
        auto p = present.find(it->first);
        if (!it->first.empty() && (p == present.end() || p->second != it->second.inode)) {
          it = retire(it);
        } else {
          ++it;
        }
      }
      for (const auto& [ns, inode] : present) {
        if (by_ns_.contains(ns)) continue;
        std::unique_ptr<PacketCapture> c;
        const auto r = run_in_netns(s_->netns_dir + "/" + ns,
                                    [&] { c = std::make_unique<PacketCapture>(kVrrpFilter); });
        if (r.status == NetnsStatus::kOk) {
          by_ns_[ns] = {std::move(c), inode};
        } else if (r.status == NetnsStatus::kError) {
          add("netns " + ns + ": " + r.error);
        }
      }
    }
    s_->captured_netns = by_ns_.size() - 1;
    changed_ = true;
    std::lock_guard lk(s_->mu);
    if (!why.empty() && why != s_->netns_error) log_warn("vrrp: namespaces", {{"err", why}});
    s_->netns_error = why;
  }

  // A named namespace's capture that failed: closed, reported until the next rescan reopens it.
  void fail(const std::string& ns, const std::string& why) {
    failed_ += (failed_.empty() ? "" : "; ") + ("netns " + ns + ": " + why);
    if (auto it = by_ns_.find(ns); it != by_ns_.end()) retire(it);
    std::lock_guard lk(s_->mu);
    s_->netns_error = failed_;
  }

  std::uint64_t dropped() {
    std::uint64_t n = retired_drops_;
    for (auto& [ns, e] : by_ns_) n += e.capture->dropped();
    return n;
  }

  // True once after the set of captures changed.
  bool changed() { return std::exchange(changed_, false); }
  std::map<std::string, Entry>& all() { return by_ns_; }

 private:
  std::map<std::string, Entry>::iterator retire(std::map<std::string, Entry>::iterator it) {
    retired_drops_ += it->second.capture->dropped();
    s_->tracker.forget_netns(it->first);  // when it comes back, from a fresh baseline
    changed_ = true;
    return by_ns_.erase(it);
  }

  std::shared_ptr<Shared> s_;
  std::map<std::string, Entry> by_ns_;
  std::uint64_t retired_drops_ = 0;
  std::string failed_;
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
    if (s->netns && now >= next_scan) {
      captures.rescan();
      next_scan = now + 10 * second;
    }
    if (captures.changed()) {
      fds.assign(1, {stop.fd(), POLLIN, 0});
      order.clear();
      for (auto& [ns, e] : captures.all()) {
        fds.push_back({e.capture->fd(), POLLIN, 0});
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
      PacketCapture& c = *captures.all().at(ns).capture;
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
      : shared_(std::make_shared<Shared>(static_cast<std::size_t>(o.get_int("max_routers")))),
        forget_after_(static_cast<double>(o.get_int("forget_after"))) {
    for (const auto& i : o.get_list("interfaces")) shared_->interfaces.insert(i);
    shared_->netns = o.get_bool("netns");
    shared_->netns_dir = o.get_string("netns_dir");
    shared_->netns_max = static_cast<std::size_t>(o.get_int("netns_max"));
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
    if (shared_->netns) {
      out.gauge(m("netns_captured"), "Named network namespaces whose VRRP is captured.",
                static_cast<double>(shared_->captured_netns.load()));
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
                           "Seconds after which a source not heard from is forgotten."),
       OptionSpec::boolean("netns", false,
                           "Also capture inside the named network namespaces (Neutron L3-HA's "
                           "qrouter-*, on ha-* interfaces), looked for every 10 s; needs "
                           "CAP_SYS_ADMIN."),
       OptionSpec::make("netns_dir", OptionType::kString, "/run/netns",
                        "Where the named network namespaces are."),
       OptionSpec::integer("netns_max", 256, 1, 10000,
                           "The most named namespaces captured (a socket each).")},
      [](const CollectorOptions& o, const Sources&) -> std::unique_ptr<Collector> {
        return std::make_unique<VrrpCollector>(o);
      },
      [](const CollectorOptions& o) {
        std::vector<CapabilityNeed> needs{
            {CAP_NET_RAW, "to capture VRRP advertisements (AF_PACKET)"}};
        if (o.get_bool("netns")) {
          needs.push_back({CAP_SYS_ADMIN, "to enter the namespaces in netns_dir with setns"});
        }
        return needs;
      },
  };
}

}  // namespace virtnet::vrrp
