#include "exporter/config/client_config.h"

#include <string.h>

#include "exporter/common/parse_error.h"
#include "exporter/config/config.h"
#include "exporter/config/yaml_checked.h"

namespace virtnet {

namespace {

std::string scalar(const YAML::Node& n, const std::string& file, const std::string& what) {
  if (!n.IsScalar()) throw ConfigError(yaml_at(file, n.Mark()) + what + ": not a string");
  return n.Scalar();
}

std::string relative_to(const std::string& file, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  const auto slash = file.rfind('/');
  return slash == std::string::npos ? path : file.substr(0, slash + 1) + path;
}

template <typename F>
void each_key(const YAML::Node& map, const std::string& file, const std::string& what, F&& f) {
  if (!map.IsMap()) throw ConfigError(yaml_at(file, map.Mark()) + what + ": a map expected");
  for (const auto& kv : map) f(yaml_key(kv.first, file), kv.first, kv.second);
}

}  // namespace

HttpGetOptions parse_client_config(const std::string& text, const std::string& file) {
  HttpGetOptions o;
  const YAML::Node root = load_yaml_checked(text, file, false);
  if (!root || root.IsNull()) return o;
  std::string password_file;
  bool password = false;
  each_key(
      root, file, "the file",
      [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
        if (key == "basic_auth") {
          each_key(
              v, file, key, [&](const std::string& f, const YAML::Node& fk, const YAML::Node& fv) {
                if (f == "username") {
                  o.username = scalar(fv, file, "basic_auth: username");
                } else if (f == "password") {
                  o.password = scalar(fv, file, "basic_auth: password");
                  password = true;
                } else if (f == "password_file") {
                  password_file = relative_to(file, scalar(fv, file, "basic_auth: password_file"));
                } else {
                  throw ConfigError(yaml_at(file, fk.Mark()) + "basic_auth: unknown field " +
                                    quote_line(f) + " (username, password, password_file)");
                }
              });
        } else if (key == "tls_config") {
          each_key(v, file, key,
                   [&](const std::string& f, const YAML::Node& fk, const YAML::Node& fv) {
                     if (f == "ca_file") {
                       o.ca_file = relative_to(file, scalar(fv, file, "tls_config: ca_file"));
                     } else if (f == "cert_file") {
                       o.cert_file = relative_to(file, scalar(fv, file, "tls_config: cert_file"));
                     } else if (f == "key_file") {
                       o.key_file = relative_to(file, scalar(fv, file, "tls_config: key_file"));
                     } else if (f == "insecure_skip_verify") {
                       try {
                         o.insecure_skip_verify = fv.as<bool>();
                       } catch (const YAML::Exception&) {
                         throw ConfigError(yaml_at(file, fv.Mark()) +
                                           "tls_config: insecure_skip_verify: true "
                                           "or false");
                       }
                     } else {
                       throw ConfigError(yaml_at(file, fk.Mark()) + "tls_config: unknown field " +
                                         quote_line(f) +
                                         " (ca_file, cert_file, key_file, insecure_skip_verify)");
                     }
                   });
        } else {
          throw ConfigError(yaml_at(file, k.Mark()) + "unknown key " + quote_line(key) +
                            " (basic_auth, tls_config)");
        }
      });
  if (password && !password_file.empty()) {
    throw ConfigError(file + ": basic_auth: password and password_file both given");
  }
  if (!password_file.empty()) {
    std::string read = read_config_file(password_file);
    std::size_t n = read.size();
    while (n > 0 && (read[n - 1] == '\n' || read[n - 1] == '\r')) --n;
    o.password.assign(read, 0, n);
    explicit_bzero(read.data(), read.size());
  }
  if (o.username.empty() && (password || !password_file.empty())) {
    throw ConfigError(file + ": basic_auth: a password without a username");
  }
  if (o.cert_file.empty() != o.key_file.empty()) {
    throw ConfigError(file + ": tls_config: cert_file and key_file go together");
  }
  return o;
}

HttpGetOptions load_client_config(const std::string& path) {
  return parse_client_config(read_config_file(path), path);
}

}  // namespace virtnet
