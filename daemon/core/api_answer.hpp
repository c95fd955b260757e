// What an exchange with the API means: the transport's report (transport.hpp) classified into a
// task, a page of tasks, or an api_failure that says whether to retry, whether a submission is
// in doubt, and how long the server asked us to wait. Socket-free: tested with plain values.
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/pacer.hpp"
#include "core/retry.hpp"
#include "core/task.hpp"
#include "core/transport.hpp"

namespace zefortd {

// A request that did not give the answer we wanted, classified.
struct api_failure {
  retry_verdict verdict = retry_verdict::retry;
  unsigned status = 0;  // HTTP status, 0 for a network failure
  std::optional<std::chrono::milliseconds> retry_after;
  std::string message;
};

[[noreturn]] void throw_exception_from_error(const api_failure& f,
                                             const boost::source_location& loc);

template <class T>
using api_result = boost::system::result<T, api_failure>;

// Task ids go into a URL path: only what the API hands out, never "../" or "?".
bool safe_task_id(std::string_view id);

// The answer to POST {endpoint}: any 2xx whose body is a task with a usable id. A 2xx that
// cannot be read (too large, not JSON, no id) created a task we cannot name: in doubt.
api_result<task> submit_answer(const transport_result&, std::string_view what,
                               std::chrono::system_clock::time_point now);
// The answer to GET tasks/{id}/. A task with another id, or a backend_status that is not a
// string, is a protocol error (retried, never adopted).
api_result<task> poll_answer(const transport_result&, std::string_view task_id,
                             std::string_view what, std::chrono::system_clock::time_point now);
// The answer to PATCH tasks/{id}/: any 2xx is success, whatever its body (204 included).
api_result<void> dismiss_answer(const transport_result&, std::string_view what,
                                std::chrono::system_clock::time_point now);
// One page of GET tasks/: an array, or {count, next, previous, results}.
api_result<task_page> page_answer(const transport_result&, std::string_view what,
                                  std::chrono::system_clock::time_point now);

// A failure that is not an HTTP status (the connection, TLS, the body limit), or a non-2xx
// status, classified; nullopt for a 2xx the caller must read.
std::optional<api_failure> failure_of(http_method, const transport_result&, std::string_view what,
                                      std::chrono::system_clock::time_point now);

// What an answer says about the server's load, for the pacer: 429 and 503 say "slow down",
// a status below 500 says the pace is fine, the rest (broken connections, other 5xx) says
// nothing about it.
load_signal load_of(const transport_result&);

// 401 or 403: the API key was refused. Every other request would be refused the same way.
bool key_refused(const transport_result&);

}  // namespace zefortd
