#include "collectors/libvirt/disk_prober.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace virtnet::libvirt {
namespace {

// A qcow2 v3 head naming `backing`.
std::string overlay(const std::string& backing) {
  std::string h(1024, '\0');
  h.replace(0, 4, "QFI\xfb", 4);
  h[7] = 3;
  h[14] = 2;  // backing offset 512
  h[19] = static_cast<char>(backing.size());
  h[103] = 104;
  h.replace(512, backing.size(), backing);
  return h;
}

void write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

class DiskProberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/virtnet-prober.XXXXXX";
    dir_ = mkdtemp(tmpl);
    prober_.start();
  }
  void TearDown() override {
    prober_.stop();
    prober_.join(DiskProber::Clock::now() + std::chrono::seconds(2));
    std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  DiskRound probe(std::vector<DiskJob> jobs) {
    return prober_.probe(std::move(jobs), DiskProber::Clock::now() + std::chrono::seconds(5));
  }
  std::string dir_;
  DiskProber prober_;
};

TEST_F(DiskProberTest, InactiveChainFromHeadersAndReadAgainOnlyWhenChanged) {
  write(dir_ + "/top", overlay("base"));
  write(dir_ + "/base", std::string(4096, 'r'));
  const DiskJob j{"u\nvda", dir_ + "/top", "qcow2", false, {}, "d", "u", "vda"};
  DiskRound r = probe({j});
  ASSERT_TRUE(r.fresh);
  const Chain& c = r.chains->at(j.key);
  ASSERT_EQ(c.files.size(), 2u);
  EXPECT_EQ(c.files[1].path, dir_ + "/base");
  EXPECT_EQ(c.missing_at, -1);
  const auto reads = r.header_reads;
  EXPECT_EQ(reads, 2u);
  r = probe({j});
  EXPECT_EQ(r.header_reads, reads);  // nothing changed: the cache
  // The base deleted (incident 7): missing at position 1, without reading a header.
  ::unlink((dir_ + "/base").c_str());
  r = probe({j});
  EXPECT_EQ(r.chains->at(j.key).missing_at, 1);
  EXPECT_EQ(r.header_reads, reads);
  // The overlay rewritten to lie: read again, counted.
  write(dir_ + "/top",
        overlay(std::string(40, 'x')).replace(16, 4, std::string("\xff\xff\xff\xff", 4)));
  r = probe({j});
  EXPECT_EQ(r.header_reads, reads + 1);
  EXPECT_EQ(r.chains->at(j.key).kind, Chain::Problem::kHeader);
  EXPECT_EQ(r.rejected["header"], 1u);
}

TEST_F(DiskProberTest, LiveChainStatted) {
  write(dir_ + "/top", "x");
  const DiskJob j{
      "k", dir_ + "/top", "qcow2", true, {{dir_ + "/mid", "qcow2"}, {dir_ + "/base", "raw"}},
      "d", "u",           "vda"};
  write(dir_ + "/mid", "x");
  DiskRound r = probe({j});
  EXPECT_EQ(r.chains->at("k").missing_at, 2);
  EXPECT_EQ(r.header_reads, 0u);  // a running domain's chain is libvirt's
}

TEST_F(DiskProberTest, AFileLoopAndOddNames) {
  const std::string odd = dir_ + "/a\xff\nb";
  write(odd, overlay("loop2"));
  write(dir_ + "/loop2", overlay("a\xff\nb"));
  DiskRound r = probe({{"k", odd, "", false, {}, "d", "u", "vda"}});
  EXPECT_EQ(r.chains->at("k").kind, Chain::Problem::kLoop);
  EXPECT_EQ(r.rejected["loop"], 1u);
  r = probe({{"k", odd, "", false, {}, "d", "u", "vda"}});
  EXPECT_EQ(r.rejected["loop"], 1u);  // counted once, not each round
}

}  // namespace
}  // namespace virtnet::libvirt
