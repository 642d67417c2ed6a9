#include "exporter/http/http_server.h"

#include <microhttpd.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "exporter/common/logging.h"
#include "exporter/http/gzip.h"
#include "exporter/http/http_request.h"
#include "exporter/http/landing_page.h"
#include "exporter/http/listen_address.h"
#include "exporter/http/tls_material.h"
#include "exporter/http/web_config_watch.h"
#include "exporter/scrape/metric_sink.h"

namespace virtnet {

namespace {

using Clock = Scraper::Clock;

constexpr auto kConnections =
    MetricDef::gauge("virtnet_http_connections", "HTTP connections open, idle ones included.");
constexpr auto kConnectionsLimit =
    MetricDef::gauge("virtnet_http_connections_limit", "--web.max-connections.");
constexpr auto kConnectionsRefused = MetricDef::counter(
    "virtnet_http_connections_refused_total",
    "HTTP connections closed on arrival because --web.max-connections were open.");
constexpr auto kUnauthorized =
    MetricDef::counter("virtnet_http_requests_unauthorized_total",
                       "HTTP requests answered 401: no, or wrong, basic-auth credentials.");

constexpr const char* kText = "text/plain; charset=utf-8";
constexpr const char* kExposition = "text/plain; version=0.0.4; charset=utf-8";
// zlib's fastest level: see the README's figures (size against CPU, at 200 VMs).
constexpr int kGzipLevel = 1;

// One per HTTP request: made when the request line arrives (the raw target is kept, before
// libmicrohttpd decodes it), freed when the request completes.
struct Request {
  std::string raw_target;
  Clock::time_point arrival = Clock::now();
  // The web configuration when the request arrived: its headers go on every response, its users
  // decide whether the request is served.
  std::shared_ptr<WebState> web;
  bool seen = false;    // the access handler's first call (headers only) is past
  bool queued = false;  // handed to the scrape pool; the connection is suspended
  // Filled by the pool before it resumes the connection.
  bool answered = false;
  unsigned status = 0;
  const char* content_type = kText;
  const char* content_encoding = nullptr;
  bool challenge = false;  // a 401: ask for basic-auth credentials
  std::string body;
};

// Work for the pool: a scrape, or any request while basic auth is on (bcrypt is too slow for the
// event-loop thread).
struct Job {
  Request* req = nullptr;
  MHD_Connection* conn = nullptr;
  Route route = Route::kMetrics;
  std::string query;
  std::optional<double> timeout;
  bool gzip = false;  // the scraper accepts it (Prometheus always does)
  bool check_auth = false;
  std::string user;
  std::string password;
};

// A response other than a scrape's.
struct Page {
  unsigned status;
  const char* type;
  std::string body;
};

MHD_Result respond(MHD_Connection* conn, const Request* req, unsigned status, const char* type,
                   std::string body, const char* allow = nullptr, const char* encoding = nullptr) {
  auto* owned = new std::string(std::move(body));
  MHD_Response* r = MHD_create_response_from_buffer_with_free_callback_cls(
      owned->size(), owned->data(), [](void* p) { delete static_cast<std::string*>(p); }, owned);
  if (!r) {
    delete owned;
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", type);
  MHD_add_response_header(r, "Cache-Control", "no-store");
  if (allow) MHD_add_response_header(r, "Allow", allow);
  if (encoding) MHD_add_response_header(r, "Content-Encoding", encoding);
  // The body depends on Accept-Encoding (for caches in between).
  if (std::strcmp(type, kExposition) == 0) MHD_add_response_header(r, "Vary", "Accept-Encoding");
  if (req && req->challenge) {
    MHD_add_response_header(r, "WWW-Authenticate", "Basic realm=\"virtnet_exporter\"");
  }
  if (req && req->web) {
    for (const auto& [name, value] : req->web->config.headers) {
      MHD_add_response_header(r, name.c_str(), value.c_str());
    }
  }
  const MHD_Result ok = MHD_queue_response(conn, status, r);
  MHD_destroy_response(r);
  return ok;
}

std::optional<double> scrape_timeout_header(MHD_Connection* conn) {
  const char* h =
      MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Prometheus-Scrape-Timeout-Seconds");
  if (!h) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(h, &end);
  if (end == h) return std::nullopt;
  return v;
}

void mhd_log(void*, const char* fmt, va_list ap) {
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  std::string msg(buf);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
  // Per-connection events (a client that went away, the connection cap reached) are routine
  // under load or attack: debug, so they cannot flood the log.
  log_debug("http server", {{"detail", msg}});
}

}  // namespace

const std::vector<MetricDef>& http_metric_defs() {
  static const std::vector<MetricDef> defs = {kConnections, kConnectionsLimit, kConnectionsRefused,
                                              kUnauthorized};
  return defs;
}

struct HttpServer::Impl {
  Impl(const HttpOptions& o, Scraper& s) : opts(o), scraper(s) {}

  const HttpOptions opts;
  Scraper& scraper;
  std::atomic<bool> ready{false};
  int port = 0;
  MHD_Daemon* daemon = nullptr;
  // Polled on the event-loop thread only; requests carry the snapshot they started with.
  std::unique_ptr<WebConfigWatcher> web;
  // Counted on the event-loop thread, read by scrapes.
  std::atomic<int> open_connections{0};
  std::atomic<std::uint64_t> refused_connections{0};
  std::atomic<std::uint64_t> unauthorized{0};

  std::mutex mu;
  std::condition_variable cv;
  std::deque<Job> queue;
  bool stopping = false;
  std::vector<std::thread> pool;

  // libmicrohttpd, at its own limit, stops accepting and lets the surplus wait in the kernel's
  // backlog; below it, this refuses (closes at once) what is over the cap, so a client learns
  // of it at once rather than at its timeout.
  static MHD_Result on_accept(void* cls, const sockaddr*, socklen_t) {
    auto* self = static_cast<Impl*>(cls);
    if (self->open_connections.load() >= self->opts.max_connections) {
      self->refused_connections.fetch_add(1);
      return MHD_NO;
    }
    return MHD_YES;
  }

  // With TLS, called before the first byte of the handshake is read: the session gets the
  // versions and client-certificate policy of the web configuration as it is now.
  static void on_connection(void* cls, MHD_Connection* conn, void**,
                            MHD_ConnectionNotificationCode c) {
    auto* self = static_cast<Impl*>(cls);
    self->open_connections.fetch_add(c == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
    if (c != MHD_CONNECTION_NOTIFY_STARTED || !self->web || !self->web->tls()) return;
    self->web->poll();
    const auto* info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!info || !tls_prepare_session(static_cast<gnutls_session_t>(info->tls_session))) {
      log_debug("http server", {{"detail", "cannot prepare the TLS session"}});
    }
  }

  void append_http_metrics(std::vector<prometheus::MetricFamily>& out) const {
    MetricSink m;
    m.add(kConnections, open_connections.load());
    m.add(kConnectionsLimit, opts.max_connections);
    m.add(kConnectionsRefused, static_cast<double>(refused_connections.load()));
    if (web) m.add(kUnauthorized, static_cast<double>(unauthorized.load()));
    for (auto& f : m.take()) out.push_back(std::move(f));
  }

  static void* on_uri(void*, const char* uri, MHD_Connection*) {
    auto* r = new Request;
    r->raw_target = uri ? uri : "";
    return r;
  }

  static void on_completed(void*, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
    delete static_cast<Request*>(*con_cls);
    *con_cls = nullptr;
  }

  // libmicrohttpd calls this once with the headers, again for each piece of a body, and once
  // more when the request is complete. A response queued before that last call makes it close the
  // connection, so errors are answered at once (the body is not read) and everything else only
  // when the request is complete, which keeps Prometheus' connection alive between scrapes.
  static MHD_Result on_request(void* cls, MHD_Connection* conn, const char*, const char* method,
                               const char*, const char*, size_t* upload_size, void** con_cls) {
    auto* self = static_cast<Impl*>(cls);
    auto* req = static_cast<Request*>(*con_cls);
    if (!req) return MHD_NO;  // not reached: on_uri makes one for every request
    if (req->answered) {
      return respond(conn, req, req->status, req->content_type, std::move(req->body), nullptr,
                     req->content_encoding);
    }
    if (req->queued) return MHD_YES;
    const auto target = split_target(req->raw_target);
    const Route r = route_of(target.path, self->opts.telemetry_path);
    if (!req->seen) {
      req->seen = true;
      if (self->web) req->web = self->web->poll();
      if (r == Route::kNotFound) return respond(conn, req, 404, kText, "404 page not found\n");
      if (!method_allowed(method)) {
        return respond(conn, req, 405, kText, "405 method not allowed\n", "GET, HEAD");
      }
      return MHD_YES;
    }
    if (*upload_size != 0) {  // a body on a GET: read and dropped
      *upload_size = 0;
      return MHD_YES;
    }
    return self->serve(conn, req, r, target.query);
  }

  Page page(Route r) const {
    switch (r) {
      case Route::kLanding:
        return {200, "text/html; charset=utf-8",
                render_landing_page(scraper.status(), opts.telemetry_path,
                                    std::chrono::system_clock::now())};
      case Route::kHealthy:
        return {200, kText, "Healthy\n"};
      case Route::kReady:
        if (ready) return {200, kText, "Ready\n"};
        return {503, kText, "Not ready\n"};
      case Route::kMetrics:
      case Route::kNotFound:
        break;
    }
    return {404, kText, "404 page not found\n"};
  }

  MHD_Result serve(MHD_Connection* conn, Request* req, Route r, std::string_view query) {
    Job job;
    job.req = req;
    job.conn = conn;
    job.route = r;
    job.query = query;
    job.check_auth = req->web && req->web->auth;
    if (job.check_auth) {
      char* password = nullptr;
      char* user = MHD_basic_auth_get_username_password(conn, &password);
      if (user) job.user = user;
      if (password) job.password = password;
      MHD_free(user);
      MHD_free(password);
    } else if (r != Route::kMetrics) {
      auto p = page(r);
      return respond(conn, req, p.status, p.type, std::move(p.body));
    }
    job.timeout = scrape_timeout_header(conn);
    const char* ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
    job.gzip = ae != nullptr && accepts_gzip(ae);
    {
      // Suspended before the job is visible to the pool, which may resume it at once; under
      // `mu`, so that no job is queued once the destructor has set `stopping`.
      std::lock_guard lk(mu);
      if (stopping) return respond(conn, req, 503, kText, "shutting down\n");
      req->queued = true;
      MHD_suspend_connection(conn);
      queue.push_back(std::move(job));
    }
    cv.notify_one();
    return MHD_YES;
  }

  void stop_pool() {
    {
      std::lock_guard lk(mu);
      stopping = true;
    }
    cv.notify_all();
    for (auto& t : pool) t.join();
    pool.clear();
  }

  void pool_loop() {
    for (;;) {
      Job job;
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;  // stopping, nothing left
        job = std::move(queue.front());
        queue.pop_front();
      }
      run(job);
    }
  }

  void scrape(Job& job) {
    Request* req = job.req;
    auto filter = parse_collect_filter(job.query);
    if (!filter.error.empty()) {
      req->status = 400;
      req->body = filter.error + "\n";
      return;
    }
    ScrapeRefusal refused;
    auto families = scraper.scrape(job.timeout, filter.only, &refused, req->arrival);
    if (refused.http_status) {
      req->status = static_cast<unsigned>(refused.http_status);
      req->body = refused.message + "\n";
      return;
    }
    append_http_metrics(families);
    std::ostringstream os;
    prometheus::TextSerializer().Serialize(os, families);
    req->status = 200;
    req->content_type = kExposition;
    req->body = std::move(os).str();
    if (job.gzip) {
      if (auto z = gzip_compress(req->body, kGzipLevel)) {
        req->body = std::move(*z);
        req->content_encoding = "gzip";
      }
    }
  }

  void run(Job& job) {
    Request* req = job.req;
    try {
      if (job.check_auth && !req->web->auth->check(job.user, job.password)) {
        unauthorized.fetch_add(1);
        req->status = 401;
        req->challenge = true;
        req->body = "401 Unauthorized\n";
      } else if (job.route != Route::kMetrics) {
        auto p = page(job.route);
        req->status = p.status;
        req->content_type = p.type;
        req->body = std::move(p.body);
      } else {
        scrape(job);
      }
    } catch (const std::exception& e) {
      log_error("scrape failed", {{"err", e.what()}});
      req->status = 500;
      req->body = "scrape failed\n";
    } catch (...) {  // whatever it was, the connection must be resumed
      log_error("scrape failed", {{"err", "unknown exception"}});
      req->status = 500;
      req->body = "scrape failed\n";
    }
    job.password.clear();
    req->answered = true;
    MHD_resume_connection(job.conn);
  }
};

HttpServer::HttpServer(const HttpOptions& opts, Scraper& scraper)
    : impl_(std::make_unique<Impl>(opts, scraper)) {
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
  bool tls = false;
  if (!opts.web_config_file.empty()) {
    impl_->web = std::make_unique<WebConfigWatcher>(opts.web_config_file);  // throws ConfigError
    tls = impl_->web->tls();
    if (tls) set_current_tls(impl_->web->poll()->tls);
  }
  const int fd = open_listen_socket(addr, opts.listen_address, &impl_->port);
  // The pool first: once the daemon runs, requests may be queued for it.
  for (int i = 0; i < opts.max_requests; ++i) {
    impl_->pool.emplace_back([impl = impl_.get()] { impl->pool_loop(); });
  }
  const unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                         MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | (tls ? MHD_USE_TLS : 0);
  // libmicrohttpd's own limit is one above ours, so that on_accept refuses before it would
  // stop accepting. The certificate callback comes last: without TLS, MHD_OPTION_END stands in
  // its place and ends the list there.
  impl_->daemon = MHD_start_daemon(
      flags, 0, &Impl::on_accept, impl_.get(), &Impl::on_request, impl_.get(),
      MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
      static_cast<unsigned>(opts.max_connections + 1), MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      static_cast<unsigned>(opts.max_connections_per_ip), MHD_OPTION_NOTIFY_CONNECTION,
      &Impl::on_connection, impl_.get(), MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned>(opts.idle_timeout.count()), MHD_OPTION_URI_LOG_CALLBACK, &Impl::on_uri,
      nullptr, MHD_OPTION_NOTIFY_COMPLETED, &Impl::on_completed, nullptr,
      MHD_OPTION_EXTERNAL_LOGGER, &mhd_log, nullptr,
      tls ? MHD_OPTION_HTTPS_CERT_CALLBACK2 : MHD_OPTION_END, &tls_retrieve_certificate,
      MHD_OPTION_END);
  if (!impl_->daemon) {
    // libmicrohttpd may or may not have closed the socket: leave it (the process exits).
    impl_->stop_pool();
    throw std::runtime_error("cannot start the HTTP server on " + opts.listen_address);
  }
}

HttpServer::~HttpServer() {
  if (!impl_->daemon) return;
  // Scrapes in progress return within 100 ms; those still queued are answered by the pool
  // threads on their way out (stop() makes the scraper refuse them at once).
  impl_->scraper.stop();
  impl_->stop_pool();
  // Nothing is suspended any more: every queued request was resumed by run().
  MHD_stop_daemon(impl_->daemon);
}

void HttpServer::set_ready(bool ready) { impl_->ready = ready; }
int HttpServer::port() const { return impl_->port; }
bool HttpServer::tls() const { return impl_->web && impl_->web->tls(); }

}  // namespace virtnet
