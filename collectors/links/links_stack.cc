#include "collectors/links/links_stack.h"

#include <algorithm>
#include <unordered_map>

namespace virtnet::links {

namespace {

constexpr unsigned kVlanTag = 4;
constexpr int kMaxDepth = 16;  // real stacks are a handful deep; a loop in bad input is cut here
// Devices visited for one link: bridges of bonds of ... could branch at every level of bad input.
constexpr int kMaxSteps = 4096;

struct Result {
  long headroom = 0;
  int egress = 0;
  unsigned tags = 0;
  long size = 0;  // the frame at the egress: L3 size plus its tags
  std::vector<int> path;
};

class Walker {
 public:
  explicit Walker(const std::vector<Link>& links) {
    for (const auto& l : links) by_index_.emplace(l.ifindex, &l);
    for (const auto& l : links) {
      if (l.master) enslaved_[l.master].push_back(&l);
    }
  }

  const Link* find(int ifindex) const {
    auto it = by_index_.find(ifindex);
    return it == by_index_.end() ? nullptr : it->second;
  }

  // A frame of L3 size `size` carrying `tags` VLAN tags arrives at `x`. `from_above`: it came
  // from x's bridge or bond (so it goes down x, not back up). Nothing when the way is unknown.
  void start() const { steps_ = 0; }

  std::optional<Result> visit(const Link& x, long size, unsigned tags, bool from_above,
                              std::vector<int>& path) const {
    if (path.size() > kMaxDepth || ++steps_ > kMaxSteps ||
        std::count(path.begin(), path.end(), x.ifindex)) {
      return std::nullopt;
    }
    path.push_back(x.ifindex);
    auto r = step(x, size, tags, from_above, path);
    path.pop_back();
    if (r && from_above) {
      // A bridge (or bond) hands a frame to a port only if it fits the port's MTU.
      const long here = fit(x.mtu, size, tags);
      if (here < r->headroom) r->headroom = here;
    }
    return r;
  }

 private:
  static long fit(unsigned mtu, long size, unsigned tags) {
    const unsigned extra = tags > 1 ? (tags - 1) * kVlanTag : 0;  // one tag rides free
    return static_cast<long>(mtu) - size - static_cast<long>(extra);
  }

  std::optional<Result> leaf(const Link& x, long size, unsigned tags,
                             const std::vector<int>& path) const {
    Result r{fit(x.mtu, size, tags), x.ifindex, tags, size + tags * kVlanTag, path};
    if (r.path.empty() || r.path.back() != x.ifindex) r.path.push_back(x.ifindex);  // a bridge
    return r;
  }

  // The least headroom over several ways out; unknown ways are passed over, all unknown is
  // unknown.
  std::optional<Result> least(const std::vector<const Link*>& ways, long size, unsigned tags,
                              std::vector<int>& path) const {
    std::optional<Result> best;
    for (const Link* w : ways) {
      auto r = visit(*w, size, tags, true, path);
      if (r && (!best || r->headroom < best->headroom)) best = std::move(r);
    }
    return best;
  }

  std::vector<const Link*> members(const Link& x, bool skip_taps) const {
    std::vector<const Link*> out;
    auto it = enslaved_.find(x.ifindex);
    if (it == enslaved_.end()) return out;
    for (const Link* m : it->second) {
      if (skip_taps && m->kind == "tun") continue;
      out.push_back(m);
    }
    return out;
  }

  std::optional<Result> step(const Link& x, long size, unsigned tags, bool from_above,
                             std::vector<int>& path) const {
    if (x.kind == "openvswitch") return std::nullopt;  // into the OVS datapath: not ours to see
    if (!from_above && x.master) {
      if (const Link* m = find(x.master)) {
        if (m->kind == "openvswitch") return std::nullopt;
        // Frames from an instance (tap) or a namespace (veth) enter the bridge and leave by its
        // other ports; a bridge with none keeps them on the host. An uplink port (VLAN, tunnel,
        // bond, NIC) sends its own frames down, as below.
        if (m->kind == "bridge" && (x.kind == "tun" || x.kind == "veth")) {
          std::vector<const Link*> ports;
          for (const Link* p : members(*m, true)) {
            if (p->ifindex != x.ifindex) ports.push_back(p);
          }
          if (ports.empty()) return leaf(*m, size, tags, path);
          return least(ports, size, tags, path);
        }
      }
    }
    if (auto over = tunnel_overhead(x.kind, x.underlay_ipv6)) {
      const Link* u = x.lower && !x.lower_elsewhere && !x.flow_based ? find(x.lower) : nullptr;
      if (!u) return std::nullopt;  // unbound (routed) or flow-based: the underlay is not known
      // Encapsulated: the inner frame, tags and all, is the payload of a new packet.
      const long inner = size + static_cast<long>(tags * kVlanTag + *over);
      return visit(*u, inner, 0, false, path);
    }
    if (x.kind == "vlan" || x.kind == "macvlan" || x.kind == "macvtap" || x.kind == "ipvlan") {
      const Link* d = x.lower && !x.lower_elsewhere ? find(x.lower) : nullptr;
      if (!d) return std::nullopt;
      return visit(*d, size, x.kind == "vlan" ? tags + 1 : tags, false, path);
    }
    if (x.kind == "bridge" || x.kind == "bond") {
      auto ways = members(x, x.kind == "bridge");
      if (ways.empty()) return leaf(x, size, tags, path);
      return least(ways, size, tags, path);
    }
    return leaf(x, size, tags, path);  // physical, veth, tun, dummy, ...: the wire
  }

  mutable int steps_ = 0;
  std::unordered_map<int, const Link*> by_index_;
  std::unordered_map<int, std::vector<const Link*>> enslaved_;
};

}  // namespace

std::optional<unsigned> tunnel_overhead(std::string_view kind, bool ipv6) {
  const unsigned ip = ipv6 ? 40 : 20;
  if (kind == "vxlan" || kind == "geneve") return ip + 8 + 8 + 14;  // IP, UDP, header, Ethernet
  if (kind == "gretap") return ip + 4 + 14;
  if (kind == "ip6gretap") return 40 + 4 + 14;
  if (kind == "gre") return 20 + 4;
  if (kind == "ip6gre") return 40 + 4;
  if (kind == "ipip" || kind == "sit") return 20;
  if (kind == "ip6tnl") return 40;
  return std::nullopt;
}

namespace {

// The way down from `l` for an L3 frame of `size` bytes.
Stack walk(const Walker& w, const Link& l, long size) {
  Stack s;
  s.ifindex = l.ifindex;
  std::vector<int> path;
  w.start();
  if (auto r = w.visit(l, size, 0, false, path)) {
    s.path = std::move(r->path);  // ends at the egress
    s.egress = r->egress;
    s.vlan_tags = r->tags;
    s.overhead = static_cast<unsigned>(std::max(0L, r->size - size));
    s.headroom = r->headroom;
  } else {
    s.path = {l.ifindex};
  }
  return s;
}

}  // namespace

std::vector<Stack> compute_stacks(const std::vector<Link>& links) {
  Walker w(links);
  std::vector<Stack> out;
  out.reserve(links.size());
  for (const auto& l : links) out.push_back(walk(w, l, static_cast<long>(l.mtu)));
  return out;
}

std::optional<Stack> stack_from(const std::vector<Link>& links, int ifindex, long size) {
  Walker w(links);
  const Link* l = w.find(ifindex);
  if (!l) return std::nullopt;
  return walk(w, *l, size);
}

std::vector<Mismatch> find_mismatches(const std::vector<Link>& links) {
  std::unordered_map<int, const Link*> by_index;
  for (const auto& l : links) by_index.emplace(l.ifindex, &l);
  std::vector<Mismatch> out;
  for (const auto& l : links) {
    if (l.master) {
      auto it = by_index.find(l.master);
      if (it != by_index.end() && l.mtu != it->second->mtu) {
        const auto& m = *it->second;
        if (m.kind == "bridge" || m.kind == "bond") {
          out.push_back({l.ifindex, m.ifindex, m.kind == "bridge" ? "bridge_port" : "bond_member",
                         static_cast<long>(l.mtu) - static_cast<long>(m.mtu)});
        }
      }
    }
    if (l.kind == "vlan" && l.lower && !l.lower_elsewhere) {
      auto it = by_index.find(l.lower);
      if (it != by_index.end() && l.mtu > it->second->mtu) {
        out.push_back({l.ifindex, l.lower, "vlan_lower",
                       static_cast<long>(l.mtu) - static_cast<long>(it->second->mtu)});
      }
    }
  }
  return out;
}

}  // namespace virtnet::links
