#include "exporter/yaml_checked.h"

#include <map>

#include "exporter/config.h"
#include "exporter/parse_error.h"

namespace virtnet {

namespace {

constexpr std::size_t kMaxConfigNodes = 100000;

void check_keys(const YAML::Node& node, const std::string& file, std::size_t& visited) {
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
                            quote_line(kv.first.Scalar()) + " (first at line " +
                            std::to_string(it->second.line + 1) + ", column " +
                            std::to_string(it->second.column + 1) + ")");
        }
      }
      check_keys(kv.first, file, visited);
      check_keys(kv.second, file, visited);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) check_keys(item, file, visited);
  }
}

}  // namespace

std::string yaml_at(const std::string& file, const YAML::Mark& m) {
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": ";
}

YAML::Node load_yaml_checked(const std::string& text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(yaml_at(file, e.mark) + e.msg);
  }
  std::size_t visited = 0;
  check_keys(root, file, visited);
  return root;
}

std::string yaml_key(const YAML::Node& key, const std::string& file) {
  if (!key.IsScalar()) throw ConfigError(yaml_at(file, key.Mark()) + "keys must be strings");
  return key.Scalar();
}

}  // namespace virtnet
