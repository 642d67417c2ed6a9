#include "collectors/links/links_parse.h"

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstring>

namespace virtnet::links {

namespace {

constexpr std::size_t kNlHdr = sizeof(nlmsghdr);
constexpr std::size_t kIfInfo = sizeof(ifinfomsg);
constexpr std::size_t kRtaHdr = sizeof(rtattr);
static_assert(kNlHdr == 16 && kIfInfo == 16 && kRtaHdr == 4);

std::size_t align4(std::size_t n) { return (n + 3u) & ~std::size_t{3}; }

// Calls f(type, payload) for each attribute of a run; returns false (and stops) at the first
// truncated one. The nested flag bit is masked off the type.
template <typename F>
bool for_each_attr(std::string_view run, F&& f) {
  std::size_t off = 0;
  while (off + kRtaHdr <= run.size()) {
    rtattr a;
    std::memcpy(&a, run.data() + off, kRtaHdr);
    if (a.rta_len < kRtaHdr || a.rta_len > run.size() - off) return false;
    f(static_cast<unsigned>(a.rta_type & ~NLA_F_NESTED),
      run.substr(off + kRtaHdr, a.rta_len - kRtaHdr));
    off += align4(a.rta_len);
  }
  return off >= run.size();  // 1 to 3 bytes left over: a truncated attribute header
}

template <typename T>
bool get(std::string_view p, T& v) {
  if (p.size() < sizeof(T)) return false;
  std::memcpy(&v, p.data(), sizeof(T));
  return true;
}

std::string get_string(std::string_view p) {
  const auto nul = p.find('\0');
  return std::string(p.substr(0, nul));
}

struct Ctx {
  ParsedLink& out;
  std::size_t& malformed;
  void bad() { ++malformed; }
  // Reads a fixed-size value and hands it to `set`; one too short is counted, not used.
  template <typename T, typename F>
  void as(std::string_view p, F&& set) {
    T v{};
    if (get(p, v)) {
      set(v);
    } else {
      bad();
    }
  }
};

bool is_gre(const std::string& kind) {
  return kind == "gre" || kind == "gretap" || kind == "ip6gre" || kind == "ip6gretap";
}

void parse_info_data(Ctx& c, const std::string& kind, std::string_view data) {
  Link& l = c.out.link;
  auto vni = [&](std::uint32_t v) { l.vni = v; };
  auto lower = [&](std::uint32_t v) { l.lower = static_cast<int>(v); };
  const bool ok = for_each_attr(data, [&](unsigned type, std::string_view p) {
    if (kind == "vlan" && type == IFLA_VLAN_ID) {
      c.as<std::uint16_t>(p, [&](std::uint16_t v) { l.vlan_id = v; });
    } else if (kind == "vlan" && type == IFLA_VLAN_PROTOCOL) {
      c.as<std::uint16_t>(p, [&](std::uint16_t be) { l.vlan_protocol = ntohs(be); });
    } else if (kind == "vxlan" && type == IFLA_VXLAN_ID) {
      c.as<std::uint32_t>(p, vni);
    } else if (kind == "vxlan" && type == IFLA_VXLAN_LINK) {
      c.as<std::uint32_t>(p, lower);
    } else if (kind == "vxlan" && (type == IFLA_VXLAN_GROUP6 || type == IFLA_VXLAN_LOCAL6)) {
      l.underlay_ipv6 = true;
    } else if (kind == "vxlan" && type == IFLA_VXLAN_COLLECT_METADATA) {
      c.as<std::uint8_t>(p, [&](std::uint8_t on) { l.flow_based = on != 0; });
    } else if (kind == "geneve" && type == IFLA_GENEVE_ID) {
      c.as<std::uint32_t>(p, vni);
    } else if (kind == "geneve" && type == IFLA_GENEVE_REMOTE6) {
      l.underlay_ipv6 = true;
    } else if (kind == "geneve" && type == IFLA_GENEVE_COLLECT_METADATA) {
      l.flow_based = true;  // a flag: present means on
    } else if (is_gre(kind) && type == IFLA_GRE_LINK) {
      c.as<std::uint32_t>(p, lower);
    } else if ((kind == "ipip" || kind == "sit" || kind == "ip6tnl") && type == IFLA_IPTUN_LINK) {
      c.as<std::uint32_t>(p, lower);
    }
  });
  if (!ok) c.bad();
}

void parse_link_info(Ctx& c, std::string_view info) {
  std::string kind;
  std::string_view data;
  bool has_data = false;
  const bool ok = for_each_attr(info, [&](unsigned type, std::string_view p) {
    if (type == IFLA_INFO_KIND) kind = get_string(p);
    if (type == IFLA_INFO_DATA) {
      data = p;
      has_data = true;
    }
  });
  if (!ok) c.bad();
  c.out.link.kind = kind;
  if (kind == "ip6gre" || kind == "ip6gretap" || kind == "ip6tnl") c.out.link.underlay_ipv6 = true;
  if (has_data) parse_info_data(c, kind, data);
}

void parse_stats64(Ctx& c, std::string_view p) {
  // struct rtnl_link_stats64 begins with these eight __u64, in this order.
  std::uint64_t v[8];
  if (p.size() < sizeof v) {
    c.bad();
    return;
  }
  std::memcpy(v, p.data(), sizeof v);
  c.out.stats = LinkCounters{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
}

}  // namespace

std::string_view operstate_name(std::uint8_t v) {
  static constexpr std::string_view kNames[] = {"unknown", "notpresent", "down", "lowerlayerdown",
                                                "testing", "dormant",    "up"};
  return v < std::size(kNames) ? kNames[v] : "unknown";
}

LinkDumpProgress parse_link_chunk(std::string_view bytes, std::vector<ParsedLink>& out) {
  LinkDumpProgress progress;
  std::size_t off = 0;
  while (off < bytes.size()) {
    if (bytes.size() - off < kNlHdr) {
      ++progress.malformed;  // a truncated header: nothing after it can be trusted
      return progress;
    }
    nlmsghdr hdr;
    std::memcpy(&hdr, bytes.data() + off, kNlHdr);
    if (hdr.nlmsg_len < kNlHdr || hdr.nlmsg_len > bytes.size() - off) {
      ++progress.malformed;
      return progress;
    }
    const std::string_view payload = bytes.substr(off + kNlHdr, hdr.nlmsg_len - kNlHdr);
    off += align4(hdr.nlmsg_len);
    if (hdr.nlmsg_type == NLMSG_DONE) {
      progress.done = true;
      return progress;
    }
    if (hdr.nlmsg_type == NLMSG_ERROR) {
      int err = 0;
      if (!get(payload, err)) {
        ++progress.malformed;
        err = -1;
      }
      progress.error = err < 0 ? err : -err;
      progress.done = true;
      return progress;
    }
    if (hdr.nlmsg_type != RTM_NEWLINK) continue;
    if (payload.size() < kIfInfo) {
      ++progress.malformed;
      continue;
    }
    ifinfomsg ifi;
    std::memcpy(&ifi, payload.data(), kIfInfo);
    ParsedLink pl;
    pl.link.ifindex = ifi.ifi_index;
    Ctx c{pl, progress.malformed};
    const bool ok = for_each_attr(payload.substr(kIfInfo), [&](unsigned type, std::string_view p) {
      switch (type) {
        case IFLA_IFNAME:
          pl.link.name = get_string(p);
          break;
        case IFLA_MTU:
          c.as<std::uint32_t>(p, [&](std::uint32_t v) { pl.link.mtu = v; });
          break;
        case IFLA_LINK:  // a physical device names itself: no lower
          c.as<std::int32_t>(p,
                             [&](std::int32_t v) { pl.link.lower = v == ifi.ifi_index ? 0 : v; });
          break;
        case IFLA_MASTER:
          c.as<std::uint32_t>(p, [&](std::uint32_t v) { pl.link.master = static_cast<int>(v); });
          break;
        case IFLA_LINK_NETNSID:
          pl.link.lower_elsewhere = true;
          break;
        case IFLA_OPERSTATE:
          c.as<std::uint8_t>(
              p, [&](std::uint8_t v) { pl.operstate = std::string(operstate_name(v)); });
          break;
        case IFLA_CARRIER:
          c.as<std::uint8_t>(p, [&](std::uint8_t v) { pl.carrier = v != 0; });
          break;
        case IFLA_STATS64:
          parse_stats64(c, p);
          break;
        case IFLA_LINKINFO:
          parse_link_info(c, p);
          break;
        default:
          break;  // the many attributes the exporter does not use
      }
    });
    if (!ok) ++progress.malformed;
    if (pl.link.name.empty()) {  // no usable identity: not exported
      ++progress.malformed;
      continue;
    }
    out.push_back(std::move(pl));
  }
  return progress;
}

}  // namespace virtnet::links
