#include "collectors/sockstat/sock_diag_parse.h"

#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>

#include <cstring>
#include <map>

#include "exporter/common/parse_error.h"
#include "tests/unit/fixture.h"

namespace virtnet::sockstat {
namespace {

std::map<std::string, int> count_states(const std::string& bytes, DumpProgress* progress) {
  std::map<std::string, int> n;
  *progress = parse_inet_diag_chunk(
      bytes, [&](const InetDiagEntry& e) { ++n[std::string(tcp_state_name(e.state))]; });
  return n;
}

// Captured inside a namespace holding 1 listener, 5 connections and 3 half-closed ones
// (tests/support/tcp_state_maker 7000 5 3).
TEST(SockDiagParse, RealIpv4Dump) {
  DumpProgress p;
  auto n = count_states(testing::fixture("sock_diag/tcp4.bin"), &p);
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.error, 0);
  EXPECT_EQ(p.sockets, 17u);
  EXPECT_EQ(n["listen"], 1);
  EXPECT_EQ(n["established"], 10);
  EXPECT_EQ(n["fin_wait2"], 3);
  EXPECT_EQ(n["close_wait"], 3);
}

TEST(SockDiagParse, RealIpv6DumpAndPeerAddress) {
  DumpProgress p;
  InetDiagEntry last;
  p = parse_inet_diag_chunk(testing::fixture("sock_diag/tcp6.bin"),
                            [&](const InetDiagEntry& e) { last = e; });
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.sockets, 1u);
  EXPECT_EQ(last.family, AF_INET6);
  EXPECT_EQ(tcp_state_name(last.state), "listen");
  EXPECT_EQ(format_address(last.family, last.dst), "::");
}

TEST(SockDiagParse, PeersOfTheFixture) {
  std::map<std::string, int> peers;
  parse_inet_diag_chunk(testing::fixture("sock_diag/tcp4.bin"), [&](const InetDiagEntry& e) {
    if (e.state == 1) ++peers[format_address(e.family, e.dst)];
  });
  // Server sides see the clients at 127.0.0.2; client sides see the server at 127.0.0.1.
  EXPECT_EQ(peers["127.0.0.2"], 5);
  EXPECT_EQ(peers["127.0.0.1"], 5);
}

std::string message(std::uint16_t type, const std::string& payload,
                    std::uint32_t len_override = 0) {
  nlmsghdr h{};
  h.nlmsg_len = len_override ? len_override : static_cast<std::uint32_t>(16 + payload.size());
  h.nlmsg_type = type;
  std::string out(reinterpret_cast<const char*>(&h), sizeof h);
  out += payload;
  while (out.size() % 4) out += '\0';
  return out;
}

std::string diag_payload(std::uint8_t family, std::uint8_t state) {
  inet_diag_msg m{};
  m.idiag_family = family;
  m.idiag_state = state;
  return std::string(reinterpret_cast<const char*>(&m), sizeof m);
}

TEST(SockDiagParse, ErrorMessageEndsTheDump) {
  int err = -ENOENT;
  std::string bytes =
      message(NLMSG_ERROR, std::string(reinterpret_cast<char*>(&err), 4) + std::string(16, '\0'));
  DumpProgress p = parse_inet_diag_chunk(bytes, [](const InetDiagEntry&) {});
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.error, -ENOENT);
}

TEST(SockDiagParse, ChunkWithoutDoneIsNotDone) {
  std::string bytes = message(SOCK_DIAG_BY_FAMILY, diag_payload(AF_INET, 1)) +
                      message(SOCK_DIAG_BY_FAMILY, diag_payload(AF_INET, 6));
  int count = 0;
  DumpProgress p = parse_inet_diag_chunk(bytes, [&](const InetDiagEntry&) { ++count; });
  EXPECT_FALSE(p.done);
  EXPECT_EQ(count, 2);
}

TEST(SockDiagParse, MalformedIsRejected) {
  const std::string good = message(SOCK_DIAG_BY_FAMILY, diag_payload(AF_INET, 1));
  const std::string cases[] = {
      good.substr(0, 10),                                            // truncated header
      message(SOCK_DIAG_BY_FAMILY, diag_payload(AF_INET, 1), 8),     // length below header
      message(SOCK_DIAG_BY_FAMILY, diag_payload(AF_INET, 1), 4000),  // length past the buffer
      message(SOCK_DIAG_BY_FAMILY, diag_payload(AF_INET, 1).substr(0, 40)),  // short payload
      message(NLMSG_ERROR, "ab"),                                            // short error
  };
  for (const auto& bytes : cases) {
    EXPECT_THROW(parse_inet_diag_chunk(bytes, [](const InetDiagEntry&) {}), ParseError);
  }
}

TEST(SockDiagParse, StateNames) {
  EXPECT_EQ(tcp_state_name(1), "established");
  EXPECT_EQ(tcp_state_name(6), "time_wait");
  EXPECT_EQ(tcp_state_name(10), "listen");
  EXPECT_EQ(tcp_state_name(200), "");
}

}  // namespace
}  // namespace virtnet::sockstat
