#include "collectors/bpdu/bpdu_parse.h"

#include <algorithm>

#include "exporter/sources/ethernet_frame.h"

namespace virtnet::bpdu {

namespace {

constexpr std::uint8_t kIeee[] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};
constexpr std::uint8_t kPvst[] = {0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcd};

std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

}  // namespace

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::kConfig:
      return "stp";
    case Kind::kTcn:
      return "tcn";
    case Kind::kRstp:
      return "rstp";
    case Kind::kMstp:
      return "mstp";
    case Kind::kPvst:
      return "pvst";
  }
  return "unknown";
}

std::string_view reject_name(Reject r) {
  switch (r) {
    case Reject::kNone:
      return "none";
    case Reject::kTruncated:
      return "truncated";
    case Reject::kNotBpdu:
      return "not_bpdu";
    case Reject::kProtocol:
      return "protocol";
    case Reject::kCount:
      break;
  }
  return "unknown";
}

ParseResult parse_frame(std::span<const std::uint8_t> frame) {
  const auto eth = parse_ethernet(frame);
  if (!eth) return {Reject::kTruncated, {}};
  const bool ieee = std::equal(std::begin(kIeee), std::end(kIeee), eth->destination.begin());
  const bool pvst = std::equal(std::begin(kPvst), std::end(kPvst), eth->destination.begin());
  if (!ieee && !pvst) return {Reject::kNotBpdu, {}};
  // An 802.3 length and LLC, not an EtherType (PVST+ is sent tagged: the tags are skipped).
  if (!eth->is_8023_length()) return {Reject::kNotBpdu, {}};
  const auto f = eth->payload;
  std::size_t at = 0;
  if (ieee) {
    if (f.size() < at + 3 + 4) return {Reject::kTruncated, {}};
    if (f[at] != 0x42 || f[at + 1] != 0x42 || f[at + 2] != 0x03) return {Reject::kNotBpdu, {}};
    at += 3;
  } else {
    static constexpr std::uint8_t snap[] = {0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x01, 0x0b};
    if (f.size() < at + sizeof snap + 4) return {Reject::kTruncated, {}};
    if (!std::equal(std::begin(snap), std::end(snap),
                    f.begin() + static_cast<std::ptrdiff_t>(at))) {
      return {Reject::kNotBpdu, {}};
    }
    at += sizeof snap;
  }
  // Protocol identifier 0, then version and type.
  if (be16(f, at) != 0) return {Reject::kProtocol, {}};
  const std::uint8_t version = f[at + 2], type = f[at + 3];
  ParseResult r;
  if (pvst) {
    r.kind = Kind::kPvst;
  } else if (type == 0x80) {
    r.kind = Kind::kTcn;
  } else if (type == 0x00 && version == 0) {
    r.kind = Kind::kConfig;
  } else if (type == 0x02 && version == 2) {
    r.kind = Kind::kRstp;
  } else if (type == 0x02 && version >= 3) {
    r.kind = Kind::kMstp;
  } else {
    return {Reject::kProtocol, {}};
  }
  return r;
}

}  // namespace virtnet::bpdu
