#!/usr/bin/env bash
# Issue 7's figures: runs the 300-job all-faults integration tests (Faults.*) N times (default
# 10) from an existing build and prints one line per run and test, as the tests print them:
# wall time, requests, 429s and their share, jobs submitted twice, marked, left open.
# Usage: bash tests/faults-ten-runs.sh [BUILD_DIR] [N]   (default build/ and 10)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
runs=${2:-10}
binary="$build/tests/integration_tests"
[[ -x "$binary" ]] || { echo "faults-ten-runs: no $binary; build first" >&2; exit 1; }
failed=0
for ((i = 1; i <= runs; i++)); do
  out=$("$binary" --gtest_filter='Faults.*' 2>&1) || failed=$((failed + 1))
  grep -F '[ faults   ]' <<<"$out" | sed -E "s/; \{.*//; s/^\[ faults   \] /run $i: /"
done
echo "$runs runs, $failed with a failed assertion"
((failed == 0))
