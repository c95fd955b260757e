// The API's task object (DESIGN §1) and the list of tasks, parsed tolerantly: unknown fields are
// ignored, missing optional ones take neutral values, and only a task without an id is refused.
#pragma once

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace zefortd {

enum class backend_state { running, done, failed };

// "done" -> done; "failed", "error", "cancelled", "canceled" -> failed; anything else, including
// "pending", "started", "" and values the API may add later, -> running. Case-insensitive.
backend_state classify_backend_status(std::string_view status);

struct task {
  std::string id;
  std::string backend_status;       // "" when absent
  std::string backend_status_info;  // why it failed, when it did
  std::string frontend_status;      // "pending" until dismissed, then "done"
  std::string description;
  boost::json::value data;  // details.data: the submitted body while pending, the result once
                            // done; null when absent

  backend_state state() const { return classify_backend_status(backend_status); }
  // The size of data.contracts when it is an array (the contracts a finished update touched),
  // else 0.
  std::size_t contracts_touched() const;
};

// errc::not_a_task unless `v` is an object with a non-empty string "id"; errc::bad_backend_status
// when its backend_status is there, not null and not a string. Another text field that holds
// another JSON type (say an object in backend_status_info) is kept as its JSON text.
boost::system::result<task> parse_task(const boost::json::value& v);

struct task_page {
  std::vector<task> tasks;
  std::optional<std::string> next;     // the next page's URL, as the server wrote it
  std::optional<std::uint64_t> count;  // the whole list's length, when the page says
  std::size_t skipped = 0;             // entries dropped for having no id (worth a log line)
};

// Either a JSON array of tasks, or a page {count, next, previous, results}. The shape must be
// right (errc::bad_response otherwise; errc::bad_backend_status for an entry that has one): a page silently cut short could make an in-doubt
// submission look absent and get it submitted twice.
boost::system::result<task_page> parse_task_list(const boost::json::value& v);

}  // namespace zefortd
