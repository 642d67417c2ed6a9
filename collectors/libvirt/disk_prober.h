#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "collectors/libvirt/backing_chain.h"
#include "exporter/scrape/background.h"
#include "exporter/sources/fs_root.h"

namespace virtnet::libvirt {

// One disk to check: a running domain's chain as its live XML names it (stat each file), or an
// inactive one's image, whose chain is followed through the qcow2 headers.
struct DiskJob {
  std::string key;  // the domain's uuid and the disk's target: the job's identity
  std::string source, format;
  bool live_chain = false;
  std::vector<NamedFile> backing;
  std::string domain, uuid, disk;  // its labels, as the XML spells them
};

struct DiskRound {
  std::shared_ptr<const std::map<std::string, Chain>> chains;
  bool fresh = false;                             // from the jobs just handed over
  std::string stuck;                              // what blocks the prober ("" when nothing does)
  std::map<std::string, std::uint64_t> rejected;  // by reason: header, loop, too_deep, unreadable
  std::uint64_t header_reads = 0;
};

// Checks the disks on a thread of its own: a stat or a read on a dead NFS mount under
// /var/lib/nova/instances blocks that thread, never a scrape. A qcow2 header is read again only
// when the image's inode, size or mtime changed.
class DiskProber {
 public:
  using Clock = std::chrono::steady_clock;
  explicit DiskProber(FsRoot root = FsRoot("/"));  // disk paths are reached under --path.rootfs
  ~DiskProber();
  void start();
  void stop();
  bool join(Clock::time_point deadline);
  // Hands over the disks to check and waits for the round until `deadline`; the latest results
  // either way.
  DiskRound probe(std::vector<DiskJob> jobs, Clock::time_point deadline);

  struct Shared;

 private:
  std::shared_ptr<Shared> s_;
  BackgroundThread thread_{"libvirt-disk"};
};

}  // namespace virtnet::libvirt
