#include "collectors/links/links_collector.h"

#include <gtest/gtest.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "exporter/config/config.h"
#include "tests/unit/metric_lookup.h"

namespace virtnet::links {
namespace {

namespace fs = std::filesystem;

std::string bytes(nl_msg* m) {
  const nlmsghdr* h = nlmsg_hdr(m);
  std::string out(reinterpret_cast<const char*>(h), h->nlmsg_len);
  nlmsg_free(m);
  return out;
}

// One link named `name`, then the end of the dump.
std::string dump_of(const char* name) {
  nl_msg* m = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_MULTI);
  ifinfomsg ifi{};
  ifi.ifi_index = 2;
  nlmsg_append(m, &ifi, sizeof ifi, NLMSG_ALIGNTO);
  nla_put_string(m, IFLA_IFNAME, name);
  nla_put_u32(m, IFLA_MTU, 1500);
  std::string out = bytes(m);
  nl_msg* done = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI);
  int zero = 0;
  nlmsg_append(done, &zero, sizeof zero, NLMSG_ALIGNTO);
  return out + bytes(done);
}

// What the kernel answers a dump it refuses: NLMSG_ERROR with a negative errno.
std::string refused(int err) {
  nl_msg* m = nlmsg_alloc_simple(NLMSG_ERROR, 0);
  int e = -err;
  nlmsg_append(m, &e, sizeof e, NLMSG_ALIGNTO);
  return bytes(m);
}

// A netns_dir of the test's own with two names in it; "entering" one records which it is, and
// the dump answers by it: qrouter-bad's is refused mid-dump (a netlink error, not an exception).
struct Fixture {
  fs::path dir = fs::temp_directory_path() / ("virtnet-links-" + std::to_string(getpid()));
  std::string inside;  // the namespace being dumped ("" the exporter's own)
  Fixture() {
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "qrouter-bad") << "";
    std::ofstream(dir / "qrouter-good") << "";
  }
  ~Fixture() { fs::remove_all(dir); }

  std::unique_ptr<Collector> make() {
    Sources src;
    src.run_in_netns = [this](const std::string& path, const std::function<void()>& fn) {
      inside = fs::path(path).filename().string();
      fn();
      inside.clear();
      return NetnsOutcome{NetnsStatus::kOk, ""};
    };
    src.dump_links = [this](int, const std::function<bool(std::string_view)>& chunk) {
      if (inside == "qrouter-bad") {
        chunk(refused(EPERM));
        return;
      }
      chunk(dump_of(inside.empty() ? "eth0" : "qr-1"));
    };
    auto info = links_info();
    const auto cfg =
        build_config({info}, "c.yml",
                     "collectors:\n  links: {netns: true, netns_dir: " + dir.string() + "}\n", {});
    return info.make(cfg.collectors.at("links").options, src);
  }
};

TEST(LinksCollector, AFailingNamedNamespaceIsReported) {
  Fixture fx;
  auto c = fx.make();
  MetricSink out;
  EXPECT_EQ(c->collect(out), CollectStatus::kError);
  EXPECT_EQ(out.error(), "namespace qrouter-bad: netlink error Operation not permitted");
  const auto f = out.take();
  // The others are still served.
  EXPECT_EQ(testing::value(f, "virtnet_link_mtu_bytes", {{"netns", ""}, {"link", "eth0"}}), 1500);
  EXPECT_EQ(
      testing::value(f, "virtnet_link_mtu_bytes", {{"netns", "qrouter-good"}, {"link", "qr-1"}}),
      1500);
  EXPECT_EQ(testing::value(f, "virtnet_links_namespaces"), 2);
}

TEST(LinksCollector, MoreNamespacesThanTheCapIsAReason) {
  Fixture fx;
  auto info = links_info();
  Sources src;
  src.run_in_netns = [](const std::string&, const std::function<void()>& fn) {
    fn();
    return NetnsOutcome{NetnsStatus::kOk, ""};
  };
  src.dump_links = [](int, const std::function<bool(std::string_view)>& chunk) {
    chunk(dump_of("eth0"));
  };
  const auto cfg = build_config(
      {info}, "c.yml",
      "collectors:\n  links: {netns: true, netns_max: 1, netns_dir: " + fx.dir.string() + "}\n",
      {});
  auto c = info.make(cfg.collectors.at("links").options, src);
  MetricSink out;
  EXPECT_EQ(c->collect(out), CollectStatus::kError);
  EXPECT_NE(out.error().find("more than netns_max (1)"), std::string::npos) << out.error();
  const auto f = out.take();
  EXPECT_EQ(testing::value(f, "virtnet_links_namespaces_truncated"), 1);
  EXPECT_EQ(testing::value(f, "virtnet_links_namespaces"), 1);
}

}  // namespace
}  // namespace virtnet::links
