// The API's semantics, one request in, one planned reply out: auth, routing, validation,
// pagination, injected faults and counting. Socket-free; server.cpp carries the plan out.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "faults.hpp"
#include "options.hpp"
#include "store.hpp"
#include "throttle.hpp"

namespace zefort_sandbox {

struct api_request {
  std::string_view method;  // as sent: "GET", "PATCH", ...
  std::string_view target;  // path and query
  std::string_view authorization;
  std::string_view host;  // the Host header, or the listening address when there is none
  std::string_view content_type;
  std::string_view body;
};

struct api_reply {
  bool drop = false;  // close the connection without answering
  unsigned status = 500;
  std::string body;  // JSON
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::microseconds delay{0};  // wait this long before answering (or dropping)
  std::string note;                    // for the request's log line
};

class api {
 public:
  api(const options& opts, std::uint64_t seed);

  api_reply handle(const api_request& request, time_point now);

  // For the server's own counters (connections).
  counters& count() { return store_.count(); }
  // For the simulation's diagnosis: which task holds which body.
  const store& tasks() const { return store_; }

 private:
  bool authorized(std::string_view authorization) const;
  api_reply route(const api_request& request, std::string_view path, std::string_view query,
                  time_point now);
  api_reply submit(const api_request& request, time_point now);
  api_reply poll(std::string_view id, time_point now);
  api_reply dismiss(const api_request& request, std::string_view id, time_point now);
  api_reply list(std::string_view host, std::string_view path, std::string_view query,
                 time_point now);

  std::string api_key_;
  unsigned submit_status_;
  list_format format_;
  std::size_t page_size_;
  unsigned retry_after_;
  std::chrono::microseconds slow_;
  store store_;
  throttle throttle_;
  fault_injector faults_;
};

// Standard base64 (RFC 4648 section 4) with padding; false on any bad character.
bool decode_base64(std::string_view text, std::string& out);

}  // namespace zefort_sandbox
