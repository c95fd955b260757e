// A throwaway CA and a loopback server certificate, made in memory at every start with the
// OpenSSL 3 C API, so that clients verify the sandbox exactly as they verify the real API.
#pragma once

#include <string>

namespace zefort_sandbox {

struct tls_identity {
  std::string ca_pem;    // the trust anchor clients load (--cacert DIR/ca.pem)
  std::string cert_pem;  // server certificate for localhost, 127.0.0.1 and ::1
  std::string key_pem;   // server private key: stays in memory, never written out
};

// The server certificate's validity, in seconds from now (tests make expired ones).
struct tls_validity {
  long not_before = -60L * 60;  // an hour back, to tolerate clock skew
  long not_after = 30L * 24 * 60 * 60;
};

// Throws std::runtime_error carrying OpenSSL's error text.
tls_identity make_tls_identity(const tls_validity& server = {});

// Writes beside the target and renames, so a reader never sees half a file. Throws
// std::runtime_error naming the path.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace zefort_sandbox
