#include "exporter/sources/sock_diag.h"

extern "C" {
#include <netlink/idiag/idiagnl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
}
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace virtnet {

namespace {

constexpr unsigned kAllTcpStates = 0xfff;

class NetlinkSockDiag : public SockDiagSource {
 public:
  explicit NetlinkSockDiag(int timeout_ms) : timeout_ms_(timeout_ms) {}
  ~NetlinkSockDiag() override { close(); }

  void dump_tcp(int family, const std::function<bool(std::string_view)>& on_chunk) override {
    try {
      dump(family, on_chunk);
    } catch (...) {
      close();  // a half-read dump would poison the next one
      throw;
    }
  }

 private:
  void open() {
    if (sk_) return;
    sk_ = nl_socket_alloc();
    if (!sk_) throw std::runtime_error("sock_diag: cannot allocate netlink socket");
    if (int err = idiagnl_connect(sk_); err < 0) {
      std::string msg = std::string("sock_diag: connect: ") + nl_geterror(err);
      close();
      throw std::runtime_error(msg);
    }
    nl_socket_set_msg_buf_size(sk_, 64 * 1024);
    timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
    setsockopt(nl_socket_get_fd(sk_), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void close() {
    if (sk_) nl_socket_free(sk_);
    sk_ = nullptr;
  }

  void dump(int family, const std::function<bool(std::string_view)>& on_chunk) {
    open();
    // libnl's idiagnl_send_simple() sends the legacy TCPDIAG_GETSOCK request, which the kernel
    // answers with both families whatever the request says; SOCK_DIAG_BY_FAMILY honours it.
    inet_diag_req_v2 req{};
    req.sdiag_family = static_cast<uint8_t>(family);
    req.sdiag_protocol = IPPROTO_TCP;
    req.idiag_states = kAllTcpStates;
    if (int err = nl_send_simple(sk_, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req, sizeof req); err < 0) {
      throw std::runtime_error(std::string("sock_diag: send: ") + nl_geterror(err));
    }
    for (;;) {
      sockaddr_nl peer{};
      unsigned char* buf = nullptr;
      int n = nl_recv(sk_, &peer, &buf, nullptr);
      if (n <= 0) {
        std::free(buf);
        throw std::runtime_error(std::string("sock_diag: receive: ") +
                                 (n == 0 ? "no data (timeout?)" : nl_geterror(n)));
      }
      bool done = false;
      try {
        done = on_chunk(
            std::string_view(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n)));
      } catch (...) {
        std::free(buf);
        throw;
      }
      std::free(buf);
      if (done) return;
    }
  }

  int timeout_ms_;
  nl_sock* sk_ = nullptr;
};

}  // namespace

std::unique_ptr<SockDiagSource> make_netlink_sock_diag(int timeout_ms) {
  return std::make_unique<NetlinkSockDiag>(timeout_ms);
}

}  // namespace virtnet
