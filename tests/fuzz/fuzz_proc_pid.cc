#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exporter/common/parse_error.h"
#include "exporter/sources/proc_pid_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    virtnet::parse_proc_stat(text);
  } catch (const virtnet::ParseError&) {
  }
  try {
    virtnet::parse_limits_open_files(text);
  } catch (const virtnet::ParseError&) {
  }
  try {
    virtnet::parse_btime(text);
  } catch (const virtnet::ParseError&) {
  }
  return 0;
}
