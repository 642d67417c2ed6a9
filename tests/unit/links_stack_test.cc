#include "collectors/links/links_stack.h"

#include <gtest/gtest.h>

#include <map>

namespace virtnet::links {
namespace {

// A namespace's links by name, ifindexes given in order.
class Net {
 public:
  Link& add(const std::string& name, const std::string& kind, unsigned mtu) {
    Link l;
    l.ifindex = static_cast<int>(links_.size()) + 1;
    l.name = name;
    l.kind = kind;
    l.mtu = mtu;
    links_.push_back(l);
    return links_.back();
  }
  int id(const std::string& name) const {
    for (const auto& l : links_) {
      if (l.name == name) return l.ifindex;
    }
    return 0;
  }
  Link& on(const std::string& name, const std::string& lower) {
    auto& l = get(name);
    l.lower = id(lower);
    return l;
  }
  Link& in(const std::string& name, const std::string& master) {
    auto& l = get(name);
    l.master = id(master);
    return l;
  }
  Link& get(const std::string& name) {
    for (auto& l : links_) {
      if (l.name == name) return l;
    }
    throw std::out_of_range(name);
  }
  std::map<std::string, Stack> stacks() const {
    std::map<std::string, Stack> out;
    for (const auto& s : compute_stacks(links_)) out[links_[s.ifindex - 1].name] = s;
    return out;
  }
  std::string names(const std::vector<int>& path) const {
    std::string s;
    for (int i : path) s += (s.empty() ? "" : ">") + links_[i - 1].name;
    return s;
  }
  const std::vector<Link>& links() const { return links_; }

 private:
  std::vector<Link> links_;
};

// Incident 3: tenant VLANs on vlan20 instead of bond0.
TEST(LinksStack, VlanOnVlanOnABond) {
  Net n;
  n.add("bond0", "bond", 1500);
  n.add("eth0", "", 1500);
  n.add("eth1", "", 1500);
  n.in("eth0", "bond0");
  n.in("eth1", "bond0");
  n.add("vlan20", "vlan", 1500);
  n.on("vlan20", "bond0");
  n.add("vlan100", "vlan", 1500);
  n.on("vlan100", "vlan20");  // the mistake
  n.add("vlan101", "vlan", 1500);
  n.on("vlan101", "bond0");  // as it should be
  n.add("brq1", "bridge", 1500);
  n.in("vlan100", "brq1");
  n.add("tap1", "tun", 1500);
  n.in("tap1", "brq1");
  auto s = n.stacks();
  EXPECT_EQ(s["vlan100"].vlan_tags, 2u);
  EXPECT_EQ(s["vlan100"].overhead, 8u);
  EXPECT_EQ(s["vlan100"].headroom, -4);
  EXPECT_EQ(n.names(s["vlan100"].path), "vlan100>vlan20>bond0>eth0");
  EXPECT_EQ(s["tap1"].vlan_tags, 2u);  // the instance's frames are double-tagged
  EXPECT_EQ(s["tap1"].headroom, -4);
  EXPECT_EQ(n.names(s["tap1"].path), "tap1>vlan100>vlan20>bond0>eth0");
  EXPECT_EQ(s["vlan101"].vlan_tags, 1u);
  EXPECT_EQ(s["vlan101"].overhead, 4u);
  EXPECT_EQ(s["vlan101"].headroom, 0);  // one tag rides free
  EXPECT_EQ(s["vlan20"].headroom, 0);
  EXPECT_EQ(s["bond0"].headroom, 0);
  EXPECT_TRUE(find_mismatches(n.links()).empty());
}

TEST(LinksStack, QinQ) {
  Net n;
  n.add("eth0", "", 1500);
  n.add("svlan", "vlan", 1500).vlan_protocol = 0x88a8;
  n.on("svlan", "eth0");
  n.add("cvlan", "vlan", 1500);
  n.on("cvlan", "svlan");
  auto s = n.stacks();
  EXPECT_EQ(s["cvlan"].overhead, 8u);
  EXPECT_EQ(s["cvlan"].headroom, -4);
  n.get("eth0").mtu = 1504;  // QinQ done right: the wire raised by the second tag
  EXPECT_EQ(n.stacks()["cvlan"].headroom, 0);
}

TEST(LinksStack, VxlanOverTheUnderlay) {
  Net n;
  n.add("eth0", "", 1500);
  n.add("vx-v4", "vxlan", 1500);
  n.on("vx-v4", "eth0");
  n.add("vx-v4-ok", "vxlan", 1450);
  n.on("vx-v4-ok", "eth0");
  n.add("vx-v6", "vxlan", 1450).underlay_ipv6 = true;
  n.on("vx-v6", "eth0");
  n.add("vx-v6-ok", "vxlan", 1430).underlay_ipv6 = true;
  n.on("vx-v6-ok", "eth0");
  n.add("vx-unbound", "vxlan", 1450);  // routed: the underlay is not known
  auto s = n.stacks();
  EXPECT_EQ(s["vx-v4"].overhead, 50u);
  EXPECT_EQ(s["vx-v4"].headroom, -50);  // the underlay's MTU was not raised
  EXPECT_EQ(s["vx-v4-ok"].headroom, 0);
  EXPECT_EQ(s["vx-v6"].overhead, 70u);
  EXPECT_EQ(s["vx-v6"].headroom, -20);
  EXPECT_EQ(s["vx-v6-ok"].headroom, 0);
  EXPECT_FALSE(s["vx-unbound"].headroom);
  EXPECT_FALSE(s["vx-unbound"].egress);
}

TEST(LinksStack, GeneveBoundAndFlowBased) {
  Net n;
  n.add("eth0", "", 1500);
  n.add("gnv0", "geneve", 1442);
  n.on("gnv0", "eth0");
  n.add("genev_sys_6081", "geneve", 65000).flow_based = true;  // OVN: never misreported
  auto s = n.stacks();
  EXPECT_EQ(s["gnv0"].headroom, 8);
  EXPECT_FALSE(s["genev_sys_6081"].headroom);
}

TEST(LinksStack, BridgesWithMixedMembers) {
  Net n;
  n.add("eth0", "", 1500);
  n.add("br0", "bridge", 1500);
  n.in("eth0", "br0");
  n.add("tap-jumbo", "tun", 9000);
  n.in("tap-jumbo", "br0");
  n.add("tap-ok", "tun", 1500);
  n.in("tap-ok", "br0");
  // A bridge whose uplink is a VXLAN port: the VXLAN device's MTU is what a tap's frame meets.
  n.add("eth1", "", 1500);
  n.add("vx1", "vxlan", 1450);
  n.on("vx1", "eth1");
  n.add("brq2", "bridge", 1450);
  n.in("vx1", "brq2");
  n.add("tap-vm", "tun", 1500);
  n.in("tap-vm", "brq2");
  n.add("tap-fits", "tun", 1450);
  n.in("tap-fits", "brq2");
  n.add("isolated", "bridge", 1500);
  n.add("tap-iso", "tun", 1500);
  n.in("tap-iso", "isolated");
  auto s = n.stacks();
  EXPECT_EQ(s["tap-jumbo"].headroom, -7500);
  EXPECT_EQ(n.names(s["tap-jumbo"].path), "tap-jumbo>eth0");
  EXPECT_EQ(s["tap-ok"].headroom, 0);
  EXPECT_EQ(s["tap-vm"].headroom, -50);  // dropped at vx1 (1450) before encapsulation
  EXPECT_EQ(n.names(s["tap-vm"].path), "tap-vm>vx1>eth1");
  EXPECT_EQ(s["tap-fits"].headroom, 0);
  EXPECT_EQ(s["tap-fits"].overhead, 50u);
  EXPECT_EQ(s["tap-iso"].headroom, 0);  // no uplink: the bridge itself
  EXPECT_EQ(n.names(s["tap-iso"].path), "tap-iso>isolated");
  auto mm = find_mismatches(n.links());
  ASSERT_EQ(mm.size(), 2u);
  EXPECT_EQ(mm[0].kind, "bridge_port");
  EXPECT_EQ(mm[0].ifindex, n.id("tap-jumbo"));
  EXPECT_EQ(mm[0].difference, 7500);
  EXPECT_EQ(mm[1].ifindex, n.id("tap-vm"));
  EXPECT_EQ(mm[1].difference, 50);
}

TEST(LinksStack, MismatchedBondMembersAndVlanOverItsLower) {
  Net n;
  n.add("bond0", "bond", 9000);
  n.add("eth0", "", 9000);
  n.add("eth1", "", 1500);
  n.in("eth0", "bond0");
  n.in("eth1", "bond0");
  n.add("vlan5", "vlan", 9000);
  n.on("vlan5", "eth1");
  auto mm = find_mismatches(n.links());
  ASSERT_EQ(mm.size(), 2u);
  EXPECT_EQ(mm[0].kind, "bond_member");
  EXPECT_EQ(mm[0].ifindex, n.id("eth1"));
  EXPECT_EQ(mm[0].difference, -7500);
  EXPECT_EQ(mm[1].kind, "vlan_lower");
  EXPECT_EQ(mm[1].difference, 7500);
  EXPECT_EQ(n.stacks()["bond0"].headroom, -7500);  // out by its worst member
}

// Open vSwitch and bad input: unknown, never a guess, never a crash.
TEST(LinksStack, UnknownWaysAndLoops) {
  Net n;
  n.add("ovs-system", "openvswitch", 1500);
  n.add("tap-ovs", "tun", 1500);
  n.in("tap-ovs", "ovs-system");
  n.add("a", "vlan", 1500);
  n.add("b", "vlan", 1500);
  n.on("a", "b");
  n.on("b", "a");
  n.add("br", "bridge", 1500);
  n.in("br", "br");  // its own master
  n.add("veth0", "veth", 1500).lower_elsewhere = true;
  n.add("orphan", "vlan", 1500).lower = 999;
  auto s = n.stacks();
  EXPECT_FALSE(s["tap-ovs"].headroom);
  EXPECT_FALSE(s["a"].headroom);
  EXPECT_FALSE(s["orphan"].headroom);
  EXPECT_EQ(s["veth0"].headroom, 0);  // a veth is a wire to its peer
  EXPECT_FALSE(s["br"].headroom);     // its own master: a loop, unknown
  EXPECT_EQ(tunnel_overhead("gre", false), 24u);
  EXPECT_EQ(tunnel_overhead("gretap", true), 58u);
  EXPECT_FALSE(tunnel_overhead("bridge", false));
}

}  // namespace
}  // namespace virtnet::links
