#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "exporter/sources/ethernet_frame.h"

// Any bytes: never a read outside the frame (ASan); what it returns lies inside the frame and
// agrees with itself.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> frame(data, size);
  const auto h = virtnet::parse_ethernet(frame);
  if (!h) {
    if (size >= 14 &&
        !virtnet::is_vlan_tpid(static_cast<std::uint16_t>((data[12] << 8) | data[13])))
      std::abort();  // an untagged frame of 14 bytes or more always has a header
    return 0;
  }
  if (h->tags > virtnet::EthernetHeader::kMaxTags) std::abort();
  if (h->payload.size() != size - 14 - 4 * h->tags) std::abort();
  if (h->payload.data() != data + 14 + 4 * h->tags) std::abort();
  for (std::size_t i = 0; i < h->tags; ++i) {
    if (h->vlans[i] > 0x0fff) std::abort();
  }
  return 0;
}
