#pragma once

// Open vSwitch's part of the links' stacks (incident 3 on the hosts with the most encapsulation):
// where an instance tap on an OVS bridge sends its frames, and whether they fit. The topology is
// OVSDB's (the kernel shows a tap's master as ovs-system, or nothing with the userspace
// datapath); the devices and MTUs are the link dump's. Pure: rows and links in, stacks out.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "collectors/links/links_stack.h"
#include "exporter/sources/ovsdb_parse.h"

namespace virtnet::links {

// What the kernel says of a tunnel's endpoints, looked up by the caller: the device holding a
// local address, and the device the route to a remote address leaves by.
struct TunnelRoutes {
  std::function<std::optional<int>(const std::string& local_ip)> device_with_address;
  std::function<std::optional<int>(const std::string& remote_ip)> route_to;
};

// Bytes an OVS tunnel interface adds to the frame it carries, by its type and options (GRE's key,
// OVN's Geneve option when ovn-encap-type names geneve), over IPv4 or IPv6; nothing for an
// interface that is no tunnel, or of a type not known here.
std::optional<unsigned> ovs_tunnel_overhead(const ovsdb::Interface& i, bool ipv6, bool ovn_geneve);

// One instance port (a tap on an OVS bridge) and the way its full-size frames leave the host.
struct OvsStack {
  std::string interface;  // the tap, by its name (OVSDB's and the kernel's alike)
  std::string bridge;     // the bridge it is a port of
  std::string vm_uuid, iface_id, attached_mac;  // external_ids: the instance and Neutron port
  // The way of least headroom: tap1, br-int, br-tun, gnv0, then the underlay's own way down
  // (eth1, or vlan20>bond0>eth0). Empty when no way out is known.
  std::vector<std::string> path;
  std::optional<int> egress;  // the kernel device the frames leave by
  unsigned overhead = 0;      // encapsulation and tags added on the way
  std::optional<long> headroom;
};

// An instance port is an interface of a system or tap type that the kernel shows as a tap, or that
// carries OVN's or Nova's external_ids (iface-id, vm-uuid). Its frames leave its bridge by the
// bridge's other ports: patch ports lead to the peer's bridge (followed, loops cut), tunnels to
// their underlay (local_ip, else ovn-encap-ip, the device holding that address; else the route to
// remote_ip), physical ports to their own way down; internal ports and other instances' taps lead
// nowhere out. One OvsStack per instance port that is also in `links`.
std::vector<OvsStack> compute_ovs_stacks(const ovsdb::Database& db, const std::vector<Link>& links,
                                         const TunnelRoutes& routes);

// Interfaces OVS could not add (error set, or ofport -1): an instance without a network.
struct OvsInterfaceError {
  std::string interface, bridge, type, error;
  std::string vm_uuid, iface_id;
};
std::vector<OvsInterfaceError> ovs_interface_errors(const ovsdb::Database& db);

}  // namespace virtnet::links
