#!/usr/bin/env python3
"""Runs the API and CLI tests against a real server.

Builds a temporary database with `techmart demo`, starts the sanitizer build
of `techmart serve` on a free port, runs every tests/api/test_*.py with
TECHMART_URL, TECHMART_BIN and TECHMART_DB set, then the public contract
check (or only the scripts named as arguments), then stops the server with SIGTERM and checks that it exited 0 with no
sanitizer report. Prints "N passed, N failed" last; exit 1 on any failure."""
import glob
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "build/asan/techmart")
COUNTS = re.compile(r"(\d+) passed, (\d+) failed")


def contract_script():
    shared = os.path.join(ROOT, "..", "shared", "checks", "contract.py")
    return shared if os.path.exists(shared) else os.path.join(ROOT, "tests/api/contract.py")


def start_server(db, log):
    args = [BIN, "serve", "--db", db, "--port", "0", "--threads", "2",
            "--deadline-ms", "2000", "--max-conns", "64", "--web", os.path.join(ROOT, "web"),
            # Every suite signs up from 127.0.0.1; test_accounts.py checks the limit on its own server.
            "--registrations-per-hour", "100000"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.1)
        with open(log.name, encoding="utf-8", errors="replace") as f:
            m = re.search(r"listening on (http://\S+)", f.read())
        if m:
            return proc, m.group(1)
        if proc.poll() is not None:
            break
    proc.kill()
    with open(log.name, encoding="utf-8", errors="replace") as f:
        sys.stdout.write(f.read())
    raise SystemExit("api: the server did not start\n0 passed, 1 failed")


def main():
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "api.db")
        demo = subprocess.run([BIN, "demo", "--db", db], capture_output=True, text=True)
        if demo.returncode != 0:
            print(demo.stdout, demo.stderr)
            print("api: techmart demo failed\n0 passed, 1 failed")
            return 1
        log = open(os.path.join(tmp, "server.log"), "w+")
        proc, url = start_server(db, log)
        env = dict(os.environ, TECHMART_URL=url, TECHMART_BIN=BIN, TECHMART_DB=db,
                   TECHMART_ROOT=ROOT)
        scripts = sorted(glob.glob(os.path.join(ROOT, "tests/api/test_*.py")))
        only = set(sys.argv[1:])  # names of scripts to run; none: all, and the contract
        runs = [[sys.executable, s] for s in scripts if not only or os.path.basename(s) in only]
        if not only:
            runs.append([sys.executable, contract_script(), url])
        for cmd in runs:
            name = os.path.basename(cmd[1])
            r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
            sys.stdout.write(r.stdout)
            sys.stdout.write(r.stderr)
            m = COUNTS.findall(r.stdout + r.stderr)
            if m:
                p, f = map(int, m[-1])
                passed += p
                failed += f
                if r.returncode != 0 and f == 0:
                    print(f"FAIL {name}: exited {r.returncode}")
                    failed += 1
            else:
                print(f"FAIL {name}: no result line (exit {r.returncode})")
                failed += 1
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = "killed after 30 s"
        log.seek(0)
        server_log = log.read()
        clean = code == 0 and "Sanitizer" not in server_log and "runtime error" not in server_log
        if clean:
            passed += 1
        else:
            failed += 1
            print(f"FAIL the server stops cleanly on SIGTERM (exit {code}); its stderr:")
            print(server_log[-5000:])
    print(f"api: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
