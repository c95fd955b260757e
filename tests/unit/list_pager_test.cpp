// Tests for core/list_pager: next links stay on the API's origin, pages are bounded, a failed
// page is retried with backoff and Retry-After before the round fails.
#include "core/list_pager.hpp"

#include <gtest/gtest.h>

#include <boost/url/parse.hpp>

namespace zefortd {
namespace {

const boost::urls::url base = *boost::urls::parse_uri("https://api.test:8443/api/");

TEST(ListPager, NextLinksResolveOnTheSameOriginOnly) {
  bool foreign = false;
  EXPECT_EQ(next_target(base, "/api/tasks/", "https://api.test:8443/api/tasks/?page=2", foreign),
            std::optional<std::string>("/api/tasks/?page=2"));
  EXPECT_EQ(next_target(base, "/api/tasks/?page=2", "?page=3", foreign),
            std::optional<std::string>("/api/tasks/?page=3"));
  EXPECT_EQ(next_target(base, "/api/tasks/", "/api/tasks/?offset=20", foreign),
            std::optional<std::string>("/api/tasks/?offset=20"));
  EXPECT_FALSE(
      next_target(base, "/api/tasks/", "https://evil.test:8443/api/tasks/?page=2", foreign));
  EXPECT_TRUE(foreign);
  EXPECT_FALSE(next_target(base, "/api/tasks/", "https://api.test/api/tasks/?page=2", foreign))
      << "another port is another origin";
  EXPECT_TRUE(foreign);
  EXPECT_FALSE(next_target(base, "/api/tasks/", "http://api.test:8443/api/tasks/", foreign));
  EXPECT_TRUE(foreign);
}

task_page page_of(std::size_t tasks, std::optional<std::string> next,
                  std::optional<std::uint64_t> count) {
  task_page p;
  for (std::size_t i = 0; i < tasks; ++i) p.tasks.push_back(task{"t" + std::to_string(i)});
  p.next = std::move(next);
  p.count = count;
  return p;
}

TEST(ListPager, FollowsPagesToTheEnd) {
  list_pager p(base);
  EXPECT_EQ(p.target(), "/api/tasks/");
  EXPECT_EQ(p.on_page(page_of(2, "?page=2", 4), {}).what, list_pager::verdict::next_page);
  EXPECT_EQ(p.target(), "/api/tasks/?page=2");
  EXPECT_EQ(p.on_page(page_of(2, std::nullopt, 4), {}).what, list_pager::verdict::complete);
}

TEST(ListPager, ALinkBackToAPageAlreadyReadEndsTheList) {
  list_pager p(base);
  EXPECT_EQ(p.on_page(page_of(1, "?page=2", std::nullopt), {}).what,
            list_pager::verdict::next_page);
  EXPECT_EQ(p.on_page(page_of(1, "/api/tasks/", std::nullopt), {}).what,
            list_pager::verdict::complete);
}

TEST(ListPager, AListThatKeepsGrowingIsCutAtTwiceItsCount) {
  list_pager p(base);
  std::size_t pages = 0;
  list_pager::step s;
  do {
    ++pages;
    s = p.on_page(page_of(10, "?page=" + std::to_string(pages + 1), 30), {});
  } while (s.what == list_pager::verdict::next_page && pages < 100000);
  EXPECT_EQ(s.what, list_pager::verdict::failed);
  EXPECT_EQ(pages, 2u * 3 + 10);
}

// Seen with 20,000 jobs: the list grew with our own submissions while a round read it, and
// "did not end after 162 pages" failed rounds of a list that did end. A later page's larger
// count moves the bound out.
TEST(ListPager, AListThatGrowsAndSaysSoIsReadToItsEnd) {
  list_pager p(base);
  list_pager::step s;
  std::size_t pages = 0;
  for (; pages < 60; ++pages) {
    const std::uint64_t count = 30 + 10 * pages;  // ten more tasks for every page read
    s = p.on_page(page_of(10, "?page=" + std::to_string(pages + 2), count), {});
    ASSERT_EQ(s.what, list_pager::verdict::next_page) << "page " << pages + 1;
  }
  s = p.on_page(page_of(10, std::nullopt, 630), {});
  EXPECT_EQ(s.what, list_pager::verdict::complete);
}

// A count that keeps growing moves the bound out (above), so time bounds the round too.
TEST(ListPager, NoRoundPagesLongerThanItWasGiven) {
  using namespace std::chrono_literals;
  list_pager p(base, 1'000, 30s);
  list_pager::step s;
  std::size_t pages = 0;
  do {
    ++pages;
    const instant at{1'000 + static_cast<steady_ms>(pages) * 1'000, 0};  // a page a second
    s = p.on_page(page_of(10, "?page=" + std::to_string(pages + 1), 30 + 10 * pages), at);
  } while (s.what == list_pager::verdict::next_page && pages < 1000);
  EXPECT_EQ(s.what, list_pager::verdict::failed);
  EXPECT_EQ(pages, 30u);
  EXPECT_NE(s.failure.message.find("did not end within 30s (polling.give_up_after)"),
            std::string::npos)
      << s.failure.message;
}

TEST(ListPager, WithoutACountTheHardCapEndsIt) {
  list_pager p(base);
  std::size_t pages = 0;
  list_pager::step s;
  do {
    ++pages;
    s = p.on_page(page_of(1, "?page=" + std::to_string(pages + 1), std::nullopt), {});
  } while (s.what == list_pager::verdict::next_page);
  EXPECT_EQ(s.what, list_pager::verdict::failed);
  EXPECT_EQ(pages, list_pager::max_pages);
}

TEST(ListPager, AFailedPageIsRetriedThenTheRoundFails) {
  list_pager p(base);
  api_failure f;
  f.verdict = retry_verdict::retry;
  f.status = 503;
  auto s1 = p.on_failure(f, {1000, 0});
  EXPECT_EQ(s1.what, list_pager::verdict::retry_later);
  EXPECT_EQ(s1.retry_at, 1200);
  f.retry_after = std::chrono::seconds(5);
  auto s2 = p.on_failure(f, {2000, 0});
  EXPECT_EQ(s2.retry_at, 7000) << "Retry-After when it asks for longer";
  EXPECT_EQ(p.on_failure(f, {8000, 0}).what, list_pager::verdict::retry_later);
  EXPECT_EQ(p.on_failure(f, {9000, 0}).what, list_pager::verdict::failed);
}

TEST(ListPager, ALaterPageThatVanishedFailsTheRoundForALaterTry) {
  list_pager p(base);
  (void)p.on_page(page_of(1, "?page=2", std::nullopt), {});
  api_failure f;
  f.verdict = retry_verdict::permanent;
  f.status = 404;
  auto s = p.on_failure(f, {});
  EXPECT_EQ(s.what, list_pager::verdict::failed);
  EXPECT_EQ(s.failure.verdict, retry_verdict::retry);
}

}  // namespace
}  // namespace zefortd
