#include "exporter/http/listen_address.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace virtnet {

ListenAddress parse_listen_address(const std::string& text) {
  const std::string where = "--web.listen-address \"" + text + "\": ";
  ListenAddress a;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find("]:");
    if (close == std::string::npos) throw std::invalid_argument(where + "want [IPV6]:PORT");
    a.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (a.host.empty()) throw std::invalid_argument(where + "empty IPv6 address");
    for (char c : a.host) {
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) {
        throw std::invalid_argument(where + "bad character in IPv6 address");
      }
    }
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument(where + "want HOST:PORT or :PORT");
    a.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (a.host.find(':') != std::string::npos) {
      throw std::invalid_argument(where + "write an IPv6 address in brackets: [ADDRESS]:PORT");
    }
    for (char c : a.host) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) {
        throw std::invalid_argument(where + "bad character in host");
      }
    }
  }
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), a.port);
  if (port.empty() || ec != std::errc() || p != port.data() + port.size() || a.port < 0 ||
      a.port > 65535) {
    throw std::invalid_argument(where + "port must be a number from 0 to 65535");
  }
  return a;
}

namespace {

// Returns the fd, or -1 with errno set.
int try_listen(int family, const sockaddr* sa, socklen_t len) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1, zero = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (::bind(fd, sa, len) != 0 || ::listen(fd, 128) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

int port_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

}  // namespace

int open_listen_socket(const ListenAddress& addr, const std::string& text, int* bound_port) {
  int fd = -1;
  if (addr.host.empty()) {
    sockaddr_in6 any6{};
    any6.sin6_family = AF_INET6;
    any6.sin6_addr = in6addr_any;
    any6.sin6_port = htons(static_cast<std::uint16_t>(addr.port));
    fd = try_listen(AF_INET6, reinterpret_cast<sockaddr*>(&any6), sizeof any6);
    if (fd < 0 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)) {  // a kernel without IPv6
      sockaddr_in any4{};
      any4.sin_family = AF_INET;
      any4.sin_addr.s_addr = htonl(INADDR_ANY);
      any4.sin_port = htons(static_cast<std::uint16_t>(addr.port));
      fd = try_listen(AF_INET, reinterpret_cast<sockaddr*>(&any4), sizeof any4);
    }
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(addr.port);
    if (int rc = ::getaddrinfo(addr.host.c_str(), port.c_str(), &hints, &res); rc != 0 || !res) {
      throw std::runtime_error("--web.listen-address: cannot resolve \"" + addr.host +
                               "\": " + ::gai_strerror(rc));
    }
    int err = 0;
    for (auto* ai = res; ai && fd < 0; ai = ai->ai_next) {
      fd = try_listen(ai->ai_family, ai->ai_addr, ai->ai_addrlen);
      if (fd < 0) err = errno;
    }
    ::freeaddrinfo(res);
    errno = err;
  }
  if (fd < 0) throw std::runtime_error("cannot listen on " + text + ": " + std::strerror(errno));
  *bound_port = port_of(fd);
  return fd;
}

}  // namespace virtnet
