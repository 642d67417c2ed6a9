#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

namespace virtnet {

// "file:line:column: " for messages about a place in a YAML file.
std::string yaml_at(const std::string& file, const YAML::Mark& m);

// Parses YAML text and refuses what yaml-cpp lets through silently: a repeated key (it would be
// last-wins) and more than 100,000 values with aliases expanded (a walk would cost exponentially
// more than the text). Throws ConfigError with file:line:column. With quote_keys false a repeated
// key is named by its positions only (its text may be a secret: a basic-auth user).
YAML::Node load_yaml_checked(const std::string& text, const std::string& file,
                             bool quote_keys = true);

// A map key as a plain string; YAML also allows maps and lists as keys. Throws ConfigError.
std::string yaml_key(const YAML::Node& key, const std::string& file);

}  // namespace virtnet
