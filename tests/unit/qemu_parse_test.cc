#include "collectors/qemu/qemu_parse.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "exporter/common/label_value.h"
#include "exporter/sources/proc_pid_parse.h"
#include "tests/unit/fixture.h"

namespace virtnet::qemu {
namespace {

std::string args(std::initializer_list<std::string> a) {
  std::string s;
  for (const auto& x : a) {
    s += x;
    s += '\0';
  }
  return s;
}

TEST(QemuCmdline, NetdevsInBothSyntaxes) {
  struct Case {
    std::string netdev;
    std::string type;
    std::optional<bool> vhost;
  } cases[] = {
      // libvirt today: JSON.
      {R"({"type":"tap","fd":"31","vhost":true,"vhostfd":"33","id":"hostnet0"})", "tap", true},
      {R"({"type":"tap","fd":"31","id":"hostnet0"})", "tap", false},  // incident 2
      {R"({"type":"tap","fd":"31","vhostfd":"33","id":"hostnet0"})", "tap", true},
      {R"({"type":"tap","fd":"31","vhost":false,"vhostfd":"33","id":"hostnet0"})", "tap", false},
      {R"({"type":"vhost-user","chardev":"charnet0","id":"hostnet0"})", "vhost-user", {}},
      // Older libvirt and by hand: qemu's option syntax.
      {"tap,fd=25,id=hostnet0,vhost=on,vhostfd=27", "tap", true},
      {"tap,fd=25,id=hostnet0", "tap", false},
      {"tap,id=hostnet0,ifname=tap0,script=no,downscript=no,vhost=off", "tap", false},
      {"type=tap,id=hostnet0,vhostfd=27", "tap", true},
      {"user,id=hostnet0,hostfwd=tcp::2222-:22", "user", {}},
  };
  for (const auto& c : cases) {
    auto p = parse_cmdline(args({"qemu-system-x86_64", "-netdev", c.netdev}));
    ASSERT_EQ(p.netdevs.size(), 1u) << c.netdev;
    EXPECT_EQ(p.malformed, 0u) << c.netdev;
    EXPECT_EQ(p.netdevs[0].id, "hostnet0") << c.netdev;
    EXPECT_EQ(p.netdevs[0].type, c.type) << c.netdev;
    EXPECT_EQ(p.netdevs[0].vhost, c.vhost) << c.netdev;
  }
}

TEST(QemuCmdline, NamesUuidAndEscapes) {
  auto p = parse_cmdline(args({"qemu", "-name", "guest=vm,,one\"two,debug-threads=on", "-uuid",
                               "4d8f0c6e-6a6e-4d1b-9f3a-2f1c8f0e9a11"}));
  EXPECT_EQ(p.domain, "vm,one\"two");
  EXPECT_EQ(p.uuid, "4d8f0c6e-6a6e-4d1b-9f3a-2f1c8f0e9a11");
  EXPECT_EQ(parse_cmdline(args({"qemu", "-name", "plain"})).domain, "plain");
  EXPECT_EQ(parse_cmdline(args({"qemu", "-name"})).domain, "");  // no value: nothing
}

TEST(QemuCmdline, MalformedNetdevsAreCountedNeverFatal) {
  const std::string deep = std::string(40, '[') + std::string(40, ']');
  for (const std::string& bad :
       {std::string("tap,fd=1"), std::string("tap,id=n,vhost=maybe"), std::string("{\"type\":"),
        std::string(R"({"type":"tap"})"), std::string("[1,2]"), std::string("tap,id=n,junk"),
        "{\"a\":" + deep + "}", std::string(R"({"type":1,"id":"n"})"),
        std::string(R"({"type":"tap","id":""})"), std::string("")}) {
    auto p = parse_cmdline(args({"qemu", "-netdev", bad, "-netdev", "user,id=ok"}));
    EXPECT_EQ(p.malformed, 1u) << bad;
    ASSERT_EQ(p.netdevs.size(), 1u) << bad;
    EXPECT_EQ(p.netdevs[0].id, "ok");
  }
  // A 100 KB command line: a huge -name is kept bounded (its first KiB and a hash of the whole:
  // the sink's repair still tells it from another), a huge -netdev refused.
  const std::string big(100 * 1024, 'x');
  auto p = parse_cmdline(args({"qemu", "-name", "guest=" + big, "-netdev", "user,id=" + big}));
  EXPECT_EQ(p.domain, bound_label_input(big));
  EXPECT_NE(p.domain, parse_cmdline(args({"qemu", "-name", "guest=" + big + "y"})).domain);
  EXPECT_EQ(p.malformed, 1u);
  EXPECT_TRUE(parse_cmdline(std::string("\0\0\0", 3)).netdevs.empty());
}

TEST(QemuThreads, Classes) {
  struct Case {
    const char* comm;
    ThreadClass cls;
    std::optional<int> vcpu;
  } cases[] = {
      {"CPU 0/KVM", ThreadClass::kVcpu, 0},
      {"CPU 12/TCG", ThreadClass::kVcpu, 12},
      {"CPU x/KVM", ThreadClass::kOther, {}},
      {"CPU -1/KVM", ThreadClass::kOther, {}},
      {"vhost-4242", ThreadClass::kVhost, {}},
      {"vhost-42", ThreadClass::kOther, {}},
      {"IO mon_iothread", ThreadClass::kIothread, {}},
      {"IO io1", ThreadClass::kIothread, {}},
      {"qemu-system-x86", ThreadClass::kMain, {}},
      {"worker", ThreadClass::kOther, {}},
      {"call_rcu", ThreadClass::kOther, {}},
      {"kvm-nx-lpage-re", ThreadClass::kOther, {}},
  };
  for (const auto& c : cases) {
    auto k = classify_thread(c.comm, "qemu-system-x86", 4242);
    EXPECT_EQ(k.cls, c.cls) << c.comm;
    EXPECT_EQ(k.vcpu, c.vcpu) << c.comm;
  }
  EXPECT_EQ(thread_class_name(ThreadClass::kIothread), "iothread");
  EXPECT_EQ(parse_schedstat("123 456789000 7\n"), (Schedstat{123, 456789000, 7}));
  EXPECT_EQ(parse_schedstat("123 456789000 7"), (Schedstat{123, 456789000, 7}));
  EXPECT_FALSE(parse_schedstat("garbage"));
  EXPECT_FALSE(parse_schedstat("1 -2 3"));
  EXPECT_FALSE(parse_schedstat("1 2"));
  EXPECT_FALSE(parse_schedstat("1 2 3 4"));
  EXPECT_FALSE(parse_schedstat("1  2 3"));
}

// The captured qemu stand-in (bench/fake_qemu, libvirt's JSON -netdev, qemu's thread names).
TEST(QemuThreads, CapturedProcess) {
  using P = testing::FixturePids;
  auto p = parse_cmdline(testing::pid_file(P::kQemu, "cmdline"));
  EXPECT_EQ(p.domain, "instance-0000002a");
  ASSERT_EQ(p.netdevs.size(), 1u);
  EXPECT_EQ(p.netdevs[0].vhost, true);
  int vcpus = 0, vhost = 0, io = 0, main = 0, other = 0;
  for (const auto& t : std::filesystem::directory_iterator(testing::proc_root_with_pids() + "/" +
                                                           std::to_string(P::kQemu) + "/task")) {
    std::string comm =
        testing::pid_file(P::kQemu, "task/" + t.path().filename().string() + "/comm");
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    switch (classify_thread(comm, "qemu-system-x86", P::kQemu).cls) {
      case ThreadClass::kVcpu:
        ++vcpus;
        break;
      case ThreadClass::kVhost:
        ++vhost;
        break;
      case ThreadClass::kIothread:
        ++io;
        break;
      case ThreadClass::kMain:
        ++main;
        break;
      case ThreadClass::kOther:
        ++other;
        break;
    }
  }
  EXPECT_EQ(vcpus, 4);
  EXPECT_EQ(vhost, 1);
  EXPECT_EQ(io, 1);
  EXPECT_EQ(main, 1);
  EXPECT_EQ(other, 2);  // worker, call_rcu
}

}  // namespace
}  // namespace virtnet::qemu
