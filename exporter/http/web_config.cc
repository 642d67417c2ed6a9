#include "exporter/http/web_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>

#include "exporter/common/parse_error.h"
#include "exporter/config/config.h"
#include "exporter/config/yaml_checked.h"

namespace virtnet {

namespace {

// exporter-toolkit's list: only these headers, and for two of them only these values.
struct AllowedHeader {
  const char* name;
  std::vector<std::string> values;  // empty: any value
};
const std::array<AllowedHeader, 5> kAllowedHeaders{{
    {"Strict-Transport-Security", {}},
    {"X-Content-Type-Options", {"nosniff"}},
    {"X-Frame-Options", {"deny", "sameorigin"}},
    {"X-XSS-Protection", {}},
    {"Content-Security-Policy", {}},
}};

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

class Reader {
 public:
  explicit Reader(const std::string& file) : file_(file) {
    const auto slash = file.rfind('/');
    dir_ = slash == std::string::npos ? "" : file.substr(0, slash + 1);
  }

  [[noreturn]] void fail(const YAML::Node& n, const std::string& what) const {
    throw ConfigError(yaml_at(file_, n.Mark()) + what);
  }

  // Calls f(key, value) for each pair; refuses a non-map and keys outside `known`.
  template <typename F>
  void each(const YAML::Node& map, const char* what, const std::vector<std::string>& known,
            F&& f) const {
    if (map.IsNull()) return;
    if (!map.IsMap()) fail(map, std::string(what) + " must be a map");
    for (const auto& kv : map) {
      const auto key = yaml_key(kv.first, file_);
      if (!known.empty() && std::find(known.begin(), known.end(), key) == known.end()) {
        fail(kv.first,
             "unknown key " + quote_line(key) + " in " + what + " (known: " + join(known) + ")");
      }
      f(key, kv.second);
    }
  }

  std::string text(const YAML::Node& n, const std::string& key) const {
    if (n.IsNull()) return "";
    if (!n.IsScalar()) fail(n, key + " must be a string");
    return n.Scalar();
  }

  bool boolean(const YAML::Node& n, const std::string& key) const {
    try {
      if (n.IsScalar()) return n.as<bool>();
    } catch (const YAML::BadConversion&) {
    }
    fail(n, key + " must be a boolean");
  }

  std::string path(const YAML::Node& n, const std::string& key) const {
    auto p = text(n, key);
    if (!p.empty() && p.front() != '/') p = dir_ + p;
    return p;
  }

 private:
  const std::string& file_;
  std::string dir_;
};

TlsVersion tls_version(const Reader& r, const YAML::Node& n, const std::string& key) {
  const auto v = r.text(n, key);
  if (v == "TLS10") return TlsVersion::k10;
  if (v == "TLS11") return TlsVersion::k11;
  if (v == "TLS12") return TlsVersion::k12;
  if (v == "TLS13") return TlsVersion::k13;
  r.fail(n, "unknown TLS version " + quote_line(v) + " (known: TLS10, TLS11, TLS12, TLS13)");
}

ClientAuth client_auth(const Reader& r, const YAML::Node& n) {
  const auto v = r.text(n, "client_auth_type");
  if (v.empty() || v == "NoClientCert") return ClientAuth::kNone;
  if (v == "RequestClientCert") return ClientAuth::kRequest;
  if (v == "RequireAnyClientCert" || v == "RequireClientCert") return ClientAuth::kRequireAny;
  if (v == "VerifyClientCertIfGiven") return ClientAuth::kVerifyIfGiven;
  if (v == "RequireAndVerifyClientCert") return ClientAuth::kRequireAndVerify;
  r.fail(n, "invalid client_auth_type " + quote_line(v) +
                " (known: NoClientCert, RequestClientCert, RequireAnyClientCert, "
                "VerifyClientCertIfGiven, RequireAndVerifyClientCert)");
}

std::optional<TlsSettings> tls_settings(const Reader& r, const YAML::Node& node) {
  TlsSettings t;
  bool any = false;  // exporter-toolkit: TLS is on when any of the four is set
  r.each(node, "tls_server_config",
         {"cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version",
          "max_version", "prefer_server_cipher_suites", "cipher_suites", "curve_preferences"},
         [&](const std::string& key, const YAML::Node& v) {
           if (key == "cert_file") {
             t.cert_file = r.path(v, key);
             any |= !t.cert_file.empty();
           } else if (key == "key_file") {
             t.key_file = r.path(v, key);
             any |= !t.key_file.empty();
           } else if (key == "client_ca_file") {
             t.client_ca_file = r.path(v, key);
             any |= !t.client_ca_file.empty();
           } else if (key == "client_auth_type") {
             t.client_auth = client_auth(r, v);
             any |= !r.text(v, key).empty();
           } else if (key == "min_version") {
             t.min_version = tls_version(r, v, key);
           } else if (key == "max_version") {
             t.max_version = tls_version(r, v, key);
           } else if (key == "prefer_server_cipher_suites") {
             r.boolean(v, key);  // GnuTLS servers choose by their own preference anyway
           } else if (!v.IsNull() && !(v.IsSequence() && v.size() == 0)) {
             r.fail(v, key +
                           " names Go's crypto/tls identifiers, which this exporter (GnuTLS) "
                           "cannot honour: remove it, and use min_version to narrow TLS");
           }
         });
  if (!any) return std::nullopt;
  if (t.cert_file.empty()) r.fail(node, "tls_server_config: missing cert_file");
  if (t.key_file.empty()) r.fail(node, "tls_server_config: missing key_file");
  if (!t.client_ca_file.empty() && t.client_auth == ClientAuth::kNone) {
    r.fail(node, "tls_server_config: client_ca_file is set without a client_auth_type");
  }
  if (t.client_ca_file.empty() && (t.client_auth == ClientAuth::kVerifyIfGiven ||
                                   t.client_auth == ClientAuth::kRequireAndVerify)) {
    r.fail(node,
           "tls_server_config: this client_auth_type verifies client certificates "
           "against client_ca_file, which is not set");
  }
  if (t.min_version > t.max_version) {
    r.fail(node, "tls_server_config: min_version is above max_version");
  }
  return t;
}

// A configured header's value: exporter-toolkit's allow-list of names and, for two, of values.
std::string header_value(const Reader& r, const std::string& name, const YAML::Node& n) {
  const auto value = r.text(n, name);
  auto allowed = std::find_if(kAllowedHeaders.begin(), kAllowedHeaders.end(),
                              [&](const AllowedHeader& a) { return name == a.name; });
  if (allowed == kAllowedHeaders.end()) {
    r.fail(n, "HTTP header " + quote_line(name) + " can not be configured");
  }
  const auto& vals = allowed->values;
  if (!vals.empty() && std::find(vals.begin(), vals.end(), value) == vals.end()) {
    r.fail(n, "invalid value for " + name + ": expected one of " + join(vals) + ", got " +
                  quote_line(value));
  }
  if (value.find_first_of("\r\n") != std::string::npos) {
    r.fail(n, "HTTP header " + name + ": a value must be one line");
  }
  return value;
}

}  // namespace

std::optional<int> bcrypt_cost(const std::string& h) {
  if (h.size() != 60 || h[0] != '$' || h[1] != '2' || h[3] != '$' || h[6] != '$') {
    return std::nullopt;
  }
  if (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') return std::nullopt;
  if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9') return std::nullopt;
  const int cost = (h[4] - '0') * 10 + (h[5] - '0');
  if (cost < 4 || cost > 31) return std::nullopt;
  for (std::size_t i = 7; i < h.size(); ++i) {
    const char c = h[i];
    const bool b64 = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '.' || c == '/';
    if (!b64) return std::nullopt;
  }
  return cost;
}

namespace {

void http_settings(const Reader& r, const YAML::Node& node, WebConfig& cfg) {
  r.each(node, "http_server_config", {"http2", "headers"},
         [&](const std::string& key, const YAML::Node& v) {
           if (key == "http2") {
             r.boolean(v, key);  // HTTP/1.1 only: scrapes gain nothing from HTTP/2
             return;
           }
           r.each(v, "headers", {}, [&](const std::string& name, const YAML::Node& n) {
             cfg.headers.emplace_back(name, header_value(r, name, n));
           });
         });
}

void users(const Reader& r, const YAML::Node& node, WebConfig& cfg) {
  r.each(node, "basic_auth_users", {}, [&](const std::string& user, const YAML::Node& h) {
    // User names and hashes are secrets: the message gives the entry's position, neither text.
    if (!h.IsScalar() || !bcrypt_cost(h.Scalar())) {
      r.fail(h, "basic_auth_users: this password is not a bcrypt hash ($2a$, $2b$ or $2y$)");
    }
    // Each check of a login not yet known good costs one bcrypt; at cost 14 that is about a
    // second of a core (doubling with each step), which a flood of guesses would ask for.
    if (*bcrypt_cost(h.Scalar()) > kMaxBcryptCost) {
      r.fail(h, "basic_auth_users: bcrypt cost " + std::to_string(*bcrypt_cost(h.Scalar())) +
                    " is above " + std::to_string(kMaxBcryptCost) +
                    ", the most accepted (each step doubles the time of a check)");
    }
    if (user.find(':') != std::string::npos) {
      r.fail(h, "basic_auth_users: a user name cannot hold ':'");
    }
    cfg.users[user] = h.Scalar();
  });
}

}  // namespace

WebConfig parse_web_config(const std::string& text, const std::string& file) {
  WebConfig cfg;
  // Keys here include basic-auth user names: a repeated one is named by its positions only.
  const YAML::Node root = load_yaml_checked(text, file, /*quote_keys=*/false);
  if (root.IsNull()) return cfg;
  Reader r(file);
  if (!root.IsMap()) r.fail(root, "the top level must be a map");
  r.each(root, "the web configuration",
         {"tls_server_config", "http_server_config", "basic_auth_users"},
         [&](const std::string& key, const YAML::Node& v) {
           if (key == "tls_server_config") {
             cfg.tls = tls_settings(r, v);
           } else if (key == "http_server_config") {
             http_settings(r, v, cfg);
           } else {
             users(r, v, cfg);
           }
         });
  return cfg;
}

}  // namespace virtnet
