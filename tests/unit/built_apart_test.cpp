// Tests for core/built_apart: the value comes back whole, made on a thread of its own, and what
// the builder throws reaches the caller.
#include "core/built_apart.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace zefortd {
namespace {

TEST(BuiltApart, ReturnsTheValueBuiltOnAnotherThread) {
  const auto caller = std::this_thread::get_id();
  std::thread::id builder;
  auto v = built_apart([&] {
    builder = std::this_thread::get_id();
    std::vector<std::string> out;
    for (int i = 0; i < 1000; ++i) out.push_back("job-" + std::to_string(i) + std::string(40, 'x'));
    return out;
  });
  EXPECT_NE(builder, caller);
  ASSERT_EQ(v.size(), 1000u);
  EXPECT_EQ(v[999], "job-999" + std::string(40, 'x'));
}

TEST(BuiltApart, RethrowsWhatTheBuilderThrew) {
  EXPECT_THROW(built_apart([]() -> int { throw std::invalid_argument("bad file"); }),
               std::invalid_argument);
}

}  // namespace
}  // namespace zefortd
