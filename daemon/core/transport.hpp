// What the core asks the network edge to send, and what the edge reports back: plain data, no
// sockets. The edge says what happened (status, headers, body, or how the exchange broke);
// deciding what that means (retry, in doubt, refused) is the core's business (api_answer.hpp).
#pragma once

#include <boost/system/error_code.hpp>
#include <cstdint>
#include <string>

namespace zefortd {

enum class http_method { get, post, patch };

const char* to_string(http_method);

struct transport_request {
  std::uint64_t id = 0;  // echoed back with the result
  http_method method = http_method::get;
  std::string target;  // absolute path and query on the API's origin ("/api/tasks/abc/")
  std::string body;    // JSON, empty for GET
};

// Where a failed exchange stopped.
enum class transport_stage { resolve, connect, handshake, write, read, done };

struct transport_result {
  boost::system::error_code ec;  // network, TLS, timeout; none when a status was read
  transport_stage stage = transport_stage::done;
  // The server may have seen the request: a POST that breaks after this is in doubt.
  bool maybe_sent = false;
  // The handshake failed because the certificate was refused: it will be refused again.
  bool certificate_rejected = false;
  // The handshake failed on the TLS version (the server offers none of 1.2 or later): it will
  // fail again, and not for the certificate's sake.
  bool protocol_refused = false;
  // The answer's headers were read but its body was over the limit (status is set).
  bool body_too_large = false;
  std::string error_text;  // the edge's description of ec, with the TLS check that failed

  unsigned status = 0;      // HTTP status, 0 when none was read
  std::string reason;       // the status's standard reason phrase, "" for an unknown code
  std::string retry_after;  // the Retry-After header, "" when absent
  std::string body;
};

}  // namespace zefortd
