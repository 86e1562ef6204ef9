#!/usr/bin/env python3
"""logins.py: keeps N logins in flight against a techmart server (bench/run.sh).

    logins.py URL EMAIL_FILE PASSWORD_FILE [--clients 20] [--warmup 3]
              [--duration 10] [--tail 2]

Each of N threads logs one account in (POST /api/v1/session with
{"email", "password"}) over its own keep-alive connection, again and again,
for warmup + duration + tail seconds. Answers are counted only when they
complete inside the window [warmup, warmup + duration], so that a
measurement taken in that window (bench/run.sh runs wrk there) sees N
logins in flight all the time. EMAIL_FILE has one email a line (thread i
uses line i mod count); PASSWORD_FILE's first line is every account's
password. A refused login (503 or 429) waits its Retry-After, at most 5 s,
as a well-behaved client would, before it tries again.

Prints a summary and one machine-readable line:
    RESULT clients=N seconds=S ok=A rps=R p50_ms=B p99_ms=C s429=D s503=E
           s401=F other=G errors=H
ok counts 2xx answers (a login answers 201); errors are connection errors
and timeouts.
"""
import argparse
import http.client
import json
import math
import threading
import time
import urllib.parse


def percentile(sorted_vals, p):
    if not sorted_vals:
        return 0.0
    # nearest rank
    k = min(len(sorted_vals) - 1, max(0, math.ceil(p / 100.0 * len(sorted_vals)) - 1))
    return sorted_vals[k]


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok = 0
        self.s429 = 0
        self.s503 = 0
        self.s401 = 0
        self.other = 0
        self.errors = 0
        self.lat_ok = []
        self.first_other = ""

    def add(self, status, secs, body):
        with self.lock:
            if status is None:
                self.errors += 1
            elif 200 <= status < 300:
                self.ok += 1
                self.lat_ok.append(secs * 1000.0)
            elif status == 429:
                self.s429 += 1
            elif status == 503:
                self.s503 += 1
            elif status == 401:
                self.s401 += 1
            else:
                self.other += 1
                if not self.first_other:
                    self.first_other = "%d %s" % (status, body[:200])


def client(host, port, email, password, t_start, t_end, t_stop, counts):
    body = json.dumps({"email": email, "password": password}).encode()
    headers = {"Content-Type": "application/json"}
    conn = None
    while time.monotonic() < t_stop:
        status, retry, text = None, 0.0, ""
        t0 = time.monotonic()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=30)
            conn.request("POST", "/api/v1/session", body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
            status = resp.status
            ra = resp.getheader("Retry-After")
            if ra and ra.strip().isdigit():
                retry = min(float(ra.strip()), 5.0)
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            if conn is not None:
                conn.close()
            conn = None
            retry = 0.2
        t1 = time.monotonic()
        if t_start <= t1 <= t_end:
            counts.add(status, t1 - t0, text)
        if status in (429, 503) or status is None:
            time.sleep(max(0.0, min(retry if retry else 1.0, t_stop - time.monotonic())))
    if conn is not None:
        conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("email_file")
    ap.add_argument("password_file")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--tail", type=float, default=2.0)
    a = ap.parse_args()
    if a.clients < 1 or a.duration <= 0 or a.warmup < 0 or a.tail < 0:
        ap.error("--clients must be >= 1, --duration > 0, --warmup and --tail >= 0")
    u = urllib.parse.urlsplit(a.url)
    if u.scheme != "http" or not u.hostname:
        ap.error("URL must be http://HOST:PORT")
    with open(a.email_file, encoding="utf-8") as f:
        emails = [line.strip() for line in f if line.strip()]
    with open(a.password_file, encoding="utf-8") as f:
        password = f.readline().rstrip("\n")
    if not emails or not password:
        ap.error("no emails in EMAIL_FILE or no password in PASSWORD_FILE")

    counts = Counts()
    t0 = time.monotonic()
    t_start, t_end = t0 + a.warmup, t0 + a.warmup + a.duration
    t_stop = t_end + a.tail
    threads = [
        threading.Thread(
            target=client,
            args=(u.hostname, u.port or 80, emails[i % len(emails)], password, t_start, t_end,
                  t_stop, counts),
            daemon=True,
        )
        for i in range(a.clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        # a login in flight at t_stop ends within its 30 s timeout
        t.join(timeout=max(0.0, t_stop - time.monotonic()) + 35.0)

    lat = sorted(counts.lat_ok)
    rps = counts.ok / a.duration
    print("  %d clients, %d distinct accounts, %.1f s window: %d logins (%.1f/s), "
          "login p50 %.0f ms, p99 %.0f ms" % (a.clients, min(a.clients, len(emails)), a.duration,
                                             counts.ok, rps, percentile(lat, 50),
                                             percentile(lat, 99)))
    print("  refused: 503 %d, 429 %d; wrong password 401 %d; other %d; connection errors %d"
          % (counts.s503, counts.s429, counts.s401, counts.other, counts.errors))
    if counts.first_other:
        print("  first other answer: " + counts.first_other)
    print("RESULT clients=%d seconds=%.3f ok=%d rps=%.2f p50_ms=%.1f p99_ms=%.1f s429=%d s503=%d "
          "s401=%d other=%d errors=%d" % (a.clients, a.duration, counts.ok, rps,
                                         percentile(lat, 50), percentile(lat, 99), counts.s429,
                                         counts.s503, counts.s401, counts.other, counts.errors))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
