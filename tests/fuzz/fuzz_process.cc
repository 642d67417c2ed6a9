#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectors/process/process_parse.h"
#include "exporter/common/parse_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace virtnet::process;
  try {
    parse_status(text);
  } catch (const virtnet::ParseError&) {
  }
  try {
    parse_maps(text);
  } catch (const virtnet::ParseError&) {
  }
  try {
    parse_smaps_rollup_pss(text);
  } catch (const virtnet::ParseError&) {
  }
  (void)classify_fd_target(text);
  (void)qemu_domain(text);
  return 0;
}
