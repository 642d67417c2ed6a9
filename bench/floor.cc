// The floor: the kernel reads an exporter cannot avoid for a hypervisor's process, thread, link
// and socket data, with no parsing and no formatting. It answers HTTP like an exporter so the
// harness times it the same way.
//   floor PORT            per request: for every process, read stat, status, limits and list
//                         fd/; for every thread, read stat and schedstat; one RTM_GETLINK dump;
//                         read /proc/net/sockstat
//   floor PORT process    exactly the process collector's reads with its default groups: for
//                         every process stat and the fd count; for those in a group also status,
//                         limits, maps and each thread's status; a readlink per fd for the
//                         fd-kind groups. Only comm and the thread count are looked at.
//   floor PORT qemu       exactly the qemu collector's reads: for every process stat; for qemu
//                         processes the task list and each thread's stat and schedstat, and the
//                         cmdline once per process (the collector keeps what it parsed).
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

char buf[1 << 16];

std::size_t slurp(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::size_t total = 0;
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) total += static_cast<std::size_t>(n);
  close(fd);
  return total;
}

std::size_t count_dir(const char* path) {
  DIR* d = opendir(path);
  if (!d) return 0;
  std::size_t n = 0;
  while (readdir(d)) ++n;
  closedir(d);
  return n;
}

std::size_t link_dump() {
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  struct {
    nlmsghdr h;
    ifinfomsg i;
  } req{};
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = RTM_GETLINK;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.i.ifi_family = AF_UNSPEC;
  send(s, &req, sizeof req, 0);
  std::size_t total = 0;
  for (bool done = false; !done;) {
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n <= 0) break;
    total += static_cast<std::size_t>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<unsigned>(n));
         h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) done = true;
    }
  }
  close(s);
  return total;
}

std::size_t collect() {
  std::size_t bytes = 0;
  char path[600];  // d_name is up to 255 bytes, twice
  DIR* proc = opendir("/proc");
  while (dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    for (const char* f : {"stat", "status", "limits"}) {
      std::snprintf(path, sizeof path, "/proc/%s/%s", e->d_name, f);
      bytes += slurp(path);
    }
    std::snprintf(path, sizeof path, "/proc/%s/fd", e->d_name);
    bytes += count_dir(path);
    std::snprintf(path, sizeof path, "/proc/%s/task", e->d_name);
    DIR* tasks = opendir(path);
    if (!tasks) continue;
    while (dirent* t = readdir(tasks)) {
      if (t->d_name[0] == '.') continue;
      for (const char* f : {"stat", "schedstat"}) {
        std::snprintf(path, sizeof path, "/proc/%s/task/%s/%s", e->d_name, t->d_name, f);
        bytes += slurp(path);
      }
    }
    closedir(tasks);
  }
  closedir(proc);
  bytes += link_dump();
  bytes += slurp("/proc/net/sockstat");
  return bytes;
}

// The process collector's default groups, by comm (bench only: kept in step by hand).
bool grouped(std::string_view comm, bool* fd_kinds) {
  static const std::string_view exact[] = {
      "qemu-system-x86", "qemu-kvm", "qemu-system-aar", "libvirtd",     "virtqemud", "virtlogd",
      "keepalived",      "haproxy",  "ovs-vswitchd",    "ovsdb-server", "dnsmasq",   "beam.smp",
      "mysqld",          "mariadbd", "memcached",       "apache2",      "httpd",     "nginx"};
  *fd_kinds = comm == "keepalived" || comm == "haproxy";
  for (auto e : exact) {
    if (comm == e) return true;
  }
  return comm.substr(0, 5) == "nova-" || comm.substr(0, 8) == "neutron-";
}

std::size_t fd_count(const char* path) {
  struct stat st {};
  if (stat(path, &st) == 0 && st.st_size > 0) return static_cast<std::size_t>(st.st_size);
  return count_dir(path);
}

// Calls f(pid, stat) for each process whose stat could be read; `stat` points into `buf`.
template <typename F>
void for_each_stat(F&& f) {
  char path[300];
  DIR* proc = opendir("/proc");
  while (dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    const std::size_t n = slurp(path);
    if (n > 0) f(static_cast<const char*>(e->d_name), std::string_view(buf, n));
  }
  closedir(proc);
}

std::size_t collect_process() {
  std::size_t bytes = 0;
  char path[600];  // d_name is up to 255 bytes, twice
  char link[4096];
  for_each_stat([&](const char* pid, std::string_view stat) {
    auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos) return;
    bool kinds = false;
    const bool in_group = grouped(stat.substr(open + 1, close - open - 1), &kinds);
    // num_threads is the 18th field after the comm.
    int field = 0;
    long threads = 1;
    for (std::size_t i = close + 1; i < stat.size(); ++i) {
      if (stat[i] == ' ' && ++field == 18) threads = std::strtol(stat.data() + i + 1, nullptr, 10);
    }
    std::snprintf(path, sizeof path, "/proc/%s/fd", pid);
    if (kinds) {
      DIR* fds = opendir(path);
      while (dirent* f = fds ? readdir(fds) : nullptr) {
        if (f->d_name[0] == '.') continue;
        std::snprintf(path, sizeof path, "/proc/%s/fd/%s", pid, f->d_name);
        bytes += static_cast<std::size_t>(std::max<ssize_t>(0, readlink(path, link, sizeof link)));
      }
      if (fds) closedir(fds);
    } else {
      bytes += fd_count(path);
    }
    if (!in_group) return;
    for (const char* f : {"status", "limits", "maps"}) {
      std::snprintf(path, sizeof path, "/proc/%s/%s", pid, f);
      bytes += slurp(path);
    }
    if (threads <= 1) return;
    std::snprintf(path, sizeof path, "/proc/%s/task", pid);
    DIR* tasks = opendir(path);
    while (dirent* t = tasks ? readdir(tasks) : nullptr) {
      if (t->d_name[0] == '.') continue;
      std::snprintf(path, sizeof path, "/proc/%s/task/%s/status", pid, t->d_name);
      bytes += slurp(path);
    }
    if (tasks) closedir(tasks);
  });
  return bytes;
}

std::size_t collect_qemu() {
  static std::string seen;  // pids whose cmdline was read, as "|pid|"
  std::size_t bytes = 0;
  char path[600];
  for_each_stat([&](const char* pid, std::string_view stat) {
    const auto open = stat.find('(');
    if (open == std::string_view::npos || stat.compare(open + 1, 5, "qemu-") != 0) return;
    const std::string key = std::string("|") + pid + "|";
    if (seen.find(key) == std::string::npos) {
      seen += key;
      std::snprintf(path, sizeof path, "/proc/%s/cmdline", pid);
      bytes += slurp(path);
    }
    std::snprintf(path, sizeof path, "/proc/%s/task", pid);
    DIR* tasks = opendir(path);
    while (dirent* t = tasks ? readdir(tasks) : nullptr) {
      if (t->d_name[0] == '.') continue;
      for (const char* f : {"stat", "schedstat"}) {
        std::snprintf(path, sizeof path, "/proc/%s/task/%s/%s", pid, t->d_name, f);
        bytes += slurp(path);
      }
    }
    if (tasks) closedir(tasks);
  });
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 3 ? argv[2] : "";
  if (argc < 2 || argc > 3 || (argc == 3 && mode != "process" && mode != "qemu")) {
    std::fprintf(stderr, "usage: floor PORT [process|qemu]\n");
    return 2;
  }
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[1])));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(l, 16) != 0) {
    std::perror("floor: bind");
    return 1;
  }
  for (;;) {
    int c = accept(l, nullptr, nullptr);
    if (c < 0) continue;
    char req[4096];
    (void)!recv(c, req, sizeof req, 0);  // one small GET; the request itself is ignored
    std::string body = "floor_bytes_read " +
                       std::to_string(mode == "process" ? collect_process()
                                      : mode == "qemu"  ? collect_qemu()
                                                        : collect()) +
                       "\n";
    std::string resp = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body;
    (void)!send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
    close(c);
  }
}
