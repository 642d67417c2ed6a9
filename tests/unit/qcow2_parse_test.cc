#include "collectors/libvirt/qcow2_parse.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "collectors/libvirt/backing_chain.h"
#include "tests/unit/fixture.h"

namespace virtnet::libvirt {
namespace {
using virtnet::testing::fixture;

using Kind = ImageHeader::Kind;

ImageHeaderResult parse(const std::string& head) { return parse_image_header(head, head.size()); }

// A qcow2 header of `version` with a backing name at `offset` (bytes written big-endian).
std::string header(std::uint32_t version, std::uint64_t offset, std::uint32_t size,
                   std::size_t total = 1024) {
  std::string h(total, '\0');
  h.replace(0, 4, "QFI\xfb", 4);
  auto put = [&h](std::size_t at, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i, v >>= 8)
      h[at + static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
  };
  put(4, version, 4);
  put(8, offset, 8);
  put(16, size, 4);
  put(24, 1 << 20, 8);
  if (version == 3) put(100, 104, 4);
  return h;
}

TEST(Qcow2Parse, QemuImgV3RelativeWithFormat) {
  const auto r = parse(fixture("libvirt/overlay_v3_relative.qcow2.head"));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.header.kind, Kind::kQcow2);
  EXPECT_EQ(r.header.version, 3u);
  EXPECT_EQ(r.header.backing, "mid.qcow2");
  EXPECT_EQ(r.header.backing_format, "qcow2");
  EXPECT_EQ(r.header.virtual_size, 16u << 20);
}

TEST(Qcow2Parse, QemuImgV3Absolute) {
  const auto r = parse(fixture("libvirt/overlay_v3_absolute.qcow2.head"));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.header.backing, "/tmp/lv/base.raw");
  EXPECT_EQ(r.header.backing_format, "raw");
}

TEST(Qcow2Parse, QemuImgV2) {
  const auto r = parse(fixture("libvirt/overlay_v2_compat010.qcow2.head"));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.header.version, 2u);
  EXPECT_EQ(r.header.backing, "base.raw");
  EXPECT_EQ(r.header.backing_format, "raw");
}

TEST(Qcow2Parse, RawHasNoHeader) {
  const auto r = parse(std::string(512, 'x'));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.header.kind, Kind::kRaw);
  EXPECT_TRUE(r.header.backing.empty());
  EXPECT_TRUE(parse("").ok);
}

TEST(Qcow2Parse, NoBacking) {
  const auto r = parse(header(3, 0, 0));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.header.backing.empty());
}

TEST(Qcow2Parse, HeadersThatLie) {
  // An offset past the end of the file.
  auto r = parse_image_header(header(3, 4000, 10), 1024);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.need, 0u);
  EXPECT_NE(r.error.find("past the end"), std::string::npos) << r.error;
  // A huge name.
  r = parse(header(3, 512, 0xffffffffu));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("4294967295 bytes"), std::string::npos) << r.error;
  // An offset inside the header, or far past any cluster.
  EXPECT_FALSE(parse(header(3, 8, 5)).ok);
  EXPECT_FALSE(parse_image_header(header(3, 1ull << 40, 5), 1ull << 41).ok);
  // A version qemu never wrote.
  r = parse(header(7, 0, 0));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "qcow2 version 7");
  // Cut short.
  EXPECT_FALSE(parse(std::string("QFI\xfb\0\0\0\3", 8)).ok);
  // A NUL inside the name.
  auto h = header(3, 512, 6);
  h.replace(512, 6, std::string("ab\0cd", 6));
  EXPECT_FALSE(parse(h).ok);
}

TEST(Qcow2Parse, AsksForMoreWhenTheNameLiesPastTheHead) {
  auto h = header(3, 70000, 8, 70008);
  h.replace(70000, 8, "far.base");
  const auto r = parse_image_header(std::string_view(h).substr(0, 65536), h.size());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.need, 70008u);
  const auto whole = parse(h);
  ASSERT_TRUE(whole.ok) << whole.error;
  EXPECT_EQ(whole.header.backing, "far.base");
}

TEST(Qcow2Parse, Resolve) {
  EXPECT_EQ(resolve_backing("/var/lib/nova/instances/u/disk", "../_base/abc"),
            "/var/lib/nova/instances/u/../_base/abc");
  EXPECT_EQ(resolve_backing("/a/b/top.qcow2", "/c/base"), "/c/base");
  EXPECT_EQ(resolve_backing("top.qcow2", "base"), "base");
  EXPECT_EQ(resolve_backing("/a/top", "nbd://host/export"), "");
  EXPECT_EQ(resolve_backing("/a/top", "json:{\"driver\":\"rbd\"}"), "");
}

// The walk over a chain of files held in a map: path -> (inode, head).
struct Files {
  std::map<std::string, std::pair<std::uint64_t, std::string>> f;
  mutable std::vector<std::string> headers_read;
  ImageProbe operator()(const std::string& p, bool want_header) const {
    ImageProbe r;
    auto it = f.find(p);
    if (it == f.end()) return r;
    r.state = ImageProbe::State::kPresent;
    r.ino = it->second.first;
    if (want_header) {
      headers_read.push_back(p);
      r.header = parse_image_header(it->second.second, it->second.second.size());
    }
    return r;
  }
};

std::string overlay(const std::string& backing) {
  auto h = header(3, 512, static_cast<std::uint32_t>(backing.size()));
  h.replace(512, backing.size(), backing);
  return h;
}

TEST(BackingChain, QcowOverQcowOverRaw) {
  Files fs;
  fs.f["/i/top"] = {1, overlay("mid")};
  fs.f["/i/mid"] = {2, overlay("/b/base")};
  fs.f["/b/base"] = {3, std::string(100, 'r')};
  const Chain c = walk_chain("/i/top", "qcow2", fs);
  ASSERT_EQ(c.files.size(), 3u);
  EXPECT_EQ(c.files[1].path, "/i/mid");
  EXPECT_EQ(c.files[2].format, "raw");
  EXPECT_EQ(c.missing_at, -1);
  EXPECT_TRUE(c.problem.empty());
}

TEST(BackingChain, BaseDeleted) {
  Files fs;
  fs.f["/i/top"] = {1, overlay("/b/gone")};
  const Chain c = walk_chain("/i/top", "qcow2", fs);
  ASSERT_EQ(c.files.size(), 2u);
  EXPECT_EQ(c.missing_at, 1);
  EXPECT_FALSE(c.files[1].exists);
  EXPECT_EQ(walk_chain("/nothing", "", fs).missing_at, 0);
}

TEST(BackingChain, LoopAndDepth) {
  Files fs;
  fs.f["/a"] = {1, overlay("/b")};
  fs.f["/b"] = {2, overlay("/a")};
  Chain c = walk_chain("/a", "", fs);
  EXPECT_EQ(c.kind, Chain::Problem::kLoop);
  EXPECT_EQ(c.files.size(), 2u);
  // A hard link of itself: same inode under another name.
  fs.f["/c"] = {3, overlay("/d")};
  fs.f["/d"] = {3, overlay("/e")};
  EXPECT_EQ(walk_chain("/c", "", fs).kind, Chain::Problem::kLoop);
  Files deep;
  for (int i = 0; i < 40; ++i) {
    deep.f["/" + std::to_string(i)] = {static_cast<std::uint64_t>(i + 1),
                                       overlay("/" + std::to_string(i + 1))};
  }
  c = walk_chain("/0", "qcow2", deep);
  EXPECT_EQ(c.kind, Chain::Problem::kTooDeep);
  EXPECT_EQ(c.files.size(), static_cast<std::size_t>(kMaxChainDepth));
}

TEST(BackingChain, ARawDiskIsNeverReadAsQcow2) {
  // A guest wrote a qcow2 header into its raw disk, naming a host file: not followed, not read.
  Files fs;
  fs.f["/i/disk"] = {1, overlay("/etc/shadow")};
  fs.f["/etc/shadow"] = {2, "secret"};
  Chain c = walk_chain("/i/disk", "raw", std::ref(fs));
  ASSERT_EQ(c.files.size(), 1u);
  EXPECT_EQ(c.files[0].format, "raw");
  EXPECT_TRUE(fs.headers_read.empty());
  // Nor a base the overlay recorded raw.
  fs.f["/i/top"] = {3, overlay("/i/disk")};
  fs.f["/i/disk"] = {1, overlay("/etc/shadow")};
  Files with_format = fs;
  auto top = overlay("/i/disk");
  top.replace(104, 16, std::string("\xe2\x79\x2a\xca\0\0\0\3raw\0\0\0\0\0", 16));
  with_format.f["/i/top"] = {3, top};
  c = walk_chain("/i/top", "qcow2", std::ref(with_format));
  ASSERT_EQ(c.files.size(), 2u);
  EXPECT_EQ(c.files[1].format, "raw");
  EXPECT_EQ(with_format.headers_read, std::vector<std::string>{"/i/top"});
}

TEST(BackingChain, LiveChainChecked) {
  const std::vector<NamedFile> files{{"/i/top", "qcow2"}, {"/i/mid", "qcow2"}, {"/b/base", "raw"}};
  const Chain c = check_chain(files, [](const std::string& p, std::string* error) {
    if (p == "/i/mid") {
      *error = "Permission denied";
      return ImageProbe::State::kError;
    }
    return p == "/b/base" ? ImageProbe::State::kMissing : ImageProbe::State::kPresent;
  });
  EXPECT_EQ(c.missing_at, 2);
  EXPECT_EQ(c.kind, Chain::Problem::kUnreadable);
  EXPECT_EQ(c.files.size(), 3u);
}

}  // namespace
}  // namespace virtnet::libvirt
