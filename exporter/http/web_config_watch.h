#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "exporter/http/basic_auth.h"
#include "exporter/http/tls_material.h"
#include "exporter/http/web_config.h"

namespace virtnet {

// One loaded, checked web configuration: what every request and handshake uses.
struct WebState {
  WebConfig config;
  std::shared_ptr<const TlsMaterial> tls;  // set when config.tls is
  std::shared_ptr<BasicAuth> auth;         // set when config.users is not empty
};

// Reads and checks the web config file and the files it names (certificate, key, client CAs);
// throws ConfigError. Nothing secret reaches a message.
std::shared_ptr<WebState> load_web_state(const std::string& path);

// Keeps the web configuration current, as exporter-toolkit re-reads it for each connection: at
// most once a second, poll() compares the file and the files it names (inode, size, times) with
// what was loaded; on a change it loads them again. A file that does not load is logged once, and
// the last good configuration stays. TLS cannot be turned on or off without a restart (the
// listening socket is plain or TLS): such a change is refused the same way.
class WebConfigWatcher {
 public:
  explicit WebConfigWatcher(std::string path);  // loads at once; throws ConfigError
  // The configuration to use now; cheap (a stat of four files at most once a second).
  std::shared_ptr<WebState> poll();
  bool tls() const { return tls_; }

 private:
  using Clock = std::chrono::steady_clock;
  std::vector<std::string> watched() const;
  std::string path_;
  bool tls_ = false;
  std::shared_ptr<WebState> state_;
  std::string loaded_identity_;  // of the files when state_ was loaded
  std::string failed_identity_;  // of the files when a load last failed (logged once)
  Clock::time_point next_check_;
};

}  // namespace virtnet
