#include "exporter/sources/netns.h"

#include <gtest/gtest.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace virtnet {
namespace {

std::string own_netns() {
  char buf[64] = {};
  const ssize_t n = readlink("/proc/thread-self/ns/net", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
}

// A real namespace with a veth pair inside: the function sees it, the caller's thread does not
// move, a vanished namespace is "gone".
TEST(Netns, RunsInsideANamedNamespaceOnItsOwnThread) {
  if (getuid() != 0) GTEST_SKIP() << "needs root to create a network namespace (ip netns add)";
  const std::string ns = "virtnet-unit-" + std::to_string(getpid());
  ASSERT_EQ(std::system(("ip netns add " + ns).c_str()), 0);
  const bool veth =
      std::system(("ip -n " + ns + " link add vtest0 type veth peer name vtest1").c_str()) == 0;
  const std::string before = own_netns();

  const auto list = list_netns("/run/netns", 1000);
  EXPECT_NE(std::find(list.names.begin(), list.names.end(), ns), list.names.end());
  const auto capped = list_netns("/run/netns", 0);
  EXPECT_TRUE(capped.names.empty());
  EXPECT_TRUE(capped.truncated);

  unsigned inside = 0;
  std::string inside_ns;
  auto r = run_in_netns("/run/netns/" + ns, [&] {
    inside = if_nametoindex("vtest0");
    inside_ns = own_netns();
  });
  EXPECT_EQ(r.status, NetnsStatus::kOk) << r.error;
  EXPECT_NE(inside_ns, before);
  if (veth) {
    EXPECT_NE(inside, 0u);
    EXPECT_EQ(if_nametoindex("vtest0"), 0u);  // not in the caller's namespace
  }
  EXPECT_EQ(own_netns(), before);

  r = run_in_netns("/run/netns/" + ns, [] { throw std::runtime_error("dump failed"); });
  EXPECT_EQ(r.status, NetnsStatus::kError);
  EXPECT_EQ(r.error, "dump failed");

  std::system(("ip netns del " + ns).c_str());
  r = run_in_netns("/run/netns/" + ns, [] {});
  EXPECT_EQ(r.status, NetnsStatus::kGone) << r.error;
  EXPECT_EQ(list_netns("/nonexistent/netns", 10).error, ENOENT);
}

}  // namespace
}  // namespace virtnet
