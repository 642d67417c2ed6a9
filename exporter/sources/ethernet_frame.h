#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace virtnet {

// The link-layer header of a frame that sources/packet_capture delivered, read once for every
// parser of what it carries (VRRP, BPDUs): the addresses, the VLAN tags left in the frame (the
// kernel often strips the outer one into metadata: Frame::vlan), and then either an EtherType
// (0x0600 and above) or an IEEE 802.3 length (1500 and below; LLC follows). Pure: never reads past
// the frame, never throws.
struct EthernetHeader {
  static constexpr std::size_t kMaxTags = 4;
  std::array<std::uint8_t, 6> destination{};
  std::array<std::uint8_t, 6> source{};
  std::array<std::uint16_t, kMaxTags> vlans{};  // the VLAN ids of the tags, outermost first
  std::size_t tags = 0;
  // After the tags; still a tag's TPID when there were more than kMaxTags.
  std::uint16_t type_or_length = 0;
  std::span<const std::uint8_t> payload;  // what follows type_or_length

  bool is_8023_length() const { return type_or_length <= 1500; }
};

// 802.1Q, 802.1ad and the old QinQ TPID.
bool is_vlan_tpid(std::uint16_t type);

// Nothing when the frame is shorter than its own header says.
std::optional<EthernetHeader> parse_ethernet(std::span<const std::uint8_t> frame);

}  // namespace virtnet
