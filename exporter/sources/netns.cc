#include "exporter/sources/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/stat.h>
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

std::vector<OptionSpec> netns_options(const std::string& what) {
  return {OptionSpec::boolean("netns", false,
                              "Also " + what +
                                  " in the named network namespaces (Neutron's qrouter-*, "
                                  "qdhcp-*, ...); needs CAP_SYS_ADMIN."),
          OptionSpec::make("netns_dir", OptionType::kString, "/run/netns",
                           "Where the named network namespaces are."),
          OptionSpec::integer("netns_max", 256, 1, 10000,
                              "The most named namespaces looked into (the first by name).")};
}

NetnsScope netns_scope(const CollectorOptions& o) {
  return {o.get_bool("netns"), o.get_string("netns_dir"),
          static_cast<std::size_t>(o.get_int("netns_max"))};
}

std::vector<CapabilityNeed> netns_capabilities(const NetnsScope& s) {
  if (!s.enabled) return {};
  return {{CAP_SYS_ADMIN, "to enter the namespaces in netns_dir with setns"}};
}

NetnsWatcher::Scan NetnsWatcher::scan() {
  Scan out;
  const auto list = list_netns(scope_.dir, scope_.max);
  if (list.error != 0 && list.error != ENOENT) {
    out.problem = "cannot list " + scope_.dir + ": " + std::strerror(list.error);
    return out;
  }
  if (list.truncated) {
    out.truncated = true;
    out.problem = "more than netns_max (" + std::to_string(scope_.max) + ") named namespaces in " +
                  scope_.dir + ": only the first by name are seen";
  }
  std::map<std::string, ino_t> now;
  for (const auto& name : list.names) {
    struct stat st {};
    // Gone since the listing: not there.
    if (::stat(path(name).c_str(), &st) == 0) now.emplace(name, st.st_ino);
  }
  for (const auto& [name, inode] : current_) {
    auto it = now.find(name);
    if (it == now.end() || it->second != inode) out.removed.push_back(name);
  }
  for (const auto& [name, inode] : now) {
    auto it = current_.find(name);
    if (it == current_.end() || it->second != inode) out.added.push_back(name);
  }
  current_ = std::move(now);
  return out;
}

void NetnsWatcher::forget(const std::string& name) { current_.erase(name); }

}  // namespace virtnet
