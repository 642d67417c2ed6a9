#include "exporter/sources/fs_root.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

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
  r.status = read_into(relative, r.data, &r.error, max_bytes);
  return r;
}

ReadStatus FsRoot::read_into(std::string_view relative, std::string& out, int* error,
                             std::size_t max_bytes) const {
  const std::string p = path(relative);
  out.clear();
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = errno;
    return classify_errno(*error);
  }
  out.resize(std::min<std::size_t>(max_bytes, std::max<std::size_t>(out.capacity(), 4096)));
  std::size_t used = 0;
  for (;;) {
    if (used == out.size()) {
      if (used >= max_bytes) break;  // capped: callers parse what they got
      out.resize(std::min(max_bytes, used * 2));
    }
    ssize_t n = ::read(fd, out.data() + used, out.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = errno;
      ::close(fd);
      out.clear();
      return classify_errno(*error);
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(used);
  *error = 0;
  return ReadStatus::kOk;
}

ReadStatus FsRoot::list_dir(std::string_view relative,
                            const std::function<void(std::string_view)>& entry, int* error) const {
  const std::string p = path(relative);
  // Closed however the walk ends, a callback that throws included.
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(p.c_str()), &::closedir);
  if (!d) {
    *error = errno;
    return classify_errno(*error);
  }
  errno = 0;
  while (dirent* e = ::readdir(d.get())) {
    std::string_view name(e->d_name);
    if (name != "." && name != "..") entry(name);
    errno = 0;  // the callback may have touched errno
  }
  *error = errno;  // readdir reports a failure (the process exited) only through errno
  return *error ? classify_errno(*error) : ReadStatus::kOk;
}

ReadStatus FsRoot::readlink(std::string_view relative, std::string& out, int* error) const {
  const std::string p = path(relative);
  char buf[4096];
  ssize_t n = ::readlink(p.c_str(), buf, sizeof buf);
  if (n < 0) {
    *error = errno;
    return classify_errno(*error);
  }
  out.assign(buf, static_cast<std::size_t>(n));
  *error = 0;
  return ReadStatus::kOk;
}

bool FsRoot::is_procfs() const {
  if (!procfs_) {
    struct statfs fs {};
    procfs_ = ::statfs(root_.c_str(), &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
  }
  return *procfs_;
}

bool FsRoot::exists(std::string_view relative) const {
  struct stat st {};
  return ::stat(path(relative).c_str(), &st) == 0;
}

std::optional<std::uint64_t> FsRoot::proc_fd_count(std::string_view relative) const {
  if (!is_procfs()) return std::nullopt;
  struct stat st {};
  if (::stat(path(relative).c_str(), &st) != 0 || st.st_size <= 0) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace virtnet
