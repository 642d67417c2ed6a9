#include "exporter/sources/proc_pid_parse.h"

#include <gtest/gtest.h>

#include "exporter/common/parse_error.h"

namespace virtnet {
namespace {

// The field layout of a real /proc/PID/stat, with a comm set through prctl(PR_SET_NAME) to
// "a) b (c" as a hostile process could.
constexpr const char* kWeirdComm =
    "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 1234 0 5 0 700 300 0 0 20 0 3 0 98765 "
    "123456789 2048 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 "
    "0 0 0\n";

TEST(ProcStatParse, CommWithSpacesAndParentheses) {
  auto s = parse_proc_stat(kWeirdComm);
  EXPECT_EQ(s.pid, 4242);
  EXPECT_EQ(s.comm, "a) b (c");
  EXPECT_EQ(s.state, 'S');
  EXPECT_EQ(s.ppid, 1);
  EXPECT_EQ(s.minflt, 1234u);
  EXPECT_EQ(s.majflt, 5u);
  EXPECT_EQ(s.utime_ticks, 700u);
  EXPECT_EQ(s.stime_ticks, 300u);
  EXPECT_EQ(s.num_threads, 3);
  EXPECT_EQ(s.starttime_ticks, 98765u);
  EXPECT_EQ(s.vsize_bytes, 123456789u);
  EXPECT_EQ(s.rss_pages, 2048);
}

TEST(ProcStatParse, KernelThreadAndZombie) {
  auto k = parse_proc_stat(
      "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 1 0 0 20 0 1 0 2 0 0 18446744073709551615 0 "
      "0 0 0 0 0 0 2147483647 0 0 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0");
  EXPECT_EQ(k.comm, "kthreadd");
  EXPECT_EQ(k.vsize_bytes, 0u);
  EXPECT_TRUE(k.flags & kPfKthread);
  auto z = parse_proc_stat(
      "77 (defunct) Z 1 77 77 0 -1 4227148 0 0 0 0 0 0 0 0 20 0 1 0 500 0 0 "
      "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0");
  EXPECT_EQ(z.state, 'Z');
}

TEST(ProcStatParse, Malformed) {
  EXPECT_THROW(parse_proc_stat(""), ParseError);
  EXPECT_THROW(parse_proc_stat("12 comm S 1"), ParseError);
  EXPECT_THROW(parse_proc_stat("12 (x) S 1 2 3"), ParseError);  // truncated
  EXPECT_THROW(parse_proc_stat("x (y) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0 0"),
               ParseError);
  EXPECT_THROW(parse_proc_stat("12 )x( S"), ParseError);
}

TEST(LimitsParse, OpenFiles) {
  const char* text =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n"
      "Max open files            1024                 524288               files     \n";
  auto l = parse_limits_open_files(text);
  ASSERT_TRUE(l.soft.has_value());
  EXPECT_EQ(*l.soft, 1024u);
  EXPECT_EQ(*l.hard, 524288u);
  auto u = parse_limits_open_files("Max open files            unlimited  unlimited  files\n");
  EXPECT_FALSE(u.soft.has_value());
  EXPECT_THROW(parse_limits_open_files("Max cpu time unlimited unlimited seconds\n"), ParseError);
  EXPECT_THROW(parse_limits_open_files("Max open files            lots  1 files\n"), ParseError);
}

TEST(BtimeParse, FindsIt) {
  EXPECT_EQ(parse_btime("cpu  1 2 3\nintr 5\nbtime 1795430000\nprocesses 9\n"), 1795430000u);
  EXPECT_THROW(parse_btime("cpu 1 2 3\n"), ParseError);
  EXPECT_THROW(parse_btime("btime soon\n"), ParseError);
}

}  // namespace
}  // namespace virtnet
