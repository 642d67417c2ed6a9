#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exporter/sources/fs_root.h"

namespace virtnet {

// One domain as the last refresh saw it: the stats of one virConnectGetAllDomainStats and the
// XML read when the domain last changed.
struct LibvirtDomain {
  std::string name, uuid;
  int state = 0, reason = 0;  // virDomainState and its reason, as libvirt numbers them
  bool active = false;
  // The live XML (an inactive domain's is its inactive one), re-read on events only; shared
  // between snapshots, so that a parse can be cached by its pointer.
  std::shared_ptr<const std::string> xml;
  std::string xml_error;  // why the last read failed ("" when it did not)
};

struct LibvirtSnapshot {
  bool connected = false;
  std::string error;  // why not connected, or what the last refresh failed on
  std::chrono::system_clock::time_point taken{};  // when its data was read (epoch: never)
  std::uint64_t events_before = 0;                // domain events received before the refresh began
  std::vector<LibvirtDomain> domains;
};

// What the client has done since it started, for the collector's own series.
struct LibvirtCounters {
  std::map<std::string, std::uint64_t> calls;  // by libvirt function
  std::map<std::string, std::uint64_t> call_errors;
  std::uint64_t events = 0, connects = 0, connect_failures = 0, disconnects = 0;
};

// The one connection to libvirtd, owned by a thread of its own: no libvirt call is ever made on
// a scrape's thread. A refresh is one virConnectGetAllDomainStats (NOWAIT: a domain whose job
// lock is held is skipped, not waited for) and one virDomainGetXMLDesc per domain that changed
// since (told by lifecycle, device and metadata events, through libvirt's event loop on a
// thread of its own), so the calls per refresh do not grow with the domains. Keepalive notices a
// dead or stopped daemon; the thread reconnects with backoff.
class LibvirtClient {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::string uri = "qemu:///system";
  };
  explicit LibvirtClient(Options o);
  ~LibvirtClient();  // stops the thread within its bound; a call still blocked is left to end
  LibvirtClient(const LibvirtClient&) = delete;
  LibvirtClient& operator=(const LibvirtClient&) = delete;

  void start();  // once; later calls do nothing
  void stop();   // signals only
  bool join(Clock::time_point deadline);

  // Asks for a refresh, unless the latest is younger than `fresh_enough` and no domain event came
  // since (two collectors in one scrape share one), and waits for it until `deadline` at most.
  // Returns the latest snapshot, fresh or not (its `taken` says), and in `late` why it is not fresh
  // ("" when it is).
  std::shared_ptr<const LibvirtSnapshot> refresh(
      Clock::time_point deadline, std::string* late,
      std::chrono::milliseconds fresh_enough = std::chrono::milliseconds(200));
  // The latest snapshot, without asking for a new one.
  std::shared_ptr<const LibvirtSnapshot> latest() const;
  LibvirtCounters counters() const;
  const Options& options() const { return options_; }

  struct Shared;

 private:
  Options options_;
  std::shared_ptr<Shared> s_;
};

// The client of a URI, shared by the collectors that read it (libvirt, console): made and started
// at the first call, ended with the last holder.
std::shared_ptr<LibvirtClient> shared_libvirt_client(const std::string& uri);

// The same, started, unless `uri` is the default one and its socket does not exist under `root`
// (--path.rootfs): a host without libvirt, where a collector reports nothing and logs nothing.
std::shared_ptr<LibvirtClient> libvirt_client_if_present(const std::string& uri,
                                                         const FsRoot& root);

// The socket a qemu:// or qemu+unix:// URI connects to ("" for a remote one), and the group
// that owns it, for a refusal's message: with --run-as, the user needs it (Debian's: libvirt).
std::string libvirt_socket_path(const std::string& uri);
std::string socket_group(const std::string& path);

}  // namespace virtnet
