#include "exporter/sources/fs_root.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace virtnet {

ReadStatus classify_errno(int err) {
  switch (err) {
    case ENOENT:
    case ESRCH:
    case ENOTDIR:
      return ReadStatus::kAbsent;
    case EACCES:
    case EPERM:
      return ReadStatus::kDenied;
    default:
      return ReadStatus::kError;
  }
}

std::string FsRoot::path(std::string_view relative) const {
  std::string p = root_;
  if (!p.empty() && p.back() != '/' && !relative.empty() && relative.front() != '/') p += '/';
  p += relative;
  return p;
}

ReadResult FsRoot::read(std::string_view relative, std::size_t max_bytes) const {
  ReadResult r;
  const std::string p = path(relative);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    r.error = errno;
    r.status = classify_errno(r.error);
    return r;
  }
  r.data.resize(std::min<std::size_t>(max_bytes, 4096));
  std::size_t used = 0;
  for (;;) {
    if (used == r.data.size()) {
      if (used >= max_bytes) break;  // capped: callers parse what they got
      r.data.resize(std::min(max_bytes, used * 2));
    }
    ssize_t n = ::read(fd, r.data.data() + used, r.data.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      r.error = errno;
      r.status = classify_errno(r.error);
      ::close(fd);
      r.data.clear();
      return r;
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  r.data.resize(used);
  r.status = ReadStatus::kOk;
  return r;
}

}  // namespace virtnet
