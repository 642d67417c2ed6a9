#include "exporter/collector_registry.h"

#include "collectors/bpdu/bpdu_collector.h"
#include "collectors/console/console_collector.h"
#include "collectors/libvirt/libvirt_collector.h"
#include "collectors/links/links_collector.h"
#include "collectors/process/process_collector.h"
#include "collectors/qemu/qemu_collector.h"
#include "collectors/sockstat/sockstat_collector.h"
#include "collectors/vrrp/vrrp_collector.h"
#include "exporter/scrape/self_conditions.h"

namespace virtnet {

std::vector<CollectorInfo> builtin_collectors() {
  return {sockstat::sockstat_info(), process::process_info(), links::links_info(),
          qemu::qemu_info(),         vrrp::vrrp_info(),       bpdu::bpdu_info(),
          libvirt::libvirt_info(),   console::console_info()};
}

std::vector<ConditionGroup> condition_groups(const std::vector<CollectorInfo>& registry) {
  std::vector<ConditionGroup> groups;
  for (const auto& info : registry) groups.push_back({"virtnet_" + info.name, info.conditions});
  groups.push_back({"virtnet_exporter", self_conditions()});
  return groups;
}

}  // namespace virtnet
