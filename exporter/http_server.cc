#include "exporter/http_server.h"

#include <CivetServer.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <prometheus/text_serializer.h>

#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "exporter/landing_page.h"
#include "exporter/listen_address.h"
#include "exporter/logging.h"

namespace virtnet {

namespace {

std::mutex g_civet_log_mu;
std::string g_civet_last_error;

// civetweb logs several lines when it cannot start; the first names the cause (errno).
int civet_log(const mg_connection*, const char* message) {
  std::lock_guard lk(g_civet_log_mu);
  if (g_civet_last_error.empty() && message) g_civet_last_error = message;
  return 1;  // we report it ourselves
}

void send(mg_connection* conn, int code, const char* reason, const char* type,
          const std::string& body, bool head_only = false) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\n\r\n",
            code, reason, type, body.size());
  if (!head_only) mg_write(conn, body.data(), body.size());
}

std::optional<double> scrape_timeout_header(mg_connection* conn) {
  const char* h = mg_get_header(conn, "X-Prometheus-Scrape-Timeout-Seconds");
  if (!h) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(h, &end);
  if (end == h) return std::nullopt;
  return v;
}

std::string resolve_ipv4(const std::string& host) {
  in_addr a{};
  if (inet_pton(AF_INET, host.c_str(), &a) == 1) return host;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0 || !res) {
    throw std::runtime_error("--web.listen-address: cannot resolve \"" + host +
                             "\" to an IPv4 address: " + gai_strerror(rc));
  }
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, buf, sizeof buf);
  freeaddrinfo(res);
  return buf;
}

}  // namespace

struct HttpServer::Handlers {
  struct Metrics : CivetHandler {
    Scraper& scraper;
    explicit Metrics(Scraper& s) : scraper(s) {}
    bool handleGet(CivetServer*, mg_connection* conn) override { return serve(conn, false); }
    bool handleHead(CivetServer*, mg_connection* conn) override { return serve(conn, true); }
    bool serve(mg_connection* conn, bool head) {
      std::set<std::string> only;
      const mg_request_info* ri = mg_get_request_info(conn);
      if (ri->query_string) {
        std::string q = ri->query_string;
        char value[256];
        for (int i = 0;; ++i) {
          int n = mg_get_var2(q.data(), q.size(), "collect[]", value, sizeof value,
                              static_cast<size_t>(i));
          if (n < 0) break;
          only.insert(value);
        }
      }
      std::string unknown;
      auto families = scraper.scrape(scrape_timeout_header(conn), only, &unknown);
      if (!unknown.empty()) {
        send(conn, 400, "Bad Request", "text/plain; charset=utf-8",
             "unknown or disabled collector in collect[]: " + unknown + "\n", head);
        return true;
      }
      std::ostringstream os;
      prometheus::TextSerializer().Serialize(os, families);
      send(conn, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", os.str(), head);
      return true;
    }
  };
  struct Landing : CivetHandler {
    Scraper& scraper;
    std::string path;
    Landing(Scraper& s, std::string p) : scraper(s), path(std::move(p)) {}
    bool handleGet(CivetServer*, mg_connection* conn) override {
      const mg_request_info* ri = mg_get_request_info(conn);
      if (std::strcmp(ri->local_uri, "/") != 0) {
        send(conn, 404, "Not Found", "text/plain; charset=utf-8", "404 page not found\n");
        return true;
      }
      send(conn, 200, "OK", "text/html; charset=utf-8",
           render_landing_page(scraper.status(), path, std::chrono::system_clock::now()));
      return true;
    }
  };
  struct Health : CivetHandler {
    const std::atomic<bool>* ready;  // null: liveness, always OK
    explicit Health(const std::atomic<bool>* r) : ready(r) {}
    bool handleGet(CivetServer*, mg_connection* conn) override {
      if (!ready) {
        send(conn, 200, "OK", "text/plain; charset=utf-8", "Healthy\n");
      } else if (*ready) {
        send(conn, 200, "OK", "text/plain; charset=utf-8", "Ready\n");
      } else {
        send(conn, 503, "Service Unavailable", "text/plain; charset=utf-8", "Not ready\n");
      }
      return true;
    }
  };

  Metrics metrics;
  Landing landing;
  Health healthy, ready;
  Handlers(Scraper& s, const std::string& path, const std::atomic<bool>* r)
      : metrics(s), landing(s, path), healthy(nullptr), ready(r) {}
};

HttpServer::HttpServer(const HttpOptions& opts, Scraper& scraper) {
  ListenAddress addr;
  try {
    addr = parse_listen_address(opts.listen_address);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  if (opts.telemetry_path.empty() || opts.telemetry_path.front() != '/' ||
      opts.telemetry_path == "/" || opts.telemetry_path.rfind("/-/", 0) == 0) {
    throw std::runtime_error("--web.telemetry-path \"" + opts.telemetry_path +
                             "\": must start with / and not be / or under /-/");
  }
  std::string ports = std::to_string(addr.port);
  if (!addr.host.empty()) ports = resolve_ipv4(addr.host) + ":" + ports;
  std::vector<std::string> options = {
      "listening_ports",       ports,   "num_threads",       std::to_string(opts.threads),
      "request_timeout_ms",    "30000", "enable_keep_alive", "yes",
      "keep_alive_timeout_ms", "30000",
  };
  CivetCallbacks callbacks;
  callbacks.log_message = civet_log;
  {
    std::lock_guard lk(g_civet_log_mu);
    g_civet_last_error.clear();
  }
  try {
    server_ = std::make_unique<CivetServer>(options, &callbacks);
  } catch (const CivetException&) {
    std::lock_guard lk(g_civet_log_mu);
    throw std::runtime_error("cannot listen on " + opts.listen_address + ": " +
                             (g_civet_last_error.empty() ? "unknown error" : g_civet_last_error));
  }
  auto listening = server_->getListeningPorts();
  port_ = listening.empty() ? addr.port : listening.front();
  handlers_ = std::make_unique<Handlers>(scraper, opts.telemetry_path, &ready_);
  server_->addHandler(opts.telemetry_path, handlers_->metrics);
  server_->addHandler("/-/healthy", handlers_->healthy);
  server_->addHandler("/-/ready", handlers_->ready);
  server_->addHandler("/", handlers_->landing);
}

HttpServer::~HttpServer() {
  if (server_) server_->close();
}

}  // namespace virtnet
