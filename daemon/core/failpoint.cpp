// See failpoint.hpp.
#include "core/failpoint.hpp"

#include <csignal>
#include <cstdlib>
#include <string>

namespace zefortd {
namespace {

struct armed {
  std::string name;
  long countdown = 0;
};

armed* parse_env() {
  const char* v = std::getenv("ZEFORTD_FAILPOINT");
  if (!v || !*v) return nullptr;
  static armed a;
  std::string s(v);
  auto colon = s.find(':');
  a.name = s.substr(0, colon);
  a.countdown = colon == std::string::npos ? 1 : std::atol(s.c_str() + colon + 1);
  if (a.countdown < 1) a.countdown = 1;
  return &a;
}

}  // namespace

void failpoint(std::string_view name) {
  static armed* a = parse_env();
  if (!a || a->name != name) return;
  if (--a->countdown == 0) std::raise(SIGKILL);
}

}  // namespace zefortd
