#include "collectors/process/process_parse.h"

#include <cstdint>
#include <vector>

#include "collectors/qemu/qemu_parse.h"
#include "exporter/common/parse_error.h"

namespace virtnet::process {

namespace {

// "VmRSS:	    6404 kB" -> bytes; counts without a unit are kept as they are.
std::uint64_t status_value(std::string_view rest, std::string_view key) {
  std::vector<std::string_view> f;
  for_each_field(rest, [&](std::string_view t) { f.push_back(t); });
  if (f.empty() || f.size() > 2) {
    throw ParseError("status: bad " + std::string(key) + " line " + quote_line(rest));
  }
  auto v = parse_u64(f[0], key);
  if (f.size() == 2) {
    if (f[1] != "kB") throw ParseError("status: unknown unit in " + quote_line(rest));
    if (v > UINT64_MAX / 1024)
      throw ParseError("status: value out of range in " + quote_line(rest));
    v *= 1024;
  }
  return v;
}

}  // namespace

Status parse_status(std::string_view text) {
  Status s;
  for_each_line(text, [&](std::string_view line) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    auto key = line.substr(0, colon);
    auto rest = line.substr(colon + 1);
    std::optional<std::uint64_t>* slot = nullptr;
    if (key == "VmSize") {
      slot = &s.vm_size;
    } else if (key == "VmRSS") {
      slot = &s.vm_rss;
    } else if (key == "RssAnon") {
      slot = &s.rss_anon;
    } else if (key == "RssFile") {
      slot = &s.rss_file;
    } else if (key == "RssShmem") {
      slot = &s.rss_shmem;
    } else if (key == "VmSwap") {
      slot = &s.vm_swap;
    } else if (key == "voluntary_ctxt_switches") {
      slot = &s.voluntary_ctxt_switches;
    } else if (key == "nonvoluntary_ctxt_switches") {
      slot = &s.nonvoluntary_ctxt_switches;
    }
    if (slot) *slot = status_value(rest, key);
  });
  return s;
}

MapsSummary parse_maps(std::string_view text) {
  MapsSummary m;
  for_each_line(text, [&](std::string_view line) {
    if (line.empty()) return;
    // "7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0   [heap]"
    auto dash = line.find('-');
    auto space = line.find(' ');
    if (dash == std::string_view::npos || space == std::string_view::npos || dash > space ||
        line.size() < space + 5) {
      throw ParseError("maps: bad line " + quote_line(line));
    }
    auto hex = [&](std::string_view s) {
      std::uint64_t v = 0;
      if (s.empty() || s.size() > 16) throw ParseError("maps: bad address in " + quote_line(line));
      for (char c : s) {
        int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
        if (d < 0) throw ParseError("maps: bad address in " + quote_line(line));
        v = v * 16 + static_cast<std::uint64_t>(d);
      }
      return v;
    };
    const auto start = hex(line.substr(0, dash));
    const auto end = hex(line.substr(dash + 1, space - dash - 1));
    if (end < start) throw ParseError("maps: end before start in " + quote_line(line));
    const auto perms = line.substr(space + 1, 4);
    // [vsyscall] is the kernel's gate page, in every x86-64 process's maps but not one of its
    // mappings: VmSize leaves it out, and so do we, so mapped_bytes and VmSize agree.
    if (line.ends_with("[vsyscall]")) return;
    const auto size = end - start;
    ++m.mappings;
    m.mapped_bytes += size;
    // As pmap -d: shared mappings count as shared; private writable ones as writeable/private.
    if (perms[3] == 's') {
      m.shared_bytes += size;
    } else if (perms[1] == 'w') {
      m.writeable_private_bytes += size;
    }
  });
  return m;
}

std::optional<std::uint64_t> parse_smaps_rollup_pss(std::string_view text) {
  std::optional<std::uint64_t> pss;
  for_each_line(text, [&](std::string_view line) {
    if (!pss && line.substr(0, 4) == "Pss:") pss = status_value(line.substr(4), "Pss");
  });
  return pss;
}

FdKind classify_fd_target(std::string_view t) {
  if (t.substr(0, 8) == "socket:[") return FdKind::kSocket;
  if (t.substr(0, 6) == "pipe:[") return FdKind::kPipe;
  if (t.substr(0, 11) == "anon_inode:") return FdKind::kAnonInode;
  if (t.substr(0, 5) == "/dev/") return FdKind::kOther;  // devices, ptys
  if (!t.empty() && t.front() == '/') return FdKind::kFile;
  return FdKind::kOther;  // "net:[...]", "mnt:[...]", unknown
}

std::string_view fd_kind_name(FdKind k) {
  switch (k) {
    case FdKind::kSocket:
      return "socket";
    case FdKind::kPipe:
      return "pipe";
    case FdKind::kAnonInode:
      return "anon_inode";
    case FdKind::kFile:
      return "file";
    case FdKind::kOther:
      return "other";
  }
  return "other";
}

std::string qemu_domain(std::string_view cmdline) {
  return qemu::parse_cmdline(cmdline).domain;  // one reading of -name, the qemu collector's
}

}  // namespace virtnet::process
