#!/usr/bin/python3
# The reference's own approach, as the benchmark's baseline: Python with `requests`, one
# Session per thread, each thread submits a job, polls its task with backoff until it is done
# and dismisses it, then takes the next job. Prints one JSON line with what it did.
# Usage: python_baseline.py BASE_URL CA_FILE API_KEY JOBS THREADS
import json
import queue
import random
import sys
import threading
import time

import requests

PAYLOAD = {"attributes": {"end_date": "2023-02-15"}, "status": "done",
           "search": {"q_tags": "contracts of service"}}


def worker(base, ca, key, jobs, counts, lock, initial, maximum):
    session = requests.Session()
    # Per request: REQUESTS_CA_BUNDLE in the environment would override session.verify.
    session.auth = (key, "")
    requests_made = 0
    while True:
        try:
            job = jobs.get_nowait()
        except queue.Empty:
            break
        body = dict(PAYLOAD, note=f"job-{job}")
        r = session.post(base + "contracts/bulk_update/", json=body, timeout=30, verify=ca)
        requests_made += 1
        r.raise_for_status()
        task = r.json()["id"]
        delay = initial
        while True:
            # The same equal-jitter backoff as zefortd's polling.
            time.sleep(random.uniform(delay / 2, delay))
            r = session.get(base + f"tasks/{task}/", timeout=30, verify=ca)
            requests_made += 1
            r.raise_for_status()
            if r.json()["backend_status"] in ("done", "failed", "error", "cancelled"):
                break
            delay = min(maximum, delay * 2)
        r = session.patch(base + f"tasks/{task}/", json={"frontend_status": "done"}, timeout=30, verify=ca)
        requests_made += 1
        r.raise_for_status()
    with lock:
        counts.append(requests_made)


def main():
    base, ca, key, n, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(
        sys.argv[5])
    initial = float(sys.argv[6]) if len(sys.argv) > 6 else 0.5
    maximum = float(sys.argv[7]) if len(sys.argv) > 7 else 2.0
    if not base.endswith("/"):
        base += "/"
    jobs = queue.Queue()
    for i in range(n):
        jobs.put(i)
    counts, lock = [], threading.Lock()
    start = time.monotonic()
    pool = [threading.Thread(target=worker, args=(base, ca, key, jobs, counts, lock, initial,
                                                  maximum)) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.monotonic() - start
    if len(counts) != threads:
        sys.exit("python_baseline: a thread failed")
    print(json.dumps({"jobs": n, "threads": threads, "wall": wall, "requests": sum(counts)}))


if __name__ == "__main__":
    main()
