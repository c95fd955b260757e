// See tls_context.hpp.
#include "net/tls_context.hpp"

#include "core/config.hpp"

#include <openssl/ssl.h>

#include <stdexcept>

namespace zefortd {

boost::asio::ssl::context make_tls_client_context(
    const std::optional<std::filesystem::path>& extra_ca_file) {
  namespace ssl = boost::asio::ssl;
  ssl::context ctx(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  ctx.set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  ctx.set_default_verify_paths(ec);  // a machine without a system store can still use ca_file
  if (extra_ca_file) {
    ctx.load_verify_file(extra_ca_file->string(), ec);
    if (ec)
      throw config_error({*extra_ca_file, 0, 0},
                         "cannot load api.ca_file as PEM certificates: " + ec.message());
  }
  return ctx;
}

}  // namespace zefortd
