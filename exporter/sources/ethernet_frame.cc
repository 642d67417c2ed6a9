#include "exporter/sources/ethernet_frame.h"

#include <algorithm>

namespace virtnet {

namespace {

std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

}  // namespace

bool is_vlan_tpid(std::uint16_t type) { return type == 0x8100 || type == 0x88a8 || type == 0x9100; }

std::optional<EthernetHeader> parse_ethernet(std::span<const std::uint8_t> frame) {
  if (frame.size() < 14) return std::nullopt;
  EthernetHeader h;
  std::copy_n(frame.begin(), 6, h.destination.begin());
  std::copy_n(frame.begin() + 6, 6, h.source.begin());
  std::size_t at = 12;  // the type (or length) field
  h.type_or_length = be16(frame, at);
  while (is_vlan_tpid(h.type_or_length) && h.tags < EthernetHeader::kMaxTags) {
    // The tag's TCI, then the next type field.
    if (frame.size() < at + 6) return std::nullopt;
    h.vlans[h.tags++] = be16(frame, at + 2) & 0x0fff;
    at += 4;
    h.type_or_length = be16(frame, at);
  }
  h.payload = frame.subspan(at + 2);
  return h;
}

}  // namespace virtnet
