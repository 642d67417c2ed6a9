#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace virtnet::process {

// The /proc/PID/status fields the collector uses, in bytes. Absent fields (kernel threads have
// no Vm* lines) stay nullopt: absent is not zero.
struct Status {
  std::optional<std::uint64_t> vm_size, vm_rss, rss_anon, rss_file, rss_shmem, vm_swap;
  std::optional<std::uint64_t> voluntary_ctxt_switches, nonvoluntary_ctxt_switches;
};
Status parse_status(std::string_view text);  // throws ParseError on a malformed known field

// /proc/PID/maps summarised as `pmap -d` prints its last line.
struct MapsSummary {
  std::uint64_t mappings = 0;
  std::uint64_t mapped_bytes = 0;             // all mappings (what VmSize counts)
  std::uint64_t writeable_private_bytes = 0;  // private and writable
  std::uint64_t shared_bytes = 0;             // shared mappings
};
MapsSummary parse_maps(std::string_view text);  // throws ParseError on a malformed line

// /proc/PID/smaps_rollup: proportional set size.
std::optional<std::uint64_t> parse_smaps_rollup_pss(std::string_view text);

enum class FdKind { kSocket, kPipe, kAnonInode, kFile, kOther };
inline constexpr int kFdKinds = 5;
// From readlink(/proc/PID/fd/N): "socket:[123]", "pipe:[4]", "anon_inode:[eventfd]", a path.
FdKind classify_fd_target(std::string_view target);
std::string_view fd_kind_name(FdKind k);

// The libvirt domain name from qemu's NUL-separated cmdline: "-name guest=NAME,debug-threads=on"
// (or the older "-name NAME"). Empty if there is none. libvirt doubles commas inside the name.
std::string qemu_domain(std::string_view cmdline);

}  // namespace virtnet::process
