#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace virtnet {

// exporter-toolkit's web-config.yml (--web.config.file), the file operators already have for
// node_exporter: the keys `promtool check web-config` (Prometheus 2.42) accepts, with the same
// meaning. cipher_suites and curve_preferences name Go's crypto/tls identifiers, which GnuTLS does
// not share: they are refused with a reason rather than silently ignored.
enum class ClientAuth {
  kNone,              // NoClientCert (or empty)
  kRequest,           // RequestClientCert: asked for, neither required nor verified
  kRequireAny,        // RequireAnyClientCert: required, not verified
  kVerifyIfGiven,     // VerifyClientCertIfGiven
  kRequireAndVerify,  // RequireAndVerifyClientCert
};

enum class TlsVersion { k10 = 10, k11 = 11, k12 = 12, k13 = 13 };

struct TlsSettings {
  std::string cert_file;  // absolute, or made so against the web config's directory
  std::string key_file;
  std::string client_ca_file;
  ClientAuth client_auth = ClientAuth::kNone;
  TlsVersion min_version = TlsVersion::k12;
  TlsVersion max_version = TlsVersion::k13;
  bool operator==(const TlsSettings&) const = default;
};

struct WebConfig {
  std::optional<TlsSettings> tls;                            // absent: plain HTTP
  std::vector<std::pair<std::string, std::string>> headers;  // added to every response
  std::map<std::string, std::string> users;                  // user -> bcrypt hash (a secret)
  bool operator==(const WebConfig&) const = default;
};

// Parses the text of `file` (used in messages, and to resolve relative paths). Empty text is a
// valid file: no TLS, no authentication. Throws ConfigError "file:line:column: what"; a message
// never holds a password hash.
WebConfig parse_web_config(const std::string& text, const std::string& file);

// The highest bcrypt cost a user's hash may have (htpasswd -B uses 5, the docs' examples 10-12).
inline constexpr int kMaxBcryptCost = 14;

// "$2a$", "$2b$" or "$2y$", a two-digit cost, 53 characters of salt and hash; the cost, or
// nullopt.
std::optional<int> bcrypt_cost(const std::string& hash);

}  // namespace virtnet
