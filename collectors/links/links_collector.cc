#include "collectors/links/links_collector.h"

#include <linux/capability.h>

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

std::string m(std::string_view suffix) { return metric_name("virtnet_link_", suffix); }

class LinksCollector : public Collector {
 public:
  explicit LinksCollector(const CollectorOptions& o)
      : netns_(o.get_bool("netns")),
        netns_dir_(o.get_string("netns_dir")),
        netns_max_(static_cast<std::size_t>(o.get_int("netns_max"))) {}

  std::string_view name() const override { return "links"; }

  CollectStatus collect(MetricSink& out) override {
    std::string why;
    std::size_t walked = 0, skipped = 0;
    // The exporter's own namespace, then the named ones.
    if (auto err = own_namespace(out); !err.empty()) why = err;
    if (netns_) {
      const auto list = list_netns(netns_dir_, netns_max_);
      if (list.error && list.error != ENOENT) {
        why = "cannot list " + netns_dir_ + ": " + std::strerror(list.error);
      }
      if (list.truncated) skipped = 1;
      for (const auto& ns : list.names) {
        const std::string path = netns_dir_ + "/" + ns;
        std::vector<ParsedLink> links;
        LinkDumpProgress progress;
        const auto r = run_in_netns(path, [&] { progress = dump(links); });
        if (r.status == NetnsStatus::kGone) continue;  // removed while we looked: not an error
        if (r.status != NetnsStatus::kOk) {
          why = "namespace " + ns + ": " + r.error;
          continue;
        }
        ++walked;
        emit(ns, links, progress, out);
      }
      out.gauge("virtnet_links_namespaces", "Named network namespaces walked at this scrape.",
                static_cast<double>(walked));
      out.gauge("virtnet_links_namespaces_truncated",
                "1 when there were more named namespaces than collector.links.netns-max.",
                static_cast<double>(skipped));
    }
    out.counter("virtnet_links_netlink_malformed_total",
                "Link dump messages or attributes that were truncated or of a wrong size, "
                "skipped.",
                static_cast<double>(malformed_));
    if (!why.empty()) return out.fail(why);
    return CollectStatus::kOk;
  }

 private:
  LinkDumpProgress dump(std::vector<ParsedLink>& links) {
    LinkDumpProgress total;
    dump_links(kDumpTimeoutMs, [&](std::string_view chunk) {
      const auto p = parse_link_chunk(chunk, links);
      total.malformed += p.malformed;
      total.error = p.error;
      return p.done;
    });
    return total;
  }

  // The exporter's own namespace, dumped from the collector's thread: label netns="".
  std::string own_namespace(MetricSink& out) {
    std::vector<ParsedLink> links;
    LinkDumpProgress progress;
    try {
      progress = dump(links);
    } catch (const std::exception& e) {
      return e.what();
    }
    emit("", links, progress, out);
    return progress.error ? "links: netlink error " + std::string(std::strerror(-progress.error))
                          : "";
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
      out.gauge(m("info"), "A network link: kind, state, lower device, master, egress device.", 1,
                info);
      out.gauge(m("mtu_bytes"), "The link's MTU.", l.mtu, id);
      if (s.headroom) {
        out.gauge(m("mtu_headroom_bytes"),
                  "Least MTU minus full-size frame over the devices this link's frames pass "
                  "(one VLAN tag free); negative: full-size frames are dropped on the way.",
                  static_cast<double>(*s.headroom), id);
        out.gauge(m("vlan_tags"), "VLAN tags on this link's frames as the egress sends them.",
                  s.vlan_tags, id);
        out.gauge(m("encapsulation_overhead_bytes"),
                  "Bytes the way down adds to a full-size frame: VLAN tags, encapsulation.",
                  s.overhead, id);
      }
      if (p.carrier) out.gauge(m("carrier"), "1 when the link has carrier.", *p.carrier, id);
      if (p.stats) {
        const auto& c = *p.stats;
        out.counter(m("receive_bytes_total"), "Bytes received.", static_cast<double>(c.rx_bytes),
                    id);
        out.counter(m("transmit_bytes_total"), "Bytes sent.", static_cast<double>(c.tx_bytes), id);
        out.counter(m("receive_packets_total"), "Packets received.",
                    static_cast<double>(c.rx_packets), id);
        out.counter(m("transmit_packets_total"), "Packets sent.", static_cast<double>(c.tx_packets),
                    id);
        out.counter(m("receive_errors_total"), "Receive errors.", static_cast<double>(c.rx_errors),
                    id);
        out.counter(m("transmit_errors_total"), "Transmit errors.",
                    static_cast<double>(c.tx_errors), id);
        out.counter(m("receive_drops_total"), "Packets dropped on receive.",
                    static_cast<double>(c.rx_dropped), id);
        out.counter(m("transmit_drops_total"), "Packets dropped on transmit.",
                    static_cast<double>(c.tx_dropped), id);
      }
    }
    for (const auto& mm : find_mismatches(links)) {
      out.gauge(m("mtu_mismatch_bytes"),
                "This link's MTU minus that of the device it is tied to (bridge, bond, a VLAN's "
                "lower device), where they differ.",
                static_cast<double>(mm.difference),
                {{"netns", ns},
                 {"link", name_of(mm.ifindex)},
                 {"other", name_of(mm.other)},
                 {"relation", mm.kind}});
    }
  }

  bool netns_;
  std::string netns_dir_;
  std::size_t netns_max_;
  std::uint64_t malformed_ = 0;
};

}  // namespace

CollectorInfo links_info() {
  return {
      "links",
      "Network links from one netlink dump per namespace: MTU, kind, VLAN and encapsulation "
      "stacking, MTU headroom and mismatches, counters.",
      true,
      {OptionSpec::boolean("netns", false,
                           "Also walk the named network namespaces (Neutron's qrouter-*, "
                           "qdhcp-*, ...); needs CAP_SYS_ADMIN."),
       OptionSpec::make("netns_dir", OptionType::kString, "/run/netns",
                        "Where the named network namespaces are."),
       OptionSpec::integer("netns_max", 256, 1, 10000, "The most named namespaces walked.")},
      [](const CollectorOptions& o, const Sources&) -> std::unique_ptr<Collector> {
        return std::make_unique<LinksCollector>(o);
      },
      [](const CollectorOptions& o) {
        std::vector<CapabilityNeed> needs;
        if (o.get_bool("netns")) {
          needs.push_back({CAP_SYS_ADMIN, "to enter the namespaces in netns_dir with setns"});
        }
        return needs;
      },
  };
}

}  // namespace virtnet::links
