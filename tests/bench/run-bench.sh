#!/bin/sh
# Builds the benchmarks (Release, in build-bench beside the sources) if needed and runs each one,
# printing its figures. BENCH_DIR picks the file system the journals go to (default: here).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
build="${BUILD_DIR:-$root/build-bench}"
jobs="${JOBS:-2}"

if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi

benches=""
for src in "$root"/tests/bench/*.cpp; do
  [ -e "$src" ] || continue
  benches="$benches $(basename "$src" .cpp)"
done
[ -n "$benches" ] || { echo "no benchmarks in tests/bench" >&2; exit 1; }

# shellcheck disable=SC2086  # the list is meant to split
ninja -C "$build" -j "$jobs" $benches

for b in $benches; do
  echo "== $b"
  "$build/tests/$b" "$@"
done
