#include "collectors/links/links_parse.h"

#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <functional>

namespace virtnet::links {
namespace {

// An RTM_NEWLINK message built with libnl's constructors, as the kernel would send it.
std::string message(int ifindex, const std::function<void(nl_msg*)>& attrs,
                    int type = RTM_NEWLINK) {
  nl_msg* m = nlmsg_alloc_simple(type, NLM_F_MULTI);
  ifinfomsg ifi{};
  ifi.ifi_index = ifindex;
  nlmsg_append(m, &ifi, sizeof ifi, NLMSG_ALIGNTO);
  attrs(m);
  const nlmsghdr* h = nlmsg_hdr(m);
  std::string out(reinterpret_cast<const char*>(h), h->nlmsg_len);
  nlmsg_free(m);
  return out;
}

std::string done() {
  return message(
      0, [](nl_msg*) {}, NLMSG_DONE);
}

void kind(nl_msg* m, const char* k, const std::function<void(nl_msg*)>& data = {}) {
  nlattr* info = nla_nest_start(m, IFLA_LINKINFO);
  nla_put_string(m, IFLA_INFO_KIND, k);
  if (data) {
    nlattr* d = nla_nest_start(m, IFLA_INFO_DATA);
    data(m);
    nla_nest_end(m, d);
  }
  nla_nest_end(m, info);
}

TEST(LinksParse, VlanVxlanBridgePortAndCounters) {
  std::string dump;
  dump += message(2, [](nl_msg* m) {
    nla_put_string(m, IFLA_IFNAME, "bond0");
    nla_put_u32(m, IFLA_MTU, 1500);
    nla_put_u32(m, IFLA_LINK, 2);  // a device names itself: no lower
    nla_put_u8(m, IFLA_OPERSTATE, 6);
    nla_put_u8(m, IFLA_CARRIER, 1);
    rtnl_link_stats64 st{};
    st.rx_packets = 10;
    st.tx_packets = 20;
    st.rx_bytes = 1000;
    st.tx_bytes = 2000;
    st.rx_dropped = 3;
    nla_put(m, IFLA_STATS64, sizeof st, &st);
    kind(m, "bond");
  });
  dump += message(5, [](nl_msg* m) {
    nla_put_string(m, IFLA_IFNAME, "vlan20");
    nla_put_u32(m, IFLA_MTU, 1500);
    nla_put_u32(m, IFLA_LINK, 2);
    nla_put_u32(m, IFLA_MASTER, 9);
    kind(m, "vlan", [](nl_msg* d) {
      nla_put_u16(d, IFLA_VLAN_ID, 20);
      nla_put_u16(d, IFLA_VLAN_PROTOCOL, htons(0x88a8));
    });
  });
  dump += message(7, [](nl_msg* m) {
    nla_put_string(m, IFLA_IFNAME, "vxlan-42");
    nla_put_u32(m, IFLA_MTU, 1450);
    kind(m, "vxlan", [](nl_msg* d) {
      nla_put_u32(d, IFLA_VXLAN_ID, 42);
      nla_put_u32(d, IFLA_VXLAN_LINK, 2);
      in6_addr a{};
      nla_put(d, IFLA_VXLAN_LOCAL6, sizeof a, &a);
    });
  });
  dump += message(8, [](nl_msg* m) {
    nla_put_string(m, IFLA_IFNAME, "genev_sys_6081");
    nla_put_u32(m, IFLA_MTU, 65000);
    kind(m, "geneve", [](nl_msg* d) { nla_put_flag(d, IFLA_GENEVE_COLLECT_METADATA); });
  });
  dump += message(11, [](nl_msg* m) {
    nla_put_string(m, IFLA_IFNAME, "veth0");
    nla_put_u32(m, IFLA_MTU, 1500);
    nla_put_u32(m, IFLA_LINK, 3);
    nla_put_s32(m, IFLA_LINK_NETNSID, 0);  // the peer lives in another namespace
    kind(m, "veth");
  });
  dump += done();
  std::vector<ParsedLink> links;
  auto p = parse_link_chunk(dump, links);
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.malformed, 0u);
  ASSERT_EQ(links.size(), 5u);
  EXPECT_EQ(links[0].link.name, "bond0");
  EXPECT_EQ(links[0].link.kind, "bond");
  EXPECT_EQ(links[0].link.lower, 0);
  EXPECT_EQ(links[0].operstate, "up");
  EXPECT_EQ(links[0].carrier, true);
  ASSERT_TRUE(links[0].stats);
  EXPECT_EQ(links[0].stats->rx_bytes, 1000u);
  EXPECT_EQ(links[0].stats->tx_packets, 20u);
  EXPECT_EQ(links[0].stats->rx_dropped, 3u);
  EXPECT_EQ(links[1].link.vlan_id, 20);
  EXPECT_EQ(links[1].link.vlan_protocol, 0x88a8);
  EXPECT_EQ(links[1].link.lower, 2);
  EXPECT_EQ(links[1].link.master, 9);
  EXPECT_EQ(links[2].link.vni, 42u);
  EXPECT_EQ(links[2].link.lower, 2);
  EXPECT_TRUE(links[2].link.underlay_ipv6);
  EXPECT_TRUE(links[3].link.flow_based);
  EXPECT_TRUE(links[4].link.lower_elsewhere);
}

// Truncated and wrong-sized attributes are counted and skipped; the rest of the dump is read.
TEST(LinksParse, BadBytesAreCountedNeverFatal) {
  std::string good = message(1, [](nl_msg* m) {
    nla_put_string(m, IFLA_IFNAME, "eth0");
    nla_put_u32(m, IFLA_MTU, 1500);
  });
  std::string short_mtu = message(2, [](nl_msg* m) {
    nla_put_string(m, IFLA_IFNAME, "eth1");
    nla_put_u8(m, IFLA_MTU, 1);  // one byte where four belong
    nla_put_u16(m, IFLA_MASTER, 1);
  });
  std::vector<ParsedLink> links;
  auto p = parse_link_chunk(good + short_mtu + done(), links);
  EXPECT_EQ(p.malformed, 2u);
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[1].link.mtu, 0u);

  // An attribute whose length runs past its message.
  std::string cut = good;
  cut[16 + 16 + 0] = static_cast<char>(200);  // IFLA_IFNAME's rta_len
  links.clear();
  p = parse_link_chunk(cut, links);
  EXPECT_GE(p.malformed, 1u);
  // A message length past the buffer, and a buffer too short for a header.
  links.clear();
  p = parse_link_chunk(good.substr(0, good.size() - 4), links);
  EXPECT_EQ(p.malformed, 1u);
  EXPECT_TRUE(links.empty());
  p = parse_link_chunk(std::string_view(good).substr(0, 10), links);
  EXPECT_EQ(p.malformed, 1u);
  // A message with no name is not exported.
  links.clear();
  p = parse_link_chunk(message(3, [](nl_msg* m) { nla_put_u32(m, IFLA_MTU, 1500); }), links);
  EXPECT_TRUE(links.empty());
  EXPECT_EQ(p.malformed, 1u);
}

// Incident 3 from the bytes up: a link dump with tenant VLAN 100 on vlan20 on bond0.
TEST(LinksParse, VlanOnVlanFromTheDumpToTheHeadroom) {
  auto link = [](int idx, const char* name, const char* k, int lower, int master,
                 std::optional<std::uint16_t> vid = {}) {
    return message(idx, [&](nl_msg* m) {
      nla_put_string(m, IFLA_IFNAME, name);
      nla_put_u32(m, IFLA_MTU, 1500);
      if (lower) nla_put_u32(m, IFLA_LINK, static_cast<std::uint32_t>(lower));
      if (master) nla_put_u32(m, IFLA_MASTER, static_cast<std::uint32_t>(master));
      if (*k) {
        kind(m, k, [&](nl_msg* d) {
          if (vid) nla_put_u16(d, IFLA_VLAN_ID, *vid);
        });
      }
    });
  };
  const std::string dump = link(2, "eth0", "", 0, 4) + link(3, "eth1", "", 0, 4) +
                           link(4, "bond0", "bond", 0, 0) + link(5, "vlan20", "vlan", 4, 0, 20) +
                           link(6, "vlan100", "vlan", 5, 0, 100) + done();
  std::vector<ParsedLink> parsed;
  ASSERT_TRUE(parse_link_chunk(dump, parsed).done);
  std::vector<Link> links;
  for (const auto& p : parsed) links.push_back(p.link);
  const auto stacks = compute_stacks(links);
  ASSERT_EQ(stacks.size(), 5u);
  EXPECT_EQ(stacks[4].vlan_tags, 2u);
  EXPECT_EQ(stacks[4].headroom, -4);
  EXPECT_EQ(stacks[4].path, (std::vector<int>{6, 5, 4, 2}));
  EXPECT_EQ(stacks[3].headroom, 0);  // vlan20 alone is fine
}

TEST(LinksParse, ErrorAndOperstates) {
  std::vector<ParsedLink> links;
  nl_msg* m = nlmsg_alloc_simple(NLMSG_ERROR, 0);
  int err = -1;  // EPERM
  nlmsg_append(m, &err, sizeof err, NLMSG_ALIGNTO);
  const nlmsghdr* h = nlmsg_hdr(m);
  auto p = parse_link_chunk(std::string(reinterpret_cast<const char*>(h), h->nlmsg_len), links);
  nlmsg_free(m);
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.error, -1);
  EXPECT_EQ(operstate_name(2), "down");
  EXPECT_EQ(operstate_name(3), "lowerlayerdown");
  EXPECT_EQ(operstate_name(200), "unknown");
}

}  // namespace
}  // namespace virtnet::links
