#!/usr/bin/env bash
# The whole flow in one command, no Zefort account needed: builds zefortd and zefort-sandbox,
# starts the sandbox on a loopback port, runs the jobs of config/demo.yaml against it with
# `zefortd run --log-level debug` (submit, poll with backoff, dismiss), then prints
# `zefortd status` and the sandbox's counters. Exits with zefortd's exit status.
# Usage: bash tests/demo.sh        (as root on Debian 12, or with sudo for the packages)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash .ci/install-deps
# The compiler's output goes to a log, shown only if the build fails.
mkdir -p build
build_log=build/demo-build.log
echo "demo: building zefortd and zefort-sandbox in build/ (minutes the first time; log: $build_log)"
if ! { cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
  cmake --build build -j2 --target zefortd zefort-sandbox; } >"$build_log" 2>&1; then
  tail -n 50 "$build_log" >&2
  echo "demo: the build failed; the whole log is in $build_log" >&2
  exit 1
fi

demo=build/demo
rm -rf "$demo"
mkdir -p "$demo"

sandbox_pid=
stop_sandbox() {
  if [[ -n "$sandbox_pid" ]] && kill -0 "$sandbox_pid" 2>/dev/null; then
    kill -TERM "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
}
trap stop_sandbox EXIT

# The sandbox prints "listening on https://127.0.0.1:PORT" on stdout once ca.pem exists and the
# socket listens; its per-request log goes to a file, to keep zefortd's output readable.
build/zefort-sandbox --listen 127.0.0.1:0 --dir "$demo/sandbox" --task-duration 2s:5s \
  >"$demo/sandbox.out" 2>"$demo/sandbox.log" &
sandbox_pid=$!

url=
for _ in $(seq 1 300); do  # at most 30 seconds
  url=$(sed -n 's/^listening on \(https:\/\/127\.0\.0\.1:[0-9][0-9]*\)$/\1/p' "$demo/sandbox.out")
  [[ -n "$url" ]] && break
  if ! kill -0 "$sandbox_pid" 2>/dev/null; then
    echo "demo: zefort-sandbox exited before it listened:" >&2
    cat "$demo/sandbox.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$url" ]]; then
  echo "demo: zefort-sandbox did not report its address within 30 seconds; its log:" >&2
  cat "$demo/sandbox.log" >&2
  exit 1
fi
port=${url##*:}

sed "s/127\.0\.0\.1:PORT/127.0.0.1:$port/" config/demo.yaml >"$demo/zefortd.yaml"

echo
echo "=== zefort-sandbox is listening on $url (log: $demo/sandbox.log)"
echo "=== zefortd validate -c $demo/zefortd.yaml"
build/zefortd validate -c "$demo/zefortd.yaml"

echo
echo "=== ZEFORT_APIKEY=sandbox-key zefortd run -c $demo/zefortd.yaml --log-level debug"
status=0
ZEFORT_APIKEY=sandbox-key build/zefortd run -c "$demo/zefortd.yaml" --log-level debug || status=$?
echo "(zefortd run exited with status $status)"

echo
echo "=== zefortd status -c $demo/zefortd.yaml"
build/zefortd status -c "$demo/zefortd.yaml" || true

echo
echo "=== sandbox counters: GET $url/_sandbox/stats"
curl --silent --show-error --max-time 10 --cacert "$demo/sandbox/ca.pem" -u sandbox-key: \
  "$url/_sandbox/stats" || true
echo

exit "$status"
