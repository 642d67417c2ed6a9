#include "exporter/sources/http_get.h"

#include <curl/curl.h>
#include <string.h>

#include <stdexcept>

#include "exporter/sources/shared_library.h"

namespace virtnet {

namespace {

// libcurl opened for one call: Debian's (either flavour) links OpenSSL or GnuTLS, nghttp2, LDAP,
// SSH, Kerberos; none of it is wanted resident in the exporter, and diagnose --from needs it once.
struct Curl {
  SharedLibrary lib{{"libcurl.so.4", "libcurl-gnutls.so.4"}, "libcurl (Debian's libcurl4)"};
  decltype(&::curl_easy_init) init = nullptr;
  decltype(&::curl_easy_setopt) setopt = nullptr;
  decltype(&::curl_easy_perform) perform = nullptr;
  decltype(&::curl_easy_getinfo) getinfo = nullptr;
  decltype(&::curl_easy_cleanup) cleanup = nullptr;
  decltype(&::curl_easy_strerror) strerror = nullptr;
  Curl() {
    lib.load(init, "curl_easy_init");
    lib.load(setopt, "curl_easy_setopt");
    lib.load(perform, "curl_easy_perform");
    lib.load(getinfo, "curl_easy_getinfo");
    lib.load(cleanup, "curl_easy_cleanup");
    lib.load(strerror, "curl_easy_strerror");
  }
};

struct Sink {
  std::string* body;
  std::size_t max;
  bool too_long = false;
};

size_t on_data(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const size_t bytes = size * n;
  if (s->body->size() + bytes > s->max) {
    s->too_long = true;
    return 0;  // libcurl stops with CURLE_WRITE_ERROR
  }
  s->body->append(data, bytes);
  return bytes;
}

}  // namespace

HttpGetResult http_get(const std::string& url, const HttpGetOptions& o) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    throw std::runtime_error("not an http:// or https:// URL");
  }
  const Curl curl;
  CURL* h = curl.init();
  if (h == nullptr) throw std::runtime_error("curl_easy_init failed");
  struct Cleanup {
    const Curl& c;
    CURL* h;
    ~Cleanup() { c.cleanup(h); }
  } cleanup{curl, h};
  HttpGetResult out;
  Sink sink{&out.body, o.max_body};
  curl.setopt(h, CURLOPT_URL, url.c_str());
  curl.setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl.setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl.setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl.setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout.count()));
  curl.setopt(h, CURLOPT_WRITEFUNCTION, &on_data);
  curl.setopt(h, CURLOPT_WRITEDATA, &sink);
  curl.setopt(h, CURLOPT_USERAGENT, "virtnet_exporter diagnose");
  if (!o.username.empty()) {
    curl.setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl.setopt(h, CURLOPT_USERNAME, o.username.c_str());
    curl.setopt(h, CURLOPT_PASSWORD, o.password.c_str());
  }
  if (!o.ca_file.empty()) curl.setopt(h, CURLOPT_CAINFO, o.ca_file.c_str());
  if (!o.cert_file.empty()) curl.setopt(h, CURLOPT_SSLCERT, o.cert_file.c_str());
  if (!o.key_file.empty()) curl.setopt(h, CURLOPT_SSLKEY, o.key_file.c_str());
  if (o.insecure_skip_verify) {
    curl.setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl.setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  const CURLcode rc = curl.perform(h);
  if (sink.too_long) {
    throw std::runtime_error("the answer is over " + std::to_string(o.max_body >> 20) + " MiB");
  }
  if (rc != CURLE_OK) throw std::runtime_error(curl.strerror(rc));
  curl.getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
  return out;
}

}  // namespace virtnet
