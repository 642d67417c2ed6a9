#include "collectors/vrrp/vrrp_collector.h"

// Designated initializers name what each condition sets; the rest keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace virtnet::vrrp {

std::vector<Condition> vrrp_conditions() {
  const std::vector<std::string> router{"netns", "interface", "vlan", "vrid", "address"};
  std::vector<std::string> source = router;
  source.push_back("source");
  return {
      {.alert = "VirtnetVrrpMasterDownGap",
       .severity = "critical",
       .summary = "A VRRP master fell silent long enough for a backup to take over.",
       .description = "VRRP master {source} of {address} on {interface} (netns \"{netns}\", "
                      "VLAN {vlan}, VRID {vrid}) fell silent past Master_Down_Interval: the VIP "
                      "moved.",
       .next_check = "virtnet_vrrp_last_gap_seconds and virtnet_vrrp_master_changes_total for "
                     "VRID {vrid}; on the master's host: was keepalived stopped or starved of "
                     "CPU (run-queue wait of the instance's vCPUs, "
                     "virtnet_qemu_run_queue_wait_seconds_total; vhost-net of its taps)?",
       .culprit = source,
       .for_duration = "0s",
       .term = {.metric = "virtnet_vrrp_master_down_gaps_total",
                .kind = Kind::kRate,
                .range = "5m"},
       .cmp = Cmp::kGt,
       .threshold = 0,
       .counts_from_start = true,
       // The silence until a backup took over (the last gap, overwritten by the master's next
       // advertisement on time) or, once the master spoke again, the whole of it (the longest
       // gap of the last gap_window, 5 min, still there at a scrape 30 s later).
       .measure =
           Condition::Measure{
               "gap", {"virtnet_vrrp_last_gap_seconds", "virtnet_vrrp_longest_gap_seconds"}, "s"}},
      {.alert = "VirtnetVrrpSplitBrain",
       .severity = "critical",
       .summary = "More than one source advertises as master of a VRRP router.",
       .description = "{value} sources advertise as VRRP master of {address} (VRID {vrid}) on "
                      "{interface} (netns \"{netns}\", VLAN {vlan}): split brain, the VIP is on "
                      "more than one host.",
       .next_check = "virtnet_vrrp_priority by source for VRID {vrid}; tcpdump -ni {interface} "
                     "vrrp on each router: does each hear the other (a firewall dropping "
                     "protocol 112, a mismatched VRID, password or version)?",
       .culprit = router,
       .for_duration = "1m",
       .term = {.metric = "virtnet_vrrp_masters"},
       .cmp = Cmp::kGt,
       .threshold = 1},
      {.alert = "VirtnetVrrpSplitBrainAcrossHosts",
       .severity = "critical",
       .summary = "Hosts see different masters of the same VRRP router at once.",
       .description =
           "{value} sources act as VRRP master of {address} ({family}, VRID {vrid}, netns "
           "\"{netns}\") across the fleet at once: the routers do not hear each "
           "other, and the VIP answers from more than one host.",
       .next_check = "virtnet_vrrp_last_advertisement_timestamp_seconds by instance and source "
                     "for VRID {vrid}: which hosts hear which master; the network between them "
                     "(the HA network's VLAN or tunnel, a firewall dropping protocol 112)",
       .culprit = {"netns", "vrid", "family", "address"},
       .for_duration = "1m",
       .threshold = 1,
       // Only a master advertises: sources heard within 3 of their intervals, counted across
       // every host that sees the router (Neutron names its namespace the same on each).
       .fleet_expr = "count by (netns, vrid, family, address) (count by (netns, vrid, family, "
                     "address, source) ((time() - "
                     "virtnet_vrrp_last_advertisement_timestamp_seconds{selector}) < 3 * "
                     "virtnet_vrrp_advertisement_interval_seconds{selector})) > {threshold}"},
      {.alert = "VirtnetVrrpAdvertisementsLate",
       .severity = "warning",
       .summary = "A VRRP master misses advertisements.",
       .description = "VRRP master {source} of {address} on {interface} (netns \"{netns}\", "
                      "VLAN {vlan}, VRID {vrid}) misses advertisements ({value} late a second), "
                      "each a step towards a failover.",
       .next_check = "virtnet_vrrp_last_gap_seconds for VRID {vrid}; the CPU of the master's "
                     "host and, if it is an instance, its vCPU run-queue wait and vhost-net",
       .culprit = source,
       .for_duration = "10m",
       .term = {.metric = "virtnet_vrrp_late_advertisements_total",
                .kind = Kind::kRate,
                .range = "5m"},
       .cmp = Cmp::kGt,
       .threshold = 0,
       .counts_from_start = true,
       .measure =
           Condition::Measure{
               "gap", {"virtnet_vrrp_last_gap_seconds", "virtnet_vrrp_longest_gap_seconds"}, "s"}},
      {.alert = "VirtnetVrrpFlapping",
       .severity = "warning",
       .summary = "A VRRP router's master keeps changing.",
       .description = "VRRP router {address} on {interface} (netns \"{netns}\", VLAN {vlan}, "
                      "VRID {vrid}) changed master {value|int} times in 30 minutes: the VIP "
                      "flaps.",
       .next_check = "virtnet_vrrp_master_down_gaps_total and virtnet_vrrp_priority by source "
                     "for VRID {vrid}: gaps (a starved master) or priorities changing (a "
                     "tracked script or interface going up and down)",
       .culprit = router,
       .for_duration = "0s",
       .term = {.metric = "virtnet_vrrp_master_changes_total",
                .kind = Kind::kIncrease,
                .range = "30m"},
       .cmp = Cmp::kGt,
       .threshold = 4,
       .counts_from_start = true},
  };
}

}  // namespace virtnet::vrrp
