#include "collectors/libvirt/libvirt_collector.h"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "collectors/libvirt/disk_prober.h"
#include "collectors/libvirt/domain_state.h"
#include "collectors/libvirt/domain_xml_parse.h"
#include "exporter/common/logging.h"
#include "exporter/sources/libvirt_client.h"

namespace virtnet::libvirt {
namespace {

constexpr auto kState = MetricDef::gauge(
    "virtnet_libvirt_domain_state",
    "1 for the domain's state and its reason (paused with ioerror, shutoff with destroyed, "
    "crashed with panicked ...): one series per domain.");
constexpr auto kVcpus =
    MetricDef::gauge("virtnet_libvirt_domain_vcpus",
                     "vCPUs of the domain: the running count, else the defined one.");
constexpr auto kMemory =
    MetricDef::gauge("virtnet_libvirt_domain_memory_bytes", "The domain's defined memory.");
constexpr auto kBalloon = MetricDef::gauge(
    "virtnet_libvirt_domain_balloon_bytes",
    "The running domain's current memory, the balloon's (<currentMemory> of its live XML).");
constexpr auto kNova = MetricDef::gauge(
    "virtnet_libvirt_nova_instance_info",
    "Nova's metadata of the domain: the instance's name, flavor, project and user ids.");
constexpr auto kIfInfo = MetricDef::gauge(
    "virtnet_libvirt_interface_info",
    "An interface of the domain: its host tap (link, as the links collector names it), type, "
    "bridge or network (source), model, MAC and <driver name> (driver).");
constexpr auto kIfVhost = MetricDef::gauge(
    "virtnet_libvirt_interface_vhost",
    "For a virtio interface of a running domain: 1 when vhost-net can serve it, 0 when qemu "
    "serves it in userspace (<driver name='qemu'/>, or no /dev/vhost-net on the host).");
constexpr auto kMissing = MetricDef::gauge(
    "virtnet_libvirt_disk_backing_missing",
    "1 when a file of the disk's backing chain no longer exists (the domain cannot start).");
constexpr auto kMissingFile = MetricDef::gauge(
    "virtnet_libvirt_disk_missing_file_info",
    "The first file of the disk's chain that is gone, and its position (0: the disk's image).");
constexpr auto kChainLength =
    MetricDef::gauge("virtnet_libvirt_disk_chain_files", "Files in the disk's backing chain.");
constexpr auto kChainUnreadable = MetricDef::gauge(
    "virtnet_libvirt_disk_chain_unreadable",
    "1 when the chain could not be followed to its end: a loop, over 16 files, a header that "
    "lies, a file that cannot be read.");
constexpr auto kDomains = MetricDef::gauge("virtnet_libvirt_domains", "Domains libvirt lists.");
constexpr auto kConnected =
    MetricDef::gauge("virtnet_libvirt_connected", "1 while the connection to libvirtd is up.");
constexpr auto kAge = MetricDef::gauge(
    "virtnet_libvirt_data_age_seconds",
    "Age of the libvirt data served: about 0, unless libvirtd does not answer (served for "
    "max_stale_seconds at most).");
constexpr auto kCalls =
    MetricDef::counter("virtnet_libvirt_calls_total", "libvirt API calls made, by function.");
constexpr auto kCallErrors = MetricDef::counter("virtnet_libvirt_call_errors_total",
                                                "libvirt API calls that failed, by function.");
constexpr auto kEvents =
    MetricDef::counter("virtnet_libvirt_events_total",
                       "Domain events received (lifecycle, device, metadata, block job).");
constexpr auto kConnects =
    MetricDef::counter("virtnet_libvirt_connects_total", "Connections made to libvirtd.");
constexpr auto kDisconnects =
    MetricDef::counter("virtnet_libvirt_disconnects_total",
                       "Connections lost (libvirtd restarted, or keepalive lost).");
constexpr auto kXmlRejected = MetricDef::counter(
    "virtnet_libvirt_xml_rejected_total",
    "Domain XML not read in full, by reason: malformed, read_failed, foreign (metadata without "
    "Nova's instance), no_namespace (metadata without a namespace).");
constexpr auto kImageRejected = MetricDef::counter(
    "virtnet_libvirt_image_rejected_total",
    "Backing chains not followed to their end, by reason: header (a qcow2 header that lies), "
    "loop, too_deep, unreadable.");
constexpr auto kHeaderReads = MetricDef::counter(
    "virtnet_libvirt_image_header_reads_total",
    "qcow2 headers read (again only when an image's inode, size or mtime changed).");

struct Parsed {
  std::shared_ptr<const std::string> xml;
  DomainXmlResult result;
};

class LibvirtCollector final : public Collector {
 public:
  LibvirtCollector(const CollectorOptions& o, const Sources& src)
      : uri_(o.get_string("uri")),
        timeout_(std::chrono::milliseconds(o.get_int("timeout_ms"))),
        max_stale_(std::chrono::seconds(o.get_int("max_stale_seconds"))),
        root_(src.root),
        prober_(src.root) {}

  std::string_view name() const override { return "libvirt"; }

  void start() override { prober_.start(); }
  void stop() override { prober_.stop(); }
  bool join(std::chrono::steady_clock::time_point deadline) override {
    return prober_.join(deadline);
  }

  CollectStatus collect(MetricSink& out) override {
    // Without a libvirt socket, the default URI means no libvirt here: nothing to report.
    // Connected from the first scrape that finds the socket on.
    if (!client_) client_ = libvirt_client_if_present(uri_, root_);
    if (!client_) return CollectStatus::kNoData;
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    std::string late;
    const auto snap = client_->refresh(deadline, &late);
    const auto now = std::chrono::system_clock::now();
    const bool ever = snap->taken != std::chrono::system_clock::time_point{};
    const auto age = now - snap->taken;
    const bool serve = ever && (late.empty() || age <= max_stale_);
    std::vector<DiskJob> jobs;
    std::unordered_map<const std::string*, Parsed> parsed;
    if (serve) {
      vhost_device_ = root_.exists("dev/vhost-net");  // once a scrape, not once a domain
      out.add(kDomains, static_cast<double>(snap->domains.size()));
      for (const auto& d : snap->domains) emit_domain(out, d, parsed, jobs);
    }
    parsed_ = std::move(parsed);
    // The disks: checked on the prober's thread, waited for within what is left.
    const auto floor = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    const DiskRound round = prober_.probe(jobs, std::max(deadline, floor));
    if (serve) emit_disks(out, jobs, round);
    out.add(kConnected, snap->connected ? 1 : 0);
    if (ever) out.add(kAge, std::chrono::duration<double>(age).count());
    emit_counters(out, round);
    if (!late.empty()) {
      if (serve) out.set_data_age(std::chrono::duration<double>(age).count());
      std::string why = late;
      if (serve)
        why +=
            fmt::format(" (serving data {:.0f} s old)", std::chrono::duration<double>(age).count());
      return out.fail(why);
    }
    if (!round.stuck.empty()) return out.fail("disk check: " + round.stuck);
    return CollectStatus::kOk;
  }

 private:
  void emit_domain(MetricSink& out, const LibvirtDomain& d,
                   std::unordered_map<const std::string*, Parsed>& parsed,
                   std::vector<DiskJob>& jobs) {
    const Labels id{{"domain", d.name}, {"uuid", d.uuid}};
    Labels st = id;
    st.emplace_back("state", std::string(state_name(d.state)));
    st.emplace_back("reason", std::string(state_reason_name(d.state, d.reason)));
    out.add(kState, 1, st);
    if (!d.xml_error.empty()) note_xml_rejection("read_failed", d.name + ": " + d.xml_error);
    if (!d.xml) return;
    const DomainXmlResult& r = parse(d, parsed);
    if (!r.domain) return;
    const DomainXml& x = *r.domain;
    out.add(kVcpus, static_cast<double>(x.vcpus_current), id);
    out.add(kMemory, static_cast<double>(x.memory_bytes), id);
    if (d.active && x.current_memory_bytes > 0) {
      out.add(kBalloon, static_cast<double>(x.current_memory_bytes), id);
    }
    if (x.nova) {
      Labels n = id;
      n.emplace_back("name", x.nova->name);
      n.emplace_back("flavor", x.nova->flavor);
      n.emplace_back("project_id", x.nova->project_id);
      n.emplace_back("user_id", x.nova->user_id);
      out.add(kNova, 1, n);
    }
    for (const auto& i : x.interfaces) {
      Labels l = id;
      l.emplace_back("link", i.target);
      Labels info = l;
      info.emplace_back("type", i.type);
      info.emplace_back("source", i.source);
      info.emplace_back("model", i.model);
      info.emplace_back("mac", i.mac);
      info.emplace_back("driver", i.driver);
      out.add(kIfInfo, 1, info);
      const bool tap_backed =
          i.type == "bridge" || i.type == "network" || i.type == "ethernet" || i.type == "direct";
      // Only a running domain's: a shut-off one's is served by no one (and would page).
      if (d.active && i.model == "virtio" && tap_backed && !i.target.empty()) {
        out.add(kIfVhost, i.driver != "qemu" && vhost_device_ ? 1 : 0, l);
      }
    }
    for (const auto& disk : x.disks) {
      if (disk.source.empty() || disk.device == "cdrom" || disk.device == "floppy") continue;
      DiskJob j;
      j.key = d.uuid + '\n' + disk.target;  // a uuid has no newline: unambiguous
      j.domain = d.name;
      j.uuid = d.uuid;
      j.disk = disk.target;
      j.source = disk.source;
      j.format = disk.format;
      j.live_chain = d.active && disk.chain_known;
      j.backing = disk.backing;
      jobs.push_back(std::move(j));
    }
  }

  const DomainXmlResult& parse(const LibvirtDomain& d,
                               std::unordered_map<const std::string*, Parsed>& parsed) {
    const std::string* key = d.xml.get();
    if (auto it = parsed.find(key); it != parsed.end()) return it->second.result;
    if (auto it = parsed_.find(key); it != parsed_.end()) {
      return parsed.emplace(key, std::move(it->second)).first->second.result;
    }
    // A new XML: parsed once, its problems counted and logged once.
    Parsed p{d.xml, parse_domain_xml(*d.xml)};
    if (!p.result.domain) {
      note_xml_rejection("malformed", d.name + ": " + p.result.error);
    } else if (!p.result.domain->metadata_problem.empty()) {
      note_xml_rejection(p.result.domain->metadata_problem,
                         d.name + ": metadata " + p.result.domain->metadata_problem);
    }
    return parsed.emplace(key, std::move(p)).first->second.result;
  }

  void note_xml_rejection(const std::string& reason, const std::string& what) {
    ++xml_rejected_[reason];
    if (logged_.size() >= 4096) logged_.clear();  // bounded: domains come and go
    if (logged_.insert(what).second) log_warn("libvirt: domain XML: " + what);
  }

  void emit_disks(MetricSink& out, const std::vector<DiskJob>& jobs, const DiskRound& round) {
    for (const auto& j : jobs) {
      auto it = round.chains->find(j.key);
      if (it == round.chains->end()) continue;  // not checked yet (the prober is behind)
      const Chain& c = it->second;
      const Labels l{{"domain", j.domain}, {"uuid", j.uuid}, {"disk", j.disk}};
      out.add(kMissing, c.missing_at >= 0 ? 1 : 0, l);
      if (c.missing_at >= 0) {
        Labels m = l;
        m.emplace_back("path", c.files[static_cast<std::size_t>(c.missing_at)].path);
        m.emplace_back("position", std::to_string(c.missing_at));
        out.add(kMissingFile, 1, m);
      }
      out.add(kChainLength, static_cast<double>(c.files.size()), l);
      out.add(kChainUnreadable, c.problem.empty() ? 0 : 1, l);
    }
  }

  void emit_counters(MetricSink& out, const DiskRound& round) {
    const LibvirtCounters c = client_->counters();
    for (const auto& [call, n] : c.calls) out.add(kCalls, static_cast<double>(n), {{"call", call}});
    for (const auto& [call, n] : c.call_errors) {
      out.add(kCallErrors, static_cast<double>(n), {{"call", call}});
    }
    out.add(kEvents, static_cast<double>(c.events));
    out.add(kConnects, static_cast<double>(c.connects));
    out.add(kDisconnects, static_cast<double>(c.disconnects));
    for (const char* r : {"malformed", "read_failed", "foreign", "no_namespace"}) {
      out.add(kXmlRejected, static_cast<double>(xml_rejected_[r]), {{"reason", r}});
    }
    for (const char* r : {"header", "loop", "too_deep", "unreadable"}) {
      auto it = round.rejected.find(r);
      out.add(kImageRejected, it == round.rejected.end() ? 0 : static_cast<double>(it->second),
              {{"reason", r}});
    }
    out.add(kHeaderReads, static_cast<double>(round.header_reads));
  }

  const std::string uri_;
  const std::chrono::milliseconds timeout_;
  const std::chrono::seconds max_stale_;
  const FsRoot root_;
  bool vhost_device_ = false;  // /dev/vhost-net on the host, looked up once a scrape
  std::shared_ptr<LibvirtClient> client_;
  DiskProber prober_;
  std::unordered_map<const std::string*, Parsed> parsed_;  // by the XML's text, kept alive in it
  std::map<std::string, std::uint64_t> xml_rejected_;
  std::set<std::string> logged_;
};

}  // namespace

CollectorInfo libvirt_info() {
  return {
      "libvirt",
      "Domains from libvirtd (state and reason, vCPUs, memory, Nova's metadata), their "
      "interfaces (the host tap, vhost or userspace) and disks (backing files gone, for "
      "running and shut-off domains). One connection, off the scrape's thread; nothing when "
      "there is no libvirt socket.",
      true,
      {OptionSpec::make("uri", OptionType::kString, "qemu:///system",
                        "The libvirt URI (with --run-as, the user needs the socket's group: "
                        "Debian's libvirt)."),
       OptionSpec::integer("timeout_ms", 2000, 100, 60000,
                           "How long a scrape waits for libvirt's answer (and the disk checks)."),
       OptionSpec::integer("max_stale_seconds", 120, 0, 3600,
                           "How long the last data is served while libvirtd does not answer.")},
      [](const CollectorOptions& o, const Sources& s) -> std::unique_ptr<Collector> {
        return std::make_unique<LibvirtCollector>(o, s);
      },
      nullptr,
      {kState,           kVcpus,      kMemory,    kBalloon,     kNova,
       kIfInfo,          kIfVhost,    kMissing,   kMissingFile, kChainLength,
       kChainUnreadable, kDomains,    kConnected, kAge,         kCalls,
       kCallErrors,      kEvents,     kConnects,  kDisconnects, kXmlRejected,
       kImageRejected,   kHeaderReads},
      libvirt_conditions(),
  };
}

}  // namespace virtnet::libvirt
