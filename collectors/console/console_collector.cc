#include "collectors/console/console_collector.h"

#include <glob.h>
#include <linux/capability.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include "collectors/console/console_paths.h"
#include "collectors/libvirt/domain_xml_parse.h"
#include "exporter/common/logging.h"
#include "exporter/sources/image_files.h"
#include "exporter/sources/libvirt_client.h"
#include "exporter/sources/proc_walk.h"

namespace virtnet::console {
namespace {

constexpr auto kBytes = MetricDef::gauge(
    "virtnet_console_log_bytes",
    "Size of an instance's console log. managed_by: virtlogd (which rolls it over at its "
    "max_size) or file (written straight by qemu: it grows without bound).");
constexpr auto kMtime = MetricDef::gauge("virtnet_console_log_modified_time_seconds",
                                         "Last modification of the console log, Unix time.");
constexpr auto kLogs = MetricDef::gauge("virtnet_console_logs", "Console logs found.");
constexpr auto kOverCap =
    MetricDef::gauge("virtnet_console_logs_over_cap",
                     "Console logs found past max_files at this scrape: not reported.");
constexpr auto kErrors = MetricDef::counter(
    "virtnet_console_errors_total",
    "Console logs or folders that could not be read, by reason: stat (a log named by libvirt or a "
    "glob), glob (a folder the glob could not list).");

struct Found {
  std::string path, domain, uuid;
  bool libvirt = false;
};

class ConsoleCollector final : public Collector {
 public:
  ConsoleCollector(const CollectorOptions& o, const Sources& src)
      : globs_(o.get_list("globs")),
        use_libvirt_(o.get_bool("libvirt")),
        uri_(o.get_string("uri")),
        max_files_(static_cast<std::size_t>(o.get_int("max_files"))),
        timeout_(std::chrono::milliseconds(o.get_int("timeout_ms"))),
        root_(src.root),
        walk_(ProcWalk::for_collector(src.proc_walk, src.proc)),
        proc_(src.proc) {}

  std::string_view name() const override { return "console"; }

  CollectStatus collect(MetricSink& out) override {
    std::vector<Found> found;
    std::set<std::string> seen;
    std::map<std::string, std::string> domain_of;  // uuid -> domain, from libvirt
    std::string late;
    if (use_libvirt_ && libvirt_here()) from_libvirt(found, seen, domain_of, &late);
    from_globs(found, seen, domain_of);
    const std::set<std::string> held = virtlogd_files();
    std::size_t reported = 0, over = 0;
    for (const auto& f : found) {
      if (reported >= max_files_) {
        ++over;
        continue;
      }
      const FileStat st = stat_file(root_.under(f.path));
      if (st.state == FileStat::State::kMissing) continue;  // not written yet, or rotated away
      if (st.state == FileStat::State::kError) {
        note_error("stat", f.path + ": " + st.error);
        continue;
      }
      ++reported;
      const Labels l{{"path", f.path},
                     {"domain", f.domain},
                     {"uuid", f.uuid},
                     {"managed_by", held.count(f.path) ? "virtlogd" : "file"}};
      out.add(kBytes, static_cast<double>(st.size), l);
      out.add(kMtime, st.mtime, l);
    }
    if (over > 0 && !cap_logged_) {
      log_warn("console: more console logs than max_files (" + std::to_string(max_files_) +
               "): the rest are not reported");
      cap_logged_ = true;
    }
    out.add(kLogs, static_cast<double>(reported));
    out.add(kOverCap, static_cast<double>(over));
    for (const char* r : {"stat", "glob"}) {
      out.add(kErrors, static_cast<double>(errors_[r]), {{"reason", r}});
    }
    if (!late.empty())
      return out.fail(late + " (console logs of the domains it last listed, and the globs)");
    return CollectStatus::kOk;
  }

 private:
  // Connected from the first scrape that finds the socket on (the default URI's; any other is
  // tried at once).
  bool libvirt_here() {
    if (!client_) client_ = libvirt_client_if_present(uri_, root_);
    return client_ != nullptr;
  }

  void from_libvirt(std::vector<Found>& found, std::set<std::string>& seen,
                    std::map<std::string, std::string>& domain_of, std::string* late) {
    const auto snap = client_->refresh(std::chrono::steady_clock::now() + timeout_, late);
    std::unordered_map<const std::string*, Parsed> parsed;
    for (const auto& d : snap->domains) {
      domain_of[d.uuid] = d.name;
      if (!d.xml) continue;
      auto it = parsed_.find(d.xml.get());
      std::vector<libvirt::ConsoleLog> logs;
      if (it != parsed_.end()) {
        logs = std::move(it->second.logs);
      } else {
        // Malformed XML is the libvirt collector's to count: here it only has no console.
        auto r = libvirt::parse_domain_xml(*d.xml);
        if (r.domain) logs = r.domain->consoles;
      }
      for (const auto& c : logs) {
        if (seen.insert(c.path).second) found.push_back({c.path, d.name, d.uuid, true});
      }
      parsed.emplace(d.xml.get(), Parsed{d.xml, std::move(logs)});
    }
    parsed_ = std::move(parsed);
  }

  void from_globs(std::vector<Found>& found, std::set<std::string>& seen,
                  const std::map<std::string, std::string>& domain_of) {
    for (const auto& pattern : globs_) {
      glob_t g{};
      errors_in_glob_.clear();
      current_ = this;
      const std::string rooted = root_.under(pattern);
      const int r = ::glob(rooted.c_str(), GLOB_NOSORT, &ConsoleCollector::glob_error, &g);
      current_ = nullptr;
      for (const auto& e : errors_in_glob_) note_error("glob", e);
      if (r == 0) {
        std::vector<std::string> paths;
        for (std::size_t i = 0; i < g.gl_pathc; ++i) paths.push_back(on_host(g.gl_pathv[i]));
        std::sort(paths.begin(), paths.end());
        for (auto& p : paths) {
          if (!seen.insert(p).second) continue;
          std::string uuid = uuid_from_path(p);
          auto d = domain_of.find(uuid);
          found.push_back({std::move(p), d == domain_of.end() ? "" : d->second, uuid, false});
        }
      }
      ::globfree(&g);
    }
  }

  // A path this process reached under --path.rootfs, as the host names it (labels, libvirt's XML).
  std::string on_host(std::string p) const {
    const std::string& r = root_.root();
    if (r == "/" || !p.starts_with(r)) return p;
    p.erase(0, r.back() == '/' ? r.size() - 1 : r.size());
    return p;
  }

  // The files virtlogd holds open: the console logs it writes (and rolls over).
  std::set<std::string> virtlogd_files() {
    std::set<std::string> held;
    const auto table = walk_->get();
    for (const auto& p : table->procs) {
      if (p.comm != "virtlogd") continue;
      const std::string dir = proc_.path(std::to_string(p.pid) + "/fd");
      glob_t g{};
      if (::glob((dir + "/*").c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
        for (std::size_t i = 0; i < g.gl_pathc; ++i) {
          char buf[4096];
          const ssize_t n = ::readlink(g.gl_pathv[i], buf, sizeof buf);
          if (n > 0) held.emplace(buf, static_cast<std::size_t>(n));
        }
      }
      ::globfree(&g);
    }
    return held;
  }

  static int glob_error(const char* path, int err) {
    // A folder that is not there is no error: no instance has one yet.
    if (err == ENOENT || err == ENOTDIR) return 0;
    if (current_)
      current_->errors_in_glob_.push_back(std::string(path) + ": " + std::strerror(err));
    return 0;  // go on with the rest
  }

  void note_error(const std::string& reason, const std::string& what) {
    ++errors_[reason];
    if (logged_.size() >= 4096) logged_.clear();  // bounded: logs come and go
    if (logged_.insert(what).second) log_warn("console: cannot read " + what);
  }

  static thread_local ConsoleCollector* current_;
  const std::vector<std::string> globs_;
  const bool use_libvirt_;
  const std::string uri_;
  const std::size_t max_files_;
  const std::chrono::milliseconds timeout_;
  const FsRoot root_;
  std::shared_ptr<ProcWalk> walk_;
  const FsRoot proc_;
  std::shared_ptr<LibvirtClient> client_;
  // The consoles of each XML text seen at the last scrape, keyed by the text, which the entry
  // keeps alive.
  struct Parsed {
    std::shared_ptr<const std::string> xml;
    std::vector<libvirt::ConsoleLog> logs;
  };
  std::unordered_map<const std::string*, Parsed> parsed_;
  std::vector<std::string> errors_in_glob_;
  std::map<std::string, std::uint64_t> errors_;
  std::set<std::string> logged_;
  bool cap_logged_ = false;
};

thread_local ConsoleCollector* ConsoleCollector::current_ = nullptr;

}  // namespace

CollectorInfo console_info() {
  return {
      "console",
      "Size and modification time of each instance's console log, found in libvirt's domain "
      "XML (file consoles, <log file=>) and by globs (Nova's instances folder), and whether "
      "virtlogd rolls it over.",
      true,
      {OptionSpec::make("globs", OptionType::kStringList, "/var/lib/nova/instances/*/console.log",
                        "Globs of console logs (the folder's name is taken as the instance's "
                        "uuid when it is one)."),
       OptionSpec::boolean("libvirt", true,
                           "Also the console logs libvirt's domain XML names (when a libvirt "
                           "socket exists)."),
       OptionSpec::make("uri", OptionType::kString, "qemu:///system", "The libvirt URI."),
       OptionSpec::integer("max_files", 1024, 1, 1 << 20,
                           "The most console logs reported; the rest are counted."),
       OptionSpec::integer("timeout_ms", 2000, 100, 60000,
                           "How long a scrape waits for libvirt's answer.")},
      [](const CollectorOptions& o, const Sources& s) -> std::unique_ptr<Collector> {
        return std::make_unique<ConsoleCollector>(o, s);
      },
      [](const CollectorOptions&) {
        return std::vector<CapabilityNeed>{
            {CAP_SYS_PTRACE, "to see which console logs virtlogd holds (readlink /proc/PID/fd)"}};
      },
      {kBytes, kMtime, kLogs, kOverCap, kErrors},
      console_conditions(),
  };
}

}  // namespace virtnet::console
