#include "exporter/config/yaml_checked.h"

#include <map>

#include "exporter/common/parse_error.h"
#include "exporter/config/config.h"

namespace virtnet {

namespace {

constexpr std::size_t kMaxConfigNodes = 100000;

void check_keys(const YAML::Node& node, const std::string& file, bool quote_keys,
                std::size_t& visited) {
  if (++visited > kMaxConfigNodes) {
    throw ConfigError(yaml_at(file, node.Mark()) + "more than " + std::to_string(kMaxConfigNodes) +
                      " values (with aliases expanded)");
  }
  if (node.IsMap()) {
    std::map<std::string, YAML::Mark> seen;
    for (const auto& kv : node) {
      if (kv.first.IsScalar()) {
        auto [it, fresh] = seen.emplace(kv.first.Scalar(), kv.first.Mark());
        if (!fresh) {
          throw ConfigError(yaml_at(file, kv.first.Mark()) + "duplicate key " +
                            (quote_keys ? quote_line(kv.first.Scalar()) + " " : std::string()) +
                            "(first at line " + std::to_string(it->second.line + 1) + ", column " +
                            std::to_string(it->second.column + 1) + ")");
        }
      }
      check_keys(kv.first, file, quote_keys, visited);
      check_keys(kv.second, file, quote_keys, visited);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) check_keys(item, file, quote_keys, visited);
  }
}

}  // namespace

std::string yaml_at(const std::string& file, const YAML::Mark& m) {
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": ";
}

YAML::Node load_yaml_checked(const std::string& text, const std::string& file, bool quote_keys) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(yaml_at(file, e.mark) + e.msg);
  }
  std::size_t visited = 0;
  check_keys(root, file, quote_keys, visited);
  return root;
}

std::string yaml_key(const YAML::Node& key, const std::string& file) {
  if (!key.IsScalar()) throw ConfigError(yaml_at(file, key.Mark()) + "keys must be strings");
  return key.Scalar();
}

}  // namespace virtnet
