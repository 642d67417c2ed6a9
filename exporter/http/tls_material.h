#pragma once

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <memory>
#include <string>

#include "exporter/http/web_config.h"

namespace virtnet {

// What a TLS handshake needs, loaded from tls_server_config's files and checked (the key matches
// the certificate, the client CA file holds certificates, the versions are ones GnuTLS allows).
// The key is kept in memory, never logged.
struct TlsMaterial {
  TlsSettings settings;
  std::string cert_pem;  // the chain, leaf first
  std::string key_pem;
  std::string priorities;  // GnuTLS priority string for min_version..max_version
  gnutls_x509_trust_list_t client_cas = nullptr;

  TlsMaterial() = default;
  TlsMaterial(const TlsMaterial&) = delete;
  TlsMaterial& operator=(const TlsMaterial&) = delete;
  ~TlsMaterial();
};

// Reads and checks the files; throws ConfigError "cert_file /path: why".
std::shared_ptr<const TlsMaterial> load_tls_material(const TlsSettings& s);

// The TLS material new connections use. Set by the web config watcher, read by the handshake
// callbacks (libmicrohttpd gives those no user pointer).
void set_current_tls(std::shared_ptr<const TlsMaterial> m);

// For libmicrohttpd's MHD_OPTION_HTTPS_CERT_CALLBACK2: hands GnuTLS a fresh copy of the current
// certificate chain and key for each handshake (GnuTLS frees it), so a reload never frees what a
// handshake in progress holds.
int tls_retrieve_certificate(gnutls_session_t, const struct gnutls_cert_retr_st*,
                             gnutls_pcert_st** certs, unsigned* ncerts, gnutls_ocsp_data_st**,
                             unsigned* nocsp, gnutls_privkey_t* key, unsigned* flags);

// Called when a connection is accepted, before any byte of its handshake: applies the versions
// and the client-certificate policy of the current material to the session. False if it could
// not (the connection is then closed).
bool tls_prepare_session(gnutls_session_t session);

}  // namespace virtnet
