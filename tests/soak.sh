#!/usr/bin/env bash
# Soak test of the kill -9 guarantee: runs `zefortd run` over a batch of jobs against one local
# zefort-sandbox, SIGKILLs it at a random moment (0-1.5 s after start) KILLS times, then lets a
# final run finish, and checks with the sandbox's counters that every job of every batch was
# submitted exactly once and dismissed. Builds nothing; loopback only; bounded in time.
#
#   tests/soak.sh BUILD_DIR [KILLS]        (KILLS default 1000)
#
# Environment: SOAK_JOBS (default 200), SOAK_MAX_SECONDS (default 7200: the kill loop stops
# then), SOAK_KEEP=1 keeps the work directory, SOAK_SEED seeds the kill delays.
set -euo pipefail

usage() { echo "usage: $0 BUILD_DIR [KILLS]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
build=$(cd "$1" && pwd) || usage
kills_wanted=${2:-1000}
jobs=${SOAK_JOBS:-200}
max_seconds=${SOAK_MAX_SECONDS:-7200}
[[ $kills_wanted =~ ^[0-9]+$ && $jobs =~ ^[1-9][0-9]*$ && $max_seconds =~ ^[0-9]+$ ]] || usage
RANDOM=${SOAK_SEED:-$$}
zefortd=$build/zefortd
sandbox_bin=$build/zefort-sandbox
for b in "$zefortd" "$sandbox_bin"; do
  [[ -x $b ]] || { echo "soak: $b not found; build first" >&2; exit 2; }
done
for tool in curl python3 timeout; do
  command -v "$tool" >/dev/null || { echo "soak: needs $tool" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/zefortd-soak-XXXXXX")
key=sandbox-key
sandbox_pid=
cleanup() {
  if [[ -n $sandbox_pid ]]; then
    kill -TERM "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
  if [[ ${SOAK_KEEP:-0} == 1 || ${failed:-1} == 1 ]]; then
    echo "soak: work directory kept: $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The sandbox prints one line "listening on https://127.0.0.1:PORT" once it is ready: read it
# from a FIFO rather than guessing with sleeps.
mkfifo "$work/sandbox.out"
"$sandbox_bin" --listen 127.0.0.1:0 --dir "$work" --api-key "$key" --task-duration 3s:5s \
  --quiet >"$work/sandbox.out" 2>"$work/sandbox.log" &
sandbox_pid=$!
exec 3<"$work/sandbox.out"
if ! IFS= read -r -t 30 line <&3 || [[ $line != "listening on https://127.0.0.1:"* ]]; then
  echo "soak: the sandbox did not start; see $work/sandbox.log" >&2
  exit 1
fi
base=${line#listening on }

write_config() {  # write_config TAG
  {
    echo "api:"
    echo "  base_url: \"$base/api\""
    echo "  ca_file: \"$work/ca.pem\""
    echo "  connections: 4"
    echo "  rate_limit: 0"
    echo "  timeout: 10s"
    echo "polling:"
    echo "  initial_delay: 100ms"
    echo "  max_delay: 1s"
    echo "state:"
    echo "  journal: \"$work/zefortd.journal\""
    echo "jobs:"
    for ((i = 0; i < jobs; i++)); do
      echo "  - name: job-$i"
      echo "    payload:"
      echo "      attributes:"
      echo "        end_date: \"2023-02-15\""
      echo "      status: done"
      echo "      search:"
      echo "        q_tags: \"job $i$1\""
    done
  } >"$work/zefortd.yaml"
}

stats() {
  curl --silent --show-error --fail --max-time 10 --cacert "$work/ca.pem" \
    --user "$key:" "$base/_sandbox/stats"
}

counter() {  # counter NAME: one number from the sandbox's stats
  stats | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

batch_open() {
  local json
  json=$(timeout 60 "$zefortd" status --json -c "$work/zefortd.yaml")
  [[ $json != *'"open_batches":[]'* ]]
}

export ZEFORT_APIKEY=$key
write_config ""
kills=0 exits=0 retired=0 runs=0 submitted_at_retire=0
start=$SECONDS
while ((kills < kills_wanted && SECONDS - start < max_seconds)); do
  # 0-1.5 s after the start, drawn before it.
  ms=$((RANDOM % 1501))
  delay=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
  "$zefortd" run -c "$work/zefortd.yaml" >"$work/last.out" 2>"$work/last.err" &
  pid=$!
  sleep "$delay"
  kill -KILL "$pid" 2>/dev/null || true
  status=0
  wait "$pid" 2>/dev/null || status=$?  # quiet: no "Killed" line per run
  runs=$((runs + 1))
  if ((status == 137)); then
    kills=$((kills + 1))
  elif ((status == 0)); then
    exits=$((exits + 1))
  else
    echo "soak: run $runs exited $status; stderr tail:" >&2
    tail -n 20 "$work/last.err" >&2
    exit 1
  fi
  # A run that finished, or was killed after its batch's end became durable, leaves no batch
  # open: the next run is a new batch, by design. New bodies keep "duplicate_bodies" meaning
  # "the same submission sent twice". If nothing was submitted since the bodies were last
  # renewed, the new batch's record never became durable and nothing used them.
  if ! batch_open; then
    submitted=$(counter submissions)
    if ((submitted != submitted_at_retire)); then
      retired=$((retired + 1))
      submitted_at_retire=$submitted
      write_config " batch $retired"
    fi
  fi
  if ((runs % 50 == 0)); then
    echo "soak: $kills kills, $retired batches done, $((SECONDS - start)) s" >&2
  fi
done

final=0
timeout 300 "$zefortd" run -c "$work/zefortd.yaml" >"$work/final.out" 2>"$work/final.err" ||
  final=$?
check=0
timeout 60 "$zefortd" journal check -c "$work/zefortd.yaml" >"$work/check.out" 2>&1 || check=$?
expected=$((jobs * (retired + 1)))
read -r submissions duplicates dismissals open in_doubt early < <(stats | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(*(s[k] for k in ("submissions", "duplicate_bodies", "dismissals", "open", "in_doubt",
                        "early_dismissals")))')

echo "jobs per batch:    $jobs"
echo "batches:           $((retired + 1))"
echo "kills:             $kills (of $runs runs, $exits exited by themselves, $((SECONDS - start)) s)"
echo "final run exit:    $final"
echo "journal check:     $check"
echo "submissions:       $submissions (expected $expected)"
echo "duplicates:        $duplicates"
echo "dismissals:        $dismissals (expected $expected)"
echo "open:              $open"
echo "in_doubt:          $in_doubt"
echo "early dismissals:  $early"
if ((final == 0 && check == 0 && submissions == expected && duplicates == 0 &&
     dismissals == expected && open == 0 && early == 0 && kills >= kills_wanted)); then
  failed=0
  echo PASS
else
  failed=1
  echo FAIL
  exit 1
fi
