#include "exporter/config/config.h"

#include <fcntl.h>
#include <re2/re2.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>

#include "exporter/common/parse_error.h"
#include "exporter/config/yaml_checked.h"

namespace virtnet {

namespace {

std::string at(const std::string& file, const YAML::Mark& m) { return yaml_at(file, m); }

void check_regex(const std::string& re, const std::string& where) {
  RE2::Options opts;
  opts.set_log_errors(false);
  RE2 compiled(re, opts);
  if (!compiled.ok()) {
    throw ConfigError(where + "invalid regular expression " + quote_line(re) + ": " +
                      compiled.error());
  }
}

std::int64_t check_range(const OptionSpec& spec, std::int64_t v, const std::string& where) {
  if (v < spec.min || v > spec.max) {
    throw ConfigError(where + spec.key + " must be between " + std::to_string(spec.min) + " and " +
                      std::to_string(spec.max) + ", got " + std::to_string(v));
  }
  return v;
}

const char* type_name(OptionType t) {
  switch (t) {
    case OptionType::kBool:
      return "a boolean";
    case OptionType::kInt:
      return "an integer";
    case OptionType::kString:
      return "a string";
    case OptionType::kRegex:
      return "a regular expression";
    case OptionType::kStringList:
      return "a list of strings";
    case OptionType::kYaml:
      return "structured";
  }
  return "?";
}

// Parsed once, here: the collector reads the value, never the text.
StructuredValue structured(const OptionSpec& spec, const YAML::Node& node,
                           const std::string& file) {
  return {YAML::Dump(node), std::make_shared<const std::any>(spec.parse_yaml(node, file))};
}

OptionValue option_from_yaml(const OptionSpec& spec, const YAML::Node& node,
                             const std::string& file) {
  const std::string where = at(file, node.Mark());
  const std::string wrong = where + spec.key + " must be " + type_name(spec.type);
  try {
    switch (spec.type) {
      case OptionType::kBool:
        if (!node.IsScalar()) throw ConfigError(wrong);
        return node.as<bool>();
      case OptionType::kInt:
        if (!node.IsScalar()) throw ConfigError(wrong);
        return check_range(spec, node.as<std::int64_t>(), where);
      case OptionType::kString:
        if (!node.IsScalar()) throw ConfigError(wrong);
        return node.as<std::string>();
      case OptionType::kRegex: {
        if (!node.IsScalar()) throw ConfigError(wrong);
        auto s = node.as<std::string>();
        check_regex(s, where);
        return s;
      }
      case OptionType::kYaml:
        return structured(spec, node, file);
      case OptionType::kStringList: {
        if (!node.IsSequence()) throw ConfigError(wrong);
        std::vector<std::string> v;
        for (const auto& item : node) {
          if (!item.IsScalar()) {
            throw ConfigError(at(file, item.Mark()) + spec.key + " must hold only strings");
          }
          v.push_back(item.as<std::string>());
        }
        return v;
      }
    }
  } catch (const YAML::BadConversion&) {
    throw ConfigError(wrong);
  }
  throw ConfigError(wrong);
}

CollectorOptions defaults_for(const CollectorInfo& info) {
  CollectorOptions o;
  for (const auto& spec : info.options) {
    o.set(spec.key, parse_option_text(spec, spec.default_value, "default of " + spec.key + ": "));
  }
  return o;
}

void apply_yaml(const std::vector<CollectorInfo>& registry, const std::string& file,
                const std::string& text, Config& cfg) {
  const YAML::Node root = load_yaml_checked(text, file);
  if (root.IsNull()) return;
  if (!root.IsMap()) throw ConfigError(at(file, root.Mark()) + "the top level must be a map");
  for (const auto& top : root) {
    const auto key = yaml_key(top.first, file);
    if (key != "collectors") {
      throw ConfigError(at(file, top.first.Mark()) + "unknown key " + quote_line(key) +
                        " (known: collectors)");
    }
    if (top.second.IsNull()) continue;
    if (!top.second.IsMap()) {
      throw ConfigError(at(file, top.second.Mark()) + "collectors must be a map");
    }
    for (const auto& entry : top.second) {
      const auto name = yaml_key(entry.first, file);
      auto info = std::find_if(registry.begin(), registry.end(),
                               [&](const CollectorInfo& c) { return c.name == name; });
      if (info == registry.end()) {
        throw ConfigError(at(file, entry.first.Mark()) + "unknown collector " + quote_line(name));
      }
      auto& cc = cfg.collectors[name];
      if (entry.second.IsNull()) {
        cc.enabled = true;  // "sockstat:" alone switches it on
        continue;
      }
      if (!entry.second.IsMap()) {
        throw ConfigError(at(file, entry.second.Mark()) + "collector " + name + " must be a map");
      }
      bool saw_enabled = false;
      for (const auto& kv : entry.second) {
        const auto k = yaml_key(kv.first, file);
        if (k == "enabled") {
          const auto b = OptionSpec::boolean("enabled", false, "");
          cc.enabled = std::get<bool>(option_from_yaml(b, kv.second, file));
          saw_enabled = true;
          continue;
        }
        auto spec = std::find_if(info->options.begin(), info->options.end(),
                                 [&](const OptionSpec& s) { return s.key == k; });
        if (spec == info->options.end()) {
          std::string known = "enabled";
          for (const auto& s : info->options) known += ", " + s.key;
          throw ConfigError(at(file, kv.first.Mark()) + "unknown option " + quote_line(k) +
                            " for collector " + name + " (known: " + known + ")");
        }
        cc.options.set(k, option_from_yaml(*spec, kv.second, file));
      }
      if (!saw_enabled) cc.enabled = true;  // options without enabled: the operator wants it
    }
  }
}

}  // namespace

std::string flag_name(const std::string& collector, const OptionSpec& spec) {
  std::string k = spec.key;
  std::replace(k.begin(), k.end(), '_', '-');
  return "collector." + collector + "." + k;
}

OptionValue parse_option_text(const OptionSpec& spec, const std::string& text,
                              const std::string& where) {
  switch (spec.type) {
    case OptionType::kBool:
      if (text == "true" || text == "1") return true;
      if (text == "false" || text == "0") return false;
      throw ConfigError(where + "want true or false, got " + quote_line(text));
    case OptionType::kInt:
      try {
        return check_range(spec, parse_i64(text, spec.key), where);
      } catch (const ParseError& e) {
        throw ConfigError(where + e.what());
      }
    case OptionType::kString:
      return text;
    case OptionType::kRegex:
      check_regex(text, where);
      return text;
    case OptionType::kYaml: {
      // Only built-in defaults come here (structured options have no flag): checked as a file
      // is, duplicate keys included.
      const std::string file = "the built-in default of " + spec.key;
      return structured(spec, load_yaml_checked(text, file), file);
    }
    case OptionType::kStringList: {
      std::vector<std::string> v;
      std::stringstream ss(text);
      for (std::string item; std::getline(ss, item, ',');) {
        if (!item.empty()) v.push_back(item);
      }
      return v;
    }
  }
  throw ConfigError(where + "unknown option type");
}

Config build_config(const std::vector<CollectorInfo>& registry, const std::string& file_name,
                    const std::optional<std::string>& yaml_text, const FlagOverrides& flags) {
  Config cfg;
  for (const auto& info : registry) {
    cfg.collectors[info.name] = {info.default_enabled && !flags.disable_defaults,
                                 defaults_for(info)};
  }
  if (yaml_text) {
    try {
      apply_yaml(registry, file_name, *yaml_text, cfg);
    } catch (const YAML::Exception& e) {
      // A yaml-cpp case not checked above still becomes a positioned config error.
      throw ConfigError(at(file_name, e.mark) + e.msg);
    }
  }
  for (const auto& [name, on] : flags.enabled) {
    auto it = cfg.collectors.find(name);
    if (it == cfg.collectors.end()) throw ConfigError("flag --collector." + name + ": unknown");
    it->second.enabled = on;
  }
  for (const auto& [dotted, text] : flags.options) {
    auto dot = dotted.find('.');
    const std::string name = dotted.substr(0, dot);
    const std::string key = dot == std::string::npos ? "" : dotted.substr(dot + 1);
    auto info = std::find_if(registry.begin(), registry.end(),
                             [&](const CollectorInfo& c) { return c.name == name; });
    if (info == registry.end()) throw ConfigError("flag for unknown collector " + name);
    auto spec = std::find_if(info->options.begin(), info->options.end(),
                             [&](const OptionSpec& s) { return s.key == key; });
    if (spec == info->options.end()) throw ConfigError("unknown option " + dotted);
    cfg.collectors[name].options.set(
        key, parse_option_text(*spec, text, "flag --" + flag_name(name, *spec) + ": "));
  }
  return cfg;
}

std::string read_config_file(const std::string& path, bool allow_empty) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) throw ConfigError(path + ": cannot open: " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw ConfigError(path + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) {
    const char* what = S_ISDIR(st.st_mode)    ? "a directory"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "not a regular file";
    throw ConfigError(path + ": is " + std::string(what) + ", not a regular file");
  }
  const std::string too_big = path + ": larger than " + std::to_string(kMaxConfigBytes) +
                              " bytes, the most a configuration file may have";
  if (static_cast<std::uint64_t>(st.st_size) > kMaxConfigBytes) throw ConfigError(too_big);
  // procfs files report size 0: the cap is enforced on what is read, not on what stat says.
  std::string text(kMaxConfigBytes + 1, '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > kMaxConfigBytes) throw ConfigError(too_big);
  if (got == 0 && !allow_empty) {
    throw ConfigError(path + ": is empty (a configuration file holds at least \"collectors:\")");
  }
  text.resize(got);
  return text;
}

Config load_config(const std::vector<CollectorInfo>& registry, const std::string& path,
                   const FlagOverrides& flags) {
  if (path.empty()) return build_config(registry, "", std::nullopt, flags);
  return build_config(registry, path, read_config_file(path), flags);
}

}  // namespace virtnet
