#pragma once

#include <string>

namespace virtnet {

struct ListenAddress {
  std::string host;  // empty = all IPv4 addresses
  int port = 0;
};

// Parses Prometheus-style "host:port", ":port" or "[v6]:port". Throws std::invalid_argument with
// a message fit for an operator. IPv6 is refused: Debian's civetweb is built without it.
ListenAddress parse_listen_address(const std::string& text);

}  // namespace virtnet
