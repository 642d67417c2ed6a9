#include "collectors/vrrp/vrrp_parse.h"

#include <arpa/inet.h>

#include <algorithm>
#include <initializer_list>

#include "exporter/sources/ethernet_frame.h"

namespace virtnet::vrrp {

namespace {

using Bytes = std::span<const std::uint8_t>;

constexpr std::uint8_t kProtoVrrp = 112;
constexpr std::uint8_t kProtoAh = 51;
constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;

std::uint16_t be16(Bytes b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

// Ones' complement sum of 16-bit words (RFC 1071), folded.
std::uint32_t add_words(std::uint32_t sum, Bytes b) {
  std::size_t i = 0;
  for (; i + 1 < b.size(); i += 2) sum += be16(b, i);
  if (i < b.size()) sum += static_cast<std::uint32_t>(b[i]) << 8;
  return sum;
}
bool sums_to_ones(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

// What the IP layer says about the VRRP message it carries.
struct Carrier {
  Family family;
  Bytes source, destination;
  std::uint8_t ttl = 0;
  bool via_ah = false;
  Bytes payload;
};

// IPsec AH (RFC 4302): next header, payload length in 32-bit words minus 2.
Reject skip_ah(Bytes& payload) {
  if (payload.size() < 12) return Reject::kTruncated;
  const std::size_t len = (static_cast<std::size_t>(payload[1]) + 2) * 4;
  if (payload[0] != kProtoVrrp) return Reject::kNotVrrp;
  if (len > payload.size()) return Reject::kTruncated;
  payload = payload.subspan(len);
  return Reject::kNone;
}

Reject read_ipv4(Bytes ip, Carrier& c) {
  if (ip.size() < 20) return Reject::kTruncated;
  const std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
  const std::size_t total = be16(ip, 2);
  if (ihl < 20 || total < ihl || total > ip.size()) return Reject::kTruncated;
  if ((be16(ip, 6) & 0x3fff) != 0) return Reject::kFragment;  // MF or an offset
  c.family = Family::kIpv4;
  c.ttl = ip[8];
  c.source = ip.subspan(12, 4);
  c.destination = ip.subspan(16, 4);
  c.payload = ip.subspan(ihl, total - ihl);  // without the link layer's padding
  if (ip[9] == kProtoAh) {
    c.via_ah = true;
    return skip_ah(c.payload);
  }
  return ip[9] == kProtoVrrp ? Reject::kNone : Reject::kNotVrrp;
}

Reject read_ipv6(Bytes ip, Carrier& c) {
  if (ip.size() < 40) return Reject::kTruncated;
  const std::size_t len = be16(ip, 4);
  if (40 + len > ip.size()) return Reject::kTruncated;
  c.family = Family::kIpv6;
  c.ttl = ip[7];
  c.source = ip.subspan(8, 16);
  c.destination = ip.subspan(24, 16);
  c.payload = ip.subspan(40, len);
  std::uint8_t next = ip[6];
  // Hop-by-hop and destination options may come first; a few at most.
  for (int i = 0; i < 8; ++i) {
    if (next == kProtoVrrp) return Reject::kNone;
    if (next == kProtoAh) {
      c.via_ah = true;
      return skip_ah(c.payload);
    }
    if (next == 44) return Reject::kFragment;
    if (next != 0 && next != 60) return Reject::kNotVrrp;
    if (c.payload.size() < 8) return Reject::kTruncated;
    const std::size_t ext = (static_cast<std::size_t>(c.payload[1]) + 1) * 8;
    if (ext > c.payload.size()) return Reject::kTruncated;
    next = c.payload[0];
    c.payload = c.payload.subspan(ext);
  }
  return Reject::kNotVrrp;
}

bool multicast_group(const Carrier& c) {
  static constexpr std::uint8_t v4[] = {224, 0, 0, 18};
  static constexpr std::uint8_t v6[] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12};
  return c.family == Family::kIpv4 ? std::equal(c.destination.begin(), c.destination.end(), v4)
                                   : std::equal(c.destination.begin(), c.destination.end(), v6);
}

// The checksum covers the VRRP message; v3 adds the pseudo-header of RFC 5798 5.2.8. Senders
// differ on where the message ends (auth data of v2, keepalived's trailer after the addresses)
// and old keepalived left the IPv4 pseudo-header out of v3 unicast: any of those that sums right
// is accepted.
bool checksum_ok(const Carrier& c, Bytes vrrp, std::size_t min_len, int version) {
  for (std::size_t len : {vrrp.size(), min_len + 8, min_len}) {
    if (len > vrrp.size()) continue;
    const Bytes msg = vrrp.first(len);
    if (version == 2) {
      if (sums_to_ones(add_words(0, msg))) return true;
      continue;
    }
    std::uint32_t pseudo = add_words(add_words(0, c.source), c.destination);
    pseudo += kProtoVrrp;
    pseudo += static_cast<std::uint32_t>(len & 0xffff) + static_cast<std::uint32_t>(len >> 16);
    if (sums_to_ones(add_words(pseudo, msg))) return true;
    if (c.family == Family::kIpv4 && sums_to_ones(add_words(0, msg))) return true;
  }
  return false;
}

Reject read_vrrp(const Carrier& c, Advert& a) {
  const Bytes v = c.payload;
  if (v.size() < 8) return Reject::kTruncated;
  a.version = static_cast<std::uint8_t>(v[0] >> 4);
  if ((v[0] & 0x0f) != 1) return Reject::kType;
  const bool v4 = c.family == Family::kIpv4;
  if (a.version != 3 && !(a.version == 2 && v4)) return Reject::kVersion;
  a.vrid = v[1];
  if (a.vrid == 0) return Reject::kVrid;
  if (multicast_group(c) && c.ttl != 255) return Reject::kTtl;
  a.priority = v[2];
  a.addresses = v[3];
  const std::size_t addr_len = v4 ? 4 : 16;
  const std::size_t min_len = 8 + addr_len * a.addresses;
  if (v.size() < min_len) return Reject::kTruncated;
  if (a.version == 2) {
    a.auth_type = v[4];
    a.interval_seconds = v[5];
  } else {
    a.interval_seconds = (be16(v, 4) & 0x0fff) / 100.0;
  }
  if (a.interval_seconds <= 0) return Reject::kInterval;
  if (!checksum_ok(c, v, min_len, a.version)) return Reject::kChecksum;
  a.family = c.family;
  a.via_ah = c.via_ah;
  std::copy(c.source.begin(), c.source.end(), a.source.begin());
  if (a.addresses > 0) {
    const Bytes first = v.subspan(8, addr_len);
    std::copy(first.begin(), first.end(), a.first_address.begin());
  }
  return Reject::kNone;
}

}  // namespace

std::string_view reject_name(Reject r) {
  switch (r) {
    case Reject::kNone:
      return "none";
    case Reject::kTruncated:
      return "truncated";
    case Reject::kNotVrrp:
      return "not_vrrp";
    case Reject::kFragment:
      return "fragment";
    case Reject::kVersion:
      return "version";
    case Reject::kType:
      return "type";
    case Reject::kVrid:
      return "vrid";
    case Reject::kTtl:
      return "ttl";
    case Reject::kInterval:
      return "interval";
    case Reject::kChecksum:
      return "checksum";
    case Reject::kClock:
      return "clock";
    case Reject::kCount:
      break;
  }
  return "unknown";
}

ParseResult parse_frame(std::span<const std::uint8_t> frame) {
  ParseResult r;
  const auto eth = parse_ethernet(frame);
  if (!eth) return {Reject::kTruncated, {}};
  if (eth->tags > 0) r.advert.vlan = eth->vlans[0];
  Carrier c{};
  const Bytes ip = eth->payload;
  if (eth->type_or_length == kEtherIpv4 && !ip.empty() && (ip[0] >> 4) == 4) {
    r.reject = read_ipv4(ip, c);
  } else if (eth->type_or_length == kEtherIpv6 && !ip.empty() && (ip[0] >> 4) == 6) {
    r.reject = read_ipv6(ip, c);
  } else {
    r.reject = Reject::kNotVrrp;
  }
  if (r.reject == Reject::kNone) r.reject = read_vrrp(c, r.advert);
  return r;
}

namespace {
std::string address_text(Family f, const std::array<std::uint8_t, 16>& addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(f == Family::kIpv4 ? AF_INET : AF_INET6, addr.data(), buf, sizeof buf);
  return buf;
}
}  // namespace

std::string source_text(const Advert& a) { return address_text(a.family, a.source); }

std::string first_address_text(const Advert& a) {
  return a.addresses > 0 ? address_text(a.family, a.first_address) : std::string();
}

double master_down_interval(int version, int priority, double interval_seconds) {
  const double skew =
      version == 2 ? (256.0 - priority) / 256.0 : (256.0 - priority) * interval_seconds / 256.0;
  return 3 * interval_seconds + skew;
}

}  // namespace virtnet::vrrp
