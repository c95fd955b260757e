// Building a value whose construction needs far more memory than the value itself, without the
// process keeping that memory resident afterwards.
//
// yaml-cpp holds a parsed file in nodes of about 300 bytes each: 60 MB for a configuration of
// 20,000 jobs, freed as soon as the configuration is read. Freed, but not returned: the
// configuration's own strings were allocated between those nodes, so hardly a page of the heap
// came free as a whole, and the daemon stayed at its load-time peak for good. Built on a thread
// of its own, the nodes (and the first copy of the value) live in that thread's malloc arena;
// the copy returned is made on the caller's thread, in its arena, and once the other arena's
// allocations are freed malloc_trim hands its pages back.
#pragma once

#include <malloc.h>

#include <exception>
#include <optional>
#include <thread>
#include <utility>

namespace zefortd {

// Calls make() on a thread of its own and returns a copy of its result made on this thread.
// What make() throws is rethrown here.
template <class Make>
auto built_apart(Make make) -> decltype(make()) {
  using value = decltype(make());
  std::optional<value> built;
  std::exception_ptr failure;
  std::thread builder([&] {
    try {
      built.emplace(make());
      // What make() freed (the YAML tree) is handed back before the copy below is made, or the
      // peak would hold both.
      ::malloc_trim(0);
    } catch (...) {
      failure = std::current_exception();
    }
  });
  builder.join();
  if (failure) std::rethrow_exception(failure);
  value kept = *built;  // a copy: allocated in this thread's arena
  built.reset();
  ::malloc_trim(0);
  return kept;
}

}  // namespace zefortd
