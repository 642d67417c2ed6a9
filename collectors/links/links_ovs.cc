#include "collectors/links/links_ovs.h"

#include <map>
#include <set>
#include <unordered_map>

namespace virtnet::links {

namespace {

constexpr std::size_t kMaxBridges = 64;  // patch ports followed at most this deep

std::string get(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

bool is_ipv6(const std::string& address) { return address.find(':') != std::string::npos; }

// The rows joined: each interface with its bridge, each bridge's interfaces.
struct Topology {
  struct Member {
    const ovsdb::Interface* interface;
    std::string bridge;  // uuid
  };
  std::map<std::string, Member> by_name;                                  // interface name
  std::map<std::string, std::vector<const ovsdb::Interface*>> of_bridge;  // bridge uuid

  explicit Topology(const ovsdb::Database& db) {
    for (const auto& [b_uuid, b] : db.bridges) {
      for (const auto& p_uuid : b.ports) {
        auto p = db.ports.find(p_uuid);
        if (p == db.ports.end()) continue;
        for (const auto& i_uuid : p->second.interfaces) {
          auto i = db.interfaces.find(i_uuid);
          if (i == db.interfaces.end()) continue;
          by_name.emplace(i->second.name, Member{&i->second, b_uuid});
          of_bridge[b_uuid].push_back(&i->second);
        }
      }
    }
  }
};

struct Way {
  long headroom = 0;
  std::vector<std::string> path;
  std::optional<int> egress;
  unsigned overhead = 0;
};

class OvsWalker {
 public:
  OvsWalker(const ovsdb::Database& db, const std::vector<Link>& links, const TunnelRoutes& routes)
      : db_(db), topo_(db), links_(links), routes_(routes) {
    for (const auto& l : links) {
      by_name_.emplace(l.name, &l);
      by_index_.emplace(l.ifindex, &l);
    }
    ovn_geneve_ = get(db.external_ids, "ovn-encap-type").find("geneve") != std::string::npos;
  }

  const Topology& topology() const { return topo_; }

  const Link* link(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }

  bool is_instance(const ovsdb::Interface& i) const {
    if (i.type != "" && i.type != "system" && i.type != "tap" && i.type.rfind("dpdkvhostuser", 0)) {
      return false;
    }
    const Link* l = link(i.name);
    return (l && l->kind == "tun") || i.external_ids.count("iface-id") ||
           i.external_ids.count("vm-uuid");
  }

  // The way of least headroom out of `bridge` for an L3 frame of `size`, or nothing.
  std::optional<Way> out_of(const std::string& bridge, long size, std::vector<std::string>& path,
                            std::set<std::string>& visited) const {
    if (!visited.insert(bridge).second || visited.size() > kMaxBridges) return std::nullopt;
    std::optional<Way> best;
    auto consider = [&](std::optional<Way> w) {
      if (w && (!best || w->headroom < best->headroom)) best = std::move(w);
    };
    auto it = topo_.of_bridge.find(bridge);
    if (it == topo_.of_bridge.end()) return best;
    for (const ovsdb::Interface* i : it->second) {
      if (i->type == "internal" || is_instance(*i)) continue;  // the host's stack, an instance
      if (i->type == "patch") {
        auto peer = topo_.by_name.find(get(i->options, "peer"));
        if (peer == topo_.by_name.end()) continue;
        const auto b = db_.bridges.find(peer->second.bridge);
        path.push_back(b == db_.bridges.end() ? peer->second.bridge : b->second.name);
        consider(out_of(peer->second.bridge, size, path, visited));
        path.pop_back();
        continue;
      }
      if (auto over = tunnel(*i)) {
        consider(through_tunnel(*i, *over, size, path));
        continue;
      }
      if (i->type.rfind("dpdk", 0) == 0 && i->mtu) {  // a NIC of DPDK's: no kernel device
        Way w{*i->mtu - size, path, std::nullopt, 0};
        w.path.push_back(i->name);
        consider(std::move(w));
        continue;
      }
      if (i->type == "" || i->type == "system") {
        if (const Link* l = link(i->name)) consider(down(l->ifindex, size, 0, path, i->name));
      }
    }
    return best;
  }

 private:
  std::optional<std::pair<unsigned, bool>> tunnel(const ovsdb::Interface& i) const {
    const std::string endpoint = endpoint_address(i);
    const bool v6 = is_ipv6(endpoint.empty() ? get(i.options, "remote_ip") : endpoint);
    auto over = ovs_tunnel_overhead(i, v6, ovn_geneve_);
    if (!over) return std::nullopt;
    return std::make_pair(*over, v6);
  }

  // The local address the tunnel's packets leave from: its own local_ip, else OVN's encap IP.
  std::string endpoint_address(const ovsdb::Interface& i) const {
    std::string local = get(i.options, "local_ip");
    if (local.empty() || local == "flow") local = get(db_.external_ids, "ovn-encap-ip");
    return local;
  }

  std::optional<Way> through_tunnel(const ovsdb::Interface& i, std::pair<unsigned, bool> over,
                                    long size, std::vector<std::string>& path) const {
    std::optional<int> underlay;
    const std::string local = endpoint_address(i);
    if (!local.empty() && routes_.device_with_address) {
      underlay = routes_.device_with_address(local);
    } else if (const std::string remote = get(i.options, "remote_ip");
               !remote.empty() && remote != "flow" && routes_.route_to) {
      underlay = routes_.route_to(remote);
    }
    if (!underlay) return std::nullopt;
    return down(*underlay, size + over.first, over.first, path, i.name);
  }

  // Out by the kernel device `ifindex` (after `hop`, the OVS interface), its own way down
  // included; each device's way for a frame size walked once (every tunnel of a host shares its
  // underlay, every tap of a network its MTU).
  std::optional<Way> down(int ifindex, long size, unsigned overhead,
                          const std::vector<std::string>& path, const std::string& hop) const {
    auto [it, fresh] = stacks_.try_emplace({ifindex, size});
    if (fresh) it->second = stack_from(links_, ifindex, size);
    const auto& st = it->second;
    if (!st || !st->headroom) return std::nullopt;
    Way w{*st->headroom, path, st->egress, overhead + st->overhead};
    w.path.push_back(hop);
    for (int i : st->path) {
      auto l = by_index_.find(i);
      if (l != by_index_.end() && l->second->name != hop) w.path.push_back(l->second->name);
    }
    return w;
  }

  const ovsdb::Database& db_;
  Topology topo_;
  const std::vector<Link>& links_;
  const TunnelRoutes& routes_;
  std::unordered_map<std::string, const Link*> by_name_;
  std::unordered_map<int, const Link*> by_index_;
  mutable std::map<std::pair<int, long>, std::optional<Stack>> stacks_;  // by device, frame size
  bool ovn_geneve_ = false;
};

}  // namespace

std::optional<unsigned> ovs_tunnel_overhead(const ovsdb::Interface& i, bool ipv6, bool ovn_geneve) {
  const unsigned ip = ipv6 ? 40 : 20;
  constexpr unsigned kUdp = 8, kEthernet = 14;
  if (i.type == "vxlan") return ip + kUdp + 8 + kEthernet;
  // OVN's Geneve carries one option of 8 bytes (4 of header, 4 of data): 58 over IPv4.
  if (i.type == "geneve") return ip + kUdp + 8 + (ovn_geneve ? 8 : 0) + kEthernet;
  if (i.type == "gre" || i.type == "ip6gre") {
    const unsigned key = i.options.count("key") || i.options.count("out_key") ? 4 : 0;
    const unsigned csum = get(i.options, "csum") == "true" ? 4 : 0;
    return (i.type == "ip6gre" ? 40 : ip) + 4 + key + csum + kEthernet;
  }
  return std::nullopt;  // stt, erspan, lisp, gtpu, bareudp, srv6: not judged here
}

std::vector<OvsStack> compute_ovs_stacks(const ovsdb::Database& db, const std::vector<Link>& links,
                                         const TunnelRoutes& routes) {
  OvsWalker w(db, links, routes);
  // The way out of a bridge depends on the bridge and the frame size only (every instance port
  // is passed over as a way out): walked once for all the taps of one MTU on it.
  std::map<std::pair<std::string, long>, std::optional<Way>> ways;
  std::vector<OvsStack> out;
  for (const auto& [name, member] : w.topology().by_name) {
    const ovsdb::Interface& i = *member.interface;
    const Link* tap = w.link(name);
    if (!tap || !w.is_instance(i)) continue;
    OvsStack s;
    s.interface = name;
    auto b = db.bridges.find(member.bridge);
    s.bridge = b == db.bridges.end() ? member.bridge : b->second.name;
    s.vm_uuid = get(i.external_ids, "vm-uuid");
    s.iface_id = get(i.external_ids, "iface-id");
    s.attached_mac = get(i.external_ids, "attached-mac");
    const long size = static_cast<long>(tap->mtu);
    auto [way, fresh] = ways.try_emplace({member.bridge, size});
    if (fresh) {
      std::vector<std::string> path{s.bridge};
      std::set<std::string> visited;
      way->second = w.out_of(member.bridge, size, path, visited);
    }
    if (way->second) {
      s.path = {name};
      s.path.insert(s.path.end(), way->second->path.begin(), way->second->path.end());
      s.egress = way->second->egress;
      s.overhead = way->second->overhead;
      s.headroom = way->second->headroom;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<OvsInterfaceError> ovs_interface_errors(const ovsdb::Database& db) {
  const Topology topo(db);
  std::vector<OvsInterfaceError> out;
  for (const auto& [uuid, i] : db.interfaces) {
    if (!i.error && i.ofport != -1) continue;
    OvsInterfaceError e{i.name,
                        "",
                        i.type,
                        i.error.value_or("ofport -1"),
                        get(i.external_ids, "vm-uuid"),
                        get(i.external_ids, "iface-id")};
    if (auto m = topo.by_name.find(i.name); m != topo.by_name.end()) {
      auto b = db.bridges.find(m->second.bridge);
      if (b != db.bridges.end()) e.bridge = b->second.name;
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace virtnet::links
