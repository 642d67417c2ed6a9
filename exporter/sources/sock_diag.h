#pragma once

#include <functional>
#include <memory>
#include <string_view>

namespace virtnet {

// Dumps the TCP sockets of one address family from the kernel's sock_diag netlink interface,
// handing each received buffer (a run of netlink messages) to `on_chunk`. `on_chunk` returns
// true once it has seen the end of the dump. Throws std::runtime_error on socket errors and
// timeouts. Sees only the exporter's own network namespace.
class SockDiagSource {
 public:
  virtual ~SockDiagSource() = default;
  virtual void dump_tcp(int family, const std::function<bool(std::string_view)>& on_chunk) = 0;
};

std::unique_ptr<SockDiagSource> make_netlink_sock_diag(int timeout_ms);

}  // namespace virtnet
