#include "exporter/sources/image_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace virtnet {

FileStat stat_file(const std::string& path) {
  FileStat f;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return f;
    f.state = FileStat::State::kError;
    f.error = std::strerror(errno);
    return f;
  }
  f.state = FileStat::State::kPresent;
  f.dev = st.st_dev;
  f.ino = st.st_ino;
  f.size = static_cast<std::uint64_t>(st.st_size);
  f.regular = S_ISREG(st.st_mode);
  f.block = S_ISBLK(st.st_mode);
  f.mtime = static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) / 1e9;
  return f;
}

bool read_head(const std::string& path, std::size_t max, std::string* out, std::string* error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    *error = std::strerror(errno);
    return false;
  }
  out->assign(max, '\0');
  std::size_t got = 0;
  while (got < max) {
    const ssize_t n = ::pread(fd, out->data() + got, max - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out->resize(got);
  return true;
}

}  // namespace virtnet
