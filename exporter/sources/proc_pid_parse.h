#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace virtnet {

// The fields of /proc/PID/stat that the exporter uses (proc(5) numbering in comments).
struct ProcStat {
  std::int64_t pid = 0;               // 1
  std::string comm;                   // 2, without the parentheses; may hold spaces and ')'
  char state = '?';                   // 3
  std::int64_t ppid = 0;              // 4
  std::uint64_t flags = 0;            // 9, PF_* (PF_KTHREAD marks kernel threads)
  std::uint64_t minflt = 0;           // 10
  std::uint64_t majflt = 0;           // 12
  std::uint64_t utime_ticks = 0;      // 14
  std::uint64_t stime_ticks = 0;      // 15
  std::int64_t num_threads = 0;       // 20
  std::uint64_t starttime_ticks = 0;  // 22, since boot
  std::uint64_t vsize_bytes = 0;      // 23
  std::int64_t rss_pages = 0;         // 24
};

// Throws ParseError. The comm is taken between the first '(' and the last ')', as the kernel
// writes it unescaped.
ProcStat parse_proc_stat(std::string_view text);

// A process is known by (pid, start time): a reused pid is a different process.
struct ProcKey {
  std::int64_t pid;
  std::uint64_t start;
  bool operator==(const ProcKey&) const = default;
};
struct ProcKeyHash {
  std::size_t operator()(const ProcKey& k) const {
    return std::hash<std::int64_t>()(k.pid) * 31u + std::hash<std::uint64_t>()(k.start);
  }
};

inline constexpr std::uint64_t kPfKthread = 0x00200000;  // include/linux/sched.h

struct Limit {
  std::optional<std::uint64_t> soft, hard;  // nullopt = unlimited
};
// The "Max open files" row of /proc/PID/limits. Throws ParseError if absent or malformed.
Limit parse_limits_open_files(std::string_view text);

// /proc/PID/task/TID/schedstat: "run_ns wait_ns timeslices" (time on a CPU, time waiting on a
// run queue, times switched in). All three change whenever the thread runs, and none otherwise:
// a thread whose schedstat is as it was has not run, so nothing else it reports (stat's CPU
// times, status' switch counts) has changed either.
struct Schedstat {
  std::uint64_t run_ns = 0, wait_ns = 0, timeslices = 0;
  bool operator==(const Schedstat&) const = default;
};
// Nothing if the text is not three numbers.
std::optional<Schedstat> parse_schedstat(std::string_view text);

// "btime" from /proc/stat, seconds since the epoch. Throws ParseError if absent.
std::uint64_t parse_btime(std::string_view proc_stat);

}  // namespace virtnet
