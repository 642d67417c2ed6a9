#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/links/links_stack.h"

namespace virtnet::links {

// IFLA_STATS64, the counters the collector exports.
struct LinkCounters {
  std::uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
  std::uint64_t rx_errors = 0, tx_errors = 0, rx_dropped = 0, tx_dropped = 0;
};

struct ParsedLink {
  Link link;
  std::string operstate;  // "up", "down", "lowerlayerdown", ... (RFC 2863, as ip link says)
  std::optional<bool> carrier;
  std::optional<LinkCounters> stats;
};

struct LinkDumpProgress {
  bool done = false;  // NLMSG_DONE seen
  int error = 0;      // negative errno from an NLMSG_ERROR, 0 if none
  // Messages or attributes that were truncated or of the wrong size for their type: skipped
  // (an attribute) or dropped (a message without a usable header), and counted. Attribute types
  // the exporter does not use (the kernel adds new ones) are passed over without counting.
  std::size_t malformed = 0;
};

// Parses one buffer read from a NETLINK_ROUTE socket answering RTM_GETLINK with NLM_F_DUMP: a run
// of netlink messages. Appends a ParsedLink per RTM_NEWLINK. Never throws on bad bytes.
LinkDumpProgress parse_link_chunk(std::string_view bytes, std::vector<ParsedLink>& out);

// "up", "down", ... for IFLA_OPERSTATE's value; "unknown" for values past the known ones.
std::string_view operstate_name(std::uint8_t v);

}  // namespace virtnet::links
