"""A tiny test harness for the API and CLI tests (Python 3 stdlib only).

    from harness import test, run_all, check, get, get_json
    @test
    def search_answers_200():
        st, h, j = get_json("/api/v1/technologies")
        check(st == 200, f"status {st}")
    run_all()

run_all() runs every registered test in order (only those whose name
contains argv[1], if given), prints one "FAIL name: reason" line per
failure, ends with "N passed, N failed" and exits 1 on failure. A test
fails by raising: check() raises AssertionError with its reason; any other
exception is a failure too. TECHMART_URL is the server's base URL (set by
tests/api/run.py, with TECHMART_BIN, TECHMART_DB and TECHMART_ROOT)."""
import json
import os
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request

URL = os.environ.get("TECHMART_URL", "http://127.0.0.1:8080").rstrip("/")
ROOT = os.environ.get("TECHMART_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_tests = []


def test(fn):
    """Registers fn as a test; returns it unchanged."""
    _tests.append(fn)
    return fn


def check(cond, reason="check failed"):
    """Fails the running test with reason unless cond holds."""
    if not cond:
        raise AssertionError(reason)


def host_port():
    """(host, port) of the server, for raw-socket tests."""
    u = urllib.parse.urlsplit(URL)
    return u.hostname, u.port or 80


def env_int(name, default):
    """An integer setting the runner may export beside the server's flag."""
    v = os.environ.get(name)
    return int(v) if v else default


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def get(path, headers=None, method="GET", data=None, timeout=30, base=None):
    """(status, headers dict with lower-case names, body bytes); base is
    another server's URL (spawn_server), else the runner's."""
    req = urllib.request.Request((base or URL) + path, headers=headers or {}, method=method, data=data)
    try:
        with _opener.open(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def get_json(path, **kw):
    """Like get(), with the body parsed as JSON (None if it is not JSON)."""
    st, h, b = get(path, **kw)
    try:
        return st, h, json.loads(b)
    except ValueError:
        return st, h, None


def add_user(email, password, role="staff", institution=None):
    """Adds a user to the server's database with `techmart user add` (the
    CLI writes the same file; WAL lets it beside the running server).
    institution (a name or id) is needed for company and tto users."""
    import subprocess  # noqa: PLC0415
    inst = ["--institution", str(institution)] if institution is not None else []
    r = subprocess.run([os.environ["TECHMART_BIN"], "user", "add", "--db",
                        os.environ["TECHMART_DB"], "--email", email, "--role", role,
                        "--password-stdin"] + inst, input=password + "\n", capture_output=True,
                       text=True, timeout=60)
    check(r.returncode == 0, f"user add {email}: {r.stderr.strip()}")


def login(email, password):
    """POST /api/v1/session; (status, headers, parsed body or None)."""
    return get_json("/api/v1/session", method="POST",
                    data=json.dumps({"email": email, "password": password}).encode(),
                    headers={"Content-Type": "application/json"})


class spawn_server:
    """A second server on the runner's database with extra flags or
    environment, for settings the shared server must not have:
        with spawn_server("--session-idle", "2") as base: get(..., base=base)
    It is stopped with SIGTERM on exit and must exit 0."""

    def __init__(self, *args, env=None):
        self.args, self.env = list(args), env or {}

    def __enter__(self):
        import re  # noqa: PLC0415
        import subprocess  # noqa: PLC0415
        import tempfile  # noqa: PLC0415
        import time  # noqa: PLC0415
        self.log = tempfile.TemporaryFile(mode="w+")
        cmd = [os.environ["TECHMART_BIN"], "serve", "--db", os.environ["TECHMART_DB"], "--port",
               "0", "--threads", "1", "--web", os.path.join(ROOT, "web")] + self.args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.log,
                                     env={**os.environ, **self.env})
        deadline = time.time() + 60
        while time.time() < deadline and self.proc.poll() is None:
            time.sleep(0.1)
            self.log.seek(0)
            m = re.search(r"listening on (http://\S+)", self.log.read())
            if m:
                return m.group(1).rstrip("/")
        self.stop()
        raise AssertionError(f"the spawned server did not start: {self.output()[-500:]}")

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        import signal  # noqa: PLC0415
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except Exception:  # noqa: BLE001
            self.proc.kill()
            return "killed"

    def __exit__(self, *exc):
        code = self.stop()
        out = self.output()
        self.log.close()
        if exc[0] is None:
            check(code == 0 and "Sanitizer" not in out and "runtime error" not in out,
                  f"the spawned server stopped badly ({code}): {out[-800:]}")
        return False


_inst = []


def institutions():
    """The first two institutions of the catalogue (listed by name), fetched once:
    the tests give their users these."""
    if not _inst:
        _, _, j = get_json("/api/v1/institutions")
        _inst.extend(j["items"][:2])
    return _inst


def run_all():
    only = sys.argv[1] if len(sys.argv) > 1 else None
    passed = failed = 0
    for fn in _tests:
        if only and only not in fn.__name__:
            continue
        try:
            fn()
            passed += 1
        except AssertionError as e:
            failed += 1
            where = traceback.extract_tb(e.__traceback__)[-1]
            print(f"FAIL {fn.__name__}: {e} (line {where.lineno})", flush=True)
        except Exception as e:  # noqa: BLE001 - a test's failure is any exception
            failed += 1
            where = traceback.extract_tb(e.__traceback__)[-1]
            print(f"FAIL {fn.__name__}: {type(e).__name__}: {e} (line {where.lineno})",
                  flush=True)
    name = os.path.basename(sys.argv[0])
    print(f"{name}: {passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)
