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

// Each TLS session keeps the material it was accepted with for its whole life: a reload between
// the accept and the handshake, or during the connection, never mixes two loads' keys and CAs.
//
// Called when a connection is accepted, before any byte of its handshake: applies the versions and
// the client-certificate policy of `m` to the session and records `m` as the session's. False when
// it could not (or `m` is null): the session is then refused, its handshake fails at the
// certificate callback, and no request is ever served on it (fail closed).
bool tls_attach(gnutls_session_t session, std::shared_ptr<const TlsMaterial> m);
// When the connection closes: forgets the session. `session` is only a key here (libmicrohttpd
// may have freed it already): it is never dereferenced.
void tls_detach(gnutls_session_t session);
std::size_t tls_sessions();  // attached now (for tests)

// For libmicrohttpd's MHD_OPTION_HTTPS_CERT_CALLBACK2: hands GnuTLS a fresh copy of the session's
// certificate chain and key for each handshake (GnuTLS frees it), so a reload never frees what a
// handshake in progress holds. A session that was not attached gets none: its handshake fails.
int tls_retrieve_certificate(gnutls_session_t, const struct gnutls_cert_retr_st*,
                             gnutls_pcert_st** certs, unsigned* ncerts, gnutls_ocsp_data_st**,
                             unsigned* nocsp, gnutls_privkey_t* key, unsigned* flags);

}  // namespace virtnet
