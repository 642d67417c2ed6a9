#include "exporter/http/gzip.h"

#include <gtest/gtest.h>

#include "tests/unit/gunzip.h"

namespace virtnet {
namespace {

// `in` as one gzip stream written at once; nothing if zlib refuses.
std::optional<std::string> gzip_compress(std::string_view in, int level) {
  GzipStream z;
  if (!z.begin(level) || !z.write(in)) return std::nullopt;
  return z.finish();
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
    EXPECT_EQ(testing::gunzip(*z), text);
  }
  auto empty = gzip_compress("", 1);
  ASSERT_TRUE(empty);
  EXPECT_EQ(testing::gunzip(*empty), "");
  EXPECT_FALSE(gzip_compress("x", 42));  // not a zlib level
}

// Written in pieces (as the exposition is, family by family), the stream is one gzip member that
// inflates to the pieces joined.
TEST(Gzip, StreamWrittenInPieces) {
  GzipStream z;
  ASSERT_TRUE(z.begin(1));
  std::string whole;
  for (int i = 0; i < 3000; ++i) {
    const std::string piece =
        "virtnet_qemu_threads{domain=\"instance-" + std::to_string(i) + "\",class=\"vcpu\"} 4\n";
    whole += piece;
    ASSERT_TRUE(z.write(piece));
  }
  ASSERT_TRUE(z.write(""));
  auto out = z.finish();
  ASSERT_TRUE(out);
  EXPECT_LT(out->size(), whole.size() / 5);
  EXPECT_EQ(testing::gunzip(*out), whole);
  GzipStream bad;
  EXPECT_FALSE(bad.begin(42));
  EXPECT_FALSE(bad.write("x"));  // never begun: refused, not written
}

}  // namespace
}  // namespace virtnet
