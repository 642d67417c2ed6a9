#include "collectors/console/console_collector.h"

// Designated initializers name what each condition sets; the rest keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace virtnet::console {

std::vector<Condition> console_conditions() {
  constexpr double kGiB = 1073741824;
  const std::string next =
      "ls -l {path}; managed_by=file means qemu writes it with no rotation: move Nova to "
      "virtlogd (stdio_handler = \"logd\" in qemu.conf) or truncate it (truncate -s 0, never rm: "
      "qemu keeps it open); what the guest prints: tail {path}";
  return {
      {.alert = "VirtnetConsoleLogLarge",
       .severity = "warning",
       .summary = "An instance's console log is over 1 GiB.",
       .description = "Console log {path} of instance {domain} holds {value|humanize1024}B: a user "
                      "opening it in the dashboard pushes it through the message bus.",
       .next_check = next,
       .culprit = {"path", "domain"},
       .for_duration = "15m",
       .term = {.metric = "virtnet_console_log_bytes"},
       .cmp = Cmp::kGt,
       .threshold = kGiB},
      {.alert = "VirtnetConsoleLogGrowing",
       .severity = "warning",
       .summary = "An instance's console log grows fast enough to pass 1 GiB within 6 hours.",
       .description = "Console log {path} of instance {domain} grows fast enough to hold "
                      "{value|humanize1024}B in 6 h: the guest prints without pause.",
       .next_check = next,
       .culprit = {"path", "domain"},
       .for_duration = "15m",
       .term = {.metric = "virtnet_console_log_bytes",
                .kind = Kind::kTrend,
                .range = "1h",
                .horizon_seconds = 6 * 3600},
       .cmp = Cmp::kGt,
       .threshold = kGiB,
       .on = {"path"},
       // Past the size already: VirtnetConsoleLogLarge says so.
       .guard = Condition::Guard{{.metric = "virtnet_console_log_bytes"}, Cmp::kLt, kGiB}},
  };
}

}  // namespace virtnet::console
