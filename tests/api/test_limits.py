"""The server's limits hold against slow, greedy and hostile clients.

Needs a running server at TECHMART_URL started with the limits these tests
assume, which the runner exports beside it:
  TECHMART_MAX_CONNS  (default 64)    techmart serve --max-conns N
  TECHMART_DEADLINE_MS (default 2000) techmart serve --deadline-ms N
  TECHMART_WEB (default: $TECHMART_ROOT/web), the server's web root.
"""

import os
import select
import socket
import time

from harness import ROOT, check, env_int, get, get_json, host_port, run_all, test

MAX_CONNS = env_int("TECHMART_MAX_CONNS", 64)
DEADLINE_S = env_int("TECHMART_DEADLINE_MS", 2000) / 1000.0
WEB = os.environ.get("TECHMART_WEB") or os.path.join(ROOT, "web")


def connect(timeout=5.0):
    s = socket.create_connection(host_port(), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_all(s, timeout=5.0):
    """Everything the server sends until it closes (or the timeout); a reset
    after some data keeps the data."""
    s.settimeout(timeout)
    chunks = []
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    except (ConnectionResetError, socket.timeout):
        pass
    return b"".join(chunks)


def raw_request(target, extra=b"", method=b"GET"):
    """Sends one raw HTTP/1.1 request with Connection: close; returns
    (status or None, headers dict, body)."""
    s = connect()
    try:
        s.sendall(method + b" " + target + b" HTTP/1.1\r\nHost: t\r\n" + extra +
                  b"Connection: close\r\n\r\n")
        data = read_all(s)
    finally:
        s.close()
    return parse_response(data)


def parse_response(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        return None, {}, data
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode()] = v.strip().decode("latin-1")
    return int(parts[1]), headers, body


def wait_until_serving(seconds=5.0):
    """The server answers /healthz again (connections it is closing may
    still count against the cap for a moment)."""
    end = time.monotonic() + seconds
    last = None
    while time.monotonic() < end:
        try:
            status, _, _ = get("/healthz", timeout=2)
            if status == 200:
                return
            last = status
        except OSError as e:
            last = e
        time.sleep(0.1)
    check(False, f"server not serving /healthz after {seconds}s: {last}")


@test
def header_block_over_8_kib_is_rejected_with_4xx():
    status, _, body = raw_request(b"/healthz", b"X-Big: " + b"a" * 9000 + b"\r\n")
    check(status is not None and 400 <= status < 500, f"got status {status}, body {body[:80]!r}")
    wait_until_serving()


@test
def header_block_over_8_kib_gets_a_json_431():
    status, headers, body = raw_request(b"/healthz", b"X-Big: " + b"a" * 9000 + b"\r\n")
    check(status == 431, f"got status {status}")
    check(headers.get("content-type", "").startswith("application/json"), f"{headers}")
    check(b'"too_large"' in body, f"body {body[:120]!r}")


@test
def huge_header_block_is_rejected_too():
    status, _, body = raw_request(b"/healthz", b"X-Big: " + b"a" * 40000 + b"\r\n")
    check(status is not None and 400 <= status < 500, f"got status {status}, body {body[:80]!r}")
    wait_until_serving()


@test
def overlong_url_gets_a_json_414():
    status, headers, body = raw_request(b"/api/v1/technologies?q=" + b"x" * 17000)
    check(status == 414, f"got status {status}")
    check(headers.get("content-type", "").startswith("application/json"), f"{headers}")


@test
def long_search_url_reaches_the_api():
    # 900 Korean syllables, percent-encoded: past 8 KiB, within the URL limit.
    q = "%EA%B8%B0%EC%88%A0" * 450
    status, headers, body = raw_request(b"/api/v1/technologies?q=" + q.encode())
    check(status in (200, 400), f"got status {status}")
    check(headers.get("content-type", "").startswith("application/json"), f"{headers}")


@test
def header_block_under_8_kib_is_served():
    status, _, body = raw_request(b"/healthz", b"X-Big: " + b"a" * 7000 + b"\r\n")
    check(status == 200, f"got status {status}, body {body[:80]!r}")


@test
def client_sending_a_byte_a_second_is_cut_off_by_the_deadline():
    req = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 60 + b"\r\n\r\n"
    s = connect()
    start = time.monotonic()
    closed_at = None
    try:
        for b in req:
            try:
                s.sendall(bytes([b]))
            except (BrokenPipeError, ConnectionResetError):
                closed_at = time.monotonic()
                break
            r, _, _ = select.select([s], [], [], 1.0)
            if r:
                data = read_all(s, timeout=1.0)
                check(not data.startswith(b"HTTP/1.1 200"),
                      "the slow request was answered 200 instead of being cut off")
                closed_at = time.monotonic()
                break
            if time.monotonic() - start > DEADLINE_S + 10:
                break
    finally:
        s.close()
    check(closed_at is not None,
          f"still open after {time.monotonic() - start:.1f}s (deadline {DEADLINE_S}s)")
    took = closed_at - start
    check(DEADLINE_S - 0.5 <= took <= DEADLINE_S + 3,
          f"closed after {took:.1f}s, deadline is {DEADLINE_S}s")


def read_response(s, timeout=5.0):
    """One response on a keep-alive connection (Content-Length framed)."""
    s.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        b = s.recv(65536)
        check(b, f"closed before a response: {data[:80]!r}")
        data += b
    status, headers, body = parse_response(data)
    need = int(headers.get("content-length", "0"))
    while len(body) < need:
        b = s.recv(65536)
        check(b, "closed inside a response")
        body += b
    return status


@test
def idle_keep_alive_connection_outlives_the_deadline():
    s = connect()
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        check(read_response(s) == 200, "first request failed")
        time.sleep(DEADLINE_S + 1)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        check(read_response(s) == 200, "second request on the idle connection failed")
    finally:
        s.close()


@test
def slow_second_request_on_a_keep_alive_connection_is_cut_off():
    s = connect()
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        check(read_response(s) == 200, "first request failed")
        time.sleep(DEADLINE_S / 2)  # idle time does not count against the deadline
        start = time.monotonic()
        closed = False
        for b in b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 60:
            try:
                s.sendall(bytes([b]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            r, _, _ = select.select([s], [], [], 0.5)
            if r:
                check(read_all(s, timeout=1.0) == b"", "the slow request got an answer")
                closed = True
                break
            if time.monotonic() - start > DEADLINE_S + 5:
                break
        took = time.monotonic() - start
        check(closed, f"still open after {took:.1f}s")
        check(DEADLINE_S - 0.5 <= took <= DEADLINE_S + 3, f"closed after {took:.1f}s")
    finally:
        s.close()


@test
def search_answers_quickly_while_50_slow_connections_are_open():
    check(MAX_CONNS >= 55, f"needs --max-conns >= 55, have {MAX_CONNS}")
    wait_until_serving()
    socks = []
    try:
        for i in range(50):
            s = connect()
            if i % 2:  # half idle, half in the middle of their headers
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: a")
            socks.append(s)
        start = time.monotonic()
        status, _, body = get_json("/api/v1/technologies?q=method&per_page=5", timeout=5)
        check(body is not None, "search reply is not JSON")
        took = time.monotonic() - start
        check(status == 200, f"search status {status}: {body}")
        check("items" in body and "total" in body, f"search body {body}")
        check(took < 1.5, f"search took {took:.2f}s with 50 slow connections open")
    finally:
        for s in socks:
            s.close()


@test
def connections_past_max_conns_get_503_or_close_and_the_server_keeps_serving():
    wait_until_serving()
    time.sleep(0.3)  # let the health checks' connections be closed
    extra = 10
    socks = []
    try:
        for _ in range(MAX_CONNS + extra):
            socks.append(connect())
        # Refusal is immediate; accepted idle connections only end at the
        # deadline, so look well before it.
        time.sleep(min(0.8, DEADLINE_S / 3))
        refused = 0
        for s in socks:
            r, _, _ = select.select([s], [], [], 0)
            if not r:
                continue
            data = read_all(s, timeout=1.0)
            status, headers, body = parse_response(data) if data else (None, {}, b"")
            check(not data or status == 503,
                  f"an excess connection got {data[:60]!r} instead of 503 or a close")
            if status == 503:
                check(headers.get("retry-after"), "503 without Retry-After")
                check(b'"busy"' in body, f"503 body {body[:100]!r}")
            refused += 1
        check(refused >= extra, f"only {refused} of {MAX_CONNS + extra} connections refused")
        check(len(socks) - refused <= MAX_CONNS,
              f"{len(socks) - refused} connections open, cap {MAX_CONNS}")
    finally:
        for s in socks:
            s.close()
    wait_until_serving()


TRAVERSALS = [
    b"/../Makefile",
    b"/web/../Makefile",
    b"/%2e%2e/Makefile",
    b"/%2E%2E%2FMakefile",
    b"/..%2fMakefile",
    b"/.%2e/Makefile",
    b"/index.html/../../Makefile",
    b"/./../Makefile",
    b"//etc/passwd",
    b"/%2Fetc%2Fpasswd",
    b"/..\\Makefile",
    b"/%00",
    b"/index.html%00",
    b"/index.html%00.js",
    b"/%2e%2e%00/Makefile",
    b"/.git/config",
    b"/%2egit/config",
    b"/..",
    b"http://t/../Makefile",
]


@test
def path_traversal_never_leaks_a_file_outside_web():
    makefile = os.path.join(WEB, "..", "Makefile")
    secret = open(makefile, "rb").read()[:200] if os.path.exists(makefile) else None
    for target in TRAVERSALS:
        status, headers, body = raw_request(target)
        check(status in (400, 404), f"{target!r}: status {status}")
        check(headers.get("content-type", "").startswith("application/json"),
              f"{target!r}: content-type {headers.get('content-type')!r}")
        check(b"root:" not in body and (secret is None or secret[:60] not in body),
              f"{target!r}: leaked {body[:80]!r}")


EXPECTED_TYPES = {
    ".html": "text/html", ".js": "text/javascript", ".css": "text/css",
    ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon",
    ".json": "application/json", ".txt": "text/plain", ".woff2": "font/woff2",
}


@test
def static_files_have_the_right_content_types():
    seen = 0
    for name in sorted(os.listdir(WEB)):
        ext = os.path.splitext(name)[1].lower()
        if name.startswith(".") or ext not in EXPECTED_TYPES or not os.path.isfile(
                os.path.join(WEB, name)):
            continue
        status, headers, body = get("/" + name)
        check(status == 200, f"/{name}: status {status}")
        ctype = headers.get("content-type", "")
        check(ctype.split(";")[0] == EXPECTED_TYPES[ext], f"/{name}: content-type {ctype!r}")
        check(headers.get("x-content-type-options") == "nosniff", f"/{name}: no nosniff")
        with open(os.path.join(WEB, name), "rb") as f:
            check(body == f.read(), f"/{name}: body differs from the file")
        seen += 1
    check(seen > 0, f"no static files found in {WEB}")


@test
def root_serves_index_html():
    status, headers, body = get("/")
    check(status == 200, f"status {status}")
    check(headers.get("content-type", "").startswith("text/html"), f"type {headers}")
    with open(os.path.join(WEB, "index.html"), "rb") as f:
        check(body == f.read(), "/ is not web/index.html")


@test
def head_of_a_static_file_has_headers_only():
    _, gh, gbody = get("/")
    status, headers, body = get("/", method="HEAD")
    check(status == 200, f"status {status}")
    check(body == b"", f"HEAD body of {len(body)} bytes")
    check(headers.get("content-length") == str(len(gbody)),
          f"HEAD content-length {headers.get('content-length')}, GET body {len(gbody)}")
    check(headers.get("content-type") == gh.get("content-type"), "HEAD and GET types differ")


@test
def unchanged_static_file_revalidates_with_304():
    status, headers, _ = get("/")
    etag = headers.get("etag")
    check(status == 200 and etag, f"status {status}, etag {etag!r}")
    check("no-cache" in headers.get("cache-control", ""), f"cache-control {headers}")
    status, _, body = get("/", headers={"If-None-Match": etag})
    check(status == 304 and body == b"", f"revalidation: status {status}, {len(body)} bytes")


@test
def missing_static_file_is_404_json():
    status, headers, body = get_json("/no-such-file.html")
    check(status == 404, f"status {status}")
    check(headers.get("content-type", "").startswith("application/json"), f"{headers}")
    check(body and body.get("error", {}).get("code") == "not_found", f"body {body}")


if __name__ == "__main__":
    run_all()
