#include "collectors/sockstat/sockstat_collector.h"

// Designated initializers name what each condition sets; the rest keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace virtnet::sockstat {

std::vector<Condition> sockstat_conditions() {
  return {
      {.alert = "VirtnetTcpOrphansNearLimit",
       .severity = "warning",
       .summary = "TCP orphans near the kernel's maximum.",
       .description =
           "TCP orphans on {instance} are at {value|percent} of tcp_max_orphans: past it the "
           "kernel resets connections (\"too many orphaned sockets\").",
       .next_check = "virtnet_sockstat_tcp_sockets by state (fin_wait1, last_ack, closing: who "
                     "closes without the peer answering); ss -tan state fin-wait-1; dmesg | grep "
                     "orphan; raise net.ipv4.tcp_max_orphans only with the memory for it",
       .culprit = {},
       .for_duration = "5m",
       .term = {.metric = "virtnet_sockstat_tcp_orphans"},
       .cmp = Cmp::kGt,
       .threshold = 0.8,
       .per = Term{.metric = "virtnet_sockstat_tcp_orphans_limit"}},
      {.alert = "VirtnetTcpMemoryPressure",
       .severity = "warning",
       .summary = "TCP memory is past its pressure threshold.",
       .description = "TCP buffers on {instance} use {value} times net.ipv4.tcp_mem's pressure "
                      "threshold: the kernel shrinks every socket's buffers, and past the "
                      "maximum drops segments.",
       .next_check = "virtnet_sockstat_memory_bytes against virtnet_sockstat_tcp_memory_limit_"
                     "bytes; ss -tmn | sort by the skmem r and t fields for the sockets holding "
                     "it; virtnet_sockstat_tcp_sockets by state",
       .culprit = {},
       .for_duration = "5m",
       .term = {.metric = "virtnet_sockstat_memory_bytes", .only = {{"protocol", "=", "tcp"}}},
       .cmp = Cmp::kGt,
       .threshold = 1,
       .per = Term{.metric = "virtnet_sockstat_tcp_memory_limit_bytes",
                   .only = {{"threshold", "=", "pressure"}}}},
      {.alert = "VirtnetTcpCloseWaitPilingUp",
       .severity = "warning",
       .summary = "TCP sockets pile up in CLOSE_WAIT or LAST_ACK.",
       .description = "{value} {family} TCP sockets are in {state}: a process does not close "
                      "the sockets its peers closed (close_wait), or the peers do not answer "
                      "its close (last_ack).",
       .next_check = "ss -tanp state {state} (the process holding them); "
                     "virtnet_sockstat_tcp_peer_sockets with tcp_peers on (the remote side); "
                     "that process's fds (virtnet_process_top_open_fds) grow with them",
       .culprit = {"family", "state"},
       .for_duration = "15m",
       .term = {.metric = "virtnet_sockstat_tcp_sockets",
                .only = {{"state", "=~", "close_wait|last_ack"}}},
       .cmp = Cmp::kGt,
       .threshold = 500},
  };
}

}  // namespace virtnet::sockstat
