#include "exporter/http/listen_address.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace virtnet {
namespace {

TEST(ListenAddress, Accepted) {
  auto a = parse_listen_address(":10120");
  EXPECT_EQ(a.host, "");
  EXPECT_EQ(a.port, 10120);
  a = parse_listen_address("127.0.0.1:80");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 80);
  a = parse_listen_address("localhost:65535");
  EXPECT_EQ(a.host, "localhost");
  a = parse_listen_address("[::1]:10120");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 10120);
  EXPECT_EQ(parse_listen_address("[::]:0").host, "::");
}

TEST(ListenAddress, Refused) {
  for (auto bad : {"", "10120", ":", ":65536", ":http", ":-1", "[]:1", "[::1]", "[::1]80",
                   "[::g]:1", "::1:80", "a b:80", "host:80x"}) {
    EXPECT_THROW(parse_listen_address(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace virtnet
