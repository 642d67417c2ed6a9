// Writes the raw netlink buffers of a TCP sock_diag dump to a file, for parser fixtures:
//   capture_sock_diag 4|6 OUT
#include <sys/socket.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "collectors/sockstat/sock_diag_parse.h"
#include "exporter/sources/sock_diag.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: capture_sock_diag 4|6 OUT\n";
    return 2;
  }
  std::ofstream out(argv[2], std::ios::binary);
  auto src = virtnet::make_netlink_sock_diag(5000);
  src->dump_tcp(std::atoi(argv[1]) == 6 ? AF_INET6 : AF_INET, [&](std::string_view chunk) {
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    return virtnet::sockstat::parse_inet_diag_chunk(chunk, [](const auto&) {}).done;
  });
  return 0;
}
