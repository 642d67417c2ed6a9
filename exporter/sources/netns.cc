#include "exporter/sources/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>

namespace virtnet {

NetnsList list_netns(const std::string& dir, std::size_t max) {
  NetnsList out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
  if (!d) {
    out.error = errno;
    return out;
  }
  while (dirent* e = ::readdir(d.get())) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    out.names.push_back(name);
  }
  std::sort(out.names.begin(), out.names.end());
  if (out.names.size() > max) {
    out.names.resize(max);
    out.truncated = true;
  }
  return out;
}

NetnsOutcome run_in_netns(const std::string& path, const std::function<void()>& fn) {
  NetnsOutcome out;
  std::thread t([&] {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const int e = errno;
      out.status = e == ENOENT ? NetnsStatus::kGone : NetnsStatus::kError;
      out.error = path + ": " + std::strerror(e);
      return;
    }
    const int rc = ::setns(fd, CLONE_NEWNET);
    const int e = errno;
    ::close(fd);
    if (rc != 0) {
      // EINVAL: the file is no namespace (any more: a mount point left behind).
      out.status = e == EINVAL ? NetnsStatus::kGone : NetnsStatus::kError;
      out.error = "setns " + path + ": " + std::strerror(e);
      return;
    }
    try {
      fn();
      out.status = NetnsStatus::kOk;
    } catch (const std::exception& ex) {
      out.status = NetnsStatus::kError;
      out.error = ex.what();
    } catch (...) {
      out.status = NetnsStatus::kError;
      out.error = "unknown exception";
    }
    // The thread ends here, inside the namespace: nothing else ever runs on it.
  });
  t.join();
  return out;
}

}  // namespace virtnet
