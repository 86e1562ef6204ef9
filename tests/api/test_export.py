"""Exports: `techmart export` and GET /api/v1/technologies/export.

The CLI round trip: the demo catalogue (the API test database) and a
hand-made catalogue of awkward records are exported as csv, jsonl and json,
imported into empty databases, exported again and compared byte for byte
and field for field (against the source records, and against the API's
own record of each technology). Then the HTTP export by role (401, 403, a
TTO sees only its institution), its streaming headers, its filters (the
same matches as the search, the same bytes as the CLI) and a client that
leaves mid-stream."""
import csv
import io
import json
import os
import socket
import subprocess
import tempfile
import urllib.parse

from harness import add_user, check, get, get_json, host_port, login, run_all, test

BIN = os.environ.get("TECHMART_BIN", "build/asan/techmart")
DB = os.environ.get("TECHMART_DB", "")
EXPORT = "/api/v1/technologies/export"
PW = "export test password 1"
FORMATS = ("csv", "jsonl", "json")


def run(*args):
    r = subprocess.run([BIN, *args], capture_output=True, timeout=600)
    return r.returncode, r.stdout, r.stderr.decode("utf-8", "replace")


def export(db, path, *extra):
    code, _, err = run("export", "--db", db, "--output", path, *extra)
    check(code == 0, f"export {path}: exit {code}: {err}")
    with open(path, "rb") as f:
        return f.read()


def import_into(db, path):
    code, out, err = run("import", "--db", db, path)
    check(code == 0, f"import {path}: exit {code}: {out[-300:]!r} {err[-300:]}")
    return out.decode() + err


def records(data, fmt):
    """The records of an export, as the importer's canonical dicts."""
    text = data.decode("utf-8-sig")
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines()]
    if fmt == "json":
        return json.loads(text)
    out = []
    for row in csv.DictReader(io.StringIO(text, newline="")):
        rec = {}
        for k, v in row.items():
            if v == "":
                continue
            if k in ("keywords", "ipc", "licence", "inventors"):
                v = json.loads(v) if v.startswith("[") else [e.strip() for e in v.split(";")]
            elif k == "patents":
                v = json.loads(v)
            elif k == "trl":
                v = int(v)
            rec[k] = v
        out.append(rec)
    return out


def round_trip(db, d, fmt, *extra):
    """Exports db as fmt, imports that into an empty database, exports it
    again: (first bytes, second bytes)."""
    a = export(db, os.path.join(d, f"a.{fmt}"), "--status", "all", *extra)
    b_db = os.path.join(d, f"b_{fmt}.db")
    import_into(b_db, os.path.join(d, f"a.{fmt}"))
    b = export(b_db, os.path.join(d, f"b.{fmt}"), "--status", "all", *extra)
    return a, b


# ---- the CLI

@test
def demo_catalogue_round_trips_byte_for_byte_in_every_format():
    with tempfile.TemporaryDirectory(prefix="tm_export_") as d:
        got = {}
        for fmt in FORMATS:
            a, b = round_trip(DB, d, fmt)
            check(a == b, f"{fmt}: the re-export differs ({len(a)} vs {len(b)} bytes)")
            got[fmt] = records(a, fmt)
        check(len(got["csv"]) > 2900, f"only {len(got['csv'])} technologies exported")
        # The three formats say the same thing, record for record.
        check(got["csv"] == got["jsonl"] == got["json"], "the formats disagree")


@test
def demo_export_has_every_field_the_api_shows():
    with tempfile.TemporaryDirectory(prefix="tm_export_") as d:
        recs = records(export(DB, os.path.join(d, "all.jsonl"), "--status", "all"), "jsonl")
    by_ext = {r["external_id"]: r for r in recs if "external_id" in r}
    _, _, page = get_json("/api/v1/technologies?sort=trl&per_page=40")
    check(page["items"], "no technologies listed")
    for it in page["items"]:
        _, _, t = get_json(f"/api/v1/technologies/{it['id']}")
        r = by_ext.get(t.get("external_id"))
        check(r is not None, f"{t.get('external_id')} is not in the export")
        for k in ("title", "title_en", "summary", "description", "keywords", "field", "ipc",
                  "trl", "licence", "asking", "status", "institution", "inventors", "contact"):
            want = t.get(k)
            if want in (None, [], ""):
                check(k not in r, f"{t['external_id']}: {k} exported as {r.get(k)!r}")
            else:
                check(r.get(k) == want, f"{t['external_id']}: {k} {r.get(k)!r} != {want!r}")
        pats = [{k: v for k, v in p.items() if v not in (None, "")} for p in t.get("patents", [])]
        check(r.get("patents", []) == pats, f"{t['external_id']}: patents differ")


EDGE = [
    {"external_id": "EDGE-1", "title": "세미콜론; 과 \"따옴표\", 쉼표가 있는 제목",
     "title_en": "Title with; semicolon", "summary": "첫 줄\n둘째 줄, 쉼표\n\"인용\" 끝",
     "description": "설명\n\n두 단락", "keywords": ["a;b", "의료기기", "[괄호]"],
     "field": "bio-medical", "ipc": ["A61B 5/00", "G06F 17/00"], "trl": 7,
     "licence": ["exclusive", "joint-research"], "asking": "1억원, 협의 가능",
     "status": "available", "institution": "ｚ 엣지 대학교, 산학협력단",
     "inventors": ["김철수", "Lee, Young"], "contact": "tto@example.ac.kr",
     "patents": [{"number": "10-2019-0012345", "country": "KR", "kind": "patent",
                  "status": "registered", "filed": "2019-01-23", "registered": "2020-05-01",
                  "registration_number": "10-1846363"},
                 {"number": "10-2020-0054321", "country": "KR", "filed": "2020-04-30"},
                 {"number": "10-2021-0000001", "country": "KR"}]},
    {"external_id": "EDGE-2", "title": "철회된 기술", "status": "withdrawn",
     "institution": "ｚ 엣지 대학교, 산학협력단", "trl": 1, "licence": ["assignment"],
     "keywords": ["semi;colon;s"]},
    {"external_id": "EDGE-3", "title": "[대괄호로 시작하는 제목]", "keywords": ["[only]"],
     "status": "negotiating", "institution": "ｚ 다른 연구소", "trl": 9,
     "licence": ["non-exclusive", "exclusive", "assignment", "joint-research"],
     "summary": "줄 끝에 CR 없음\n마지막"},
    {"title": "외부 ID 없는 기술", "institution": "ｚ 다른 연구소",
     "patents": [{"number": "10-2018-0099999", "country": "KR"}], "status": "licensed"},
]


def canonical(rec):
    """What the importer keeps of rec: status defaults to available, licence
    in the documented order."""
    order = ["exclusive", "non-exclusive", "assignment", "joint-research"]
    out = dict(rec)
    out.setdefault("status", "available")
    if "licence" in out:
        out["licence"] = [l for l in order if l in out["licence"]]
    return out


def edge_db(d):
    src = os.path.join(d, "edge.jsonl")
    with open(src, "w", encoding="utf-8") as f:
        for r in EDGE:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    db = os.path.join(d, "edge.db")
    import_into(db, src)
    return db


@test
def awkward_records_round_trip_field_for_field_in_every_format():
    want = [canonical(r) for r in EDGE]
    with tempfile.TemporaryDirectory(prefix="tm_export_") as d:
        db = edge_db(d)
        for fmt in FORMATS:
            a, b = round_trip(db, d, fmt)
            check(a == b, f"{fmt}: the re-export differs:\n{a!r}\n{b!r}")
            check(records(a, fmt) == want, f"{fmt}: {records(a, fmt)} != {want}")
            # What the second database holds, read back as JSONL.
            again = export(os.path.join(d, f"b_{fmt}.db"), os.path.join(d, f"c_{fmt}.jsonl"),
                           "--status", "all")
            check(records(again, "jsonl") == want, f"{fmt}: the imported catalogue differs")
        # The CSV quotes what must be quoted and nothing else.
        text = export(db, os.path.join(d, "q.csv"), "--status", "all").decode()
        rows = list(csv.reader(io.StringIO(text, newline="")))
        check(len(rows) == 1 + len(EDGE), f"{len(rows)} CSV rows")
        check(rows[1][5] == '["a;b","의료기기","[괄호]"]', f"keywords cell {rows[1][5]!r}")
        check(rows[1][7] == "A61B 5/00; G06F 17/00", f"ipc cell {rows[1][7]!r}")
        check(rows[1][3] == EDGE[0]["summary"], f"summary cell {rows[1][3]!r}")
        check(text.count("\r\n") >= len(rows), "lines do not end in CRLF")


@test
def bom_is_added_on_request_and_the_file_still_imports():
    with tempfile.TemporaryDirectory(prefix="tm_export_") as d:
        db = edge_db(d)
        plain = export(db, os.path.join(d, "plain.csv"), "--status", "all")
        bom = export(db, os.path.join(d, "bom.csv"), "--status", "all", "--bom")
        check(not plain.startswith(b"\xef\xbb\xbf") and bom == b"\xef\xbb\xbf" + plain,
              "the BOM is not exactly the difference")
        a, b = round_trip(db, d, "csv", "--bom")
        check(a == b and a.startswith(b"\xef\xbb\xbf"), "a BOM export does not round-trip")


@test
def status_defaults_to_the_public_catalogue_and_filters_apply():
    with tempfile.TemporaryDirectory(prefix="tm_export_") as d:
        db = edge_db(d)

        def ids(*extra):
            code, out, err = run("export", "--db", db, "--format", "jsonl", *extra)
            check(code == 0, f"{extra}: {err}")
            return [r.get("external_id", r["title"]) for r in records(out, "jsonl")]

        check(ids() == ["EDGE-1", "EDGE-3", "외부 ID 없는 기술"], f"default: {ids()}")
        check(ids("--status", "withdrawn") == ["EDGE-2"], "status withdrawn")
        check(len(ids("--status", "all")) == 4, "status all")
        check(ids("--status", "negotiating") == ["EDGE-3"], "status negotiating")
        check(ids("--q", "대괄호") == ["EDGE-3"], f"q: {ids('--q', '대괄호')}")
        check(ids("--institution", "ｚ 다른 연구소") == ["EDGE-3", "외부 ID 없는 기술"],
              "institution by name")
        check(ids("--q", "철회된", "--status", "all") == ["EDGE-2"], "q with status all")


@test
def bad_export_arguments_are_clear_errors_and_leave_no_file():
    with tempfile.TemporaryDirectory(prefix="tm_export_") as d:
        db = edge_db(d)
        code, _, err = run("export", "--db", db, "--format", "xml")
        check(code == 2 and "xml" in err, f"{code} {err}")
        code, _, err = run("export", "--db", db)
        check(code == 2 and "--format" in err, f"{code} {err}")
        code, _, err = run("export", "--db", db, "--format", "csv", "--status", "gone")
        check(code == 2 and "gone" in err, f"{code} {err}")
        code, _, err = run("export", "--db", db, "--format", "csv", "--institution", "없는 기관")
        check(code == 1 and "institution" in err, f"{code} {err}")
        out = os.path.join(d, "never.csv")
        code, _, err = run("export", "--db", db, "--output", out, "--q", "-철회된")
        check(code == 1 and "q" in err, f"{code} {err}")
        check(not any(n.startswith("never.csv") for n in os.listdir(d)), os.listdir(d))
        code, _, err = run("export", "--db", db, "--output", os.path.join(d, "no/such/x.csv"))
        check(code == 1 and "cannot write" in err, f"{code} {err}")
        code, out, _ = run("export", "--help")
        check(code == 0 and b"usage: techmart export" in out, "help")


# ---- HTTP

_users = {}


def user(role, institution=None):
    """A logged-in user's cookie header (GET needs no CSRF token)."""
    key = (role, institution)
    if key not in _users:
        email = f"export-{role}-{len(_users)}@example.org"
        add_user(email, PW, role, institution)
        st, h, j = login(email, PW)
        check(st == 201, f"login {role}: {st} {j}")
        _users[key] = {"Cookie": h["set-cookie"].split(";")[0]}
    return _users[key]


def two_institutions():
    """Two institutions with public technologies: (id, name) each."""
    _, _, j = get_json("/api/v1/institutions")
    with_techs = sorted((i for i in j["items"] if i["technologies"] >= 3),
                        key=lambda i: -i["technologies"])
    check(len(with_techs) >= 2, "the catalogue has too few institutions")
    return [(i["id"], i["name"]) for i in with_techs[:2]]


def http_export(headers=None, **params):
    return get(EXPORT + "?" + urllib.parse.urlencode(params), headers=headers or {}, timeout=300)


@test
def http_export_by_role():
    (own, own_name), (other, _) = two_institutions()
    st, _, b = http_export()
    check(st == 401 and json.loads(b)["error"]["code"] == "unauthenticated", f"anonymous {st}")
    st, _, b = http_export(user("company", own))
    check(st == 403, f"company {st}")
    tto = user("tto", own)
    st, _, b = http_export(tto, format="jsonl")
    check(st == 200, f"tto {st} {b[:200]!r}")
    recs = records(b, "jsonl")
    _, _, s = get_json(f"/api/v1/technologies?institution={own}&per_page=1")
    check(len(recs) == s["total"] and all(r["institution"] == own_name for r in recs),
          f"tto got {len(recs)} records, its institution lists {s['total']}")
    st, _, b = http_export(tto, format="jsonl", institution=own)
    check(st == 200 and len(records(b, "jsonl")) == len(recs), f"tto own {st}")
    st, _, b = http_export(tto, institution=other)
    check(st == 403 and json.loads(b)["error"].get("field") == "institution", f"tto other {st}")
    st, _, b = http_export(user("staff"), format="jsonl", institution=other)
    check(st == 200 and records(b, "jsonl"), f"staff {st}")


@test
def http_export_streams_an_attachment_in_chunks():
    staff = user("staff")
    st, h, b = http_export(staff)
    check(st == 200, f"status {st}")
    check(h.get("content-type") == "text/csv; charset=utf-8", f"{h.get('content-type')}")
    check(h.get("content-disposition") == 'attachment; filename="techmart-technologies.csv"',
          f"{h.get('content-disposition')}")
    check(h.get("transfer-encoding") == "chunked" and "content-length" not in h, f"{h}")
    check(b.startswith(b"external_id,title,"), f"{b[:60]!r}")
    st, h, b = http_export(staff, format="jsonl")
    check(h.get("content-type") == "application/x-ndjson", f"{h.get('content-type')}")
    check(h.get("content-disposition", "").endswith('filename="techmart-technologies.jsonl"'),
          f"{h}")
    # The whole public catalogue, as the CLI writes it (no BOM over HTTP).
    _, _, s = get_json("/api/v1/technologies?per_page=1")
    recs = records(b, "jsonl")
    check(len(recs) == s["total"], f"{len(recs)} records, search total {s['total']}")
    code, out, err = run("export", "--db", DB, "--format", "jsonl")
    check(code == 0 and out == b, f"HTTP and CLI exports differ ({len(b)} vs {len(out)} bytes)")
    st, h, b = get(EXPORT, method="HEAD", headers=staff)
    check(st == 200 and b == b"" and h.get("content-type", "").startswith("text/csv"), f"HEAD {h}")


@test
def http_export_filters_match_the_search():
    staff = user("staff")
    (inst, _), _ = two_institutions()
    for params in ({"q": "센서"}, {"q": "그래핀 전극"}, {"institution": inst},
                   {"trl_min": 4, "trl_max": 6}, {"licence": "exclusive", "field": "ict"},
                   {"status": "licensed"}, {"group": "hongneung"}):
        _, _, s = get_json("/api/v1/technologies?" + urllib.parse.urlencode(
            {**params, "per_page": 1}))
        strict = s.get("strict_total", s["total"])
        st, _, b = http_export(staff, format="jsonl", **params)
        check(st == 200, f"{params}: {st} {b[:200]!r}")
        check(len(records(b, "jsonl")) == strict, f"{params}: {len(records(b, 'jsonl'))} "
                                                  f"exported, search total {strict}")
    for name, value in (("format", "xml"), ("format", "json"), ("status", "gone"),
                        ("trl_min", "0"), ("q", "-센서"), ("institution", "abc")):
        st, _, b = http_export(staff, **{name: value})
        check(st == 400 and json.loads(b)["error"].get("field") == name, f"{name}={value}: {st}")


@test
def http_export_of_withdrawn_listings_needs_status():
    staff = user("staff")
    st, _, b = http_export(staff, format="jsonl", status="withdrawn")
    check(st == 200, f"{st}")
    withdrawn = records(b, "jsonl")
    check(all(r["status"] == "withdrawn" for r in withdrawn), "a non-withdrawn record")
    _, _, all_b = http_export(staff, format="jsonl", status="all")
    _, _, pub = http_export(staff, format="jsonl")
    check(len(records(all_b, "jsonl")) == len(records(pub, "jsonl")) + len(withdrawn),
          "all != public + withdrawn")


@test
def the_connection_serves_the_next_request_after_an_export():
    import http.client  # noqa: PLC0415
    host, port = host_port()
    c = http.client.HTTPConnection(host, port, timeout=60)
    c.request("GET", EXPORT + "?format=jsonl&q=%EC%84%BC%EC%84%9C", headers=user("staff"))
    r = c.getresponse()
    body = r.read()
    check(r.status == 200 and r.getheader("transfer-encoding") == "chunked", f"{r.status}")
    check(len(records(body, "jsonl")) > 100, "a search exported fewer than one page")
    c.request("GET", "/healthz")
    r = c.getresponse()
    check(r.status == 200 and b"ok" in r.read(), f"healthz on the same connection: {r.status}")
    c.close()


@test
def a_client_leaving_mid_stream_costs_nothing():
    cookie = user("staff")["Cookie"]
    host, port = host_port()
    for _ in range(3):
        s = socket.create_connection((host, port), timeout=30)
        s.sendall(f"GET {EXPORT}?format=jsonl HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n"
                  f"\r\n".encode())
        got = s.recv(4096)
        check(got.startswith(b"HTTP/1.1 200"), f"{got[:80]!r}")
        s.close()
    st, _, _ = get("/healthz")
    check(st == 200, f"healthz {st}")
    # And the next export is whole.
    st, _, b = http_export(user("staff"), format="jsonl")
    _, _, s2 = get_json("/api/v1/technologies?per_page=1")
    check(st == 200 and len(records(b, "jsonl")) == s2["total"], "a later export is not whole")


run_all()
