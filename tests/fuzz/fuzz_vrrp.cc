#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "collectors/vrrp/vrrp_parse.h"

// Any bytes, read as each link type: never a read outside the frame (ASan), and what is accepted
// is a well-formed advertisement.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace virtnet::vrrp;
  for (LinkType link :
       {LinkType::kEthernet, LinkType::kLinuxSll, LinkType::kLinuxSll2, LinkType::kRaw}) {
    const ParseResult r = parse_frame(link, std::span<const std::uint8_t>(data, size));
    if (r.reject != Reject::kNone) continue;
    const Advert& a = r.advert;
    if ((a.version != 2 && a.version != 3) || a.vrid == 0 || !(a.interval_seconds > 0) ||
        (a.version == 2 && a.family != Family::kIpv4) || source_text(a).empty()) {
      std::abort();
    }
  }
  return 0;
}
