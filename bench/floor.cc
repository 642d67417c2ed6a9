// The floor: the kernel reads an exporter cannot avoid for a hypervisor's process, thread, link
// and socket data, with no parsing and no formatting. It answers HTTP like an exporter so the
// harness times it the same way.
//   floor PORT            exactly the default collectors' reads together (process, qemu, links,
//                         sockstat, console; vrrp and bpdu read nothing at a scrape): the
//                         process mode's and the qemu mode's reads with one task listing and
//                         one schedstat a thread between them; a thread's status (for a grouped
//                         process) and stat (for a qemu) only when its schedstat changed since
//                         the last request (it ran); one RTM_GETLINK dump; sockstat and
//                         sockstat6, the fd and TCP memory sysctls, one sock_diag dump of TCP
//                         sockets a family; the console glob
//   floor PORT all-files  the naive floor: for every process stat, status, limits and the fd
//                         listing; for every thread stat and schedstat; the link dump, sockstat
//   floor PORT process    exactly the process collector's reads with its default groups: for
//                         every process stat and the fd count; for those in a group also status,
//                         limits, maps, and each thread's schedstat (its status when that
//                         changed); a readlink per fd for the fd-kind groups. Only comm and the
//                         thread count are looked at.
//   floor PORT qemu       exactly the qemu collector's reads: for every process stat; for qemu
//                         processes the task list and each thread's schedstat (its stat when
//                         that changed), and the cmdline once per process (the collector keeps
//                         what it parsed).
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
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
#include <unordered_map>

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

// Sends a netlink dump request on `s` and reads the answer to its end; closes `s`.
std::size_t dump(int s, const void* req, std::size_t len) {
  send(s, req, len, 0);
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
  return dump(s, &req, sizeof req);
}

std::size_t collect_all_files() {
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

// The threads of `pid` as the collectors read them: each one's schedstat, and only for a thread
// whose schedstat changed since the last request (it ran) its status (`status`: for a grouped
// process's switch counts, the main thread's being the process's own) and its stat (`stat`: for
// a qemu's CPU times).
std::size_t read_threads(const char* pid, bool status, bool stat) {
  static std::unordered_map<std::string, std::string> sched;  // per thread dir, last schedstat
  std::size_t bytes = 0;
  char path[600];
  std::snprintf(path, sizeof path, "/proc/%s/task", pid);
  DIR* tasks = opendir(path);
  while (dirent* t = tasks ? readdir(tasks) : nullptr) {
    if (t->d_name[0] == '.') continue;
    std::snprintf(path, sizeof path, "/proc/%s/task/%s", pid, t->d_name);
    const std::string dir = path;
    const std::size_t n = slurp((dir + "/schedstat").c_str());
    bytes += n;
    std::string& last = sched[dir];
    if (n > 0 && last == std::string_view(buf, n)) continue;
    last.assign(buf, n);
    if (status && std::strcmp(t->d_name, pid) != 0) bytes += slurp((dir + "/status").c_str());
    if (stat) bytes += slurp((dir + "/stat").c_str());
  }
  if (tasks) closedir(tasks);
  return bytes;
}

// A qemu's command line, once per pid (the collectors keep what they parsed).
std::size_t cmdline_once(const char* pid) {
  static std::string seen;  // as "|pid|"
  const std::string key = std::string("|") + pid + "|";
  if (seen.find(key) != std::string::npos) return 0;
  seen += key;
  char path[300];
  std::snprintf(path, sizeof path, "/proc/%s/cmdline", pid);
  return slurp(path);
}

// The process collector's reads of one process, and with `qemu_too` the qemu collector's of a
// qemu as well (the task listing and each thread's schedstat shared between them).
std::size_t process_files(const char* pid, std::string_view stat, bool qemu_too) {
  std::size_t bytes = 0;
  char path[600];  // d_name is up to 255 bytes, twice
  char link[4096];
  auto open = stat.find('('), close = stat.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos) return 0;
  const std::string_view comm = stat.substr(open + 1, close - open - 1);
  bool kinds = false;
  const bool in_group = grouped(comm, &kinds);
  const bool qemu = qemu_too && comm.substr(0, 5) == "qemu-";
  // num_threads is the 18th field after the comm.
  int field = 0;
  long threads = 1;
  for (std::size_t i = close + 1; i < stat.size(); ++i) {
    if (stat[i] == ' ' && ++field == 18) threads = std::strtol(stat.data() + i + 1, nullptr, 10);
  }
  std::snprintf(path, sizeof path, "/proc/%s/fd", pid);
  std::size_t fds = 0;
  if (kinds) {
    DIR* d = opendir(path);
    while (dirent* f = d ? readdir(d) : nullptr) {
      if (f->d_name[0] == '.') continue;
      std::snprintf(path, sizeof path, "/proc/%s/fd/%s", pid, f->d_name);
      bytes += static_cast<std::size_t>(std::max<ssize_t>(0, readlink(path, link, sizeof link)));
    }
    if (d) closedir(d);
  } else {
    fds = fd_count(path);
    bytes += fds;
  }
  if (in_group) {
    for (const char* f : {"status", "limits", "maps"}) {
      std::snprintf(path, sizeof path, "/proc/%s/%s", pid, f);
      bytes += slurp(path);
    }
  } else if (fds >= 32) {  // a process in no group near a limit: its limits, for the top-N
    std::snprintf(path, sizeof path, "/proc/%s/limits", pid);
    bytes += slurp(path);
  }
  if (qemu) bytes += cmdline_once(pid);
  if (qemu || (in_group && threads > 1)) bytes += read_threads(pid, in_group, qemu);
  return bytes;
}

std::size_t collect_process() {
  std::size_t bytes = 0;
  for_each_stat(
      [&](const char* pid, std::string_view stat) { bytes += process_files(pid, stat, false); });
  return bytes;
}

std::size_t collect_qemu() {
  std::size_t bytes = 0;
  for_each_stat([&](const char* pid, std::string_view stat) {
    const auto open = stat.find('(');
    if (open == std::string_view::npos || stat.compare(open + 1, 5, "qemu-") != 0) return;
    bytes += cmdline_once(pid);
    bytes += read_threads(pid, false, true);
  });
  return bytes;
}

// One sock_diag dump of the TCP sockets of `family` (the sockstat collector's states).
std::size_t tcp_dump(std::uint8_t family) {
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  struct {
    nlmsghdr h;
    inet_diag_req_v2 r;
  } req{};
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.r.sdiag_family = family;
  req.r.sdiag_protocol = IPPROTO_TCP;
  req.r.idiag_states = ~0u;
  return dump(s, &req, sizeof req);
}

std::size_t collect_defaults() {
  std::size_t bytes = 0;
  for_each_stat(
      [&](const char* pid, std::string_view stat) { bytes += process_files(pid, stat, true); });
  bytes += link_dump();
  for (const char* f : {"/proc/net/sockstat", "/proc/net/sockstat6", "/proc/sys/fs/file-nr",
                        "/proc/sys/fs/file-max", "/proc/sys/net/ipv4/tcp_mem",
                        "/proc/sys/net/ipv4/tcp_max_orphans"}) {
    bytes += slurp(f);
  }
  bytes += tcp_dump(AF_INET) + tcp_dump(AF_INET6);
  glob_t g{};
  if (glob("/var/lib/nova/instances/*/console.log", 0, nullptr, &g) == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) {
      struct stat st {};
      bytes += stat(g.gl_pathv[i], &st) == 0 ? 1 : 0;
    }
  }
  globfree(&g);
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 3 ? argv[2] : "";
  if (argc < 2 || argc > 3 ||
      (argc == 3 && mode != "process" && mode != "qemu" && mode != "all-files")) {
    std::fprintf(stderr, "usage: floor PORT [process|qemu|all-files]\n");
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
                       std::to_string(mode == "process"     ? collect_process()
                                      : mode == "qemu"      ? collect_qemu()
                                      : mode == "all-files" ? collect_all_files()
                                                            : collect_defaults()) +
                       "\n";
    std::string resp = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body;
    (void)!send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
    close(c);
  }
}
