#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace virtnet::vrrp {

enum class Family : std::uint8_t { kIpv4, kIpv6 };

// One VRRP advertisement, as much of it as the exporter uses. The authentication data of a v2
// advertisement (a cleartext password with auth type PASS) is never read, let alone kept.
struct Advert {
  Family family = Family::kIpv4;
  std::array<std::uint8_t, 16> source{};  // 4 bytes used for IPv4
  // The first virtual address advertised (all zero when none): routers that share a VRID on one
  // link (unicast clusters, Octavia's VRID 1 everywhere) differ by it.
  std::array<std::uint8_t, 16> first_address{};
  std::uint16_t vlan = 0;    // the outermost VLAN tag left in the frame; 0: none
  std::uint8_t version = 0;  // 2 or 3
  std::uint8_t vrid = 0;
  std::uint8_t priority = 0;
  std::uint8_t addresses = 0;
  std::uint8_t auth_type = 0;  // v2 only: 0 none, 1 simple text (PASS), 2 IP AH; see `via_ah`
  bool via_ah = false;         // carried in IPsec AH (keepalived's auth_type AH)
  double interval_seconds = 0;
};

// Why a captured frame was not counted as an advertisement; each is a value of the `reason`
// label of virtnet_vrrp_packets_rejected_total.
enum class Reject : std::uint8_t {
  kNone,
  kTruncated,  // shorter than its own headers say
  kNotVrrp,    // not IPv4/IPv6 carrying VRRP (directly or in AH)
  kFragment,   // an IP fragment: cannot be read alone
  kVersion,    // not VRRP 2 (IPv4) or 3
  kType,       // not an advertisement (type 1)
  kVrid,       // VRID 0
  kTtl,        // multicast with a TTL / hop limit other than 255 (RFC 3768 7.1, RFC 5798 7.1)
  kInterval,   // an advertisement interval of 0
  kChecksum,
  kClock,  // earlier than the previous advertisement of its source: the clock was stepped back
  kCount,  // the number of reasons
};
std::string_view reject_name(Reject r);

struct ParseResult {
  Reject reject = Reject::kNone;
  Advert advert;  // meaningful when reject == kNone
};

// Reads one captured Ethernet frame (a VLAN tag the kernel stripped into metadata is not in it;
// tags left in the frame are skipped); never throws, never reads past `frame`.
ParseResult parse_frame(std::span<const std::uint8_t> frame);

// "192.0.2.1" or the RFC 5952 text of an IPv6 address; "" for no address advertised.
std::string source_text(const Advert& a);
std::string first_address_text(const Advert& a);

// RFC 3768 / RFC 5798: the time after which a backup takes over when the master is silent,
// Master_Down_Interval = 3 x interval + Skew_Time, computed with the advertised priority (a
// backup of lower priority waits up to (difference / 256) x interval longer).
double master_down_interval(int version, int priority, double interval_seconds);

}  // namespace virtnet::vrrp
