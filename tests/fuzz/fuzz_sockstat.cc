#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectors/sockstat/sockstat_parse.h"
#include "exporter/common/parse_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace virtnet::sockstat;
  try {
    parse_sockstat(text);
  } catch (const virtnet::ParseError&) {
  }
  try {
    parse_tcp_mem(text);
  } catch (const virtnet::ParseError&) {
  }
  try {
    parse_file_nr(text);
  } catch (const virtnet::ParseError&) {
  }
  try {
    parse_single_u64(text, "x");
  } catch (const virtnet::ParseError&) {
  }
  return 0;
}
