#include "collectors/links/links_collector.h"

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "collectors/links/links_parse.h"
#include "collectors/links/links_stack.h"
#include "exporter/sources/link_dump.h"
#include "exporter/sources/netns.h"

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

class LinksCollector : public Collector {
 public:
  LinksCollector(const CollectorOptions& o, const Sources& src)
      : netns_(netns_scope(o)), dump_links_(src.dump_links), run_in_netns_(src.run_in_netns) {}

  std::string_view name() const override { return "links"; }

  CollectStatus collect(MetricSink& out) override {
    // The exporter's own namespace, dumped from the collector's thread (label netns=""), then
    // the named ones, each from a thread inside it.
    dump_and_emit("", out);
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
  std::string dump_and_emit(const std::string& ns, MetricSink& out) {
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
    emit(ns, links, total, out);
    if (!total.error) return "";
    std::string why = "netlink error " + std::string(std::strerror(-total.error));
    if (ns.empty()) out.fail(why);
    return why;
  }

  void emit(const std::string& ns, const std::vector<ParsedLink>& parsed,
            const LinkDumpProgress& progress, MetricSink& out) {
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
    const auto stacks = compute_stacks(links);
    for (std::size_t i = 0; i < parsed.size(); ++i) {
      const auto& p = parsed[i];
      const auto& l = p.link;
      const auto& s = stacks[i];
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
        // The whole way down, as one reads it: tap1>vlan100>vlan20>bond0>eth0.
        std::string path;
        for (int hop : s.path) path += (path.empty() ? "" : ">") + name_of(hop);
        info.push_back({"path", path});
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
};

}  // namespace

CollectorInfo links_info() {
  return {
      "links",
      "Network links from one netlink dump per namespace: MTU, kind, VLAN and encapsulation "
      "stacking, MTU headroom and mismatches, counters.",
      true,
      netns_options("walk the links"),
      [](const CollectorOptions& o, const Sources& s) -> std::unique_ptr<Collector> {
        return std::make_unique<LinksCollector>(o, s);
      },
      [](const CollectorOptions& o) { return netns_capabilities(netns_scope(o)); },
      {kInfo, kMtu, kHeadroom, kVlanTags, kOverhead, kCarrier, kRxBytes, kTxBytes, kRxPackets,
       kTxPackets, kRxErrors, kTxErrors, kRxDrops, kTxDrops, kMismatch, kNamespaces, kTruncated,
       kMalformed},
      links_conditions(),
  };
}

}  // namespace virtnet::links
