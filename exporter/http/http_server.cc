#include "exporter/http/http_server.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <unistd.h>

#include <climits>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "exporter/common/logging.h"
#include "exporter/http/exposition.h"
#include "exporter/http/findings_feed.h"
#include "exporter/http/http_request.h"
#include "exporter/http/landing_page.h"
#include "exporter/http/listen_address.h"
#include "exporter/http/login_gate.h"
#include "exporter/http/runbooks.h"
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
constexpr auto kLoginsRefused = MetricDef::counter(
    "virtnet_http_logins_refused_total",
    "Logins answered 429 without a bcrypt: from an address with too many recent failures "
    "(throttled), or while the bcrypt queue was full (queue_full).");
constexpr auto kHandshakeTimeouts =
    MetricDef::counter("virtnet_http_tls_handshake_timeouts_total",
                       "TLS connections closed because their handshake did not finish within "
                       "--web.tls-handshake-timeout.");
constexpr auto kTlsRefused = MetricDef::counter(
    "virtnet_http_tls_sessions_refused_total",
    "TLS connections refused before their handshake: the session's policy could not be applied.");

constexpr const char* kText = "text/plain; charset=utf-8";
constexpr const char* kExposition = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kHtml = "text/html; charset=utf-8";
constexpr const char* kJson = "application/json";

// What a scrape allocated (its families, their text, the body) is freed once the body is sent,
// but glibc keeps freed memory for reuse: resident until the next scrape, a hypervisor's memory
// held between scrapes for nothing. Handed back to the kernel then (a few hundred microseconds
// for a scrape of 40,000 series; the next scrape faults its pages in again).
void trim_after_scrape() { malloc_trim(0); }

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
  bool scraped = false;  // a scrape was answered: what it allocated is handed back once sent
  unsigned status = 0;
  const char* content_type = kText;
  const char* content_encoding = nullptr;
  bool challenge = false;  // a 401: ask for basic-auth credentials
  std::string body;
};

// Work for the pool: a scrape.
struct Job {
  Request* req = nullptr;
  MHD_Connection* conn = nullptr;
  std::string query;
  std::optional<double> timeout;
  bool gzip = false;               // the scraper accepts it (Prometheus always does)
  std::string path;                // raw: a page after a login checked by the gate
  std::optional<Samples> samples;  // a full scrape's, for the findings
  Clock::time_point collected;     // when its collectors had all answered
};

// What is kept for each connection (libmicrohttpd's socket context), from accept to close.
struct ConnState {
  std::chrono::steady_clock::time_point accepted = std::chrono::steady_clock::now();
  // Attached to its TLS material (tls_attach). Only a key: by NOTIFY_CLOSED libmicrohttpd has
  // freed the session already, so it is never dereferenced then.
  gnutls_session_t tls = nullptr;
  bool handshaken = false;    // the TLS handshake finished (or there is none)
  unsigned idle_timeout = 0;  // seconds, to restore after the handshake (0: nothing to restore)
};

// The client's address as the login limits count it: IPv4 as is (an IPv4-mapped IPv6 address
// too); IPv6 by its /64, the block one host is usually given, and its /48 besides; a link-local
// address whole (every such client would share fe80::/64).
LoginGate::Client client_of(MHD_Connection* conn) {
  const auto* info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!info || !info->client_addr) return {"?", ""};
  char buf[INET6_ADDRSTRLEN] = {};
  const sockaddr* sa = info->client_addr;
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
    return {buf, ""};
  }
  if (sa->sa_family != AF_INET6) return {"?", ""};
  in6_addr a = reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
  if (IN6_IS_ADDR_V4MAPPED(&a)) {
    inet_ntop(AF_INET, &a.s6_addr[12], buf, sizeof buf);
    return {buf, ""};
  }
  if (IN6_IS_ADDR_LINKLOCAL(&a)) {
    inet_ntop(AF_INET6, &a, buf, sizeof buf);
    return {buf, ""};
  }
  LoginGate::Client c;
  std::fill(a.s6_addr + 8, a.s6_addr + 16, 0);
  inet_ntop(AF_INET6, &a, buf, sizeof buf);
  c.key = std::string(buf) + "/64";
  std::fill(a.s6_addr + 6, a.s6_addr + 16, 0);
  inet_ntop(AF_INET6, &a, buf, sizeof buf);
  c.block = std::string(buf) + "/48";
  return c;
}

// A response other than a scrape's.
struct Page {
  unsigned status;
  const char* type;
  std::string body;
};

MHD_Result respond(MHD_Connection* conn, const Request* req, unsigned status, const char* type,
                   std::string body, const char* allow = nullptr, const char* encoding = nullptr,
                   const char* retry_after = nullptr) {
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
  if (retry_after) MHD_add_response_header(r, "Retry-After", retry_after);
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
  static const std::vector<MetricDef> defs = {kConnections,  kConnectionsLimit, kConnectionsRefused,
                                              kUnauthorized, kLoginsRefused,    kHandshakeTimeouts,
                                              kTlsRefused};
  return defs;
}

struct HttpServer::Impl {
  Impl(const HttpOptions& o, Scraper& s, FindingsService f)
      : opts(o), scraper(s), findings(std::move(f)), gate(gate_limits(o)) {}

  static LoginGate::Limits gate_limits(const HttpOptions& o) {
    LoginGate::Limits l;
    l.failures = o.login_failures_per_ip > 0 ? o.login_failures_per_ip : INT_MAX;
    l.window = o.login_failure_window;
    return l;
  }

  const HttpOptions opts;
  Scraper& scraper;
  const FindingsService findings;
  std::atomic<bool> ready{false};
  int port = 0;
  bool tls = false;
  MHD_Daemon* daemon = nullptr;
  // Polled on the event-loop thread only; requests carry the snapshot they started with.
  std::unique_ptr<WebConfigWatcher> web;
  LoginGate gate;
  // Counted on the event-loop thread (and the gate's), read by scrapes.
  std::atomic<int> open_connections{0};
  std::atomic<std::uint64_t> refused_connections{0};
  std::atomic<std::uint64_t> unauthorized{0};
  std::atomic<std::uint64_t> handshake_timeouts{0};
  std::atomic<std::uint64_t> tls_refused{0};

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

  // Called when a connection is accepted (before the first byte of a TLS handshake is read) and
  // when it closes. A TLS session gets the material of the web configuration as it is now, for
  // its whole life, and the handshake timeout until its first request.
  static void on_connection(void* cls, MHD_Connection* conn, void** socket_context,
                            MHD_ConnectionNotificationCode c) {
    auto* self = static_cast<Impl*>(cls);
    if (c == MHD_CONNECTION_NOTIFY_STARTED) {
      self->open_connections.fetch_add(1);
      auto* cs = new ConnState;
      cs->handshaken = !self->tls;
      *socket_context = cs;
      if (self->tls) self->start_tls(conn, *cs);
      return;
    }
    self->open_connections.fetch_sub(1);
    auto* cs = static_cast<ConnState*>(*socket_context);
    *socket_context = nullptr;
    if (!cs) return;
    if (cs->tls) tls_detach(cs->tls);
    // Closed with its handshake unfinished, at the handshake timeout (or at the idle timeout,
    // when that is the shorter). libmicrohttpd counts from a little before this state was made,
    // in whole milliseconds of its own clock: a quarter of a second's leeway.
    const auto timeout = std::min(self->opts.tls_handshake_timeout, self->opts.idle_timeout);
    if (!cs->handshaken && std::chrono::steady_clock::now() - cs->accepted >=
                               timeout - std::chrono::milliseconds(250)) {
      self->handshake_timeouts.fetch_add(1);
    }
    delete cs;
  }

  void start_tls(MHD_Connection* conn, ConnState& cs) {
    const auto state = web->poll();
    const auto* info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    auto* session = info ? static_cast<gnutls_session_t>(info->tls_session) : nullptr;
    if (session && tls_attach(session, state->tls)) {
      cs.tls = session;
      // The end of the handshake, not the first request, restores the idle timeout: a client
      // that shakes hands and then waits is idle, not stalled.
      gnutls_handshake_set_hook_function(session, GNUTLS_HANDSHAKE_FINISHED, GNUTLS_HOOK_POST,
                                         &Impl::on_handshake_finished);
    } else {
      // Refused, never served: a session that is not attached gets no certificate, so its
      // handshake fails (the connection is closed), whatever libmicrohttpd's defaults are.
      tls_refused.fetch_add(1);
      log_debug("http server", {{"detail", "cannot prepare the TLS session; refusing it"}});
    }
    if (opts.tls_handshake_timeout < opts.idle_timeout) {
      MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
                                static_cast<unsigned>(opts.tls_handshake_timeout.count()));
      cs.idle_timeout = static_cast<unsigned>(opts.idle_timeout.count());
    }
  }

  // GnuTLS's hook, inside the handshake on the event-loop thread: the client's Finished has come.
  // libmicrohttpd keeps the connection as the session's pointer.
  static int on_handshake_finished(gnutls_session_t session, unsigned, unsigned, unsigned incoming,
                                   const gnutls_datum_t*) {
    if (!incoming) return 0;
    auto* conn = static_cast<MHD_Connection*>(gnutls_session_get_ptr(session));
    const auto* info =
        conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : nullptr;
    auto* cs = info ? static_cast<ConnState*>(info->socket_context) : nullptr;
    if (!cs || cs->handshaken) return 0;
    cs->handshaken = true;
    if (cs->idle_timeout > 0) {
      MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, cs->idle_timeout);
    }
    return 0;
  }

  void append_http_metrics(std::vector<CompactFamily>& out) const {
    MetricSink m;
    m.add(kConnections, open_connections.load());
    m.add(kConnectionsLimit, opts.max_connections);
    m.add(kConnectionsRefused, static_cast<double>(refused_connections.load()));
    if (web) {
      m.add(kUnauthorized, static_cast<double>(unauthorized.load()));
      m.add(kLoginsRefused, static_cast<double>(gate.throttled_total()), {{"reason", "throttled"}});
      m.add(kLoginsRefused, static_cast<double>(gate.shed_total()), {{"reason", "queue_full"}});
    }
    if (tls) {
      m.add(kHandshakeTimeouts, static_cast<double>(handshake_timeouts.load()));
      m.add(kTlsRefused, static_cast<double>(tls_refused.load()));
    }
    for (auto& f : m.take_compact()) out.push_back(std::move(f));
  }

  static void* on_uri(void*, const char* uri, MHD_Connection*) {
    auto* r = new Request;
    r->raw_target = uri ? uri : "";
    return r;
  }

  static void on_completed(void*, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
    auto* req = static_cast<Request*>(*con_cls);
    const bool scraped = req && req->scraped;
    delete req;
    *con_cls = nullptr;
    // The body has been sent (libmicrohttpd frees it once the response is done with): what the
    // scrape allocated is all free now.
    if (scraped) trim_after_scrape();
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
    if (req->web && req->web->auth) return self->authenticate(conn, req, r, target.query);
    return self->serve(conn, req, r, target.query);
  }

  std::optional<Report> report() const {
    if (!findings.tracker) return std::nullopt;
    std::size_t enabled = 0;
    for (const auto& c : scraper.status()) enabled += c.enabled ? 1 : 0;
    return findings.tracker->report(enabled, findings.settings);
  }

  Page page(Route r, std::string_view path) const {
    switch (r) {
      case Route::kLanding: {
        const auto rep = report();
        return {200, kHtml,
                render_landing_page(scraper.status(), opts.telemetry_path,
                                    std::chrono::system_clock::now(), rep ? &*rep : nullptr)};
      }
      case Route::kFindings:
        if (const auto rep = report()) return {200, kJson, render_json(*rep)};
        break;
      case Route::kRunbooks: {
        const auto name = path.substr(kRunbooksPath.size());
        if (name.empty()) return {200, kHtml, render_runbook_index()};
        if (const auto* p = find_runbook(name)) return {200, kHtml, render_runbook_page(*p)};
        break;
      }
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

  // Every path is behind basic auth when the web config has users, as in Prometheus' own web
  // config (exporter-toolkit wraps every handler; /-/healthy included). A login known good is
  // served at once, on this thread; any other costs a bcrypt on the login gate, unless its
  // address failed too often lately or the gate's queue is full: then 429 at once.
  MHD_Result authenticate(MHD_Connection* conn, Request* req, Route r, std::string_view query) {
    char* password = nullptr;
    char* user = MHD_basic_auth_get_username_password(conn, &password);
    std::string u = user ? user : "", p = password ? password : "";
    if (password) explicit_bzero(password, std::strlen(password));
    MHD_free(user);
    MHD_free(password);
    if (u.empty() && p.empty()) {
      // No credentials at all: no bcrypt needed to refuse them.
      unauthorized.fetch_add(1);
      req->challenge = true;
      return respond(conn, req, 401, kText, "401 Unauthorized\n");
    }
    if (req->web->auth->lookup(u, p)) {
      wipe(p);
      return serve(conn, req, r, query);
    }
    LoginGate::Client client = client_of(conn);
    if (const auto left = gate.throttled(client); left.count() > 0) {
      wipe(p);
      const std::string retry = std::to_string(left.count());
      return respond(conn, req, 429, kText, "429 too many failed logins from this address\n",
                     nullptr, nullptr, retry.c_str());
    }
    Job job = scrape_job(conn, req, query);
    const bool queued = gate.submit(
        req->web->auth, std::move(client), std::move(u), std::move(p),
        [&] {
          req->queued = true;
          MHD_suspend_connection(conn);
        },
        [this, r, job = std::move(job)](LoginGate::Outcome o) mutable {
          try {
            checked(job, r, o);
          } catch (...) {  // the connection is resumed whatever went wrong
            finish(job, 500, kText, "500 internal error\n");
          }
        });
    if (!queued) {
      return respond(conn, req, 429, kText, "429 too many logins being checked; retry\n", nullptr,
                     nullptr, "1");
    }
    return MHD_YES;
  }

  // A login checked by the gate (on its thread): refused, or served as if it had been known good.
  void checked(Job& job, Route r, LoginGate::Outcome o) {
    Request* req = job.req;
    if (o == LoginGate::Outcome::kShuttingDown) {
      finish(job, 503, kText, "shutting down\n");
    } else if (o == LoginGate::Outcome::kError) {
      finish(job, 500, kText, "500 internal error\n");
    } else if (o == LoginGate::Outcome::kDenied) {
      unauthorized.fetch_add(1);
      req->challenge = true;
      finish(job, 401, kText, "401 Unauthorized\n");
    } else if (r != Route::kMetrics) {
      auto p = page(r, job.path);
      finish(job, p.status, p.type, std::move(p.body));
    } else {
      std::unique_lock lk(mu);
      if (stopping) {
        lk.unlock();
        finish(job, 503, kText, "shutting down\n");
        return;
      }
      queue.push_back(std::move(job));
      lk.unlock();
      cv.notify_one();
    }
  }

  // Answers a suspended request from another thread, and resumes its connection.
  static void finish(Job& job, unsigned status, const char* type, std::string body) {
    job.req->status = status;
    job.req->content_type = type;
    job.req->body = std::move(body);
    job.req->answered = true;
    MHD_resume_connection(job.conn);
  }

  static Job scrape_job(MHD_Connection* conn, Request* req, std::string_view query) {
    Job job;
    job.req = req;
    job.conn = conn;
    job.query = query;
    job.timeout = scrape_timeout_header(conn);
    job.path = std::string(split_target(req->raw_target).path);
    const char* ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
    job.gzip = ae != nullptr && accepts_gzip(ae);
    return job;
  }

  // An authorized request: a page at once, a scrape to the pool.
  MHD_Result serve(MHD_Connection* conn, Request* req, Route r, std::string_view query) {
    if (r != Route::kMetrics) {
      auto p = page(r, split_target(req->raw_target).path);
      return respond(conn, req, p.status, p.type, std::move(p.body));
    }
    Job job = scrape_job(conn, req, query);
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
    auto families = scraper.scrape_compact(job.timeout, filter.only, &refused, req->arrival);
    if (refused.http_status) {
      req->status = static_cast<unsigned>(refused.http_status);
      req->body = refused.message + "\n";
      return;
    }
    // What the findings read is kept apart before the families are written and freed; they are
    // evaluated once the answer is on its way (run).
    if (findings.tracker && filter.only.empty()) {
      job.samples = samples_of(families, findings.tracker->metrics());
      job.collected = Clock::now();
      append_findings_metrics(findings.tracker->stats(), families);
    }
    append_http_metrics(families);
    bool gzipped = false;
    req->body = write_exposition(families, job.gzip, &gzipped);
    req->status = 200;
    req->content_type = kExposition;
    if (gzipped) req->content_encoding = "gzip";
    req->scraped = true;
  }

  void run(Job& job) {
    Request* req = job.req;
    try {
      scrape(job);
    } catch (const std::exception& e) {
      log_error("scrape failed", {{"err", e.what()}});
      req->status = 500;
      req->body = "scrape failed\n";
    } catch (...) {  // whatever it was, the connection must be resumed
      log_error("scrape failed", {{"err", "unknown exception"}});
      req->status = 500;
      req->body = "scrape failed\n";
    }
    req->answered = true;
    MHD_resume_connection(job.conn);  // `req` belongs to the event loop from here
    if (job.samples) {
      try {
        findings.tracker->observe(std::move(*job.samples), job.collected,
                                  std::chrono::system_clock::now(), true);
      } catch (const std::exception& e) {
        log_error("cannot evaluate the findings", {{"err", e.what()}});
      }
      // The evaluation runs after the answer, often after the trim that followed it: what it
      // freed is handed back too.
      trim_after_scrape();
    }
  }
};

void check_http_options(const HttpOptions& opts) {
  try {
    parse_listen_address(opts.listen_address);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  if (opts.telemetry_path.empty() || opts.telemetry_path.front() != '/' ||
      opts.telemetry_path == "/" || opts.telemetry_path.rfind("/-/", 0) == 0) {
    throw std::runtime_error("--web.telemetry-path \"" + opts.telemetry_path +
                             "\": must start with / and not be / or under /-/");
  }
}

HttpServer::HttpServer(const HttpOptions& opts, Scraper& scraper, FindingsService findings)
    : impl_(std::make_unique<Impl>(opts, scraper, std::move(findings))) {
  check_http_options(opts);
  const ListenAddress addr = parse_listen_address(opts.listen_address);
  if (!opts.web_config_file.empty()) {
    impl_->web = std::make_unique<WebConfigWatcher>(opts.web_config_file);  // throws ConfigError
    impl_->tls = impl_->web->tls();
  }
  const bool tls = impl_->tls;
  const int fd = open_listen_socket(addr, opts.listen_address, &impl_->port);
  // The pool first: once the daemon runs, requests may be queued for it.
  for (int i = 0; i < opts.max_requests; ++i) {
    impl_->pool.emplace_back([impl = impl_.get()] { impl->pool_loop(); });
  }
  // With TLS, poll(2), not epoll: libmicrohttpd 0.9.75's epoll loop keeps a connection whose TLS
  // handshake read came back EAGAIN on its ready list, and polls with a zero timeout while it
  // stays so: one client that sends a byte of a ClientHello and stalls spun a core. poll looks
  // at every connection each turn (at most --web.max-connections of them).
  const unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | (tls ? MHD_USE_POLL : MHD_USE_EPOLL) |
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
      impl_.get(), MHD_OPTION_NOTIFY_COMPLETED, &Impl::on_completed, nullptr,
      MHD_OPTION_EXTERNAL_LOGGER, &mhd_log, nullptr,
      tls ? MHD_OPTION_HTTPS_CERT_CALLBACK2 : MHD_OPTION_END, &tls_retrieve_certificate,
      MHD_OPTION_END);
  if (!impl_->daemon) {
    // libmicrohttpd may or may not have closed the socket: leave it (the process exits).
    impl_->gate.stop();
    impl_->stop_pool();
    throw std::runtime_error("cannot start the HTTP server on " + opts.listen_address);
  }
}

HttpServer::~HttpServer() {
  if (!impl_->daemon) return;
  // Scrapes in progress return within 100 ms; those still queued are answered by the pool
  // threads on their way out (stop() makes the scraper refuse them at once). The gate first: a
  // login it lets through goes to the pool.
  impl_->scraper.stop();
  impl_->gate.stop();
  impl_->stop_pool();
  // Nothing is suspended any more: every queued request was resumed by the gate or the pool.
  MHD_stop_daemon(impl_->daemon);
}

void HttpServer::set_ready(bool ready) { impl_->ready = ready; }
int HttpServer::port() const { return impl_->port; }
bool HttpServer::tls() const { return impl_->tls; }

}  // namespace virtnet
