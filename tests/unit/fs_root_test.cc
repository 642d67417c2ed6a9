#include "exporter/sources/fs_root.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "tests/unit/fixture.h"

namespace virtnet {
namespace {

std::size_t open_fds() { return testing::entries("/proc/self/fd"); }

// A callback that throws (a parser meeting bad input) must not leak the directory stream.
TEST(FsRoot, ListDirClosesTheDirectoryWhenTheCallbackThrows) {
  FsRoot proc("/proc");
  const auto before = open_fds();
  for (int i = 0; i < 100; ++i) {
    int err = 0;
    EXPECT_THROW(proc.list_dir(
                     "self/fd", [](std::string_view) { throw std::runtime_error("x"); }, &err),
                 std::runtime_error);
  }
  EXPECT_EQ(open_fds(), before);
}

}  // namespace
}  // namespace virtnet
