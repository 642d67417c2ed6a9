#include "exporter/scrape/self_conditions.h"

// Designated initializers name what each condition sets; the rest keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace virtnet {

std::vector<Condition> self_conditions() {
  return {
      {.alert = "VirtnetExporterDown",
       .severity = "critical",
       .summary = "Prometheus cannot scrape virtnet_exporter.",
       .description = "virtnet_exporter on {instance} (job {job}) does not answer Prometheus's "
                      "scrapes: nothing on that host is watched, VRRP gaps and leaks "
                      "included.",
       .next_check = "systemctl status virtnet-exporter on {instance}; journalctl -u "
                     "virtnet-exporter; curl the target's /metrics from the Prometheus host (a "
                     "firewall, TLS or basic auth refused: the target's lastError in "
                     "Prometheus' /targets)",
       .culprit = {"instance", "job"},
       .for_duration = "5m",
       .fleet_expr = "up{selector} == 0"},
      {.alert = "VirtnetCollectorFailing",
       .severity = "warning",
       .summary = "A collector of virtnet_exporter fails.",
       .description = "Collector {collector} of virtnet_exporter fails: what it watches is not "
                      "seen.",
       .next_check = "the exporter's landing page (/) or its log (journalctl -u "
                     "virtnet-exporter) for the reason, e.g. a missing capability",
       .culprit = {"collector"},
       .for_duration = "10m",
       .term = {.metric = "virtnet_scrape_collector_success"},
       .cmp = Cmp::kEq,
       .threshold = 0},
      {.alert = "VirtnetCollectorStale",
       .severity = "warning",
       .summary = "A collector of virtnet_exporter serves old data.",
       .description = "Collector {collector} serves data {value} s old: its background work (a "
                      "capture thread, libvirtd's answers) is stuck.",
       .next_check = "the exporter's landing page (/) for the collector's reason; for libvirt, "
                     "virtnet_libvirt_connected and whether libvirtd answers (virsh list); the "
                     "exporter's log",
       .culprit = {"collector"},
       .for_duration = "5m",
       .term = {.metric = "virtnet_scrape_collector_result_age_seconds"},
       .cmp = Cmp::kGt,
       .threshold = 300},
  };
}

}  // namespace virtnet
