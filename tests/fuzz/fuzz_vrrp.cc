#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "collectors/vrrp/vrrp_parse.h"

// Any bytes: never a read outside the frame (ASan), and what is accepted is a well-formed
// advertisement.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace virtnet::vrrp;
  const ParseResult r = parse_frame(std::span<const std::uint8_t>(data, size));
  if (r.reject != Reject::kNone) return 0;
  const Advert& a = r.advert;
  if ((a.version != 2 && a.version != 3) || a.vrid == 0 || !(a.interval_seconds > 0) ||
      (a.version == 2 && a.family != Family::kIpv4) || a.vlan > 4095 || source_text(a).empty()) {
    std::abort();
  }
  return 0;
}
