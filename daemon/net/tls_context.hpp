// The TLS client context: peer verification against the system trust store plus an optional
// extra CA file, TLS 1.2 or newer.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <optional>

namespace zefortd {

// Throws config_error naming the CA file when it cannot be loaded.
boost::asio::ssl::context make_tls_client_context(
    const std::optional<std::filesystem::path>& extra_ca_file);

}  // namespace zefortd
