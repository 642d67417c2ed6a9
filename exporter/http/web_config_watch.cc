#include "exporter/http/web_config_watch.h"

#include <sys/stat.h>

#include <cerrno>
#include <initializer_list>

#include "exporter/common/logging.h"
#include "exporter/config/config.h"

namespace virtnet {

namespace {

// What changes when a file is rewritten, replaced or removed.
std::string identity(const std::vector<std::string>& paths) {
  std::string id;
  for (const auto& p : paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
      id += "errno " + std::to_string(errno) + ";";
      continue;
    }
    for (long long v : std::initializer_list<long long>{
             static_cast<long long>(st.st_dev), static_cast<long long>(st.st_ino), st.st_size,
             st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec}) {
      id += std::to_string(v) + ",";
    }
    id += ";";
  }
  return id;
}

}  // namespace

std::shared_ptr<WebState> load_web_state(const std::string& path) {
  auto s = std::make_shared<WebState>();
  s->config = parse_web_config(read_config_file(path, /*allow_empty=*/true), path);
  if (s->config.tls) s->tls = load_tls_material(*s->config.tls);
  if (!s->config.users.empty()) s->auth = std::make_shared<BasicAuth>(s->config.users);
  return s;
}

WebConfigWatcher::WebConfigWatcher(std::string path) : path_(std::move(path)) {
  state_ = load_web_state(path_);
  tls_ = state_->config.tls.has_value();
  loaded_identity_ = identity(watched());
  next_check_ = Clock::now() + std::chrono::seconds(1);
}

std::vector<std::string> WebConfigWatcher::watched() const {
  std::vector<std::string> v{path_};
  if (const auto& t = state_->config.tls) {
    v.push_back(t->cert_file);
    v.push_back(t->key_file);
    if (!t->client_ca_file.empty()) v.push_back(t->client_ca_file);
  }
  return v;
}

std::shared_ptr<WebState> WebConfigWatcher::poll() {
  const auto now = Clock::now();
  if (now < next_check_) return state_;
  next_check_ = now + std::chrono::seconds(1);
  const auto id = identity(watched());
  if (id == loaded_identity_ || id == failed_identity_) return state_;
  try {
    auto next = load_web_state(path_);
    if (next->config.tls.has_value() != tls_) {
      throw ConfigError(tls_ ? "tls_server_config was removed: the server listens with TLS "
                               "until it is restarted"
                             : "tls_server_config was added: the server listens without TLS "
                               "until it is restarted");
    }
    if (next->auth && state_->auth) next->auth->inherit(*state_->auth);
    state_ = std::move(next);
    // Files named by the new configuration may differ from the old: identify those.
    loaded_identity_ = identity(watched());
    failed_identity_.clear();
    log_info("web configuration reloaded",
             {{"file", path_},
              {"tls", tls_ ? "on" : "off"},
              {"basic_auth_users", std::to_string(state_->config.users.size())}});
  } catch (const std::exception& e) {
    failed_identity_ = id;
    log_error("web configuration reload failed, keeping the last good one",
              {{"file", path_}, {"err", e.what()}});
  }
  return state_;
}

}  // namespace virtnet
