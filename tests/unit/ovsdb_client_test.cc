#include "exporter/sources/ovsdb_client.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "tests/unit/fixture.h"

namespace virtnet {
namespace {

using namespace std::chrono_literals;
using virtnet::testing::fixture;

// A unix socket server that runs `script` on each connection it accepts, in a thread of its own.
// Stands in for ovsdb-server where the test needs it to misbehave (silent, malformed); the real
// one is in e2e_ovs.
class FakeServer {
 public:
  using Script = std::function<void(int fd)>;
  explicit FakeServer(Script script) : script_(std::move(script)) {
    char tmpl[] = "/tmp/virtnet-ovsdb-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/db.sock";
    listen_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path_.c_str());
    if (bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(listen_, 8) != 0) {
      throw std::runtime_error("bind");
    }
    thread_ = std::thread([this] {
      while (!done_) {
        pollfd p{listen_, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        const int fd = accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        ++accepted_;
        script_(fd);
        close(fd);
      }
    });
  }
  ~FakeServer() {
    done_ = true;
    thread_.join();
    close(listen_);
    std::filesystem::remove_all(dir_);
  }
  const std::string& path() const { return path_; }
  int accepted() const { return accepted_; }
  bool done() const { return done_; }

 private:
  Script script_;
  std::string dir_, path_;
  int listen_ = -1;
  std::atomic<bool> done_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// Reads what the client sent until `want` appears or 2 s pass.
std::string read_until(int fd, const std::string& want) {
  std::string got;
  const auto end = std::chrono::steady_clock::now() + 2s;
  while (got.find(want) == std::string::npos && std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char buf[4096];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

void send_all(int fd, const std::string& s) {
  ASSERT_EQ(write(fd, s.data(), s.size()), static_cast<ssize_t>(s.size()));
}

template <typename F>
bool eventually(F&& f, std::chrono::milliseconds within = 3s) {
  const auto end = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

TEST(OvsdbClient, MonitorsTheDatabaseAndFollowsItsUpdates) {
  FakeServer server([](int fd) {
    EXPECT_NE(read_until(fd, R"("method":"monitor")"), "");
    send_all(fd, fixture("ovsdb/monitor_reply.json"));
    std::this_thread::sleep_for(100ms);
    send_all(fd, fixture("ovsdb/update_mtu.json"));
    // The server's own keepalive is answered.
    send_all(fd, R"({"id":"echo","method":"echo","params":[]})");
    EXPECT_NE(read_until(fd, R"("id":"echo")"), "");
    read_until(fd, "never");  // hold the connection a while
  });
  OvsdbClient c({.socket = server.path(), .timeout = 1000ms});
  c.start();
  ASSERT_TRUE(eventually([&] { return c.snapshot()->connected; }));
  ASSERT_TRUE(eventually([&] { return c.counters().updates == 3; })) << c.counters().updates;
  const auto snap = c.snapshot();
  EXPECT_TRUE(snap->present);
  EXPECT_EQ(snap->error, "");
  EXPECT_EQ(snap->db->interfaces.size(), 7u);
  bool seen = false;
  for (const auto& [uuid, i] : snap->db->interfaces) {
    if (i.name == "tapx1") seen = i.mtu_request == 1342;
  }
  EXPECT_TRUE(seen);
  EXPECT_EQ(c.counters().connects, 1u);
}

TEST(OvsdbClient, ASilentServerIsDroppedAndTheLastDatabaseKeptAsStale) {
  std::atomic<int> connection{0};
  std::atomic<bool> echo_seen{false};
  FakeServer server([&](int fd) {
    if (++connection > 1) {  // a wedged server: accepts, never answers
      read_until(fd, "never");
      return;
    }
    read_until(fd, R"("method":"monitor")");
    send_all(fd, fixture("ovsdb/monitor_reply.json"));
    // Silent from here: the client's echo comes after its timeout, and goes unanswered.
    echo_seen = read_until(fd, R"("method":"echo")").find("echo") != std::string::npos;
    read_until(fd, "never");
  });
  OvsdbClient c({.socket = server.path(), .timeout = 200ms});
  c.start();
  ASSERT_TRUE(eventually([&] { return c.snapshot()->connected; }));
  ASSERT_TRUE(eventually([&] { return !c.snapshot()->connected; }));
  EXPECT_TRUE(echo_seen);
  auto snap = c.snapshot();
  EXPECT_TRUE(snap->present);
  EXPECT_EQ(snap->error, "ovsdb-server did not answer an echo within 200 ms");
  ASSERT_NE(snap->db, nullptr);
  EXPECT_EQ(snap->db->interfaces.size(), 7u);  // what was last known
  // Reconnected; the wedged server does not answer the monitor either.
  ASSERT_TRUE(eventually([&] { return c.counters().timeouts >= 2; }));
  EXPECT_EQ(c.snapshot()->error, "ovsdb-server did not answer the monitor within 200 ms");
  EXPECT_GE(c.counters().connects, 2u);
  // Stopping does not wait for the server.
  const auto t0 = std::chrono::steady_clock::now();
  c.stop();
  EXPECT_TRUE(c.join(std::chrono::steady_clock::now() + 1s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
}

TEST(OvsdbClient, AMalformedStreamIsCountedAndTheConnectionRenewed) {
  std::atomic<int> connection{0};
  FakeServer server([&](int fd) {
    read_until(fd, R"("method":"monitor")");
    if (++connection == 1) {
      send_all(fd, R"({"id":1,"result":{"Interface":{"u":{"new":{"name":["map",[]]}}}}})");
    } else {
      send_all(fd, fixture("ovsdb/monitor_reply.json"));
    }
    read_until(fd, "never");
  });
  OvsdbClient c({.socket = server.path(), .timeout = 1000ms});
  c.start();
  ASSERT_TRUE(eventually([&] { return c.snapshot()->connected; }));
  EXPECT_EQ(c.counters().rejected, 1u);
  EXPECT_EQ(c.counters().connects, 2u);
  EXPECT_EQ(c.counters().disconnects, 1u);
}

TEST(OvsdbClient, NoSocketIsAHostWithoutOpenVswitch) {
  OvsdbClient c({.socket = "/nonexistent/ovsdb/db.sock", .timeout = 200ms});
  c.start();
  std::this_thread::sleep_for(100ms);
  const auto snap = c.snapshot();
  EXPECT_FALSE(snap->present);
  EXPECT_FALSE(snap->connected);
  EXPECT_EQ(snap->error, "");
  EXPECT_EQ(c.counters().connect_failures, 0u);
}

TEST(OvsdbClient, ARefusedConnectionIsAFailure) {
  char tmpl[] = "/tmp/virtnet-ovsdb-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string path = dir + "/db.sock";
  {  // a socket file nobody listens on: a server that died
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    close(fd);
  }
  OvsdbClient c({.socket = path, .timeout = 200ms});
  c.start();
  ASSERT_TRUE(eventually([&] { return c.counters().connect_failures >= 1; }));
  const auto snap = c.snapshot();
  EXPECT_TRUE(snap->present);
  EXPECT_FALSE(snap->connected);
  EXPECT_EQ(snap->error, "connect: Connection refused");
  c.stop();
  c.join(std::chrono::steady_clock::now() + 1s);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace virtnet
