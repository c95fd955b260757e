// zefort-sandbox: an HTTPS stand-in for the Zefort bulk-operations API, for integration tests
// and the README demo. Parses the command line, makes the TLS identity, and runs the server.
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <exception>
#include <random>
#include <string_view>
#include <vector>

#include "api.hpp"
#include "certs.hpp"
#include "log.hpp"
#include "options.hpp"
#include "server.hpp"

namespace {

// Hundreds of concurrent connections from a test can pass the default soft limit of 1024
// descriptors once the client's own are counted; the hard limit is ours to take.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int run(const zefort_sandbox::options& opts) {
  using namespace zefort_sandbox;
  std::random_device entropy;
  const std::uint64_t seed =
      opts.seed ? *opts.seed : (std::uint64_t{entropy()} << 32) | std::uint64_t{entropy()};
  // Logged so that a failing randomised run can be repeated with --seed.
  log("seed ", seed);

  const tls_identity identity = make_tls_identity();
  const std::string ca_path = opts.dir + "/ca.pem";
  write_file_atomically(ca_path, identity.ca_pem);
  log("CA certificate written to ", ca_path);

  raise_descriptor_limit();
  ssl::context tls = make_tls_context(identity);
  api handler(opts, seed);
  // Declared after what the coroutines use: destroying it destroys their frames, which must
  // still find the TLS context and the api alive.
  asio::io_context io(1);
  server listener(io, tls, handler,
                  server_settings{opts.idle_timeout, opts.keep_alive_max, opts.quiet});
  const std::string url = listener.listen(opts.listen_host, opts.listen_port);
  listener.start();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  auto on_signal = [&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log("signal ", signal, ": stopping");
    listener.stop();
    io.stop();
  };
  signals.async_wait(on_signal);

  // Test harnesses block on this line: it comes only once ca.pem exists and the socket listens.
  std::printf("listening on %s\n", url.c_str());
  std::fflush(stdout);
  log("listening on ", url, ", API key \"", opts.api_key, "\"");

  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  zefort_sandbox::options opts;
  try {
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    opts = zefort_sandbox::parse_options(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zefort-sandbox: %s\n", e.what());
    return 2;
  }
  if (opts.help) {
    std::fputs(zefort_sandbox::usage().c_str(), stdout);
    return 0;
  }
  try {
    return run(opts);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zefort-sandbox: %s\n", e.what());
    return 1;
  }
}
