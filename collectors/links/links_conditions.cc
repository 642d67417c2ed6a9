#include "collectors/links/links_collector.h"

// Designated initializers name what each condition sets; the rest keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace virtnet::links {

std::vector<Condition> links_conditions() {
  return {
      {.alert = "VirtnetLinkMtuHeadroomNegative",
       .severity = "critical",
       .summary = "Full-size frames of a link are dropped on their way out.",
       .description = "Link {link} (netns \"{netns}\") has {value} bytes of MTU headroom: the "
                      "device with the smallest MTU on its way down cannot carry its full-size "
                      "frames.",
       .next_check = "ip -d link show {link}; follow the path label of virtnet_link_info for "
                     "{link} down to the device with the smallest MTU, then lower the instance "
                     "MTU (Neutron network mtu) or raise the underlay's",
       .culprit = {"netns", "link"},
       .for_duration = "5m",
       .term = {.metric = "virtnet_link_mtu_headroom_bytes"},
       .cmp = Cmp::kLt,
       .threshold = 0},
      {.alert = "VirtnetLinkVlanStacked",
       .severity = "warning",
       .summary = "A link leaves with a VLAN tag stacked on a VLAN tag.",
       .description = "Link {link} (netns \"{netns}\") leaves with {value} VLAN tags: a VLAN "
                      "stacked on a VLAN takes 4 more bytes of MTU than the network was sized "
                      "for.",
       .next_check = "ip -d link show {link}; check whether the provider network's physical "
                     "interface is itself a VLAN (the bridge mapping in the Neutron agent's "
                     "config)",
       .culprit = {"netns", "link"},
       .for_duration = "15m",
       .term = {.metric = "virtnet_link_vlan_tags"},
       .cmp = Cmp::kGt,
       .threshold = 1},
      {.alert = "VirtnetLinkMtuMismatch",
       .severity = "warning",
       .summary = "A link's MTU differs from its bridge's, bond's or lower device's.",
       .description = "Link {link} (netns \"{netns}\"): its MTU is {value} bytes off that of "
                      "{other} ({relation}): frames the larger one accepts are dropped by the "
                      "smaller.",
       .next_check = "ip -d link show {link}; ip -d link show {other}; a bridge takes the "
                     "smallest MTU of its ports, so one small port caps every instance on it",
       .culprit = {"netns", "link", "other", "relation"},
       .for_duration = "30m",
       .term = {.metric = "virtnet_link_mtu_mismatch_bytes"},
       .cmp = Cmp::kNe,
       .threshold = 0},
      {.alert = "VirtnetOvsInterfaceError",
       .severity = "warning",
       .summary = "Open vSwitch could not add an interface to its bridge.",
       .description = "Interface {interface} on Open vSwitch bridge {bridge} is in error "
                      "({error}): if an instance uses it (vm-uuid \"{vm_uuid}\", Neutron port "
                      "\"{iface_id}\"), that instance has no network.",
       .next_check = "ovs-vsctl list interface {interface}; ip link show {interface}; "
                     "ovs-vswitchd's log; a leftover of a deleted instance goes with ovs-vsctl "
                     "del-port {bridge} {interface}",
       .culprit = {"bridge", "interface"},
       .for_duration = "10m",
       .term = {.metric = "virtnet_links_ovs_interface_error"},
       .cmp = Cmp::kEq,
       .threshold = 1},
  };
}

}  // namespace virtnet::links
