// See core_dumps.hpp.
#include "core/core_dumps.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>

namespace zefortd {

std::error_code disable_core_dumps() {
  std::error_code first;
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) first = {errno, std::system_category()};
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0 && !first) first = {errno, std::system_category()};
  return first;
}

}  // namespace zefortd
