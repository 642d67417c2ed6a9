#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace virtnet::sockstat {

// One line of /proc/net/sockstat{,6}: "TCP: inuse 4 orphan 0 tw 0 alloc 6 mem 1".
struct SockstatLine {
  std::string protocol;  // as the kernel spells it: "sockets", "TCP", "UDP6", "FRAG", ...
  std::vector<std::pair<std::string, std::uint64_t>> fields;
};

// Throws ParseError quoting the bad line. Blank lines are skipped; unknown protocols and keys are
// kept (the collector decides what it exports).
std::vector<SockstatLine> parse_sockstat(std::string_view text);

struct TcpMem {
  std::uint64_t min_pages = 0, pressure_pages = 0, max_pages = 0;
};
TcpMem parse_tcp_mem(std::string_view text);  // /proc/sys/net/ipv4/tcp_mem

struct FileNr {
  std::uint64_t allocated = 0, unused = 0, max = 0;
};
FileNr parse_file_nr(std::string_view text);  // /proc/sys/fs/file-nr

std::uint64_t parse_single_u64(std::string_view text, std::string_view what);  // one-value sysctls

}  // namespace virtnet::sockstat
