#include "exporter/http/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace virtnet {
namespace {

std::string gunzip(const std::string& z) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(z.data()));
  zs.avail_in = static_cast<uInt>(z.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

TEST(Gzip, RoundTripAndHeader) {
  std::string text;
  for (int i = 0; i < 5000; ++i) {
    text += "virtnet_link_mtu_bytes{netns=\"\",link=\"tap" + std::to_string(i) + "\"} 1500\n";
  }
  for (int level : {1, 6, 9}) {
    auto z = gzip_compress(text, level);
    ASSERT_TRUE(z);
    EXPECT_EQ(static_cast<unsigned char>((*z)[0]), 0x1f);  // gzip magic, not a zlib stream
    EXPECT_EQ(static_cast<unsigned char>((*z)[1]), 0x8b);
    EXPECT_LT(z->size(), text.size() / 5);
    EXPECT_EQ(gunzip(*z), text);
  }
  auto empty = gzip_compress("", 1);
  ASSERT_TRUE(empty);
  EXPECT_EQ(gunzip(*empty), "");
  EXPECT_FALSE(gzip_compress("x", 42));  // not a zlib level
}

}  // namespace
}  // namespace virtnet
