// One read of the whole task list, page by page: which page to ask for next, where the `next`
// link may lead (the same origin only: the API key goes nowhere else), when a list that keeps
// producing pages must end, and how a failed page is retried before the round fails.
#pragma once

#include <boost/url/url.hpp>
#include <chrono>
#include <cstddef>
#include <set>
#include <string>

#include "core/api_answer.hpp"
#include "core/instant.hpp"
#include "core/task.hpp"

namespace zefortd {

class list_pager {
 public:
  // Pages of one round at most, whatever the server says.
  static constexpr std::size_t max_pages = 10000;
  // Tries of one page before the round fails.
  static constexpr unsigned page_attempts = 4;

  // `longest`, when given: a round still paging that long after `started` ends failed, since
  // every loop is bounded by polling.give_up_after (a server may well claim a growing count).
  explicit list_pager(const boost::urls::url& base, steady_ms started = 0,
                      std::chrono::milliseconds longest = {});

  // The page to ask for now: an absolute path and query on the API's origin.
  const std::string& target() const { return target_; }
  std::size_t pages() const { return pages_; }

  enum class verdict { next_page, retry_later, complete, failed };
  struct step {
    verdict what = verdict::failed;
    steady_ms retry_at = 0;  // retry_later: ask for the same page then
    api_failure failure;     // failed: why
  };

  step on_page(const task_page&, instant now);
  step on_failure(const api_failure&, instant now);

 private:
  step fail(retry_verdict, std::string message) const;

  boost::urls::url base_;
  std::string target_;
  std::set<std::string> seen_;  // a `next` that loops back must not loop us forever
  std::size_t pages_ = 0;
  std::size_t bound_ = max_pages;  // tightened by the first page's count, loosened by a later one
  std::size_t per_page_ = 0;       // the first page's length
  unsigned attempts_ = 0;          // failures of the current page
  steady_ms started_ = 0;
  std::chrono::milliseconds longest_{0};  // zero: no bound in time
};

// Resolves a page's `next` link against the page it came from. The result is an absolute path
// and query, or nullopt when the link is unusable or points to another origin (`foreign` set).
std::optional<std::string> next_target(const boost::urls::url& base, std::string_view current,
                                       std::string_view link, bool& foreign);

}  // namespace zefortd
