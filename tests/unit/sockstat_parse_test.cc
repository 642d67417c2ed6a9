#include "collectors/sockstat/sockstat_parse.h"

#include <gtest/gtest.h>

#include "exporter/common/parse_error.h"
#include "tests/unit/fixture.h"

namespace virtnet::sockstat {
namespace {

TEST(SockstatParse, RealFixture) {
  auto lines = parse_sockstat(testing::fixture("proc/net/sockstat"));
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0].protocol, "sockets");
  EXPECT_EQ(lines[0].fields.at(0).first, "used");
  EXPECT_EQ(lines[1].protocol, "TCP");
  ASSERT_EQ(lines[1].fields.size(), 5u);
  EXPECT_EQ(lines[1].fields[0], (std::pair<std::string, std::uint64_t>{"inuse", 14}));
  EXPECT_EQ(lines[1].fields[4], (std::pair<std::string, std::uint64_t>{"mem", 205}));
  EXPECT_EQ(lines[5].protocol, "FRAG");
  EXPECT_EQ(lines[5].fields[1].first, "memory");
}

TEST(SockstatParse, Ipv6FixtureAndBlankLines) {
  auto lines = parse_sockstat("\n" + testing::fixture("proc/net/sockstat6") + "\n\n");
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].protocol, "TCP6");
  EXPECT_EQ(lines[0].fields[0].second, 1u);
}

TEST(SockstatParse, UnknownProtocolsAndKeysAreKept) {
  auto lines = parse_sockstat("MPTCP: inuse 3 newkey 7\n");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].fields[1].first, "newkey");
  EXPECT_EQ(lines[0].fields[1].second, 7u);
}

TEST(SockstatParse, MalformedIsRejectedWithTheLine) {
  struct Case {
    const char* name;
    const char* text;
    const char* in_message;
  };
  const Case cases[] = {
      {"no colon", "TCP inuse 4\n", "TCP inuse 4"},
      {"empty name", ": inuse 4\n", ": inuse 4"},
      {"odd tokens", "TCP: inuse 4 orphan\n", "TCP: inuse 4 orphan"},
      {"non-numeric", "TCP: inuse four\n", "four"},
      {"negative", "TCP: inuse -1\n", "-1"},
      {"overflow", "TCP: inuse 99999999999999999999999\n", "9999"},
      {"truncated number", "TCP: inuse 4x\n", "4x"},
  };
  for (const auto& c : cases) {
    try {
      parse_sockstat(c.text);
      ADD_FAILURE() << c.name << ": accepted";
    } catch (const ParseError& e) {
      EXPECT_NE(std::string(e.what()).find(c.in_message), std::string::npos)
          << c.name << ": " << e.what();
    }
  }
}

TEST(SockstatParse, Sysctls) {
  auto m = parse_tcp_mem(testing::fixture("proc/sys/net/ipv4/tcp_mem"));
  EXPECT_EQ(m.min_pages, 287898u);
  EXPECT_EQ(m.pressure_pages, 383867u);
  EXPECT_EQ(m.max_pages, 575796u);
  auto f = parse_file_nr("330\t0\t9223372036854775807\n");
  EXPECT_EQ(f.allocated, 330u);
  EXPECT_EQ(f.max, 9223372036854775807ull);
  EXPECT_EQ(parse_single_u64("131072\n", "x"), 131072u);

  EXPECT_THROW(parse_tcp_mem("1 2\n"), ParseError);
  EXPECT_THROW(parse_tcp_mem("1 2 3 4\n"), ParseError);
  EXPECT_THROW(parse_tcp_mem(""), ParseError);
  EXPECT_THROW(parse_file_nr("a b c\n"), ParseError);
  EXPECT_THROW(parse_single_u64("", "x"), ParseError);
  EXPECT_THROW(parse_single_u64("1 2\n", "x"), ParseError);
}

}  // namespace
}  // namespace virtnet::sockstat
