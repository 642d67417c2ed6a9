#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace virtnet::bpdu {

// Spanning-tree BPDUs (IEEE 802.1D/802.1w/802.1s to 01:80:c2:00:00:00 in an 802.3 frame with LLC
// 42 42 03; Cisco PVST+ to 01:00:0c:cc:cc:cd with LLC AA AA 03 and SNAP 00000c/010b). A Linux
// bridge with STP off forwards them: a guest's BPDUs reach the physical switch, whose BPDU guard
// then shuts the host's uplink (incident 6).
enum class Kind : std::uint8_t { kConfig, kTcn, kRstp, kMstp, kPvst };
std::string_view kind_name(Kind k);  // "stp", "tcn", "rstp", "mstp", "pvst"

enum class Reject : std::uint8_t {
  kNone,
  kTruncated,
  kNotBpdu,   // another destination, an EtherType instead of a length, another LLC/SNAP
  kProtocol,  // protocol identifier not 0, or an unknown version/type
  kCount,
};
std::string_view reject_name(Reject r);

struct ParseResult {
  Reject reject = Reject::kNone;
  Kind kind = Kind::kConfig;
};

// One captured Ethernet frame (VLAN tags left in it are skipped); never reads past it.
ParseResult parse_frame(std::span<const std::uint8_t> frame);

}  // namespace virtnet::bpdu
