#include "collectors/process/process_parse.h"

#include <gtest/gtest.h>

#include <array>

#include "exporter/common/parse_error.h"
#include "exporter/sources/proc_pid_parse.h"
#include "tests/unit/fixture.h"

namespace virtnet::process {
namespace {

using P = testing::FixturePids;
using testing::pid_file;

TEST(StatusParse, QemuFixture) {
  auto s = parse_status(pid_file(P::kQemu, "status"));
  EXPECT_EQ(s.vm_size, 378456u * 1024);
  EXPECT_EQ(s.vm_rss, 2884u * 1024);
  EXPECT_EQ(s.rss_anon, 288u * 1024);
  EXPECT_EQ(s.vm_swap, 0u);
  EXPECT_EQ(s.voluntary_ctxt_switches, 3u);
  EXPECT_EQ(s.nonvoluntary_ctxt_switches, 1u);
}

TEST(StatusParse, KernelThreadAndZombieHaveNoMemoryLines) {
  for (int pid : {P::kKthreadd, P::kZombie}) {
    auto s = parse_status(pid_file(pid, "status"));
    EXPECT_FALSE(s.vm_size.has_value()) << pid;  // absent, not zero
    EXPECT_FALSE(s.vm_rss.has_value()) << pid;
    EXPECT_TRUE(s.voluntary_ctxt_switches.has_value()) << pid;
  }
}

TEST(StatusParse, Malformed) {
  EXPECT_THROW(parse_status("VmRSS:\tlots kB\n"), ParseError);
  EXPECT_THROW(parse_status("VmRSS:\t12 MB\n"), ParseError);
  EXPECT_THROW(parse_status("VmRSS:\n"), ParseError);
  EXPECT_THROW(parse_status("voluntary_ctxt_switches:\t-3\n"), ParseError);
  // Unknown fields and lines without a colon are not ours to judge.
  EXPECT_NO_THROW(parse_status("Name:\tx y z\nnonsense\nSigQ:\t0/1\n"));
}

TEST(MapsParse, PmapAccounting) {
  auto m = parse_maps(
      "00400000-00401000 r-xp 00000000 08:01 1 /bin/x\n"
      "00600000-00602000 rw-p 00000000 00:00 0 [heap]\n"
      "7f0000000000-7f0000010000 rw-s 00000000 00:05 9 /dev/shm/x\n"
      "7f0000010000-7f0000011000 r--s 00000000 00:05 9 /dev/shm/x\n"
      "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n");
  EXPECT_EQ(m.mappings, 5u);
  EXPECT_EQ(m.mapped_bytes, 0x1000u + 0x2000 + 0x10000 + 0x1000 + 0x21000);
  EXPECT_EQ(m.shared_bytes, 0x10000u + 0x1000);
  EXPECT_EQ(m.writeable_private_bytes, 0x2000u + 0x21000);
}

TEST(MapsParse, ThousandsOfMappings) {
  const auto text = pid_file(P::kOvs, "maps");
  auto m = parse_maps(text);
  // Every line is a mapping but [vsyscall], the kernel's gate page.
  EXPECT_EQ(m.mappings, static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n')) - 1);
  EXPECT_GE(m.mappings, 5000u);
  // 2500 of the 5000 one-page mappings are writable.
  EXPECT_GE(m.writeable_private_bytes, 2500u * 4096);
}

// One definition of a process's mapped memory: the sum of its maps is its VmSize (which
// top_mapped_bytes ranks by), on every captured process.
TEST(MapsParse, MappedBytesIsVmSize) {
  for (int pid : {P::kQemu, P::kOvs}) {
    const auto maps = parse_maps(pid_file(pid, "maps"));
    const auto status = parse_status(pid_file(pid, "status"));
    ASSERT_TRUE(status.vm_size) << pid;
    EXPECT_EQ(maps.mapped_bytes, *status.vm_size) << pid;
  }
  EXPECT_EQ(parse_maps("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0   [vsyscall]\n")
                .mapped_bytes,
            0u);
}

TEST(StatusParse, KilobytesThatWouldOverflowAreRefused) {
  EXPECT_THROW(parse_status("VmRSS:\t18014398509481984 kB\n"), ParseError);  // 2^54 kB
  EXPECT_EQ(*parse_status("VmRSS:\t18014398509481983 kB\n").vm_rss, 18014398509481983ull * 1024);
}

TEST(MapsParse, KernelThreadAndZombieAreEmpty) {
  EXPECT_EQ(parse_maps(pid_file(P::kKthreadd, "maps")).mappings, 0u);
  EXPECT_EQ(parse_maps("").mapped_bytes, 0u);
}

TEST(MapsParse, Malformed) {
  for (auto bad :
       {"00400000 r-xp 0 0 0\n", "zz-00401000 r-xp 0 0 0\n", "00401000-00400000 r-xp\n",
        "00400000-00401000\n", "00400000-00401000 r\n", "11111111111111111-2 rw-p 0 0 0\n"}) {
    EXPECT_THROW(parse_maps(bad), ParseError) << bad;
  }
}

TEST(SmapsRollup, Pss) {
  EXPECT_EQ(parse_smaps_rollup_pss("00400000-7ffd [rollup]\nRss:  100 kB\nPss:  42 kB\n"),
            42u * 1024);
  EXPECT_FALSE(parse_smaps_rollup_pss("Rss: 1 kB\n").has_value());
  EXPECT_THROW(parse_smaps_rollup_pss("Pss: x kB\n"), ParseError);
  auto real = pid_file(P::kQemu, "smaps_rollup");
  EXPECT_GT(parse_smaps_rollup_pss(real).value_or(0), 0u);
}

TEST(FdKinds, TenThousandRealTargets) {
  const std::string dir =
      testing::proc_root_with_pids() + "/" + std::to_string(P::kHaproxy) + "/fd";
  std::array<int, kFdKinds> n{};
  int total = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    ++n[static_cast<std::size_t>(
        classify_fd_target(std::filesystem::read_symlink(e.path()).string()))];
    ++total;
  }
  EXPECT_EQ(total, 10006);
  EXPECT_EQ(n[static_cast<int>(FdKind::kSocket)], 2500);
  EXPECT_EQ(n[static_cast<int>(FdKind::kPipe)], 5004);
  EXPECT_EQ(n[static_cast<int>(FdKind::kOther)], 2501);  // /dev/null
  EXPECT_EQ(n[static_cast<int>(FdKind::kFile)], 1);
}

TEST(FdKinds, Table) {
  EXPECT_EQ(classify_fd_target("socket:[12345]"), FdKind::kSocket);
  EXPECT_EQ(classify_fd_target("pipe:[9]"), FdKind::kPipe);
  EXPECT_EQ(classify_fd_target("anon_inode:[eventfd]"), FdKind::kAnonInode);
  EXPECT_EQ(classify_fd_target("anon_inode:inotify"), FdKind::kAnonInode);
  EXPECT_EQ(classify_fd_target("/var/log/x.log (deleted)"), FdKind::kFile);
  EXPECT_EQ(classify_fd_target("/dev/kvm"), FdKind::kOther);
  EXPECT_EQ(classify_fd_target("net:[4026531840]"), FdKind::kOther);
  EXPECT_EQ(classify_fd_target(""), FdKind::kOther);
}

TEST(QemuDomain, FromCmdline) {
  EXPECT_EQ(qemu_domain(pid_file(P::kQemu, "cmdline")), "instance-0000002a");
  using namespace std::string_literals;
  EXPECT_EQ(qemu_domain("qemu\0-name\0guest=a,,b,debug-threads=on\0"s), "a,b");
  EXPECT_EQ(qemu_domain("qemu\0-name\0plain\0-S\0"s), "plain");
  EXPECT_EQ(qemu_domain("qemu\0-S\0"s), "");
  EXPECT_EQ(qemu_domain("qemu\0-name"s), "");  // truncated
  EXPECT_EQ(qemu_domain(""), "");
}

TEST(ProcStatFixtures, HostileCommZombieKernelThread) {
  EXPECT_EQ(parse_proc_stat(pid_file(P::kWeird, "stat")).comm, "a) b (c");
  auto z = parse_proc_stat(pid_file(P::kZombie, "stat"));
  EXPECT_EQ(z.state, 'Z');
  EXPECT_EQ(z.comm, "nova-compute");
  auto k = parse_proc_stat(pid_file(P::kKthreadd, "stat"));
  EXPECT_EQ(k.comm, "kthreadd");
  EXPECT_EQ(k.vsize_bytes, 0u);
  EXPECT_TRUE(k.flags & kPfKthread);  // a real kernel thread's flags
  EXPECT_FALSE(parse_proc_stat(pid_file(P::kQemu, "stat")).flags & kPfKthread);
  EXPECT_EQ(parse_limits_open_files(pid_file(P::kHaproxy, "limits")).soft, 20000u);
}

}  // namespace
}  // namespace virtnet::process
