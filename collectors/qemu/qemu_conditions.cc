#include "collectors/qemu/qemu_collector.h"

// Designated initializers name what each condition sets; the rest keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace virtnet::qemu {

std::vector<Condition> qemu_conditions() {
  return {
      {.alert = "VirtnetQemuNetdevUserspace",
       .severity = "warning",
       .summary = "An instance's tap is served by qemu's userspace, not vhost-net.",
       .description = "Instance {domain}: tap netdev {netdev} is served by qemu's userspace, not "
                      "vhost-net (every packet through the qemu main loop).",
       .next_check = "virtnet_qemu_vhost_net_device and virtnet_qemu_vhost_net_module on this "
                     "host (ls -l /dev/vhost-net; lsmod | grep vhost_net), VHOST_NET_ENABLED in "
                     "/etc/default/qemu-kvm, then virsh dumpxml {domain} for <driver "
                     "name='qemu'/>",
       .culprit = {"domain", "netdev"},
       .for_duration = "10m",
       .term = {.metric = "virtnet_qemu_netdev_vhost"},
       .cmp = Cmp::kEq,
       .threshold = 0},
      {.alert = "VirtnetQemuVhostNetUnavailable",
       .severity = "warning",
       .summary = "A host that runs instances has no /dev/vhost-net.",
       .description = "There is no /dev/vhost-net on {instance}, which runs instances: every "
                      "instance it starts pushes its packets through qemu's userspace.",
       .next_check = "lsmod | grep vhost_net; modprobe vhost_net (and vhost_net in "
                     "/etc/modules-load.d/); ls -l /dev/vhost-net; instances started before "
                     "the fix keep userspace until they are restarted or migrated",
       .culprit = {},
       .for_duration = "10m",
       .term = {.metric = "virtnet_qemu_vhost_net_device"},
       .cmp = Cmp::kEq,
       .threshold = 0,
       .guard = Condition::Guard{{.metric = "virtnet_qemu_vms"}, Cmp::kGt, 0}},
      {.alert = "VirtnetQemuVcpuRunQueueWait",
       .severity = "warning",
       .summary = "An instance's vCPUs wait for a host CPU.",
       .description = "Instance {domain}: its vCPU threads waited {value} s per second for a "
                      "host CPU.",
       .next_check = "virtnet_qemu_cpu_seconds_total by domain (who takes the host's CPUs), the "
                     "host's load and CPU pinning (virsh vcpupin {domain})",
       .culprit = {"domain"},
       .for_duration = "15m",
       .term = {.metric = "virtnet_qemu_run_queue_wait_seconds_total",
                .only = {{"class", "=", "vcpu"}},
                .kind = Kind::kRate,
                .range = "5m"},
       .cmp = Cmp::kGt,
       .threshold = 0.25},
  };
}

}  // namespace virtnet::qemu
