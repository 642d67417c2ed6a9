#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "exporter/scraper.h"

class CivetServer;

namespace virtnet {

struct HttpOptions {
  std::string listen_address = ":10120";
  std::string telemetry_path = "/metrics";
  int threads = 4;
};

// Serves /metrics (or the configured path), the landing page at /, /-/healthy and /-/ready.
class HttpServer {
 public:
  // Throws std::runtime_error with one operator-readable line (address in use, bad address).
  HttpServer(const HttpOptions& opts, Scraper& scraper);
  ~HttpServer();
  void set_ready(bool ready) { ready_ = ready; }
  int port() const { return port_; }

 private:
  struct Handlers;
  std::unique_ptr<Handlers> handlers_;
  std::unique_ptr<CivetServer> server_;
  std::atomic<bool> ready_{false};
  int port_ = 0;
};

}  // namespace virtnet
