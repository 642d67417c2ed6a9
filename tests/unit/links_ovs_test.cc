#include "collectors/links/links_ovs.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/fixture.h"

namespace virtnet::links {
namespace {

using virtnet::testing::fixture;

// The captured database: br-int with tapx1 (vm-uuid), missing0 (in error) and a patch to br-tun;
// br-tun with a geneve interface to 198.51.100.2; OVN's external_ids (geneve, 192.0.2.1).
ovsdb::Database captured() {
  ovsdb::Database db;
  ovsdb::Splitter s;
  s.feed(fixture("ovsdb/monitor_reply.json"));
  ovsdb::apply_message(*s.next(), 1, db);
  return db;
}

Link link(int ifindex, const std::string& name, const std::string& kind, unsigned mtu) {
  Link l;
  l.ifindex = ifindex;
  l.name = name;
  l.kind = kind;
  l.mtu = mtu;
  return l;
}

// The kernel's side: the tap, OVS's internal ports (taps too, with the userspace datapath), the
// underlay veth holding 192.0.2.1 with MTU 1400.
std::vector<Link> kernel(unsigned tap_mtu) {
  return {link(10, "tapx1", "tun", tap_mtu), link(11, "veth-u", "veth", 1400),
          link(12, "br-int", "tun", 1500), link(13, "br-tun", "tun", 1500)};
}

TunnelRoutes routes() {
  TunnelRoutes r;
  r.device_with_address = [](const std::string& ip) -> std::optional<int> {
    return ip == "192.0.2.1" ? std::optional<int>(11) : std::nullopt;
  };
  r.route_to = [](const std::string& ip) -> std::optional<int> {
    return ip == "198.51.100.2" ? std::optional<int>(11) : std::nullopt;
  };
  return r;
}

TEST(LinksOvs, AnInstanceTapThroughAPatchAndOvnsGeneveToItsUnderlay) {
  const auto db = captured();
  auto stacks = compute_ovs_stacks(db, kernel(1500), routes());
  ASSERT_EQ(stacks.size(), 1u);  // the tap; not the internal ports, not the patch
  const auto& s = stacks[0];
  EXPECT_EQ(s.interface, "tapx1");
  EXPECT_EQ(s.bridge, "br-int");
  EXPECT_EQ(s.vm_uuid, "6f1a0000-0000-4000-8000-000000000001");
  EXPECT_EQ(s.iface_id, "port-1");
  EXPECT_EQ(s.attached_mac, "fa:16:3e:00:00:01");
  EXPECT_EQ(s.path, (std::vector<std::string>{"tapx1", "br-int", "br-tun", "gnv0", "veth-u"}));
  EXPECT_EQ(s.egress, 11);
  EXPECT_EQ(s.overhead, 58u);  // 20 + 8 + 16 + 14
  EXPECT_EQ(s.headroom, 1400 - (1500 + 58));
  // The instance MTU lowered to what the underlay carries: nothing to spare, nothing short.
  EXPECT_EQ(compute_ovs_stacks(db, kernel(1342), routes())[0].headroom, 0);
}

TEST(LinksOvs, WithoutOvnTheTunnelsOwnOptionsAndTheRouteToItsRemote) {
  auto db = captured();
  db.external_ids.clear();  // ML2/OVS: no encap IP, Geneve without OVN's option
  auto s = compute_ovs_stacks(db, kernel(1500), routes());
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].overhead, 50u);
  EXPECT_EQ(s[0].headroom, 1400 - 1550);
  // No route to the remote: the way is unknown, not guessed.
  TunnelRoutes none;
  s = compute_ovs_stacks(db, kernel(1500), none);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].headroom, std::nullopt);
  EXPECT_TRUE(s[0].path.empty());
}

TEST(LinksOvs, TheLeastHeadroomOverTunnelsAndPhysicalPortsAndPatchLoopsCut) {
  ovsdb::Database db;
  auto add = [&](const std::string& bridge, const std::string& name, const std::string& type,
                 std::map<std::string, std::string> options = {},
                 std::map<std::string, std::string> ids = {}) {
    ovsdb::Interface& i = db.interfaces["i-" + name];
    i.name = name;
    i.type = type;
    i.options = std::move(options);
    i.external_ids = std::move(ids);
    db.ports["p-" + name].name = name;
    db.ports["p-" + name].interfaces = {"i-" + name};
    db.bridges["b-" + bridge].name = bridge;
    db.bridges["b-" + bridge].ports.push_back("p-" + name);
  };
  add("br-a", "vm1", "", {}, {{"iface-id", "n1"}});
  add("br-a", "vm2", "", {}, {{"iface-id", "n2"}});  // another instance: no way out
  add("br-a", "eth0", "");                           // physical, 9000
  add("br-a", "vx0", "vxlan", {{"remote_ip", "10.0.0.2"}, {"local_ip", "10.0.0.1"}});
  add("br-a", "a-to-b", "patch", {{"peer", "b-to-a"}});
  add("br-b", "b-to-a", "patch", {{"peer", "a-to-b"}});  // back: a loop to cut
  add("br-b", "gre0", "gre", {{"remote_ip", "10.0.0.3"}, {"key", "7"}});
  std::vector<Link> links = {link(1, "vm1", "tun", 1500), link(2, "vm2", "tun", 9000),
                             link(3, "eth0", "", 9000),   link(4, "bond0", "bond", 1600),
                             link(5, "eth1", "", 1600),   link(6, "vl20", "vlan", 1600)};
  links[4].master = 4;
  links[5].lower = 4;
  links[5].vlan_id = 20;
  TunnelRoutes r;
  r.device_with_address = [](const std::string& ip) -> std::optional<int> {
    return ip == "10.0.0.1" ? std::optional<int>(6) : std::nullopt;  // vxlan over vl20>bond0
  };
  r.route_to = [](const std::string& ip) -> std::optional<int> {
    return ip == "10.0.0.3" ? std::optional<int>(3) : std::nullopt;  // gre over eth0
  };
  const auto s = compute_ovs_stacks(db, links, r);
  ASSERT_EQ(s.size(), 2u);
  const auto& vm1 = s[0].interface == "vm1" ? s[0] : s[1];
  // eth0: 9000 - 1500; gre0 over eth0: 9000 - (1500 + 42); vx0 over vl20>bond0>eth1: 1600 -
  // (1500 + 50) = 50, its one tag free: the least.
  EXPECT_EQ(vm1.headroom, 50);
  EXPECT_EQ(vm1.path, (std::vector<std::string>{"vm1", "br-a", "vx0", "vl20", "bond0", "eth1"}));
  EXPECT_EQ(vm1.egress, 5);
  EXPECT_EQ(vm1.iface_id, "n1");
  // vm2 on the same bridge at 9000: its own walk for its own size, not vm1's way reused.
  const auto& vm2 = s[0].interface == "vm2" ? s[0] : s[1];
  EXPECT_EQ(vm2.headroom, 1600 - (9000 + 50));
  EXPECT_EQ(vm2.path.front(), "vm2");
  EXPECT_EQ(vm2.iface_id, "n2");
}

TEST(LinksOvs, InterfacesInErrorWithTheirBridge) {
  const auto errors = ovs_interface_errors(captured());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].interface, "missing0");
  EXPECT_EQ(errors[0].bridge, "br-int");
  EXPECT_EQ(errors[0].type, "system");
  EXPECT_EQ(errors[0].error, "could not open network device missing0 (No such device)");
}

TEST(LinksOvs, TunnelOverheads) {
  ovsdb::Interface i;
  i.type = "vxlan";
  EXPECT_EQ(ovs_tunnel_overhead(i, false, true), 50u);
  EXPECT_EQ(ovs_tunnel_overhead(i, true, false), 70u);
  i.type = "geneve";
  EXPECT_EQ(ovs_tunnel_overhead(i, false, false), 50u);
  EXPECT_EQ(ovs_tunnel_overhead(i, false, true), 58u);
  EXPECT_EQ(ovs_tunnel_overhead(i, true, true), 78u);
  i.type = "gre";
  EXPECT_EQ(ovs_tunnel_overhead(i, false, false), 38u);
  i.options["key"] = "flow";
  EXPECT_EQ(ovs_tunnel_overhead(i, false, false), 42u);
  i.type = "stt";
  EXPECT_EQ(ovs_tunnel_overhead(i, false, false), std::nullopt);
  i.type = "internal";
  EXPECT_EQ(ovs_tunnel_overhead(i, false, false), std::nullopt);
}

}  // namespace
}  // namespace virtnet::links
