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

// Throws std::runtime_error carrying OpenSSL's error text.
tls_identity make_tls_identity();

// Writes beside the target and renames, so a reader never sees half a file. Throws
// std::runtime_error naming the path.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace zefort_sandbox
