#pragma once

// exporter/config/: the configuration file and the flags' collector options, checked against the
// options every collector declares (CollectorInfo), with file:line:column errors; the YAML
// checks shared with the web config. It may call scrape (for CollectorInfo), sources and common.

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "exporter/scrape/collector.h"

namespace virtnet {

struct CollectorConfig {
  bool enabled = false;
  CollectorOptions options;
  bool operator==(const CollectorConfig&) const = default;
};

struct Config {
  std::map<std::string, CollectorConfig> collectors;  // every known collector, enabled or not
  bool operator==(const Config&) const = default;
};

// What the command line says; it overrides the file.
struct FlagOverrides {
  bool disable_defaults = false;
  std::map<std::string, bool> enabled;         // --[no-]collector.<name>
  std::map<std::string, std::string> options;  // "<collector>.<key>" -> raw value
};

// Builds the effective config: defaults, then the YAML text (if any), then the flags.
// `file_name` is only used in messages. Throws ConfigError.
Config build_config(const std::vector<CollectorInfo>& registry, const std::string& file_name,
                    const std::optional<std::string>& yaml_text, const FlagOverrides& flags);

// The most a configuration file may hold; checked before parsing.
inline constexpr std::size_t kMaxConfigBytes = 1u << 20;

// Reads a configuration file: a regular file (not a directory, FIFO or device), not empty, at
// most kMaxConfigBytes. Throws ConfigError "path: why". `allow_empty` for files where empty
// means "all defaults" (the web config).
std::string read_config_file(const std::string& path, bool allow_empty = false);

// Reads the file (if `path` is not empty) and calls build_config.
Config load_config(const std::vector<CollectorInfo>& registry, const std::string& path,
                   const FlagOverrides& flags);

// Parses a command-line value of an option; throws ConfigError with `where` as the prefix.
OptionValue parse_option_text(const OptionSpec& spec, const std::string& text,
                              const std::string& where);

std::string flag_name(const std::string& collector, const OptionSpec& spec);

}  // namespace virtnet
