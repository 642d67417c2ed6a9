#pragma once

#include <string>

namespace virtnet {

struct ListenAddress {
  std::string host;  // empty: every address, IPv6 and IPv4; an IPv6 literal without brackets
  int port = 0;
};

// Parses Prometheus-style "host:port", ":port" or "[v6]:port". Throws std::invalid_argument with
// a message fit for an operator.
ListenAddress parse_listen_address(const std::string& text);

// Opens a listening TCP socket (close-on-exec, SO_REUSEADDR) on the address; ":PORT" listens on
// IPv6 and IPv4 both where the kernel has IPv6, else on IPv4. Returns the fd and sets
// `*bound_port` (useful with port 0 in tests). Throws std::runtime_error "cannot listen on
// TEXT: reason" or "cannot resolve ...".
int open_listen_socket(const ListenAddress& addr, const std::string& text, int* bound_port);

}  // namespace virtnet
