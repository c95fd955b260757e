// Finding the API key and building the Basic auth header; see api_key.hpp.
#include "core/api_key.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/algorithm/string/trim.hpp>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace zefortd {

secret::secret(std::string_view value) : bytes_(value.begin(), value.end()) {}

secret::secret(const secret& other) : bytes_(other.bytes_) {}

secret::secret(secret&& other) noexcept : bytes_(std::move(other.bytes_)) {}

secret& secret::operator=(const secret& other) {
  if (this != &other) {
    // Wipe first: assigning into a larger buffer would otherwise leave our old tail behind.
    wipe();
    bytes_ = other.bytes_;
  }
  return *this;
}

secret& secret::operator=(secret&& other) noexcept {
  if (this != &other) {
    wipe();  // our buffer is freed by the move, and freed memory is not cleaned by anyone
    bytes_ = std::move(other.bytes_);
  }
  return *this;
}

secret::~secret() {
  wipe();
}

void secret::wipe() noexcept {
  // OPENSSL_cleanse, unlike memset, is not optimised away for memory about to be freed.
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

void throw_exception_from_error(const key_error& e, const boost::source_location&) {
  throw std::runtime_error(e.message());
}

namespace {

// A key is a few dozen characters; anything this large is the wrong file.
constexpr std::size_t max_key_file = 64 * 1024;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view s) {
  return boost::algorithm::trim_copy_if(s, is_space);
}

// A line break or ':' inside the key means the file holds something else besides it (a second
// line, "user:password"), and ':' would end the user name in the Basic credentials.
bool well_formed(std::string_view key) {
  for (char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == ':') return false;
  }
  return true;
}

// Editors on Windows start a UTF-8 file with a byte order mark; it is not part of the key, and
// sent along it would make every request fail with 401.
constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

// Copies the trimmed key into a secret after checking it; `where` names its origin for errors.
key_result make_key(std::string_view raw, const std::string& where) {
  if (raw.starts_with(utf8_bom)) raw.remove_prefix(utf8_bom.size());
  const std::string_view key = trim(raw);
  if (key.empty()) return key_error(errc::bad_api_key, where + " is empty");
  if (!well_formed(key))
    return key_error(errc::bad_api_key,
                     where +
                         " holds more than a key (a line break, control character or ':'); "
                         "it must hold the key alone");
  return secret(key);
}

std::string file_error(const std::filesystem::path& file, int error) {
  return "api key file " + file.string() + ": " + std::strerror(error);
}

// Closes the descriptor and wipes the read buffer on every path out of read_key_file.
struct key_file_reader {
  int fd = -1;
  std::vector<char> buffer;
  ~key_file_reader() {
    if (!buffer.empty()) OPENSSL_cleanse(buffer.data(), buffer.size());
    if (fd >= 0) ::close(fd);
  }
};

// `missing` is set, and nothing else happens, when the file does not exist: only the credential
// directory may lack the key, a configured file must be there.
key_result read_key_file(const std::filesystem::path& file, std::vector<std::string>& warnings,
                         bool& missing) {
  missing = false;
  key_file_reader reader;
  reader.fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (reader.fd < 0) {
    const int error = errno;
    missing = error == ENOENT;
    return key_error(errc::api_key_unreadable, file_error(file, error));
  }
  struct stat st {};
  if (::fstat(reader.fd, &st) != 0)
    return key_error(errc::api_key_unreadable, file_error(file, errno));
  if (S_ISREG(st.st_mode) && (st.st_mode & (S_IRGRP | S_IROTH)) != 0)
    warnings.push_back("api key file " + file.string() +
                       " is readable by group/others; chmod 600 it");

  // One byte more than the limit tells an oversized file from one exactly at the limit.
  reader.buffer.resize(max_key_file + 1);
  std::size_t size = 0;
  while (size < reader.buffer.size()) {
    const ssize_t n = ::read(reader.fd, reader.buffer.data() + size, reader.buffer.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return key_error(errc::api_key_unreadable, file_error(file, errno));
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  if (size > max_key_file)
    return key_error(errc::bad_api_key, "api key file " + file.string() +
                                            " is larger than 64 KiB; it must hold the key alone");
  return make_key({reader.buffer.data(), size}, "api key file " + file.string());
}

}  // namespace

key_result find_api_key(const api_config& api, const key_lookup_env& env,
                        std::vector<std::string>& warnings) {
  bool missing = false;
  if (api.api_key_file) return read_key_file(*api.api_key_file, warnings, missing);

  if (const char* dir = env.getenv("CREDENTIALS_DIRECTORY"); dir != nullptr && *dir != '\0') {
    auto key = read_key_file(std::filesystem::path(dir) / "api-key", warnings, missing);
    if (!missing) return key;
  }

  if (const char* value = env.getenv("ZEFORT_APIKEY"); value != nullptr)
    return make_key(value, "environment variable ZEFORT_APIKEY");

  return key_error(
      errc::no_api_key,
      "no API key found: set api.api_key_file in the configuration, or pass a "
      "credential named api-key (systemd LoadCredential=api-key:FILE, read from "
      "$CREDENTIALS_DIRECTORY/api-key), or set the environment variable ZEFORT_APIKEY");
}

std::string basic_auth_header(const secret& key) {
  const std::string_view k = key.reveal();
  std::vector<unsigned char> user_pass(k.begin(), k.end());
  user_pass.push_back(':');
  const std::string prefix = "Basic ";
  // EVP_EncodeBlock writes 4 characters per 3 bytes, plus a NUL.
  std::string header(prefix.size() + 4 * ((user_pass.size() + 2) / 3) + 1, '\0');
  header.replace(0, prefix.size(), prefix);
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(header.data() + prefix.size()),
                                user_pass.data(), static_cast<int>(user_pass.size()));
  header.resize(prefix.size() + static_cast<std::size_t>(n));
  OPENSSL_cleanse(user_pass.data(), user_pass.size());
  return header;
}

}  // namespace zefortd
