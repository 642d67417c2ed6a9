#include "exporter/listen_address.h"

#include <cctype>
#include <charconv>
#include <stdexcept>

namespace virtnet {

ListenAddress parse_listen_address(const std::string& text) {
  const std::string where = "--web.listen-address \"" + text + "\": ";
  if (!text.empty() && text.front() == '[') {
    throw std::invalid_argument(where +
                                "IPv6 listen addresses are not supported (the HTTP server, "
                                "civetweb, is built without IPv6); use an IPv4 address or :PORT");
  }
  auto colon = text.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument(where + "want HOST:PORT or :PORT");
  ListenAddress a;
  a.host = text.substr(0, colon);
  if (a.host.find(':') != std::string::npos) {
    throw std::invalid_argument(where + "IPv6 addresses are not supported; use an IPv4 address");
  }
  const std::string port = text.substr(colon + 1);
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), a.port);
  if (port.empty() || ec != std::errc() || p != port.data() + port.size() || a.port < 1 ||
      a.port > 65535) {
    throw std::invalid_argument(where + "port must be a number from 1 to 65535");
  }
  for (char c : a.host) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) {
      throw std::invalid_argument(where + "bad character in host");
    }
  }
  return a;
}

}  // namespace virtnet
