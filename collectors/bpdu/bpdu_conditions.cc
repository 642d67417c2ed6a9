#include "collectors/bpdu/bpdu_collector.h"

// Designated initializers name what each condition sets; the rest keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace virtnet::bpdu {

std::vector<Condition> bpdu_conditions() {
  return {
      {.alert = "VirtnetBpduFromInstance",
       .severity = "critical",
       .summary = "An instance sends spanning-tree BPDUs through its tap.",
       .description = "An instance sends spanning-tree BPDUs through its tap {interface}: a "
                      "bridge with STP off forwards them, and the switch's BPDU guard may shut "
                      "this host's uplink.",
       .next_check = "virtnet_bpdu_frames_total by interface with direction sent (the uplinks "
                     "that carry them out); the instance on {interface} (virsh domiflist, or "
                     "the port's device in Neutron): a bridge or STP running in the guest; then "
                     "port security or a BPDU filter on the tap",
       .culprit = {"interface"},
       .for_duration = "0s",
       .term = {.metric = "virtnet_bpdu_instance_frames_total", .kind = Kind::kRate, .range = "5m"},
       .cmp = Cmp::kGt,
       .threshold = 0,
       .counts_from_start = true},
      {.alert = "VirtnetBpduFromUntrackedInstances",
       .severity = "critical",
       .summary = "Instances past the bpdu collector's max_instances send BPDUs.",
       .description = "Instances on {instance} send spanning-tree BPDUs through taps past the "
                      "bpdu collector's max_instances: a bridge with STP off forwards them, and "
                      "the switch's BPDU guard may shut the host's uplink.",
       .next_check = "virtnet_bpdu_frames_total by interface with direction received (the "
                     "detail table may still hold the taps); raise "
                     "--collector.bpdu.max-instances above this host's tap count",
       .culprit = {},
       .for_duration = "0s",
       .term = {.metric = "virtnet_bpdu_instance_frames_untracked_total",
                .kind = Kind::kRate,
                .range = "5m"},
       .cmp = Cmp::kGt,
       .threshold = 0,
       .counts_from_start = true},
  };
}

}  // namespace virtnet::bpdu
