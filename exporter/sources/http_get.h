#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace virtnet {

// How diagnose --from reads a running exporter, as a scraper would: basic auth and TLS from a
// Prometheus http_config (exporter/config/client_config.h).
struct HttpGetOptions {
  std::string username, password;   // basic auth when username is not empty
  std::string ca_file;              // trust these CAs (else the system's)
  std::string cert_file, key_file;  // a client certificate, for a server that asks for one
  bool insecure_skip_verify = false;
  std::chrono::milliseconds timeout{30000};
  std::size_t max_body = 32u << 20;  // a larger answer is refused, not read
};

struct HttpGetResult {
  long status = 0;
  std::string body;
};

// One GET of an http:// or https:// URL, no redirect followed. libcurl, opened for this call
// and closed after (the exporter never carries it). Throws std::runtime_error with libcurl's
// reason (refused, TLS verification, timeout) or when the library cannot be loaded. The caller
// wipes the password it holds.
HttpGetResult http_get(const std::string& url, const HttpGetOptions& opts);

}  // namespace virtnet
