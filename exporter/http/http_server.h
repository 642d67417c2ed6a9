#pragma once

// exporter/http/: the HTTP layer. It owns the listening socket and every connection (libmicrohttpd,
// one event loop), request routing (http_request, pure), gzip, the landing page, and the web
// config with what it holds: TLS material, basic auth, response headers, and its watcher. It
// hands scrapes to the scrape layer (Scraper) and may call scrape, config, findings, sources and
// common; nothing below it includes it: no collector sees HTTP.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "exporter/common/condition.h"
#include "exporter/findings/tracker.h"
#include "exporter/scrape/scraper.h"

namespace virtnet {

struct HttpOptions {
  std::string listen_address = ":10120";
  std::string telemetry_path = "/metrics";
  // Scrapes served at once (threads running Scraper::scrape). More scrape requests wait in line
  // within their own deadline; they never hold a connection slot's thread, since there is none.
  int max_requests = 4;
  // Connections held at once, idle or not; the surplus is accepted and closed at once.
  int max_connections = 256;
  // From one client address (0: no limit), so that one host cannot take every connection.
  int max_connections_per_ip = 64;
  // A connection silent this long is closed (while a request is read and between keep-alive
  // requests). Idle connections cost an fd, not a thread.
  std::chrono::seconds idle_timeout{10};
  // With TLS, a connection whose handshake has not finished this long after its accept is closed
  // (and counted), whatever the idle timeout.
  std::chrono::seconds tls_handshake_timeout{5};
  // With basic auth: an address with this many failed logins within the window is refused at
  // once, without a bcrypt, until the window has passed (0: no limit).
  int login_failures_per_ip = 10;
  std::chrono::seconds login_failure_window{60};
  // exporter-toolkit's web-config.yml: TLS, basic auth, response headers. Empty: plain HTTP.
  std::string web_config_file;
};

// Checks what the server would refuse at start (the listen address, the telemetry path), for
// --config.check; throws std::runtime_error with one line.
void check_http_options(const HttpOptions& opts);

// The running exporter's findings: every full scrape feeds the tracker; the landing page and
// /api/v1/findings show what it found, with runbook links made from the settings.
struct FindingsService {
  FindingsTracker* tracker = nullptr;  // none: the pages say nothing of findings
  RuleSettings settings;
};

// The virtnet_http_* families every scrape carries.
const std::vector<MetricDef>& http_metric_defs();

// Serves /metrics (or the configured path), the landing page at /, /api/v1/findings, the
// runbooks at /runbooks/, /-/healthy and /-/ready.
// libmicrohttpd with one event-loop thread: connections wait in epoll (poll with TLS), not in
// worker threads, so idle or slow clients cannot starve the scrapes. A scrape is handed to a pool
// of max_requests threads and its connection suspended until the answer is ready; a login not
// known good is handed to the login gate (one bcrypt at a time, bounded) the same way.

class HttpServer {
 public:
  // Throws std::runtime_error with one operator-readable line (address in use, bad address, a
  // web config file that does not load: ConfigError).
  HttpServer(const HttpOptions& opts, Scraper& scraper, FindingsService findings = {});
  ~HttpServer();  // stops taking requests, answers the queued ones 503, joins the pool
  void set_ready(bool ready);
  int port() const;
  bool tls() const;  // the web config had tls_server_config at start

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace virtnet
