#include "collectors/vrrp/vrrp_parse.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/fixture.h"

namespace virtnet::vrrp {
namespace {

using Frame = std::vector<std::uint8_t>;

// Ethernet frames captured from keepalived 2.2.7 in network namespaces (tests/fixtures/vrrp/):
// v2 with auth PASS "s3cretpw" (VRID 51, priority 150), v2 in IPsec AH (VRID 71), v3 over IPv4
// with two addresses and a 0.5 s interval (VRID 61), v3 over IPv6 (VRID 62, 2 s).
Frame frame(const std::string& name) {
  const std::string s = testing::fixture("vrrp/" + name + ".bin");
  return Frame(s.begin(), s.end());
}

ParseResult parse(const Frame& f) { return parse_frame(f); }

TEST(VrrpParse, ReadsKeepalivedV2WithAPassword) {
  const auto r = parse(frame("v2_ipv4_vrid51"));
  ASSERT_EQ(r.reject, Reject::kNone) << reject_name(r.reject);
  EXPECT_EQ(r.advert.version, 2);
  EXPECT_EQ(r.advert.vrid, 51);
  EXPECT_EQ(r.advert.priority, 150);
  EXPECT_EQ(r.advert.auth_type, 1);
  EXPECT_FALSE(r.advert.via_ah);
  EXPECT_EQ(r.advert.addresses, 1);
  EXPECT_EQ(r.advert.interval_seconds, 1.0);
  EXPECT_EQ(r.advert.family, Family::kIpv4);
  EXPECT_EQ(source_text(r.advert), "10.99.0.1");
  EXPECT_EQ(r.advert.vlan, 0);
}

TEST(VrrpParse, ReadsV2InsideAh) {
  const auto r = parse(frame("v2_ah"));
  ASSERT_EQ(r.reject, Reject::kNone) << reject_name(r.reject);
  EXPECT_EQ(r.advert.vrid, 71);
  EXPECT_EQ(r.advert.priority, 120);
  EXPECT_TRUE(r.advert.via_ah);
}

TEST(VrrpParse, ReadsV3OverIpv4InCentiseconds) {
  const auto r = parse(frame("v3_ipv4_vrid61"));
  ASSERT_EQ(r.reject, Reject::kNone) << reject_name(r.reject);
  EXPECT_EQ(r.advert.version, 3);
  EXPECT_EQ(r.advert.vrid, 61);
  EXPECT_EQ(r.advert.priority, 200);
  EXPECT_EQ(r.advert.addresses, 2);
  EXPECT_DOUBLE_EQ(r.advert.interval_seconds, 0.5);
}

TEST(VrrpParse, ReadsV3OverIpv6) {
  const auto r = parse(frame("v3_ipv6_vrid62"));
  ASSERT_EQ(r.reject, Reject::kNone) << reject_name(r.reject);
  EXPECT_EQ(r.advert.family, Family::kIpv6);
  EXPECT_EQ(r.advert.vrid, 62);
  EXPECT_EQ(r.advert.priority, 90);
  EXPECT_DOUBLE_EQ(r.advert.interval_seconds, 2.0);
  EXPECT_EQ(source_text(r.advert).rfind("fe80::", 0), 0u) << source_text(r.advert);
}

// The kernel strips the outer tag into metadata (the capture reads it there); tags left in the
// frame (QinQ's inner one, or no offload) are skipped, the outermost of them kept.
TEST(VrrpParse, ReadsTaggedFrames) {
  for (int tags : {1, 2}) {
    Frame f = frame("v2_ipv4_vrid51");
    for (int i = 0; i < tags; ++i) {
      const Frame tag = {0x81, 0x00, 0x00, static_cast<std::uint8_t>(20 + i)};
      f.insert(f.begin() + 12, tag.begin(), tag.end());
    }
    const auto r = parse(f);
    EXPECT_EQ(r.reject, Reject::kNone) << tags << " tags: " << reject_name(r.reject);
    EXPECT_EQ(r.advert.vlan, tags == 1 ? 20 : 21) << tags << " tags";
    EXPECT_EQ(r.advert.vrid, 51);
  }
}

TEST(VrrpParse, EveryTruncationIsRejectedNotRead) {
  for (const char* name : {"v2_ipv4_vrid51", "v2_ah", "v3_ipv4_vrid61", "v3_ipv6_vrid62"}) {
    const Frame f = frame(name);
    for (std::size_t n = 0; n < f.size(); ++n) {
      const Frame cut(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n));
      EXPECT_NE(parse(cut).reject, Reject::kNone) << name << " cut at " << n;
    }
  }
}

TEST(VrrpParse, RejectsWithTheReason) {
  const Frame v2 = frame("v2_ipv4_vrid51");  // IPv4 header at 14, VRRP at 34
  auto with = [&](std::size_t at, std::uint8_t value, Frame f) {
    f[at] = value;
    return parse(f).reject;
  };
  EXPECT_EQ(with(34 + 7, static_cast<std::uint8_t>(v2[34 + 7] ^ 1), v2), Reject::kChecksum);
  EXPECT_EQ(with(34, 0x22, v2), Reject::kType);
  EXPECT_EQ(with(34, 0x41, v2), Reject::kVersion);
  EXPECT_EQ(with(34 + 1, 0, v2), Reject::kVrid);
  EXPECT_EQ(with(34 + 5, 0, v2), Reject::kInterval);
  EXPECT_EQ(with(14 + 8, 64, v2), Reject::kTtl);         // multicast must keep TTL 255
  EXPECT_EQ(with(14 + 6, 0x20, v2), Reject::kFragment);  // more fragments
  EXPECT_EQ(with(14 + 9, 6, v2), Reject::kNotVrrp);
  EXPECT_EQ(with(13, 0x06, v2), Reject::kNotVrrp);  // ARP
  Frame v6 = frame("v3_ipv6_vrid62");
  EXPECT_EQ(with(54, 0x21, v6), Reject::kVersion);  // VRRPv2 exists over IPv4 only
}

// keepalived's unicast_peer sends to each peer with an ordinary TTL: only multicast is held to 255.
TEST(VrrpParse, AcceptsUnicastWithAnyTtl) {
  Frame f = frame("v2_ipv4_vrid51");
  f[14 + 8] = 64;
  const std::uint8_t peer[] = {10, 99, 0, 2};
  std::copy(std::begin(peer), std::end(peer), f.begin() + 14 + 16);
  EXPECT_EQ(parse(f).reject, Reject::kNone);
}

// keepalived >= 2.4 may append an HMAC trailer after the addresses; link layers pad short frames.
TEST(VrrpParse, ToleratesTrailersAndPadding) {
  Frame f = frame("v3_ipv4_vrid61");
  const std::size_t total = static_cast<std::size_t>((f[16] << 8) | f[17]) + 20;
  f.insert(f.end(), 20, 0xab);
  f[16] = static_cast<std::uint8_t>(total >> 8);
  f[17] = static_cast<std::uint8_t>(total & 0xff);
  EXPECT_EQ(parse(f).reject, Reject::kNone);
  Frame padded = frame("v2_ipv4_vrid51");
  padded.insert(padded.end(), 6, 0);
  EXPECT_EQ(parse(padded).reject, Reject::kNone);
}

TEST(VrrpParse, MasterDownIntervalFollowsTheRfcs) {
  EXPECT_DOUBLE_EQ(master_down_interval(2, 100, 1), 3 + 156.0 / 256);
  EXPECT_DOUBLE_EQ(master_down_interval(3, 100, 2), 6 + 156.0 * 2 / 256);
  EXPECT_DOUBLE_EQ(master_down_interval(2, 255, 1), 3 + 1.0 / 256);
}

}  // namespace
}  // namespace virtnet::vrrp
