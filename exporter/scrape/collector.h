#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "exporter/scrape/capabilities.h"
#include "exporter/scrape/metric_sink.h"
#include "exporter/sources/fs_root.h"

namespace YAML {
class Node;
}

namespace virtnet {

class SockDiagSource;
class ProcWalk;

// Lifecycle: constructed (options validated, nothing opened: --config.check stops there), then
// start() once the signal mask is set, collect() at each scrape, stop() before destruction.
class Collector {
 public:
  virtual ~Collector() = default;
  virtual std::string_view name() const = 0;
  // Opens what the collector holds between scrapes: sockets, background threads. Throwing marks
  // the collector failed (with the message) for as long as it is configured.
  virtual void start() {}
  // Runs on the collector's own worker thread; never concurrently with itself. Catches its own
  // failures and says why through MetricSink::fail (the scraper treats anything thrown as a
  // failure too).
  virtual CollectStatus collect(MetricSink& out) = 0;
  // Tells the collector's own threads to stop and joins them within a bound. May be called while
  // collect() runs on the worker thread (stuck in a system call, say): it must only signal.
  virtual void stop() {}
};

// Everything that touches the system, handed to collectors at construction.
struct Sources {
  FsRoot proc{"/proc"};
  FsRoot sys{"/sys"};
  FsRoot root{"/"};  // --path.rootfs: /dev, /etc
  long page_size = 4096;
  std::function<std::unique_ptr<SockDiagSource>()> make_sock_diag;
  // One walk of /proc per scrape, shared by the collectors that need the processes; a collector
  // makes its own when this is not set (unit tests).
  std::shared_ptr<ProcWalk> proc_walk;
};

// Per-collector options: a schema that drives both config validation and the
// --collector.<name>.<option> flags.
enum class OptionType { kBool, kInt, kString, kRegex, kStringList, kYaml };

struct OptionSpec {
  std::string key;  // config key, snake_case; the flag spells '_' as '-'
  OptionType type = OptionType::kBool;
  std::string default_value;  // as it would be written on the command line
  std::string help;
  std::int64_t min = 0, max = 0;  // for kInt
  // For kYaml (structured options, config file only): throws ConfigError with file:line:column.
  // The value is kept as the re-serialised YAML text.
  std::function<void(const YAML::Node&, const std::string& file)> validate_yaml;

  static OptionSpec boolean(std::string key, bool def, std::string help) {
    return make(std::move(key), OptionType::kBool, def ? "true" : "false", std::move(help));
  }
  static OptionSpec integer(std::string key, std::int64_t def, std::int64_t lo, std::int64_t hi,
                            std::string help) {
    auto o = make(std::move(key), OptionType::kInt, std::to_string(def), std::move(help));
    o.min = lo;
    o.max = hi;
    return o;
  }
  static OptionSpec make(std::string key, OptionType type, std::string def, std::string help) {
    OptionSpec o;
    o.key = std::move(key);
    o.type = type;
    o.default_value = std::move(def);
    o.help = std::move(help);
    return o;
  }
};

using OptionValue = std::variant<bool, std::int64_t, std::string, std::vector<std::string>>;

class CollectorOptions {
 public:
  void set(const std::string& key, OptionValue v) { values_[key] = std::move(v); }
  bool get_bool(const std::string& key) const { return std::get<bool>(values_.at(key)); }
  std::int64_t get_int(const std::string& key) const {
    return std::get<std::int64_t>(values_.at(key));
  }
  const std::string& get_string(const std::string& key) const {
    return std::get<std::string>(values_.at(key));
  }
  const std::vector<std::string>& get_list(const std::string& key) const {
    return std::get<std::vector<std::string>>(values_.at(key));
  }
  bool operator==(const CollectorOptions&) const = default;

 private:
  std::map<std::string, OptionValue> values_;
};

struct CollectorInfo {
  std::string name;
  std::string help;
  bool default_enabled = true;
  std::vector<OptionSpec> options;
  std::function<std::unique_ptr<Collector>(const CollectorOptions&, const Sources&)> make;
  // The Linux capabilities the collector needs with these options (none when not set).
  std::function<std::vector<CapabilityNeed>(const CollectorOptions&)> capabilities;
};

// The shipped collectors, in a fixed order: an explicit list, not static self-registration.
std::vector<CollectorInfo> builtin_collectors();

}  // namespace virtnet
