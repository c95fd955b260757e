#!/usr/bin/python3
# The cases of tests/bench/run-bench.sh: zefortd and zefort-sandbox as real processes over HTTPS
# on loopback, the Python `requests` baseline, wrk, and the journal benchmark; each figure the
# median of REPEAT runs, printed as one table. Stdlib only (the baseline alone needs requests).
# Usage: bench_cases.py BUILD_DIR WORK_DIR   (environment: REPEAT, JOBS_E2E, OPEN_TASKS, ...,
# ZEFORTD_WRAP; see the constants below)
import base64
import json
import os
import re
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

BUILD, WORK = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
HERE = os.path.dirname(os.path.abspath(__file__))
ZEFORTD = os.path.join(BUILD, "zefortd")
SANDBOX = os.path.join(BUILD, "zefort-sandbox")
JOURNAL_BENCH = os.path.join(BUILD, "tests", "journal_bench")
KEY = "sandbox-key"
REPEAT = int(os.environ.get("REPEAT", "5"))
JOBS_E2E = int(os.environ.get("JOBS_E2E", "5000"))
OPEN_TASKS = int(os.environ.get("OPEN_TASKS", "20000"))
IDLE_TASKS = int(os.environ.get("IDLE_TASKS", "1000"))
IDLE_SECONDS = float(os.environ.get("IDLE_SECONDS", "30"))
THROUGHPUT_TASKS = int(os.environ.get("THROUGHPUT_TASKS", "1000"))
WINDOW = float(os.environ.get("WINDOW", "5"))
PACING_JOBS = int(os.environ.get("PACING_JOBS", "1000"))
PACING_LIMIT = 150
SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
SOAK_WARMUP = float(os.environ.get("SOAK_WARMUP", "60"))
SOAK_SAMPLE = float(os.environ.get("SOAK_SAMPLE", "1"))
# The soak lowers zefortd's compaction bound (default 1 MiB, which `@every 1s` reaches after
# about an hour) so that ten minutes see several compactions.
SOAK_COMPACT_BYTES = int(os.environ.get("SOAK_COMPACT_BYTES", "65536"))
PY_THREADS = [int(t) for t in os.environ.get("PY_THREADS", "64 128 256").split()]
CONNECTIONS = 8
TICK = os.sysconf("SC_CLK_TCK")


def log(*args):
    print("bench:", *args, file=sys.stderr, flush=True)


class Sandbox:
    """zefort-sandbox on an ephemeral loopback port; ready once it printed its URL."""

    def __init__(self, directory, *args):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.err = open(os.path.join(directory, "sandbox.log"), "ab")
        self.proc = subprocess.Popen(
            [SANDBOX, "--listen", "127.0.0.1:0", "--dir", directory, "--api-key", KEY, "--quiet",
             *args], stdout=subprocess.PIPE, stderr=self.err, stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode()
        m = re.match(r"listening on (https://\S+)", line)
        if not m:
            raise SystemExit(f"bench: the sandbox did not start ({line!r}); see {directory}")
        self.url = m.group(1)
        self.ca = os.path.join(directory, "ca.pem")
        self.tls = ssl.create_default_context(cafile=self.ca)
        self.auth = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": self.auth,
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=self.tls, timeout=30) as r:
            return json.loads(r.read())

    def stats(self):
        return self.call("GET", "/_sandbox/stats")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait()
        self.err.close()


def write_config(directory, sandbox, jobs, polling):
    lines = ["api:", f"  base_url: {sandbox.url}/api", f"  ca_file: {sandbox.ca}",
             "  timeout: 30s", f"  connections: {CONNECTIONS}", "  rate_limit: 0", "polling:"]
    lines += [f"  {k}: {v}" for k, v in polling.items()]
    lines += ["state:", f"  journal: {directory}/zefortd.journal", "jobs:"]
    for i in range(jobs):
        # Bodies differ, as real jobs' do: in-doubt matching compares them. Flow style keeps
        # 20,000 jobs under the 1 MiB a configuration file may have.
        lines.append(f"  - {{name: j{i:05d}, payload: {{search: {{q: {i}}}}}}}")
    path = os.path.join(directory, "zefortd.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def daemon_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("NOTIFY_SOCKET", "STATE_DIRECTORY", "CONFIGURATION_DIRECTORY",
                        "CREDENTIALS_DIRECTORY", "JOURNAL_STREAM", "WATCHDOG_USEC")}
    env["ZEFORT_APIKEY"] = KEY
    env.update(extra or {})
    return env


def start_daemon(command, config, directory, extra_env=None):
    out = open(os.path.join(directory, f"zefortd-{command}.log"), "ab")
    # ZEFORTD_WRAP, e.g. "perf record -g -o /tmp/perf.data": a profiler around zefortd (the
    # figures are then the profiler's too).
    wrap = os.environ.get("ZEFORTD_WRAP", "").split()
    proc = subprocess.Popen([*wrap, ZEFORTD, command, "-c", config, "--log-level", "warning"],
                            stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                            env=daemon_env(extra_env))
    out.close()
    return proc


def reap(proc):
    """Waits for proc; returns (exit status, rusage) of that process alone."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (all threads)


def status_kb(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def wait_for(sandbox, proc, key, value, limit):
    """Polls the sandbox's counters until stats[key] >= value; returns the seconds taken."""
    start = time.monotonic()
    while True:
        if sandbox.stats()[key] >= value:
            return time.monotonic() - start
        if proc.poll() is not None:
            raise SystemExit(f"bench: zefortd exited with {proc.returncode} before {key}={value}")
        if time.monotonic() - start > limit:
            return None
        time.sleep(0.05)


def fresh_dir(name):
    return tempfile.mkdtemp(prefix=f"{name}-", dir=WORK)


# ---- the cases ---------------------------------------------------------------------------------

E2E_POLLING = {"initial_delay": "500ms", "max_delay": "2s", "multiplier": 2,
               "give_up_after": "10m", "list_above": 50}
E2E_SANDBOX = ("--task-duration", "200ms:1500ms", "--page-size", "100")


def case_e2e():
    d = fresh_dir("e2e")
    sb = Sandbox(os.path.join(d, "sandbox"), *E2E_SANDBOX)
    config = write_config(d, sb, JOBS_E2E, E2E_POLLING)
    before = sb.stats()["requests"]
    start = time.monotonic()
    proc = start_daemon("run", config, d)
    rc, usage = reap(proc)
    wall = time.monotonic() - start
    stats = sb.stats()
    sb.stop()
    if rc != 0:
        raise SystemExit(f"bench: zefortd run exited with {rc}; see {d}")
    requests_made = stats["requests"] - before
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall": wall, "jobs_s": JOBS_E2E / wall, "req_s": requests_made / wall,
            "cpu_us_req": cpu / requests_made * 1e6, "rss_mb": usage.ru_maxrss / 1024,
            "req_task": requests_made / JOBS_E2E, "submissions": stats["submissions"],
            "dismissals": stats["dismissals"]}


def case_python(threads):
    d = fresh_dir("python")
    sb = Sandbox(os.path.join(d, "sandbox"), *E2E_SANDBOX)
    before = sb.stats()["requests"]
    start = time.monotonic()
    proc = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "python_baseline.py"),
                             sb.url + "/api/", sb.ca, KEY, str(JOBS_E2E), str(threads), "0.5",
                             "2"], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    out = proc.stdout.read()
    rc, usage = reap(proc)
    wall = time.monotonic() - start
    stats = sb.stats()
    sb.stop()
    if rc != 0:
        raise SystemExit(f"bench: python_baseline exited with {rc}")
    json.loads(out)
    requests_made = stats["requests"] - before
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall": wall, "jobs_s": JOBS_E2E / wall, "req_s": requests_made / wall,
            "cpu_us_req": cpu / requests_made * 1e6, "rss_mb": usage.ru_maxrss / 1024,
            "req_task": requests_made / JOBS_E2E, "threads": threads}


def case_open_tasks():
    """20,000 jobs whose tasks never finish: submissions/s, then the resident size."""
    d = fresh_dir("open")
    sb = Sandbox(os.path.join(d, "sandbox"), "--task-duration", "1h", "--page-size", "100")
    polling = {"initial_delay": "2s", "max_delay": "2m", "give_up_after": "1d"}
    config = write_config(d, sb, OPEN_TASKS, polling)
    proc = start_daemon("run", config, d)
    took = wait_for(sb, proc, "submissions", OPEN_TASKS, 120)
    submitted = sb.stats()["submissions"]
    time.sleep(2)  # a list round or two over all of them
    rss = status_kb(proc.pid, "VmRSS")
    hwm = status_kb(proc.pid, "VmHWM")
    proc.send_signal(signal.SIGTERM)
    reap(proc)
    sb.stop()
    return {"submit_s": took if took is not None else float("nan"),
            "subs_per_s": submitted / took if took else float("nan"),
            "rss_mb": rss / 1024, "hwm_mb": hwm / 1024,
            "bytes_per_task": rss * 1024 / OPEN_TASKS}


def wrk_rate(sb, task):
    out = subprocess.run(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{int(WINDOW)}s", "-H",
                          f"Authorization: {sb.auth}", f"{sb.url}/api/tasks/{task}/"],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m or "Non-2xx" in out:
        raise SystemExit("bench: wrk: " + out)
    return float(m.group(1))


def case_throughput():
    """Polling as fast as allowed (5 ms, list_above 0) against wrk on the same sandbox."""
    d = fresh_dir("rate")
    sb = Sandbox(os.path.join(d, "sandbox"), "--task-duration", "1h")
    polling = {"initial_delay": "5ms", "max_delay": "5ms", "give_up_after": "1d",
               "list_above": 0}
    config = write_config(d, sb, THROUGHPUT_TASKS, polling)
    proc = start_daemon("run", config, d)
    wait_for(sb, proc, "submissions", THROUGHPUT_TASKS, 120)
    time.sleep(1)
    r0, c0, t0 = sb.stats()["requests"], cpu_seconds(proc.pid), time.monotonic()
    time.sleep(WINDOW)
    r1, c1, t1 = sb.stats()["requests"], cpu_seconds(proc.pid), time.monotonic()
    proc.send_signal(signal.SIGTERM)
    reap(proc)
    task = sb.call("POST", "/api/contracts/bulk_update/", {"search": {"q_tags": "wrk"}})["id"]
    wrk = wrk_rate(sb, task)
    sb.stop()
    rate = (r1 - r0) / (t1 - t0)
    return {"req_s": rate, "wrk_req_s": wrk, "ratio": rate / wrk,
            "cpu_us_req": (c1 - c0) / (r1 - r0) * 1e6}


def case_pacing():
    """A server that rate-limits at 150 req/s (token bucket, 429 with the Retry-After after
    which a request would pass) and zefortd with no rate_limit of its own, as a new user would
    configure it: the share of answers that were 429, which adaptive pacing keeps small."""
    d = fresh_dir("pacing")
    sb = Sandbox(os.path.join(d, "sandbox"), "--task-duration", "200ms:1500ms", "--page-size",
                 "100", "--rate-limit", str(PACING_LIMIT))
    config = write_config(d, sb, PACING_JOBS, E2E_POLLING)
    start = time.monotonic()
    rc, _ = reap(start_daemon("run", config, d))
    wall = time.monotonic() - start
    stats = sb.stats()
    sb.stop()
    if rc != 0:
        raise SystemExit(f"bench: zefortd run exited with {rc}; see {d}")
    return {"wall": wall, "requests": stats["requests"], "limited": stats["rate_limited"],
            "share_pct": stats["rate_limited"] / stats["requests"] * 100,
            "req_s": stats["requests"] / wall}


def case_idle():
    """serve holding 1,000 open tasks whose polls are at max_delay: CPU over IDLE_SECONDS."""
    d = fresh_dir("idle")
    sb = Sandbox(os.path.join(d, "sandbox"), "--task-duration", "1h", "--page-size", "100")
    polling = {"initial_delay": "2m", "max_delay": "2m", "give_up_after": "1d"}
    config = write_config(d, sb, IDLE_TASKS, polling)
    proc = start_daemon("serve", config, d)
    wait_for(sb, proc, "submissions", IDLE_TASKS, 120)
    time.sleep(2)
    r0, c0, t0 = sb.stats()["requests"], cpu_seconds(proc.pid), time.monotonic()
    time.sleep(IDLE_SECONDS)
    r1, c1, t1 = sb.stats()["requests"], cpu_seconds(proc.pid), time.monotonic()
    proc.send_signal(signal.SIGTERM)
    reap(proc)
    sb.stop()
    return {"core_pct": (c1 - c0) / (t1 - t0) * 100, "req_s": (r1 - r0) / (t1 - t0)}


def case_soak():
    """serve with one `@every 1s` job for SOAK_SECONDS: VmRSS and the journal's size, sampled
    every SOAK_SAMPLE s. "Flat" is the spread of RSS after SOAK_WARMUP s (allocator arenas and
    the first compaction settle in that time). "Bounded" is a sawtooth: the journal is compacted
    (its size drops) and what a compaction leaves does not grow with the runs behind it."""
    d = fresh_dir("soak")
    sb = Sandbox(os.path.join(d, "sandbox"), "--task-duration", "50ms:200ms")
    journal = os.path.join(d, "zefortd.journal")
    config = os.path.join(d, "zefortd.yaml")
    with open(config, "w") as f:
        f.write("\n".join([
            "api:", f"  base_url: {sb.url}/api", f"  ca_file: {sb.ca}", "  timeout: 30s",
            "  rate_limit: 0", "polling:", "  initial_delay: 100ms", "  max_delay: 500ms",
            "state:", f"  journal: {journal}", "jobs:",
            "  - name: every-second", '    schedule: "@every 1s"', "    overlap: skip",
            "    payload: {search: {q_tags: soak}, set: {tags_add: [soaked]}}"]) + "\n")
    proc = start_daemon("serve", config, d, {"ZEFORTD_COMPACT_BYTES": str(SOAK_COMPACT_BYTES)})
    start = time.monotonic()
    samples = []  # (seconds since start, VmRSS kB, journal bytes)
    while (t := time.monotonic() - start) < SOAK_SECONDS:
        if proc.poll() is not None:
            raise SystemExit(f"bench: zefortd serve exited with {proc.returncode}; see {d}")
        size = os.path.getsize(journal) if os.path.exists(journal) else 0
        samples.append((t, status_kb(proc.pid, "VmRSS"), size))
        time.sleep(SOAK_SAMPLE)
    stats = sb.stats()
    cpu = cpu_seconds(proc.pid)
    proc.send_signal(signal.SIGTERM)
    rc, _ = reap(proc)
    sb.stop()
    if rc != 0:
        raise SystemExit(f"bench: zefortd serve exited with {rc} on SIGTERM; see {d}")
    after = [s for s in samples if s[0] >= SOAK_WARMUP] or samples
    # A sample smaller than the one before follows a compaction: what it left, plus a moment.
    left = [b[2] for a, b in zip(after, after[1:]) if b[2] < a[2]]
    with open(os.path.join(d, "soak-samples.tsv"), "w") as f:
        f.writelines(f"{t:.1f}\t{rss}\t{size}\n" for t, rss, size in samples)
    return {"runs": stats["submissions"], "dismissals": stats["dismissals"],
            "rss_warm_mb": after[0][1] / 1024, "rss_end_mb": samples[-1][1] / 1024,
            "rss_spread_mb": (max(s[1] for s in after) - min(s[1] for s in after)) / 1024,
            "journal_peak_kb": max(s[2] for s in after) / 1024,
            "compactions": len(left),
            "left_first_kb": left[0] / 1024 if left else float("nan"),
            "left_last_kb": left[-1] / 1024 if left else float("nan"),
            "core_pct": cpu / (time.monotonic() - start) * 100}


def case_replay():
    out = subprocess.run([JOURNAL_BENCH, "replay"], capture_output=True, text=True, check=True,
                         cwd=WORK).stdout
    wall = re.search(r"open \+ replay: ([\d.]+) ms", out)
    cpu = re.search(r"open \+ replay, CPU time: ([\d.]+) ms", out)
    return {"replay_ms": float(wall.group(1)), "replay_cpu_ms": float(cpu.group(1))}


# ---- the table -----------------------------------------------------------------------------------

def medians(samples):
    return {k: statistics.median(s[k] for s in samples) for k in samples[0]
            if isinstance(samples[0][k], (int, float))}


def repeat(name, case, times=REPEAT):
    samples = []
    for i in range(times):
        log(f"{name} {i + 1}/{times}")
        samples.append(case())
        log("  ", json.dumps(samples[-1]))
    return medians(samples)


def main():
    os.makedirs(WORK, exist_ok=True)
    only = os.environ.get("CASES", "e2e python open rate pacing replay idle soak").split()
    res = {}
    if "e2e" in only:
        res["e2e"] = repeat(f"{JOBS_E2E:,} jobs end to end (zefortd)", case_e2e)
    if "python" in only:
        # The thread count that makes it fastest, chosen by one run of each, then REPEAT runs.
        best = min(PY_THREADS, key=lambda t: repeat(f"python, {t} threads", lambda: case_python(
            t), 1)["wall"])
        res["python"] = repeat(f"python, {best} threads", lambda: case_python(best))
        res["python"]["threads"] = best
    if "open" in only:
        res["open"] = repeat(f"{OPEN_TASKS} open tasks", case_open_tasks)
    if "rate" in only:
        res["rate"] = repeat("requests/s against wrk", case_throughput)
    if "pacing" in only:
        res["pacing"] = repeat(f"{PACING_JOBS} jobs against {PACING_LIMIT} req/s", case_pacing)
    if "replay" in only:
        res["replay"] = repeat("replay of 1M records", case_replay, 1)  # itself a median of 5
    if "idle" in only:
        res["idle"] = repeat("idle serve", case_idle)
    if "soak" in only:
        # Ten minutes each: one run, like the journal's replay.
        res["soak"] = repeat(f"serve, @every 1s, {SOAK_SECONDS:.0f} s", case_soak, 1)
    print_table(res)


def print_table(res):
    rows = []
    if "e2e" in res:
        e = res["e2e"]
        rows.append((f"{JOBS_E2E:,} jobs end to end, zefortd",
                     f"{e['wall']:.1f} s wall, {e['jobs_s']:.0f} jobs/s, {e['req_s']:.0f} req/s, "
                     f"{e['cpu_us_req']:.0f} µs CPU/request, {e['rss_mb']:.1f} MB peak RSS",
                     "≤ 50 µs CPU/request", e["cpu_us_req"] <= 50))
    if "python" in res:
        p = res["python"]
        rows.append((f"{JOBS_E2E:,} jobs end to end, Python requests ({p['threads']:.0f} threads)",
                     f"{p['wall']:.1f} s wall, {p['jobs_s']:.0f} jobs/s, {p['req_s']:.0f} req/s, "
                     f"{p['cpu_us_req']:.0f} µs CPU/request, {p['rss_mb']:.1f} MB peak RSS",
                     "baseline", None))
    if "open" in res:
        o = res["open"]
        rows.append((f"RSS with {OPEN_TASKS:,} open tasks",
                     f"{o['rss_mb']:.1f} MB ({o['bytes_per_task']:.0f} B/task; peak "
                     f"{o['hwm_mb']:.1f} MB)", "≤ 40 MB", o["rss_mb"] <= 40))
        rows.append((f"submissions per second ({OPEN_TASKS:,} jobs)",
                     f"{o['subs_per_s']:.0f}/s ({o['submit_s']:.1f} s)", "all in ≤ 15 s",
                     o["submit_s"] <= 15))
    if "rate" in res:
        r = res["rate"]
        rows.append(("requests/s, 5 ms delays, list_above 0, 8 connections",
                     f"{r['req_s']:.0f} req/s vs wrk -t1 -c8 {r['wrk_req_s']:.0f}: "
                     f"{r['ratio']:.2f} ({r['cpu_us_req']:.0f} µs CPU/request)", "≥ 0.9",
                     r["ratio"] >= 0.9))
    if "pacing" in res:
        p = res["pacing"]
        rows.append((f"429s, {PACING_JOBS:,} jobs against a {PACING_LIMIT} req/s limit "
                     "(no rate_limit configured)",
                     f"{p['share_pct']:.1f} % of {p['requests']:.0f} requests "
                     f"({p['req_s']:.0f} req/s, {p['wall']:.1f} s)", "≤ 5 %",
                     p["share_pct"] <= 5))
    if "replay" in res:
        r = res["replay"]
        rows.append(("replay of 1,000,000 journal records",
                     f"{r['replay_ms']:.0f} ms ({r['replay_cpu_ms']:.0f} ms CPU)", "≤ 1000 ms",
                     r["replay_ms"] <= 1000))
    if "idle" in res:
        i = res["idle"]
        rows.append((f"idle CPU, serve, {IDLE_TASKS:,} open tasks at max_delay",
                     f"{i['core_pct']:.3f} % of a core ({i['req_s']:.1f} req/s)", "< 0.1 %",
                     i["core_pct"] < 0.1))
    if "soak" in res:
        k = res["soak"]
        rows.append((f"serve, `@every 1s`, {SOAK_SECONDS / 60:.0f} min: RSS after "
                     f"{SOAK_WARMUP:.0f} s of warm-up",
                     f"{k['rss_warm_mb']:.1f} → {k['rss_end_mb']:.1f} MB, spread "
                     f"{k['rss_spread_mb']:.2f} MB ({k['runs']:.0f} runs, "
                     f"{k['dismissals']:.0f} dismissed, {k['core_pct']:.1f} % of a core)",
                     "flat within 1 MB", k["rss_spread_mb"] <= 1))
        rows.append((f"serve, `@every 1s`, {SOAK_SECONDS / 60:.0f} min: journal size "
                     f"(compaction above {SOAK_COMPACT_BYTES // 1024} KiB)",
                     f"peak {k['journal_peak_kb']:.0f} KiB; {k['compactions']:.0f} compactions "
                     f"left {k['left_first_kb']:.1f} KiB first, {k['left_last_kb']:.1f} KiB last",
                     "bounded: compacted, and what is left does not grow",
                     k["compactions"] >= 2 and k["left_last_kb"] <= k["left_first_kb"] + 4))
    if "e2e" in res:
        e = res["e2e"]
        rows.append(("requests per task (minimum 3: submit, poll, dismiss)",
                     f"{e['req_task']:.2f} ({e['req_task'] / 3:.2f}× the minimum)", "—", None))
    print(f"\nzefortd benchmarks, medians of {REPEAT} ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})\n")
    print("| case | measured | target | met |")
    print("|---|---|---|---|")
    for name, value, target, met in rows:
        print(f"| {name} | {value} | {target} | {'' if met is None else ('yes' if met else 'NO')} |")


if __name__ == "__main__":
    main()
