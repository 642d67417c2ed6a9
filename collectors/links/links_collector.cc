#include "collectors/links/links_collector.h"

#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "collectors/links/links_ovs.h"
#include "collectors/links/links_parse.h"
#include "collectors/links/links_stack.h"
#include "exporter/sources/link_dump.h"
#include "exporter/sources/netns.h"
#include "exporter/sources/ovsdb_client.h"
#include "exporter/sources/route_lookup.h"

namespace virtnet::links {

namespace {

constexpr int kDumpTimeoutMs = 2000;

constexpr auto kInfo = MetricDef::gauge(
    "virtnet_link_info", "A network link: kind, state, lower device, master, egress device.");
constexpr auto kMtu = MetricDef::gauge("virtnet_link_mtu_bytes", "The link's MTU.");
constexpr auto kHeadroom = MetricDef::gauge(
    "virtnet_link_mtu_headroom_bytes",
    "Least MTU minus full-size frame over the devices this link's frames pass (one VLAN tag "
    "free); negative: full-size frames are dropped on the way.");
constexpr auto kVlanTags = MetricDef::gauge(
    "virtnet_link_vlan_tags", "VLAN tags on this link's frames as the egress sends them.");
constexpr auto kOverhead =
    MetricDef::gauge("virtnet_link_encapsulation_overhead_bytes",
                     "Bytes the way down adds to a full-size frame: VLAN tags, encapsulation.");
constexpr auto kCarrier = MetricDef::gauge("virtnet_link_carrier", "1 when the link has carrier.");
constexpr auto kRxBytes = MetricDef::counter("virtnet_link_receive_bytes_total", "Bytes received.");
constexpr auto kTxBytes = MetricDef::counter("virtnet_link_transmit_bytes_total", "Bytes sent.");
constexpr auto kRxPackets =
    MetricDef::counter("virtnet_link_receive_packets_total", "Packets received.");
constexpr auto kTxPackets =
    MetricDef::counter("virtnet_link_transmit_packets_total", "Packets sent.");
constexpr auto kRxErrors =
    MetricDef::counter("virtnet_link_receive_errors_total", "Receive errors.");
constexpr auto kTxErrors =
    MetricDef::counter("virtnet_link_transmit_errors_total", "Transmit errors.");
constexpr auto kRxDrops =
    MetricDef::counter("virtnet_link_receive_drops_total", "Packets dropped on receive.");
constexpr auto kTxDrops =
    MetricDef::counter("virtnet_link_transmit_drops_total", "Packets dropped on transmit.");
constexpr auto kMismatch = MetricDef::gauge(
    "virtnet_link_mtu_mismatch_bytes",
    "This link's MTU minus that of the device it is tied to (bridge, bond, a VLAN's lower "
    "device), where they differ.");
constexpr auto kNamespaces =
    MetricDef::gauge("virtnet_links_namespaces", "Named network namespaces walked at this scrape.");
constexpr auto kTruncated =
    MetricDef::gauge("virtnet_links_namespaces_truncated",
                     "1 when there were more named namespaces than collector.links.netns-max.");
constexpr auto kMalformed = MetricDef::counter(
    "virtnet_links_netlink_malformed_total",
    "Link dump messages or attributes that were truncated or of a wrong size, skipped.");
constexpr auto kOvsdbUp = MetricDef::gauge(
    "virtnet_links_ovsdb_up",
    "1 when ovsdb-server answers and Open vSwitch's topology is current; absent without an "
    "ovsdb socket.");
constexpr auto kOvsdbUpdates =
    MetricDef::counter("virtnet_links_ovsdb_updates_total",
                       "Monitor replies and update notifications from ovsdb-server applied.");
constexpr auto kOvsdbRejected = MetricDef::counter(
    "virtnet_links_ovsdb_rejected_total",
    "Messages from ovsdb-server refused as malformed or too large (the connection renewed).");
constexpr auto kOvsdbTimeouts = MetricDef::counter(
    "virtnet_links_ovsdb_timeouts_total",
    "Times ovsdb-server did not answer the monitor or an echo in time (the connection renewed).");
constexpr auto kOvsdbReconnects = MetricDef::counter(
    "virtnet_links_ovsdb_reconnects_total", "Connections to ovsdb-server lost and made again.");
constexpr auto kOvsError = MetricDef::gauge(
    "virtnet_links_ovs_interface_error",
    "1 for an Open vSwitch interface that OVS could not add (error set, or ofport -1): a tap "
    "here is an instance without a network.");
constexpr int kRouteTimeoutMs = 1000;

class LinksCollector : public Collector {
 public:
  LinksCollector(const CollectorOptions& o, const Sources& src)
      : netns_(netns_scope(o)), dump_links_(src.dump_links), run_in_netns_(src.run_in_netns) {
    if (const std::string sock = o.get_string("ovsdb_socket"); !sock.empty()) {
      ovsdb_ = std::make_unique<OvsdbClient>(
          OvsdbClient::Options{sock, std::chrono::milliseconds(o.get_int("ovsdb_timeout_ms"))});
    }
  }

  std::string_view name() const override { return "links"; }

  void start() override {
    if (ovsdb_) ovsdb_->start();
  }
  void stop() override {
    if (ovsdb_) ovsdb_->stop();
  }
  bool join(std::chrono::steady_clock::time_point deadline) override {
    return !ovsdb_ || ovsdb_->join(deadline);
  }

  CollectStatus collect(MetricSink& out) override {
    // Open vSwitch's topology as the monitor last left it: read, never waited for.
    std::shared_ptr<const OvsdbSnapshot> ovs;
    if (ovsdb_) {
      ovs = ovsdb_->snapshot();
      if (ovs->present) emit_ovsdb(*ovs, out);
      if (!ovs->present || !ovs->db) ovs.reset();  // kept stale: it says which links are OVS's
    }
    // The exporter's own namespace, dumped from the collector's thread (label netns=""), then
    // the named ones, each from a thread inside it.
    dump_and_emit("", out, ovs.get());
    if (netns_.scope().enabled) {
      const auto scan = netns_.scan();
      if (!scan.problem.empty()) out.fail(scan.problem);
      std::size_t walked = 0;
      for (const auto& entry : netns_.current()) {
        const std::string& ns = entry.first;  // a structured binding cannot be captured (clang 14)
        std::string err;
        const auto r = run_in_netns_(netns_.path(ns), [&] { err = dump_and_emit(ns, out); });
        if (r.status == NetnsStatus::kGone) continue;  // removed while we looked: not an error
        if (r.status != NetnsStatus::kOk) {
          out.fail("namespace " + ns + ": " + r.error);
          continue;
        }
        ++walked;
        if (!err.empty()) out.fail("namespace " + ns + ": " + err);
      }
      out.add(kNamespaces, static_cast<double>(walked));
      out.add(kTruncated, scan.truncated ? 1 : 0);
    }
    out.add(kMalformed, static_cast<double>(malformed_));
    return out.error().empty() ? CollectStatus::kOk : CollectStatus::kError;
  }

 private:
  // Dumps the calling thread's namespace and emits its links; the reason it failed, or "". A
  // netlink error mid-dump still emits what came before it.
  std::string dump_and_emit(const std::string& ns, MetricSink& out,
                            const OvsdbSnapshot* ovs = nullptr) {
    std::vector<ParsedLink> links;
    LinkDumpProgress total;
    try {
      dump_links_(kDumpTimeoutMs, [&](std::string_view chunk) {
        const auto p = parse_link_chunk(chunk, links);
        total.malformed += p.malformed;
        if (p.error) total.error = p.error;
        return p.done;
      });
    } catch (const std::exception& e) {
      if (ns.empty()) out.fail(e.what());
      return e.what();
    }
    emit(ns, links, total, ovs, out);
    if (!total.error) return "";
    std::string why = "netlink error " + std::string(std::strerror(-total.error));
    if (ns.empty()) out.fail(why);
    return why;
  }

  void emit_ovsdb(const OvsdbSnapshot& ovs, MetricSink& out) {
    const auto c = ovsdb_->counters();
    out.add(kOvsdbUp, ovs.connected ? 1 : 0);
    out.add(kOvsdbUpdates, static_cast<double>(c.updates));
    out.add(kOvsdbRejected, static_cast<double>(c.rejected));
    out.add(kOvsdbTimeouts, static_cast<double>(c.timeouts));
    out.add(kOvsdbReconnects, static_cast<double>(c.disconnects));
    if (!ovs.connected) {
      // The links are still reported; what only OVSDB knows (the ways out of OVS bridges, the
      // interfaces in error) is not, rather than stale.
      out.fail("ovsdb: " + ovs.error);
      return;
    }
    if (!ovs.db) return;
    for (const auto& e : ovs_interface_errors(*ovs.db)) {
      out.add(kOvsError, 1,
              {{"bridge", e.bridge},
               {"interface", e.interface},
               {"type", e.type.empty() ? "system" : e.type},
               {"error", e.error},
               {"vm_uuid", e.vm_uuid},
               {"iface_id", e.iface_id}});
    }
  }

  // The ways out of Open vSwitch's bridges for the instance taps of this namespace's `links`;
  // the tunnels' underlays looked up once a scrape, and only when a tunnel needs them.
  std::unordered_map<std::string, OvsStack> ovs_stacks(const OvsdbSnapshot& ovs,
                                                       const std::vector<Link>& links,
                                                       MetricSink& out) {
    std::optional<std::map<std::string, int>> owners;
    std::map<std::string, std::optional<int>> routes;
    TunnelRoutes r;
    r.device_with_address = [&](const std::string& ip) -> std::optional<int> {
      try {
        if (!owners) owners = address_owners(kRouteTimeoutMs);
      } catch (const std::exception& e) {
        out.fail(e.what());
        owners.emplace();
      }
      auto it = owners->find(canonical_address(ip));
      return it == owners->end() ? std::nullopt : std::optional<int>(it->second);
    };
    r.route_to = [&](const std::string& ip) -> std::optional<int> {
      auto [it, fresh] = routes.emplace(ip, std::nullopt);
      if (fresh) {
        try {
          it->second = route_device(ip, kRouteTimeoutMs);
        } catch (const std::exception& e) {
          out.fail(e.what());
        }
      }
      return it->second;
    };
    std::unordered_map<std::string, OvsStack> out_stacks;
    for (auto& s : compute_ovs_stacks(*ovs.db, links, r)) {
      std::string name = s.interface;
      out_stacks.emplace(std::move(name), std::move(s));
    }
    return out_stacks;
  }

  void emit(const std::string& ns, const std::vector<ParsedLink>& parsed,
            const LinkDumpProgress& progress, const OvsdbSnapshot* ovs, MetricSink& out) {
    malformed_ += progress.malformed;
    std::vector<Link> links;
    links.reserve(parsed.size());
    std::unordered_map<int, const Link*> by_index;
    for (const auto& p : parsed) links.push_back(p.link);
    for (const auto& l : links) by_index.emplace(l.ifindex, &l);
    auto name_of = [&](int ifindex) -> std::string {
      auto it = by_index.find(ifindex);
      return it == by_index.end() ? std::to_string(ifindex) : it->second->name;
    };
    auto stacks = compute_stacks(links);
    const auto ovs_ways = ovs && ovs->connected ? ovs_stacks(*ovs, links, out)
                                                : std::unordered_map<std::string, OvsStack>{};
    // While ovsdb-server does not answer, the ports it last had are of unknown way: the kernel
    // sees a tap going into ovs-system, or (userspace datapath) nowhere, never the way out.
    std::unordered_set<std::string> ovs_ports;
    if (ovs && !ovs->connected) {
      for (const auto& st : compute_ovs_stacks(*ovs->db, links, {})) ovs_ports.insert(st.interface);
    }
    for (std::size_t i = 0; i < parsed.size(); ++i) {
      const auto& p = parsed[i];
      const auto& l = p.link;
      auto& s = stacks[i];
      auto ovs_way = ovs_ways.find(l.name);
      const OvsStack* o = ovs_way == ovs_ways.end() ? nullptr : &ovs_way->second;
      std::string ovs_path;
      // The kernel sees an OVS port go into ovs-system (or, with the userspace datapath, nowhere
      // but the tap): OVSDB knows the way on.
      // An instance port's way is OVSDB's to tell; unknown when it cannot (no underlay known).
      if (o && o->headroom) {
        s.egress = o->egress;
        s.headroom = o->headroom;
        s.overhead = o->overhead;
        s.vlan_tags = 0;
        for (const auto& hop : o->path) ovs_path += (ovs_path.empty() ? "" : ">") + hop;
      } else if (o || ovs_ports.count(l.name)) {
        s.egress.reset();
        s.headroom.reset();
      }
      Labels id = {{"netns", ns}, {"link", l.name}};
      Labels info = id;
      info.push_back({"kind", l.kind.empty() ? "physical" : l.kind});
      info.push_back({"operstate", p.operstate.empty() ? "unknown" : p.operstate});
      if (l.lower) {
        // A veth's IFLA_LINK is its peer, not a device under it.
        info.push_back({l.kind == "veth" ? "peer" : "lower",
                        l.lower_elsewhere ? "other-netns" : name_of(l.lower)});
      }
      if (l.master) info.push_back({"master", name_of(l.master)});
      if (s.egress) {
        info.push_back({"egress", name_of(*s.egress)});
        // The whole way down, as one reads it: tap1>vlan100>vlan20>bond0>eth0, or through OVS
        // tap1>br-int>br-tun>vxlan0>eth1.
        std::string path = ovs_path;
        if (path.empty()) {
          for (int hop : s.path) path += (path.empty() ? "" : ">") + name_of(hop);
        }
        info.push_back({"path", path});
      }
      if (o) {
        info.push_back({"ovs_bridge", o->bridge});
        if (!o->vm_uuid.empty()) info.push_back({"vm_uuid", o->vm_uuid});
        if (!o->iface_id.empty()) info.push_back({"iface_id", o->iface_id});
      }
      if (l.vlan_id) {
        info.push_back({"vlan_id", std::to_string(*l.vlan_id)});
        info.push_back({"vlan_protocol", l.vlan_protocol == 0x88a8 ? "802.1ad" : "802.1Q"});
      }
      if (l.vni) info.push_back({"vni", std::to_string(*l.vni)});
      out.add(kInfo, 1, info);
      out.add(kMtu, l.mtu, id);
      if (s.headroom) {
        out.add(kHeadroom, static_cast<double>(*s.headroom), id);
        out.add(kVlanTags, s.vlan_tags, id);
        out.add(kOverhead, s.overhead, id);
      }
      if (p.carrier) out.add(kCarrier, *p.carrier, id);
      if (p.stats) {
        const auto& c = *p.stats;
        out.add(kRxBytes, static_cast<double>(c.rx_bytes), id);
        out.add(kTxBytes, static_cast<double>(c.tx_bytes), id);
        out.add(kRxPackets, static_cast<double>(c.rx_packets), id);
        out.add(kTxPackets, static_cast<double>(c.tx_packets), id);
        out.add(kRxErrors, static_cast<double>(c.rx_errors), id);
        out.add(kTxErrors, static_cast<double>(c.tx_errors), id);
        out.add(kRxDrops, static_cast<double>(c.rx_dropped), id);
        out.add(kTxDrops, static_cast<double>(c.tx_dropped), id);
      }
    }
    for (const auto& mm : find_mismatches(links)) {
      out.add(kMismatch, static_cast<double>(mm.difference),
              {{"netns", ns},
               {"link", name_of(mm.ifindex)},
               {"other", name_of(mm.other)},
               {"relation", mm.kind}});
    }
  }

  NetnsWatcher netns_;
  std::function<void(int, const std::function<bool(std::string_view)>&)> dump_links_;
  std::function<NetnsOutcome(const std::string&, const std::function<void()>&)> run_in_netns_;
  std::uint64_t malformed_ = 0;
  std::unique_ptr<OvsdbClient> ovsdb_;  // none when collector.links.ovsdb-socket is ""
};

std::vector<OptionSpec> links_options() {
  auto o = netns_options("walk the links");
  o.push_back(OptionSpec::make(
      "ovsdb_socket", OptionType::kString, "/run/openvswitch/db.sock",
      "Open vSwitch's database socket: the topology of OVS bridges (instance taps, patch "
      "ports, tunnels) for the headroom and the interfaces in error. Nothing when it does not "
      "exist; \"\" (a separate argument: --collector.links.ovsdb-socket \"\") never looks."));
  o.push_back(OptionSpec::integer(
      "ovsdb_timeout_ms", 5000, 100, 60000,
      "How long ovsdb-server may be silent before an echo, and then before it is reconnected."));
  return o;
}

}  // namespace

CollectorInfo links_info() {
  return {
      "links",
      "Network links from one netlink dump per namespace: MTU, kind, VLAN and encapsulation "
      "stacking, MTU headroom and mismatches, counters.",
      true,
      links_options(),
      [](const CollectorOptions& o, const Sources& s) -> std::unique_ptr<Collector> {
        return std::make_unique<LinksCollector>(o, s);
      },
      [](const CollectorOptions& o) { return netns_capabilities(netns_scope(o)); },
      {kInfo,    kMtu,          kHeadroom,      kVlanTags,      kOverhead,        kCarrier,
       kRxBytes, kTxBytes,      kRxPackets,     kTxPackets,     kRxErrors,        kTxErrors,
       kRxDrops, kTxDrops,      kMismatch,      kNamespaces,    kTruncated,       kMalformed,
       kOvsdbUp, kOvsdbUpdates, kOvsdbRejected, kOvsdbTimeouts, kOvsdbReconnects, kOvsError},
      links_conditions(),
  };
}

}  // namespace virtnet::links
