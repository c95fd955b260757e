#!/bin/sh
# Builds Release (in build-bench beside the sources, -O2 -g1 so that perf can name frames) and
# runs every benchmark case against zefort-sandbox on loopback, printing one table of medians:
# zefortd end to end beside a Python `requests` baseline, RSS with open tasks, submissions per
# second, requests per second against wrk, journal replay, idle CPU, requests per task.
#   REPEAT=N    runs per case (default 5; REPEAT=1 for a quick pass)
#   CASES=...   a subset of: e2e python open rate pacing replay idle soak
#   BENCH_DIR   where journals and sandboxes go (default build-bench/work: a real disk, not tmpfs)
#   run-bench.sh journal [throughput|replay|batch]   the journal benchmark's own figures instead
# Needs python3-requests and wrk (bash .ci/install-deps --bench).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
build="${BUILD_DIR:-$root/build-bench}"
jobs="${JOBS:-2}"
work="${BENCH_DIR:-$build/work}"

if [ ! -f "$build/build.ninja" ]; then
  launcher=""
  command -v ccache >/dev/null 2>&1 && launcher="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
  # shellcheck disable=SC2086  # empty or one word
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -g1 -DNDEBUG" $launcher >/dev/null
fi
ninja -C "$build" -j "$jobs" zefortd zefort-sandbox journal_bench >&2

if [ "${1:-}" = journal ]; then
  shift
  mkdir -p "$work"
  cd "$work" && exec "$build/tests/journal_bench" "$@"
fi

mkdir -p "$work"
exec python3 "$root/tests/bench/bench_cases.py" "$build" "$work"
