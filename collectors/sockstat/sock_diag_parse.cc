#include "collectors/sockstat/sock_diag_parse.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <cstring>

#include "exporter/common/parse_error.h"

namespace virtnet::sockstat {

namespace {
constexpr std::size_t kNlHdr = 16;
constexpr std::size_t kDiagMsg = 72;  // sizeof(struct inet_diag_msg), fixed by the kernel ABI
static_assert(sizeof(nlmsghdr) == kNlHdr);
static_assert(sizeof(inet_diag_msg) == kDiagMsg);

std::size_t align4(std::size_t n) { return (n + 3u) & ~std::size_t{3}; }
}  // namespace

DumpProgress parse_inet_diag_chunk(std::string_view bytes,
                                   const std::function<void(const InetDiagEntry&)>& on_socket) {
  DumpProgress progress;
  std::size_t off = 0;
  while (off < bytes.size()) {
    if (bytes.size() - off < kNlHdr) {
      throw ParseError("sock_diag: truncated netlink header at offset " + std::to_string(off));
    }
    nlmsghdr hdr;
    std::memcpy(&hdr, bytes.data() + off, kNlHdr);
    if (hdr.nlmsg_len < kNlHdr || hdr.nlmsg_len > bytes.size() - off) {
      throw ParseError("sock_diag: bad netlink length " + std::to_string(hdr.nlmsg_len) +
                       " at offset " + std::to_string(off));
    }
    std::string_view payload = bytes.substr(off + kNlHdr, hdr.nlmsg_len - kNlHdr);
    if (hdr.nlmsg_type == NLMSG_DONE) {
      progress.done = true;
      return progress;
    }
    if (hdr.nlmsg_type == NLMSG_ERROR) {
      int err = 0;
      if (payload.size() < sizeof(int)) throw ParseError("sock_diag: truncated NLMSG_ERROR");
      std::memcpy(&err, payload.data(), sizeof(int));
      progress.error = err < 0 ? err : -err;
      progress.done = true;
      return progress;
    }
    if (hdr.nlmsg_type == TCPDIAG_GETSOCK || hdr.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      if (payload.size() < kDiagMsg) {
        throw ParseError("sock_diag: inet_diag_msg of " + std::to_string(payload.size()) +
                         " bytes, want " + std::to_string(kDiagMsg));
      }
      inet_diag_msg msg;
      std::memcpy(&msg, payload.data(), kDiagMsg);
      InetDiagEntry e;
      e.family = msg.idiag_family;
      e.state = msg.idiag_state;
      std::memcpy(e.dst.data(), msg.id.idiag_dst, e.dst.size());
      ++progress.sockets;
      on_socket(e);
    }
    // Other types (NLMSG_NOOP, NLMSG_OVERRUN) carry nothing we count.
    off += align4(hdr.nlmsg_len);
  }
  return progress;
}

std::string_view tcp_state_name(std::uint8_t state) {
  static constexpr std::string_view kNames[] = {
      "",      "established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2",   "time_wait",
      "close", "close_wait",  "last_ack", "listen",   "closing",   "new_syn_recv"};
  return state <= kMaxTcpState ? kNames[state] : std::string_view{};
}

std::string format_address(std::uint8_t family, const std::array<std::uint8_t, 16>& addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr.data(), buf, sizeof buf) == nullptr) {
    return "invalid";
  }
  return buf;
}

}  // namespace virtnet::sockstat
