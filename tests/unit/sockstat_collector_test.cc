#include "collectors/sockstat/sockstat_collector.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "exporter/config/config.h"
#include "exporter/sources/sock_diag.h"
#include "tests/unit/fixture.h"
#include "tests/unit/metric_lookup.h"

namespace virtnet::sockstat {
namespace {

namespace fs = std::filesystem;

// Replays captured dumps (or synthesized bytes) per family.
class ReplaySockDiag : public SockDiagSource {
 public:
  std::map<int, std::string> dumps;
  bool fail = false;
  void dump_tcp(int family, const std::function<bool(std::string_view)>& on_chunk) override {
    if (fail) throw std::runtime_error("sock_diag: receive: Operation not permitted");
    on_chunk(dumps.at(family));
  }
};

struct Harness {
  std::map<int, std::string> dumps = {{AF_INET, testing::fixture("sock_diag/tcp4.bin")},
                                      {AF_INET6, testing::fixture("sock_diag/tcp6.bin")}};
  bool diag_fails = false;
  std::string proc = std::string(VIRTNET_FIXTURES) + "/proc";
  long page_size = 4096;
  FlagOverrides flags;

  CollectStatus run(std::vector<prometheus::MetricFamily>* out) {
    Sources src;
    src.proc = FsRoot(proc);
    src.page_size = page_size;
    src.make_sock_diag = [this]() -> std::unique_ptr<SockDiagSource> {
      auto r = std::make_unique<ReplaySockDiag>();
      r->dumps = dumps;
      r->fail = diag_fails;
      return r;
    };
    auto info = sockstat_info();
    auto cfg = build_config({info}, "", std::nullopt, flags);
    auto c = info.make(cfg.collectors.at("sockstat").options, src);
    MetricSink sink;
    auto st = c->collect(sink);
    *out = sink.take();
    return st;
  }
};

using testing::Fams;
using testing::samples;
using testing::value;

TEST(SockstatCollector, FixtureTree) {
  Harness h;
  Fams f;
  EXPECT_EQ(h.run(&f), CollectStatus::kOk);
  EXPECT_EQ(value(f, "virtnet_sockstat_sockets_used"), 17);
  EXPECT_EQ(value(f, "virtnet_sockstat_sockets_inuse", {{"protocol", "tcp"}, {"family", "ipv4"}}),
            14);
  EXPECT_EQ(value(f, "virtnet_sockstat_sockets_inuse", {{"protocol", "tcp"}, {"family", "ipv6"}}),
            1);
  EXPECT_EQ(value(f, "virtnet_sockstat_tcp_time_wait_sockets"), 3);
  EXPECT_EQ(value(f, "virtnet_sockstat_memory_bytes", {{"protocol", "tcp"}}), 205.0 * 4096);
  EXPECT_EQ(value(f, "virtnet_sockstat_tcp_memory_limit_bytes", {{"threshold", "pressure"}}),
            383867.0 * 4096);
  EXPECT_EQ(value(f, "virtnet_sockstat_tcp_orphans_limit"), 131072);
  EXPECT_EQ(value(f, "virtnet_sockstat_file_handles_allocated"), 330);
  EXPECT_EQ(value(f, "virtnet_sockstat_file_handles_limit"), 2466170);
  EXPECT_EQ(value(f, "virtnet_sockstat_tcp_sockets", {{"family", "ipv4"}, {"state", "listen"}}), 1);
  EXPECT_EQ(
      value(f, "virtnet_sockstat_tcp_sockets", {{"family", "ipv4"}, {"state", "established"}}), 10);
  EXPECT_EQ(value(f, "virtnet_sockstat_tcp_sockets", {{"family", "ipv4"}, {"state", "close_wait"}}),
            3);
  EXPECT_EQ(value(f, "virtnet_sockstat_tcp_sockets", {{"family", "ipv6"}, {"state", "listen"}}), 1);
  EXPECT_EQ(samples(f, "virtnet_sockstat_tcp_sockets"), 22u);      // 11 states x 2 families
  EXPECT_EQ(samples(f, "virtnet_sockstat_tcp_peer_sockets"), 0u);  // off by default
}

TEST(SockstatCollector, PageSizeIsInjectedNotAssumed) {
  Harness h;
  h.page_size = 65536;
  Fams f;
  h.run(&f);
  EXPECT_EQ(value(f, "virtnet_sockstat_memory_bytes", {{"protocol", "tcp"}}), 205.0 * 65536);
  EXPECT_EQ(value(f, "virtnet_sockstat_tcp_memory_limit_bytes", {{"threshold", "max"}}),
            575796.0 * 65536);
}

struct TempTree {
  fs::path root;
  TempTree() {
    root = fs::temp_directory_path() /
           ("virtnet-proc-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::copy(std::string(VIRTNET_FIXTURES) + "/proc", root, fs::copy_options::recursive);
  }
  ~TempTree() { fs::remove_all(root); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(root / rel) << text; }
  static inline int counter = 0;
};

TEST(SockstatCollector, AbsentIpv6AndSysctlsAreNotErrors) {
  TempTree t;
  fs::remove(t.root / "net/sockstat6");
  fs::remove(t.root / "sys/net/ipv4/tcp_mem");  // absent inside a network namespace
  Harness h;
  h.proc = t.root;
  Fams f;
  EXPECT_EQ(h.run(&f), CollectStatus::kOk);
  EXPECT_EQ(value(f, "virtnet_sockstat_sockets_inuse", {{"family", "ipv6"}}), -1);
  EXPECT_EQ(value(f, "virtnet_sockstat_sockets_inuse", {{"family", "ipv4"}}), 14);
  EXPECT_EQ(samples(f, "virtnet_sockstat_tcp_memory_limit_bytes"), 0u);
}

TEST(SockstatCollector, MalformedFileFailsButTheRestIsServed) {
  TempTree t;
  t.write("net/sockstat", "TCP: inuse lots\n");
  Harness h;
  h.proc = t.root;
  Fams f;
  EXPECT_EQ(h.run(&f), CollectStatus::kError);
  EXPECT_EQ(value(f, "virtnet_sockstat_sockets_inuse", {{"family", "ipv6"}}), 1);
  EXPECT_EQ(value(f, "virtnet_sockstat_file_handles_limit"), 2466170);
}

TEST(SockstatCollector, DirectoryInsteadOfFileFails) {
  TempTree t;
  fs::remove(t.root / "sys/fs/file-max");
  fs::create_directory(t.root / "sys/fs/file-max");  // read() gives EISDIR, as root too
  Harness h;
  h.proc = t.root;
  Fams f;
  EXPECT_EQ(h.run(&f), CollectStatus::kError);
  EXPECT_EQ(value(f, "virtnet_sockstat_file_handles_allocated"), 330);
}

TEST(SockstatCollector, NetlinkFailureDropsOnlyTheStateCounts) {
  Harness h;
  h.diag_fails = true;
  Fams f;
  EXPECT_EQ(h.run(&f), CollectStatus::kError);
  EXPECT_EQ(samples(f, "virtnet_sockstat_tcp_sockets"), 0u);
  EXPECT_EQ(value(f, "virtnet_sockstat_sockets_used"), 17);
}

TEST(SockstatCollector, TcpStatesCanBeSwitchedOff) {
  Harness h;
  h.diag_fails = true;  // would fail if it were asked
  h.flags.options["sockstat.tcp_states"] = "false";
  Fams f;
  EXPECT_EQ(h.run(&f), CollectStatus::kOk);
  EXPECT_EQ(samples(f, "virtnet_sockstat_tcp_sockets"), 0u);
}

std::string diag_message(std::uint8_t state, const char* dst) {
  struct {
    nlmsghdr h;
    inet_diag_msg m;
  } msg{};
  msg.h.nlmsg_len = sizeof msg;
  msg.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.m.idiag_family = AF_INET;
  msg.m.idiag_state = state;
  inet_pton(AF_INET, dst, msg.m.id.idiag_dst);
  return std::string(reinterpret_cast<const char*>(&msg), sizeof msg);
}

std::string done_message() {
  nlmsghdr h{};
  h.nlmsg_len = sizeof h + 4;
  h.nlmsg_type = NLMSG_DONE;
  return std::string(reinterpret_cast<const char*>(&h), sizeof h) + std::string(4, '\0');
}

TEST(SockstatCollector, TopPeersPerStateAreBounded) {
  std::string dump;
  // established: 10.0.0.1 x5, 10.0.0.2 x3, 10.0.0.3 x1; close_wait: 10.0.0.9 x2; a listener.
  for (int i = 0; i < 5; ++i) dump += diag_message(1, "10.0.0.1");
  for (int i = 0; i < 3; ++i) dump += diag_message(1, "10.0.0.2");
  dump += diag_message(1, "10.0.0.3");
  dump += diag_message(8, "10.0.0.9") + diag_message(8, "10.0.0.9");
  dump += diag_message(10, "0.0.0.0");
  dump += done_message();
  Harness h;
  h.dumps[AF_INET] = dump;
  h.flags.options["sockstat.tcp_peers"] = "true";
  h.flags.options["sockstat.tcp_peers_top_n"] = "2";
  Fams f;
  EXPECT_EQ(h.run(&f), CollectStatus::kOk);
  const std::string m = "virtnet_sockstat_tcp_peer_sockets";
  EXPECT_EQ(value(f, m, {{"state", "established"}, {"peer", "10.0.0.1"}}), 5);
  EXPECT_EQ(value(f, m, {{"state", "established"}, {"peer", "10.0.0.2"}}), 3);
  EXPECT_EQ(value(f, m, {{"state", "established"}, {"peer", "10.0.0.3"}}), -1);  // past top 2
  EXPECT_EQ(value(f, m, {{"state", "close_wait"}, {"peer", "10.0.0.9"}}), 2);
  EXPECT_EQ(value(f, m, {{"state", "listen"}}), -1);
  EXPECT_EQ(samples(f, m), 3u);
  EXPECT_EQ(
      value(f, "virtnet_sockstat_tcp_sockets", {{"family", "ipv4"}, {"state", "established"}}), 9);
}

}  // namespace
}  // namespace virtnet::sockstat
