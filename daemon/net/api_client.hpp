// The API's transport: one transport_request (method, target, JSON body) out over the HTTPS
// pool with the API key's Basic authorization, one transport_result back saying what happened.
// It neither retries nor classifies: what an answer means is the core's (core/api_answer.hpp).
#pragma once

#include <string>

#include "core/api_key.hpp"
#include "core/transport.hpp"
#include "net/https_pool.hpp"

namespace zefortd {

class api_client {
 public:
  api_client(https_pool& pool, const secret& key);

  // Never throws for I/O failures: they are in the result.
  asio::awaitable<transport_result> send(transport_request request);

 private:
  https_pool& pool_;
  std::string authorization_;  // "Basic …": never logged, never part of a message
};

}  // namespace zefortd
