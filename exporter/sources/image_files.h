#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace virtnet {

// What stat(2) says of a disk image or a console log: a path is chosen by someone else (a domain's
// XML, a glob) and may hold any bytes; it is used as it is, never through a shell.
struct FileStat {
  enum class State { kPresent, kMissing, kError };
  State state = State::kMissing;
  std::string error;  // kError: strerror, with the errno's name (EACCES on a folder, EIO ...)
  std::uint64_t dev = 0, ino = 0, size = 0;
  double mtime = 0;                     // Unix seconds
  bool regular = false, block = false;  // a block device's size is 0 here: unknown
};
FileStat stat_file(const std::string& path);

// The first `max` bytes of a file (fewer if it is shorter), or the error; a read that the kernel
// cuts short is continued.
bool read_head(const std::string& path, std::size_t max, std::string* out, std::string* error);

}  // namespace virtnet
