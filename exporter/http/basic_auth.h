#pragma once

#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace virtnet {

// Checks HTTP basic-auth credentials against bcrypt hashes with libxcrypt's crypt_rn.
// - An unknown user is checked against a decoy hash of the highest configured cost, so the time
//   taken does not tell whether a user exists.
// - The computed hash is compared in constant time.
// - Results are cached (bounded) under a digest of user, stored hash and password together, so a
//   changed hash or password is never served from the cache (CVE-2022-46146 in exporter-toolkit
//   keyed it without the hash). One bcrypt runs at a time: a flood of wrong passwords costs one
//   core at most.
class BasicAuth {
 public:
  // Hashes must be valid bcrypt (parse_web_config checked them). Computes the decoy (one bcrypt).
  explicit BasicAuth(std::map<std::string, std::string> users);
  bool check(const std::string& user, const std::string& password);
  std::size_t cache_size() const;

 private:
  std::map<std::string, std::string> users_;
  std::string decoy_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, bool> cache_;  // key: SHA-256 of the three, not the password
};

// Equal length and equal bytes, in time that depends only on the length.
bool constant_time_equal(const std::string& a, const std::string& b);

}  // namespace virtnet
