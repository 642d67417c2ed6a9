#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectors/sockstat/sock_diag_parse.h"
#include "exporter/common/parse_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    std::size_t n = 0;
    virtnet::sockstat::parse_inet_diag_chunk(bytes, [&](const virtnet::sockstat::InetDiagEntry& e) {
      n += virtnet::sockstat::format_address(e.family, e.dst).size();
      n += virtnet::sockstat::tcp_state_name(e.state).size();
    });
  } catch (const virtnet::ParseError&) {
  }
  return 0;
}
