// A stand-in for a libvirt-started qemu on the synthetic hypervisor: started under the name
// qemu-system-x86_64 with a libvirt-style command line, it names its threads as qemu does
// (debug-threads=on), holds about 130 fds of mixed kinds and some dozens of mappings, then
// sleeps. It burns no CPU, so it does not disturb the measurement. It dies with its parent.
//
//   qemu-system-x86_64 -name guest=instance-00000001,debug-threads=on -uuid ...
//     -netdev {...} -chardev file,path=CONSOLE_LOG ...
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

void* sleeper(void* name) {
  pthread_setname_np(pthread_self(), static_cast<const char*>(name));
  for (;;) pause();
  return nullptr;
}

std::string console_path(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "-chardev") == 0) {
      const char* p = std::strstr(argv[i + 1], "path=");
      if (p) return std::string(p + 5);
    }
  }
  return "/dev/null";
}

}  // namespace

int main(int argc, char** argv) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 0;  // the launcher is already gone

  // fds: the console log, sockets (monitor, VNC, migration), pipes, eventfds (irqfd/ioeventfd
  // are anon inodes in real qemu), /dev/null and /dev/urandom: 130 in all with stdio.
  std::vector<int> fds;
  fds.push_back(open(console_path(argc, argv).c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644));
  for (int i = 0; i < 20; ++i) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) fds.insert(fds.end(), {sv[0], sv[1]});
  }
  for (int i = 0; i < 5; ++i) fds.push_back(socket(AF_INET, SOCK_DGRAM, 0));
  for (int i = 0; i < 20; ++i) {
    int p[2];
    if (pipe(p) == 0) fds.insert(fds.end(), {p[0], p[1]});
  }
  for (int i = 0; i < 40; ++i) fds.push_back(eventfd(0, EFD_CLOEXEC));
  while (fds.size() < 127)
    fds.push_back(open(fds.size() % 2 ? "/dev/null" : "/dev/urandom", O_RDONLY));

  // Mappings: guest RAM stand-ins (anonymous, untouched so they cost no memory), a few touched
  // pages, and read-only file mappings.
  for (int i = 0; i < 24; ++i) {
    void* p = mmap(nullptr, (1u << 20) * static_cast<unsigned>(i + 1), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED && i % 4 == 0) std::memset(p, 1, 4096);
  }
  int self = open("/proc/self/exe", O_RDONLY);
  for (int i = 0; i < 8; ++i) mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE, self, 0);
  close(self);

  static char names[8][16];
  const char* fixed[] = {"CPU 0/KVM",       "CPU 1/KVM", "CPU 2/KVM", "CPU 3/KVM",
                         "IO mon_iothread", "worker",    "call_rcu"};
  int n = 0;
  for (const char* f : fixed) std::snprintf(names[n++], sizeof names[0], "%s", f);
  std::snprintf(names[n++], sizeof names[0], "vhost-%d", static_cast<int>(getpid()));
  for (auto& name : names) {
    pthread_t t;
    pthread_create(&t, nullptr, sleeper, name);
  }
  std::printf("ready %d\n", static_cast<int>(getpid()));
  std::fflush(stdout);
  for (;;) pause();
}
