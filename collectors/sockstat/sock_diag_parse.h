#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace virtnet::sockstat {

// One socket from an inet_diag dump, reduced to what the collector counts.
struct InetDiagEntry {
  std::uint8_t family = 0;             // AF_INET or AF_INET6
  std::uint8_t state = 0;              // TCP_ESTABLISHED .. TCP_NEW_SYN_RECV
  std::array<std::uint8_t, 16> dst{};  // remote address, network order (first 4 bytes for IPv4)
};

struct DumpProgress {
  bool done = false;  // NLMSG_DONE seen
  int error = 0;      // negative errno from an NLMSG_ERROR, 0 if none
  std::size_t sockets = 0;
};

// Parses one buffer returned by recv() on a NETLINK_SOCK_DIAG socket: a run of netlink messages.
// Calls `on_socket` for each inet_diag_msg. Throws ParseError on truncated or malformed messages.
DumpProgress parse_inet_diag_chunk(std::string_view bytes,
                                   const std::function<void(const InetDiagEntry&)>& on_socket);

// Lower-case state name as `ss` prints it ("established", "time_wait", ...); "" if unknown.
std::string_view tcp_state_name(std::uint8_t state);
constexpr std::uint8_t kMaxTcpState = 12;  // TCP_NEW_SYN_RECV

std::string format_address(std::uint8_t family, const std::array<std::uint8_t, 16>& addr);

}  // namespace virtnet::sockstat
