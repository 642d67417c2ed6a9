#pragma once

#include <list>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace virtnet {

// Checks HTTP basic-auth credentials against bcrypt hashes with libxcrypt's crypt_rn, in two
// parts so that a flood of guesses can never delay a login already known good:
// - lookup(): the cheap part, for the event loop. True when these very credentials were verified
//   before: a cache of successful logins only, keyed by a SHA-256 of user, stored hash and
//   password together (exporter-toolkit's CVE-2022-46146 keyed it without the hash), at most
//   kCacheCap, the least recently used evicted one at a time. Its lock is held for the lookup
//   only, never during a bcrypt.
// - verify(): the bcrypt, for the login gate's worker only (never the event loop). An unknown
//   user is checked against a decoy hash of the highest configured cost, made at its first need,
//   so the time taken does not tell whether a user exists; the computed hash is compared in
//   constant time; a success is cached.
class BasicAuth {
 public:
  static constexpr std::size_t kCacheCap = 1024;
  // Hashes must be valid bcrypt (parse_web_config checked them). Cheap: no bcrypt here.
  explicit BasicAuth(std::map<std::string, std::string> users);
  bool lookup(const std::string& user, const std::string& password);
  bool verify(const std::string& user, const std::string& password);
  std::size_t cache_size() const;
  // A reload keeps the logins known good (a renewed certificate must not send every scraper
  // through a bcrypt again): the keys cover user, hash and password, so an entry of a removed
  // user or a changed hash never matches again.
  void inherit(const BasicAuth& old);

 private:
  const std::string& decoy();
  std::map<std::string, std::string> users_;
  int decoy_cost_ = 4;
  std::once_flag decoy_once_;
  std::string decoy_;
  mutable std::mutex mu_;       // the cache
  std::list<std::string> lru_;  // keys, most recently used last
  std::unordered_map<std::string, std::list<std::string>::iterator> cache_;
};

// Equal length and equal bytes, in time that depends only on the length.
bool constant_time_equal(const std::string& a, const std::string& b);

}  // namespace virtnet
