#include "exporter/sources/link_dump.h"

#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

namespace virtnet {

void dump_links(int timeout_ms, const std::function<bool(std::string_view)>& on_chunk) {
  std::unique_ptr<nl_sock, void (*)(nl_sock*)> sk(nl_socket_alloc(), &nl_socket_free);
  if (!sk) throw std::runtime_error("links: cannot allocate a netlink socket");
  if (int err = nl_connect(sk.get(), NETLINK_ROUTE); err < 0) {
    throw std::runtime_error(std::string("links: connect: ") + nl_geterror(err));
  }
  // A link dump with counters runs to a few KB a link: room for many in one read.
  nl_socket_set_msg_buf_size(sk.get(), 256 * 1024);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(nl_socket_get_fd(sk.get()), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ifinfomsg req{};
  req.ifi_family = AF_UNSPEC;
  if (int err = nl_send_simple(sk.get(), RTM_GETLINK, NLM_F_DUMP, &req, sizeof req); err < 0) {
    throw std::runtime_error(std::string("links: send: ") + nl_geterror(err));
  }
  for (;;) {
    sockaddr_nl peer{};
    unsigned char* raw = nullptr;
    const int n = nl_recv(sk.get(), &peer, &raw, nullptr);
    std::unique_ptr<unsigned char, void (*)(void*)> buf(raw, &std::free);
    if (n <= 0) {
      throw std::runtime_error(std::string("links: receive: ") +
                               (n == 0 ? "no data (timeout?)" : nl_geterror(n)));
    }
    if (on_chunk(std::string_view(reinterpret_cast<const char*>(buf.get()),
                                  static_cast<std::size_t>(n)))) {
      return;
    }
  }
}

}  // namespace virtnet
