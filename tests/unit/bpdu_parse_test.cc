#include "collectors/bpdu/bpdu_parse.h"

#include <gtest/gtest.h>

#include <vector>

namespace virtnet::bpdu {
namespace {

using Frame = std::vector<std::uint8_t>;

// Built from the standards' layouts (802.1D 9.3, 802.1w; Cisco PVST+): destination, source,
// 802.3 length, LLC (and SNAP), then protocol 0, version, type and the rest of the BPDU.
Frame ieee(std::uint8_t version, std::uint8_t type, std::size_t body = 32) {
  Frame f = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00, 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
  const std::size_t len = 3 + 4 + body;
  f.push_back(static_cast<std::uint8_t>(len >> 8));
  f.push_back(static_cast<std::uint8_t>(len));
  f.insert(f.end(), {0x42, 0x42, 0x03, 0x00, 0x00, version, type});
  f.insert(f.end(), body, 0);
  return f;
}

Frame pvst(bool tagged) {
  Frame f = {0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcd, 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
  if (tagged) f.insert(f.end(), {0x81, 0x00, 0x00, 0x0a});
  f.insert(f.end(),
           {0x00, 0x32, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x01, 0x0b, 0x00, 0x00, 0x02, 0x02});
  f.insert(f.end(), 32, 0);
  return f;
}

TEST(BpduParse, ReadsEachKind) {
  struct Case {
    Frame f;
    Kind kind;
  };
  const Case cases[] = {{ieee(0, 0x00), Kind::kConfig}, {ieee(0, 0x80, 0), Kind::kTcn},
                        {ieee(2, 0x02), Kind::kRstp},   {ieee(3, 0x02), Kind::kMstp},
                        {pvst(false), Kind::kPvst},     {pvst(true), Kind::kPvst}};
  for (const auto& c : cases) {
    const auto r = parse_frame(c.f);
    ASSERT_EQ(r.reject, Reject::kNone) << kind_name(c.kind) << ": " << reject_name(r.reject);
    EXPECT_EQ(r.kind, c.kind);
  }
}

TEST(BpduParse, RejectsWithTheReason) {
  Frame f = ieee(0, 0x00);
  f[5] = 0x0e;  // LLDP's address
  EXPECT_EQ(parse_frame(f).reject, Reject::kNotBpdu);
  f = ieee(0, 0x00);
  f[12] = 0x08;  // an EtherType, not a length
  EXPECT_EQ(parse_frame(f).reject, Reject::kNotBpdu);
  f = ieee(0, 0x00);
  f[14] = 0xaa;  // another LLC
  EXPECT_EQ(parse_frame(f).reject, Reject::kNotBpdu);
  f = ieee(0, 0x00);
  f[17] = 0x01;  // protocol identifier
  EXPECT_EQ(parse_frame(f).reject, Reject::kProtocol);
  EXPECT_EQ(parse_frame(ieee(0, 0x33)).reject, Reject::kProtocol);
}

TEST(BpduParse, EveryTruncationIsRejectedNotRead) {
  for (const Frame& f : {ieee(0, 0x00), pvst(true)}) {
    for (std::size_t n = 0; n < 21; ++n) {
      const Frame cut(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n));
      EXPECT_NE(parse_frame(cut).reject, Reject::kNone) << n;
    }
  }
}

}  // namespace
}  // namespace virtnet::bpdu
