// The four calls of the Zefort bulk-operations API (DESIGN.md §1) over the HTTPS pool: submit,
// poll, dismiss, list. Each answer is a task or a classified api_failure; nothing here retries
// except the pool's stale-connection retry: retry policy belongs to the run state machine.
#pragma once

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>
#include <boost/url/url.hpp>
#include <string>
#include <vector>

#include "core/api_key.hpp"
#include "core/run_machine.hpp"
#include "core/task.hpp"
#include "net/https_pool.hpp"

namespace zefortd {

[[noreturn]] void throw_exception_from_error(const api_failure& f,
                                             const boost::source_location& loc);

template <class T>
using api_result = boost::system::result<T, api_failure>;

class api_client {
 public:
  // `base` ends with '/'; its host and port must match the pool's.
  api_client(https_pool& pool, boost::urls::url base, const secret& key);

  asio::awaitable<api_result<task>> submit(std::string endpoint, boost::json::object body);
  asio::awaitable<api_result<task>> poll(std::string task_id);
  asio::awaitable<api_result<task>> dismiss(std::string task_id);
  // Every task still pending in the frontend, following `next` links of a paged answer.
  asio::awaitable<api_result<std::vector<task>>> list();

  const boost::urls::url& base() const { return base_; }

 private:
  asio::awaitable<api_result<boost::json::value>> call(http::verb, std::string target,
                                                       std::string body);
  asio::awaitable<api_result<boost::json::value>> get_page(std::string target);
  std::string target_of(std::string_view relative) const;

  https_pool& pool_;
  boost::urls::url base_;
  std::string authorization_;  // "Basic …": never logged, never part of a message
};

}  // namespace zefortd
