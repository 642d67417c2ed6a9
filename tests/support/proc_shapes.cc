// Real processes in the shapes the process collector must handle, for fixtures and live tests.
//   proc_shapes fds N COMM     N open fds (sockets, pipes, eventfds, files), then waits
//   proc_shapes maps N COMM    N separate anonymous mappings, then waits
//   proc_shapes zombie COMM    forks a child named COMM that exits unreaped; prints its pid
//   proc_shapes leak COMM      reads commands from stdin and answers each with "ok":
//                                step FDS MAPS   open FDS more UDP sockets, map MAPS more 64 KiB
//                                exit
// All print "ready PID" once set up and exit when stdin closes.
#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {

int g_prot_toggle = 0;

// Alternating protections keep neighbouring mappings from merging into one VMA.
void map_one(std::size_t bytes) {
  const int prot = (g_prot_toggle++ % 2) ? PROT_READ : PROT_READ | PROT_WRITE;
  void* p = mmap(nullptr, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    std::perror("mmap");
    std::exit(2);
  }
}

void open_fds(int n) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < static_cast<rlim_t>(n) + 64) {
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, static_cast<rlim_t>(n) + 64);
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  for (int i = 0; i < n;) {
    switch (i % 4) {
      case 0:
        if (socket(AF_INET, SOCK_DGRAM, 0) < 0) std::exit(3);
        ++i;
        break;
      case 1: {
        int p[2];
        if (pipe(p) != 0) std::exit(3);
        i += 2;
        break;
      }
      case 2:
        if (eventfd(0, 0) < 0) std::exit(3);
        ++i;
        break;
      default:
        if (open("/dev/null", O_RDONLY) < 0) std::exit(3);
        ++i;
    }
  }
}

void ready() {
  std::printf("ready %d\n", static_cast<int>(getpid()));
  std::fflush(stdout);
}

void wait_stdin() {
  char c;
  while (read(0, &c, 1) > 0) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: proc_shapes fds|maps N COMM | zombie COMM | leak COMM\n");
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  const std::string mode = argv[1];
  const char* comm = argv[argc - 1];
  if (mode == "fds" && argc == 4) {
    prctl(PR_SET_NAME, comm);
    open_fds(std::atoi(argv[2]));
  } else if (mode == "maps" && argc == 4) {
    prctl(PR_SET_NAME, comm);
    for (int i = 0, n = std::atoi(argv[2]); i < n; ++i) map_one(4096);
  } else if (mode == "zombie") {
    pid_t child = fork();
    if (child == 0) {
      prctl(PR_SET_NAME, comm);
      _exit(0);
    }
    for (;;) {  // wait until it is a zombie, without reaping it
      siginfo_t si{};
      if (waitid(P_PID, static_cast<id_t>(child), &si, WEXITED | WNOWAIT) == 0) break;
    }
    std::printf("zombie %d\n", static_cast<int>(child));
  } else if (mode == "leak") {
    prctl(PR_SET_NAME, comm);
    ready();
    std::string cmd;
    while (std::cin >> cmd) {
      if (cmd == "exit") return 0;
      int fds = 0, maps = 0;
      std::cin >> fds >> maps;
      for (int i = 0; i < fds; ++i) {
        if (socket(AF_INET, SOCK_DGRAM, 0) < 0) return 3;
      }
      for (int i = 0; i < maps; ++i) map_one(64 * 1024);
      std::printf("ok\n");
      std::fflush(stdout);
    }
    return 0;
  } else {
    std::fprintf(stderr, "proc_shapes: bad arguments\n");
    return 2;
  }
  ready();
  wait_stdin();
  return 0;
}
