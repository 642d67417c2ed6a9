#include "exporter/http/basic_auth.h"

#include <crypt.h>
#include <gnutls/crypto.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "exporter/http/web_config.h"

namespace virtnet {

namespace {

// crypt_rn with its scratch on the heap (struct crypt_data is 32 KiB). Empty on failure.
std::string bcrypt_hash(const std::string& password, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), setting.c_str(), data.get(), sizeof *data);
  if (!out || out[0] == '*') return "";
  return out;
}

std::string cache_key(const std::string& user, const std::string& hash,
                      const std::string& password) {
  // Lengths first, so that no two triples give the same text.
  std::string all = std::to_string(user.size()) + ":" + std::to_string(password.size()) + ":" +
                    user + password + hash;
  std::string digest(32, '\0');
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, all.data(), all.size(), digest.data()) != 0) {
    return "";
  }
  return digest;
}

}  // namespace

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<unsigned char>(diff | (a[i] ^ b[i]));
  }
  return diff == 0;
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {
  // The highest cost among the users: an unknown user takes as long as the slowest known one.
  for (const auto& [u, h] : users_) decoy_cost_ = std::max(decoy_cost_, bcrypt_cost(h).value_or(4));
}

const std::string& BasicAuth::decoy() {
  std::call_once(decoy_once_, [this] {
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(decoy_cost_), nullptr, 0, setting,
                         sizeof setting)) {
      decoy_ = bcrypt_hash("virtnet decoy password", setting);
    }
  });
  return decoy_;
}

bool BasicAuth::lookup(const std::string& user, const std::string& password) {
  auto it = users_.find(user);
  if (it == users_.end()) return false;  // never cached: only successes are
  const std::string key = cache_key(user, it->second, password);
  if (key.empty()) return false;
  std::lock_guard lk(mu_);
  auto c = cache_.find(key);
  if (c == cache_.end()) return false;
  lru_.splice(lru_.end(), lru_, c->second);
  return true;
}

bool BasicAuth::verify(const std::string& user, const std::string& password) {
  // Made before anything else: the first check of an unknown user must not take two bcrypts.
  const std::string& fake = decoy();
  auto it = users_.find(user);
  const bool known = it != users_.end();
  const std::string& hash = known ? it->second : fake;
  // No decoy to be had (libxcrypt refused the setting): an unknown user is refused all the same.
  if (hash.empty()) return false;
  const bool ok = constant_time_equal(bcrypt_hash(password, hash), hash) && known;
  if (!ok) return false;
  const std::string key = cache_key(user, hash, password);
  if (key.empty()) return true;
  std::lock_guard lk(mu_);
  if (cache_.count(key)) return true;
  if (cache_.size() >= kCacheCap) {
    cache_.erase(lru_.front());
    lru_.pop_front();
  }
  lru_.push_back(key);
  cache_.emplace(key, std::prev(lru_.end()));
  return true;
}

void BasicAuth::inherit(const BasicAuth& old) {
  if (&old == this) return;
  std::scoped_lock lk(mu_, old.mu_);
  for (const auto& key : old.lru_) {
    if (cache_.size() >= kCacheCap) break;
    if (cache_.count(key)) continue;
    lru_.push_back(key);
    cache_.emplace(key, std::prev(lru_.end()));
  }
}

std::size_t BasicAuth::cache_size() const {
  std::lock_guard lk(mu_);
  return cache_.size();
}

}  // namespace virtnet
