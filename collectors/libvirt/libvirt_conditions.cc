#include "collectors/libvirt/libvirt_collector.h"

// Designated initializers name what each condition sets; the rest keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace virtnet::libvirt {

std::vector<Condition> libvirt_conditions() {
  return {
      {.alert = "VirtnetDiskBackingFileMissing",
       .severity = "critical",
       .summary = "A file of an instance disk's backing chain is gone.",
       .description = "Instance {domain} ({uuid}): a file of disk {disk}'s backing chain is "
                      "gone; the instance cannot start again (\"unable to find backing disk\") "
                      "until it is restored.",
       .next_check = "virtnet_libvirt_disk_missing_file_info of domain {domain} names the file "
                     "and its position; restore the base image (glance image-download into the "
                     "_base folder) before anyone starts or migrates the instance; check the "
                     "image cache manager (remove_unused_base_images) on every host sharing the "
                     "folder",
       .culprit = {"domain", "uuid", "disk"},
       .for_duration = "1m",
       .term = {.metric = "virtnet_libvirt_disk_backing_missing"},
       .cmp = Cmp::kEq,
       .threshold = 1},
      {.alert = "VirtnetDomainPausedIoError",
       .severity = "critical",
       .summary = "An instance is paused on a disk I/O error.",
       .description = "Instance {domain} ({uuid}) is paused on a disk I/O error: its storage "
                      "failed or is full.",
       .next_check = "virsh domblkerror {domain}; the free space and health of the storage "
                     "under its disks (df, the NFS or Ceph cluster); virsh resume {domain} once "
                     "it is fixed",
       .culprit = {"domain", "uuid"},
       .for_duration = "1m",
       .term = {.metric = "virtnet_libvirt_domain_state",
                .only = {{"state", "=", "paused"}, {"reason", "=", "ioerror"}}},
       .cmp = Cmp::kEq,
       .threshold = 1},
      {.alert = "VirtnetDomainCrashed",
       .severity = "critical",
       .summary = "An instance has crashed.",
       .description = "Instance {domain} ({uuid}) has crashed (guest panic or qemu failure).",
       .next_check = "/var/log/libvirt/qemu/{domain}.log and the console log; virsh dominfo "
                     "{domain}",
       .culprit = {"domain", "uuid"},
       .for_duration = "1m",
       .term = {.metric = "virtnet_libvirt_domain_state", .only = {{"state", "=", "crashed"}}},
       .cmp = Cmp::kEq,
       .threshold = 1},
      {.alert = "VirtnetLibvirtInterfaceUserspace",
       .severity = "warning",
       .summary = "An instance interface is served in qemu's userspace, as libvirt sees it.",
       .description = "Instance {domain}: interface {link} is served in qemu's userspace, as its "
                      "domain XML says (<driver name='qemu'/>) or for lack of /dev/vhost-net.",
       .next_check = "the driver label of virtnet_libvirt_interface_info for link {link}; virsh "
                     "dumpxml {domain} | grep -A3 {link}; ls -l /dev/vhost-net; the Nova image's "
                     "hw_vif_model and the flavor's extra specs",
       .culprit = {"domain", "link"},
       .for_duration = "10m",
       .term = {.metric = "virtnet_libvirt_interface_vhost"},
       .cmp = Cmp::kEq,
       .threshold = 0},
  };
}

}  // namespace virtnet::libvirt
