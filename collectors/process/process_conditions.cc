#include "collectors/process/process_collector.h"

// Designated initializers name what each condition sets; the rest keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace virtnet::process {

std::vector<Condition> process_conditions() {
  const std::vector<std::string> process{"pid", "comm", "group"};
  constexpr double kGiB = 1073741824;
  return {
      {.alert = "VirtnetProcessFdsNearLimit",
       .severity = "warning",
       .summary = "A process of a group is near its open-files limit.",
       .description = "A process of group {group} uses {value|percent} of its open-files limit.",
       .next_check = "virtnet_process_top_open_fds, and virtnet_process_open_fds_by_kind of "
                     "group {group} (a growing kind is the leak: socket, pipe, anon_inode), then "
                     "ls -l /proc/PID/fd",
       .culprit = {"group"},
       .for_duration = "2m",
       .term = {.metric = "virtnet_process_group_max_fd_usage_ratio"},
       .cmp = Cmp::kGt,
       .threshold = 0.8},
      {.alert = "VirtnetProcessTopFdsNearLimit",
       .severity = "warning",
       .summary = "A process is near its open-files limit.",
       .description =
           "Process {comm} (pid {pid}, group {group}) uses {value|percent} of "
           "its open-files limit: at the limit its accept() and open() fail with EMFILE.",
       .next_check = "ls -l /proc/{pid}/fd | sort by target (socket, pipe, anon_inode: the "
                     "leaking kind); grep 'open files' /proc/{pid}/limits; ss -tanp | grep "
                     "pid={pid}",
       .culprit = process,
       .for_duration = "2m",
       .term = {.metric = "virtnet_process_top_fd_usage_ratio"},
       .cmp = Cmp::kGt,
       .threshold = 0.8},
      {.alert = "VirtnetProcessFdsExhaustionPredicted",
       .severity = "warning",
       .summary = "A process's open fds are on course to reach its limit within 4 hours.",
       .description = "Process {comm} (pid {pid}, group {group}) will hold {value|int} fds in 4 h "
                      "at its rate of the last hour: past its open-files limit.",
       .next_check = "the slope of virtnet_process_top_open_fds of pid {pid} over the last "
                     "hours; ls -l /proc/{pid}/fd (the kind that grows); restart it in a "
                     "maintenance window before it hits EMFILE",
       .culprit = process,
       .for_duration = "10m",
       .term = {.metric = "virtnet_process_top_open_fds",
                .kind = Kind::kTrend,
                .range = "1h",
                .horizon_seconds = 4 * 3600},
       .cmp = Cmp::kGe,
       .limit = Term{.metric = "virtnet_process_top_max_fds"},
       .on = process},
      {.alert = "VirtnetProcessMappedMemoryGrowing",
       .severity = "warning",
       .summary = "A process's mapped memory grows steadily.",
       .description = "Process {comm} (pid {pid}, group {group}) grows its mapped memory at a "
                      "pace that doubles it within 6 h ({value|humanize1024}B then): a leak.",
       .next_check = "virtnet_process_top_mapped_bytes of pid {pid} over the last hours; "
                     "pmap -x {pid} | sort -k3 -n (the mapping that grows: heap, anonymous, a "
                     "file mapped again and again)",
       .culprit = process,
       .for_duration = "1h",
       .term = {.metric = "virtnet_process_top_mapped_bytes",
                .kind = Kind::kTrend,
                .range = "2h",
                .horizon_seconds = 6 * 3600},
       .cmp = Cmp::kGt,
       .limit = Term{.metric = "virtnet_process_top_mapped_bytes", .scale = 2},
       .on = process,
       .guard = Condition::Guard{{.metric = "virtnet_process_top_mapped_bytes"}, Cmp::kGt, kGiB}},
      {.alert = "VirtnetProcessMappingsGrowing",
       .severity = "warning",
       .summary = "A process group's memory mappings grow steadily.",
       .description = "Group {group} grows its memory mappings at a pace that doubles them "
                      "within 6 h ({value|int} then): towards vm.max_map_count, where mmap fails.",
       .next_check = "virtnet_process_group_mappings of group {group} over the last hours; "
                     "wc -l /proc/PID/maps of its processes; sysctl vm.max_map_count",
       .culprit = {"group"},
       .for_duration = "1h",
       .term = {.metric = "virtnet_process_group_mappings",
                .kind = Kind::kTrend,
                .range = "2h",
                .horizon_seconds = 6 * 3600},
       .cmp = Cmp::kGt,
       .limit = Term{.metric = "virtnet_process_group_mappings", .scale = 2},
       .on = {"group"},
       .guard = Condition::Guard{{.metric = "virtnet_process_group_mappings"}, Cmp::kGt, 1000}},
  };
}

}  // namespace virtnet::process
