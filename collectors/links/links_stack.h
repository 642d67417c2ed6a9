#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace virtnet::links {

// One network device of one namespace, as a link dump describes it. Pure data: the netlink
// parsing fills it, the stack computation reads it.
struct Link {
  int ifindex = 0;
  std::string name;
  std::string kind;  // IFLA_INFO_KIND ("vlan", "vxlan", "bridge", "tun", ...); empty: physical
  unsigned mtu = 0;
  int lower = 0;                 // IFLA_LINK, or a tunnel's bound underlay device; 0: none
  bool lower_elsewhere = false;  // IFLA_LINK_NETNSID: that device is in another namespace
  int master = 0;                // IFLA_MASTER: the bridge or bond it is enslaved to
  std::optional<std::uint16_t> vlan_id;
  std::uint16_t vlan_protocol = 0;  // 0x8100 (802.1Q) or 0x88a8 (802.1ad)
  std::optional<std::uint32_t> vni;
  bool underlay_ipv6 = false;  // a tunnel whose endpoints are IPv6
  bool flow_based = false;     // a tunnel in external / collect_metadata mode (OVS): no underlay
};

// Bytes a tunnel kind adds to what it carries, over IPv4 or IPv6 (for Ethernet tunnels the inner
// Ethernet header included): vxlan 50 / 70, geneve 50 / 70 (without options), gretap 38 / 58,
// gre 24, ip6gre 44, ipip and sit 20, ip6tnl 40. Nothing for kinds that are no tunnel.
std::optional<unsigned> tunnel_overhead(std::string_view kind, bool ipv6);

// Where a link's frames go and whether they fit, the computation behind incident 3 (tenant VLANs
// on vlan20 instead of bond0: two tags, 1504-byte frames, dropped by 1500-MTU ports).
struct Stack {
  int ifindex = 0;
  // From the link down to the device its frames leave by, through lower devices, bridges (out
  // by their ports, taps excepted: those lead into instances) and bonds (out by their members).
  // Where the frames can leave by several devices, the one with the least headroom.
  std::vector<int> path;
  std::optional<int> egress;  // none: unknown (an unbound or flow-based tunnel, Open vSwitch)
  unsigned vlan_tags = 0;     // VLAN tags on the frame as the egress sends it (2: stacked)
  unsigned overhead = 0;      // bytes the way down adds to a full-size frame: tags, encapsulation
  // The least, over the devices a full-size frame of this link passes (a bridge port it is
  // forwarded to, the egress), of that device's MTU minus the frame as it arrives there. One
  // VLAN tag rides free, as 802.1Q frames are allowed 4 bytes over the MTU; a second does not.
  // Negative: full-size frames are dropped on the way.
  std::optional<long> headroom;
};

std::vector<Stack> compute_stacks(const std::vector<Link>& links);
// The way down from the link `ifindex` for an L3 frame of `size` bytes rather than of its MTU (a
// tunnel's underlay carrying an encapsulated frame); nothing if there is no such link.
std::optional<Stack> stack_from(const std::vector<Link>& links, int ifindex, long size);

// Devices whose MTU disagrees with the device they are tied to.
struct Mismatch {
  int ifindex = 0;
  int other = 0;        // the bridge, the bond, or the VLAN's lower device
  std::string kind;     // "bridge_port", "bond_member", "vlan_lower"
  long difference = 0;  // this MTU minus the other's
};
std::vector<Mismatch> find_mismatches(const std::vector<Link>& links);

}  // namespace virtnet::links
