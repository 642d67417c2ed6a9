#pragma once

// The vocabulary of collector options, shared by everything that declares, checks or reads them:
// collectors and sources declare OptionSpecs, config/ checks the file and the flags against them,
// and a collector reads the checked values from CollectorOptions. Plain data: no I/O.

#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <variant>
#include <vector>

namespace YAML {
class Node;
}

namespace virtnet {

// Message is "file:line:column: what" (or "flag --x: what" for command-line values).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Per-collector options: a schema that drives both config validation and the
// --collector.<name>.<option> flags.
enum class OptionType { kBool, kInt, kString, kRegex, kStringList, kYaml };

// A structured option's value (config file only): what its OptionSpec::parse_yaml made of the
// YAML, kept so that the collector never parses it again, and the YAML re-serialised, which
// decides equality (a reload keeps a collector whose options compare equal).
struct StructuredValue {
  std::string yaml;
  std::shared_ptr<const std::any> parsed;
  bool operator==(const StructuredValue& o) const { return yaml == o.yaml; }
};

struct OptionSpec {
  std::string key;  // config key, snake_case; the flag spells '_' as '-'
  OptionType type = OptionType::kBool;
  std::string default_value;  // as it would be written on the command line (kYaml: YAML)
  std::string help;
  std::int64_t min = 0, max = 0;  // for kInt
  // For kYaml: checks and converts the node; throws ConfigError with file:line:column.
  std::function<std::any(const YAML::Node&, const std::string& file)> parse_yaml;

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
  // `parse(node, file)` returns the value a collector reads with get_structured<T>.
  template <typename T, typename F>
  static OptionSpec structured(std::string key, std::string default_yaml, std::string help,
                               F parse) {
    auto o = make(std::move(key), OptionType::kYaml, std::move(default_yaml), std::move(help));
    o.parse_yaml = [parse](const YAML::Node& n, const std::string& file) -> std::any {
      return T(parse(n, file));
    };
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

using OptionValue =
    std::variant<bool, std::int64_t, std::string, std::vector<std::string>, StructuredValue>;

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
  // The parsed value of a structured option; T is what its spec's parse returns.
  template <typename T>
  const T& get_structured(const std::string& key) const {
    const auto& v = std::get<StructuredValue>(values_.at(key));
    const T* p = v.parsed ? std::any_cast<T>(v.parsed.get()) : nullptr;
    if (!p) throw std::logic_error("option " + key + " does not hold a " + typeid(T).name());
    return *p;
  }
  bool operator==(const CollectorOptions&) const = default;

 private:
  std::map<std::string, OptionValue> values_;
};

}  // namespace virtnet
