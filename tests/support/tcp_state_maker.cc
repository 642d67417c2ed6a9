// Puts TCP sockets into known states on loopback, then waits on stdin. Used inside a network
// namespace to check the sock_diag counts against the truth.
//   tcp_state_maker PORT ESTABLISHED HALF_CLOSED
// opens a listener on 127.0.0.1:PORT and one on [::1]:PORT; ESTABLISHED connections from
// 127.0.0.2; HALF_CLOSED more from 127.0.0.3 whose server side is closed (server: FIN_WAIT2,
// client: CLOSE_WAIT). Prints "ready" when done.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {
int die(const char* what) {
  std::perror(what);
  std::exit(2);
}

int listener(int family, int port) {
  int s = socket(family, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
  } else {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET6, "::1", &a.sin6_addr);
    if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind6");
  }
  if (listen(s, 128) != 0) die("listen");
  return s;
}

int connect_from(const char* src, int port) {
  int c = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, src, &from.sin_addr);
  if (bind(c, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) die("bind client");
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (connect(c, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) die("connect");
  return c;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s PORT ESTABLISHED HALF_CLOSED\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]), established = std::atoi(argv[2]), half = std::atoi(argv[3]);
  int l4 = listener(AF_INET, port);
  int l6 = listener(AF_INET6, port);
  std::vector<int> keep;
  for (int i = 0; i < established; ++i) {
    keep.push_back(connect_from("127.0.0.2", port));
    keep.push_back(accept(l4, nullptr, nullptr));
  }
  for (int i = 0; i < half; ++i) {
    keep.push_back(connect_from("127.0.0.3", port));
    close(accept(l4, nullptr, nullptr));  // server side sends FIN: it FIN_WAIT2, client CLOSE_WAIT
  }
  usleep(200 * 1000);  // let the FINs and ACKs settle
  std::printf("ready\n");
  std::fflush(stdout);
  char buf[1];
  while (read(0, buf, 1) > 0) {
  }
  (void)l6;
  return 0;
}
