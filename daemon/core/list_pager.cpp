// See list_pager.hpp.
#include "core/list_pager.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>

#include "core/duration.hpp"

namespace zefortd {
namespace urls = boost::urls;

namespace {

std::uint16_t effective_port(const urls::url_view& u) {
  if (u.has_port()) return u.port_number();
  return u.scheme() == "https" ? 443 : 80;
}

}  // namespace

std::optional<std::string> next_target(const urls::url& base, std::string_view current,
                                       std::string_view link, bool& foreign) {
  foreign = false;
  auto ref = urls::parse_uri_reference(link);
  if (!ref) return std::nullopt;
  urls::url here = base;
  const auto q = current.find('?');
  here.set_encoded_path(current.substr(0, q));
  if (q != std::string_view::npos)
    here.set_encoded_query(current.substr(q + 1));
  else
    here.remove_query();
  urls::url next;
  if (!urls::resolve(here, *ref, next)) return std::nullopt;
  if (next.scheme() != base.scheme() || next.encoded_host() != base.encoded_host() ||
      effective_port(next) != effective_port(base)) {
    foreign = true;
    return std::nullopt;
  }
  std::string target(next.encoded_path());
  if (target.empty()) target = "/";
  if (next.has_query()) (target += '?') += std::string(next.encoded_query());
  return target;
}

list_pager::list_pager(const urls::url& base, steady_ms started, std::chrono::milliseconds longest)
    : base_(base), started_(started), longest_(longest) {
  target_ = std::string(base_.encoded_path());
  if (target_.empty() || target_.back() != '/') target_ += '/';
  target_ += "tasks/";
  seen_.insert(target_);
}

list_pager::step list_pager::fail(retry_verdict v, std::string message) const {
  step s;
  s.what = verdict::failed;
  s.failure.verdict = v;
  s.failure.message = "GET " + target_ + ": " + message;
  return s;
}

list_pager::step list_pager::on_page(const task_page& page, instant now) {
  ++pages_;
  attempts_ = 0;
  // The first page says how long the list is: more than twice the pages that takes (the list
  // may grow while we read it) means it is not a list that ends. A later page that says the
  // list is longer now (our own batch still submitting) moves the bound out, never in, and
  // never past max_pages or give_up_after (the engine's).
  if (pages_ == 1 && page.count && page.next && !page.tasks.empty()) {
    per_page_ = page.tasks.size();
    bound_ = 0;
  }
  if (per_page_ > 0 && page.count) {
    const std::uint64_t needed = (*page.count + per_page_ - 1) / per_page_;
    bound_ = std::max(
        bound_, static_cast<std::size_t>(std::min<std::uint64_t>(max_pages, 2 * needed + 10)));
  }
  if (!page.next) return {verdict::complete, 0, {}};
  if (pages_ >= bound_)
    return fail(retry_verdict::retry,
                "the task list did not end after " + std::to_string(pages_) + " pages");
  bool foreign = false;
  auto next = next_target(base_, target_, *page.next, foreign);
  if (!next)
    return fail(foreign ? retry_verdict::permanent : retry_verdict::retry,
                foreign ? "next link points to another host; not following" : "bad next link");
  if (!seen_.insert(*next).second)
    return {verdict::complete, 0, {}};  // a link back to a page already read: the end
  if (longest_.count() > 0 && now.steady - started_ >= longest_.count())
    return fail(retry_verdict::retry, "the task list did not end within " +
                                          format_duration(longest_) + " (polling.give_up_after)");
  target_ = std::move(*next);
  return {verdict::next_page, 0, {}};
}

list_pager::step list_pager::on_failure(const api_failure& f, instant now) {
  step s;
  s.failure = f;
  // A later page that vanished means the list changed under us: start over, later.
  if (pages_ > 0 && f.status == 404) {
    s.what = verdict::failed;
    s.failure.verdict = retry_verdict::retry;
    return s;
  }
  if (f.verdict == retry_verdict::permanent || ++attempts_ >= page_attempts) {
    s.what = verdict::failed;
    return s;
  }
  // One bad answer among dozens of pages must not throw the whole listing away.
  const steady_ms backoff = 200LL << (attempts_ - 1);
  const steady_ms asked = f.retry_after ? f.retry_after->count() : 0;
  s.what = verdict::retry_later;
  s.retry_at = now.steady + std::max(backoff, asked);
  return s;
}

}  // namespace zefortd
