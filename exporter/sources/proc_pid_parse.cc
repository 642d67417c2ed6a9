#include "exporter/sources/proc_pid_parse.h"

#include <charconv>
#include <vector>

#include "exporter/common/parse_error.h"

namespace virtnet {

ProcStat parse_proc_stat(std::string_view text) {
  ProcStat s;
  auto open = text.find('(');
  auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    throw ParseError("stat: no (comm) in " + quote_line(text));
  }
  s.pid = parse_i64(text.substr(0, open - (open > 0 && text[open - 1] == ' ' ? 1 : 0)), "stat pid");
  s.comm = std::string(text.substr(open + 1, close - open - 1));
  std::vector<std::string_view> f;  // f[0] is field 3 (state)
  f.reserve(50);
  auto rest = text.substr(close + 1);
  if (auto nl = rest.find('\n'); nl != std::string_view::npos) rest = rest.substr(0, nl);
  for_each_field(rest, [&](std::string_view t) { f.push_back(t); });
  if (f.size() < 22) {
    throw ParseError("stat: " + std::to_string(f.size() + 2) + " fields, want at least 24 in " +
                     quote_line(text));
  }
  auto at = [&](int field) { return f[static_cast<std::size_t>(field - 3)]; };
  if (at(3).size() != 1) throw ParseError("stat: bad state in " + quote_line(text));
  s.state = at(3)[0];
  s.ppid = parse_i64(at(4), "stat ppid");
  s.flags = parse_u64(at(9), "stat flags");
  s.minflt = parse_u64(at(10), "stat minflt");
  s.majflt = parse_u64(at(12), "stat majflt");
  s.utime_ticks = parse_u64(at(14), "stat utime");
  s.stime_ticks = parse_u64(at(15), "stat stime");
  s.num_threads = parse_i64(at(20), "stat num_threads");
  s.starttime_ticks = parse_u64(at(22), "stat starttime");
  s.vsize_bytes = parse_u64(at(23), "stat vsize");
  s.rss_pages = parse_i64(at(24), "stat rss");
  return s;
}

Limit parse_limits_open_files(std::string_view text) {
  constexpr std::string_view kRow = "Max open files";
  std::optional<Limit> found;
  for_each_line(text, [&](std::string_view line) {
    if (found || line.substr(0, kRow.size()) != kRow) return;
    std::vector<std::string_view> f;
    for_each_field(line.substr(kRow.size()), [&](std::string_view t) { f.push_back(t); });
    if (f.size() < 2) throw ParseError("limits: want soft and hard in " + quote_line(line));
    auto value = [](std::string_view t) -> std::optional<std::uint64_t> {
      if (t == "unlimited") return std::nullopt;
      return parse_u64(t, "limits value");
    };
    found = Limit{value(f[0]), value(f[1])};
  });
  if (!found) throw ParseError("limits: no \"Max open files\" row");
  return *found;
}

std::optional<Schedstat> parse_schedstat(std::string_view text) {
  std::uint64_t v[3];
  const char* p = text.data();
  const char* end = p + text.size();
  for (int i = 0; i < 3; ++i) {
    if (i > 0) {
      if (p == end || *p != ' ') return std::nullopt;
      ++p;
    }
    auto [next, ec] = std::from_chars(p, end, v[i]);
    if (ec != std::errc()) return std::nullopt;
    p = next;
  }
  if (p != end && *p != '\n') return std::nullopt;
  return Schedstat{v[0], v[1], v[2]};
}

std::uint64_t parse_btime(std::string_view proc_stat) {
  std::optional<std::uint64_t> btime;
  for_each_line(proc_stat, [&](std::string_view line) {
    if (!btime && line.substr(0, 6) == "btime ") btime = parse_u64(line.substr(6), "btime");
  });
  if (!btime) throw ParseError("/proc/stat: no btime line");
  return *btime;
}

}  // namespace virtnet
