#include "exporter/sources/ethernet_frame.h"

#include <gtest/gtest.h>

#include <vector>

namespace virtnet {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Destination 01:80:c2:00:00:00, source 02:00:00:00:00:01, then `rest` (type field onwards).
Bytes frame(const Bytes& rest) {
  Bytes f = {0x01, 0x80, 0xc2, 0, 0, 0, 0x02, 0, 0, 0, 0, 0x01};
  // Byte by byte: GCC 12 reports a false -Warray-bounds for vector::insert here.
  for (auto b : rest) f.push_back(b);
  return f;
}

TEST(EthernetFrame, UntaggedEtherTypeAndLength) {
  const auto v4 = frame({0x08, 0x00, 0x45, 0x00});
  auto h = parse_ethernet(v4);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->destination[0], 0x01);
  EXPECT_EQ(h->source[5], 0x01);
  EXPECT_EQ(h->tags, 0u);
  EXPECT_EQ(h->type_or_length, 0x0800);
  EXPECT_FALSE(h->is_8023_length());
  ASSERT_EQ(h->payload.size(), 2u);
  EXPECT_EQ(h->payload[0], 0x45);

  const auto llc = frame({0x00, 0x26, 0x42, 0x42, 0x03});
  h = parse_ethernet(llc);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->is_8023_length());
  EXPECT_EQ(h->payload.size(), 3u);
}

// Tags of each TPID, outermost first; QinQ; the fifth tag is left as the type.
TEST(EthernetFrame, TagsLeftInTheFrame) {
  const auto qinq = frame({0x88, 0xa8, 0x00, 0x1f, 0x81, 0x00, 0x20, 0x28, 0x86, 0xdd});
  auto h = parse_ethernet(qinq);
  ASSERT_TRUE(h);
  ASSERT_EQ(h->tags, 2u);
  EXPECT_EQ(h->vlans[0], 31);
  EXPECT_EQ(h->vlans[1], 40);  // the priority bits (0x2000) are not the VLAN id
  EXPECT_EQ(h->type_or_length, 0x86dd);
  EXPECT_TRUE(h->payload.empty());

  Bytes five;
  for (int i = 0; i < 5; ++i) {
    for (int b : {0x91, 0x00, 0x00, 0x05}) five.push_back(static_cast<std::uint8_t>(b));
  }
  five.push_back(0x08);
  five.push_back(0x00);
  h = parse_ethernet(frame(five));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->tags, EthernetHeader::kMaxTags);
  EXPECT_EQ(h->type_or_length, 0x9100);  // not an EtherType a parser takes
  EXPECT_TRUE(is_vlan_tpid(h->type_or_length));
}

// Every cut of a tagged frame: a header, or nothing; never a read past the end (ASan).
TEST(EthernetFrame, EveryTruncation) {
  const auto full = frame({0x81, 0x00, 0x00, 0x0a, 0x08, 0x00, 0x45});
  for (std::size_t n = 0; n <= full.size(); ++n) {
    const auto h = parse_ethernet(std::span(full.data(), n));
    EXPECT_EQ(h.has_value(), n >= 18) << n;
  }
}

}  // namespace
}  // namespace virtnet
