// A throwaway CA and server certificate with the OpenSSL 3 C API; see certs.hpp.
#include "certs.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace zefort_sandbox {
namespace {

template <auto fn>
struct deleter {
  template <class T>
  void operator()(T* p) const {
    fn(p);
  }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO_free_all>>;
using bn_ptr = std::unique_ptr<BIGNUM, deleter<BN_free>>;
using ext_ptr = std::unique_ptr<X509_EXTENSION, deleter<X509_EXTENSION_free>>;

[[noreturn]] void fail(const char* what) {
  std::string message = std::string("certificate generation: ") + what + " failed";
  char text[256];
  while (const unsigned long code = ERR_get_error()) {
    ERR_error_string_n(code, text, sizeof text);
    message.append("; ").append(text);
  }
  throw std::runtime_error(message);
}

void check(int ok, const char* what) {
  if (ok != 1) fail(what);
}

pkey_ptr make_p256_key() {
  pkey_ptr key(EVP_EC_gen("P-256"));
  if (!key) fail("EVP_EC_gen(P-256)");
  return key;
}

// Shared by both certificates: version 3, a random positive serial (RFC 5280 allows at most
// 20 octets: 159 bits keeps the top bit clear), validity an hour back to tolerate clock skew.
x509_ptr new_certificate(EVP_PKEY* subject_key, const char* common_name) {
  x509_ptr cert(X509_new());
  if (!cert) fail("X509_new");
  check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");

  bn_ptr serial(BN_new());
  if (!serial) fail("BN_new");
  check(BN_rand(serial.get(), 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY), "BN_rand");
  if (!BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
    fail("BN_to_ASN1_INTEGER");

  const tls_validity valid{};
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), valid.not_before)) fail("X509_gmtime_adj");
  if (!X509_gmtime_adj(X509_getm_notAfter(cert.get()), valid.not_after)) fail("X509_gmtime_adj");
  check(X509_set_pubkey(cert.get(), subject_key), "X509_set_pubkey");

  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("zefortd"), -1, -1, 0),
        "X509_NAME_add_entry_by_txt(O)");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0),
        "X509_NAME_add_entry_by_txt(CN)");
  return cert;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ext_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext) fail(OBJ_nid2sn(nid));
  check(X509_add_ext(cert, ext.get(), -1), "X509_add_ext");
}

std::string to_pem(X509* cert) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio) fail("BIO_new");
  check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string to_pem(EVP_PKEY* key) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio) fail("BIO_new");
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
        "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

tls_identity make_tls_identity(const tls_validity& validity) {
  pkey_ptr ca_key = make_p256_key();
  x509_ptr ca = new_certificate(ca_key.get(), "zefort-sandbox CA");
  check(X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get())), "X509_set_issuer_name");
  add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  if (!X509_sign(ca.get(), ca_key.get(), EVP_sha256())) fail("X509_sign(CA)");

  pkey_ptr server_key = make_p256_key();
  x509_ptr server = new_certificate(server_key.get(), "localhost");
  check(X509_set_issuer_name(server.get(), X509_get_subject_name(ca.get())),
        "X509_set_issuer_name");
  add_extension(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  // digitalSignature is what an ECDSA key signs the ECDHE handshake with.
  add_extension(server.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(server.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  add_extension(server.get(), ca.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
  add_extension(server.get(), ca.get(), NID_subject_key_identifier, "hash");
  add_extension(server.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
  if (!X509_gmtime_adj(X509_getm_notBefore(server.get()), validity.not_before) ||
      !X509_gmtime_adj(X509_getm_notAfter(server.get()), validity.not_after))
    fail("X509_gmtime_adj");
  if (!X509_sign(server.get(), ca_key.get(), EVP_sha256())) fail("X509_sign(server)");

  // The CA key goes out of scope here: nothing can sign with this CA once it has started.
  return tls_identity{to_pem(ca.get()), to_pem(server.get()), to_pem(server_key.get())};
}

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::filesystem::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  if (ec)
    throw std::runtime_error("cannot create directory " + target.parent_path().string() + ": " +
                             ec.message() + "; check --dir");

  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* file = std::fopen(temp.c_str(), "wb");
  if (!file)
    throw std::runtime_error("cannot write " + temp + ": " + std::strerror(errno) +
                             "; check --dir");
  const bool written = std::fwrite(content.data(), 1, content.size(), file) == content.size() &&
                       std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
  const int saved_errno = errno;
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) {
    std::remove(temp.c_str());
    throw std::runtime_error("cannot write " + temp + ": " + std::strerror(saved_errno));
  }
  std::filesystem::rename(temp, target, ec);
  if (ec) {
    std::remove(temp.c_str());
    throw std::runtime_error("cannot rename " + temp + " to " + path + ": " + ec.message());
  }
}

}  // namespace zefort_sandbox
