#include "exporter/sources/fs_root.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <stdexcept>

namespace virtnet {
namespace {

int open_fds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

// A callback that throws (a parser meeting bad input) must not leak the directory stream.
TEST(FsRoot, ListDirClosesTheDirectoryWhenTheCallbackThrows) {
  FsRoot proc("/proc");
  const int before = open_fds();
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
