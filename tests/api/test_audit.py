"""GET /api/v1/audit against the real server: who may read the log, that a
TTO's listing change shows up with its before/after values and its actor,
that each filter narrows to exactly the rows it names, that paging by
before_id walks every row once, that no secret ever reaches the log, and
that a bad parameter is a 400 naming it.

Filters are checked against the whole log, walked page by page without a
filter, and against the server's database (TECHMART_DB) read with sqlite3."""
import datetime
import json
import os
import sqlite3
import urllib.parse

from harness import add_user, check, get, get_json, institutions, login, run_all, test

PW = "audit password long enough"
AUDIT = "/api/v1/audit"
TECHS = "/api/v1/technologies"
_users = {}


def user(role):
    """{"headers": bearer headers, "id", "email", "token", "cookie", "csrf"} of
    the role's user: company, tto, staff, admin."""
    if role not in _users:
        own = institutions()[0]["id"]
        inst = own if role in ("company", "tto") else None
        email = f"audit-{role}@example.org"
        add_user(email, PW, role, inst)
        st, h, j = login(email, PW)
        check(st == 201, f"login {role}: {st} {j}")
        cookie = h["set-cookie"].split(";")[0]
        st, _, t = get_json("/api/v1/tokens", method="POST", data=b'{"name": "audit"}',
                            headers={"Cookie": cookie, "X-CSRF-Token": j["csrf_token"],
                                     "Content-Type": "application/json"})
        check(st == 201, f"token {role}: {st} {t}")
        _users[role] = {"headers": {"Authorization": "Bearer " + t["token"]},
                        "id": j["user"]["id"], "email": email, "token": t["token"],
                        "cookie": cookie, "csrf": j["csrf_token"]}
    return _users[role]


def audit(role="staff", **params):
    """(status, body) of GET /api/v1/audit as role (None: anonymous)."""
    target = AUDIT + ("?" + urllib.parse.urlencode(params) if params else "")
    st, _, j = get_json(target, headers=user(role)["headers"] if role else {})
    return st, j


def walk(role="staff", limit=200, **params):
    """Every row the filter selects, following "next" page by page; checks
    each page's size and that ids strictly fall."""
    rows, cursor = [], None
    for _ in range(10000):
        q = dict(params, limit=limit)
        if cursor is not None:
            q["before_id"] = cursor
        st, j = audit(role, **q)
        check(st == 200, f"audit {q}: {st} {j}")
        check(len(j["items"]) <= limit, f"{len(j['items'])} items for limit {limit}")
        check(j["next"] is None or len(j["items"]) == limit, f"a short page with next {j['next']}")
        rows += j["items"]
        cursor = j["next"]
        if cursor is None:
            break
        check(cursor == j["items"][-1]["id"], f"next {cursor} is not the last id")
    ids = [r["id"] for r in rows]
    check(all(a > b for a, b in zip(ids, ids[1:])), f"ids do not strictly fall: {ids[:20]}")
    return rows


def db_rows(where="1", args=()):
    with sqlite3.connect(os.environ["TECHMART_DB"], timeout=30) as db:
        return [r[0] for r in db.execute(
            f"SELECT id FROM audit_log WHERE {where} ORDER BY id DESC", args)]


def call(method, path, role, body=None, headers=None):
    h = {**user(role)["headers"], **(headers or {})}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    st, hd, raw = get(path, method=method, headers=h, data=data)
    return st, hd, (json.loads(raw) if raw else None)


_listing = {}


def tto_listing():
    """A listing the TTO created then edited (summary and TRL): its id."""
    if not _listing:
        st, h, t = call("POST", TECHS, "tto",
                        {"title": "qqauditqq 감사 리스팅", "trl": 3, "summary": "처음 요약"})
        check(st == 201, f"create: {st} {t}")
        st, _, t2 = call("PATCH", f"{TECHS}/{t['id']}", "tto",
                         {"summary": "바뀐 요약", "trl": 5}, {"If-Match": h["etag"]})
        check(st == 200, f"patch: {st} {t2}")
        _listing["id"] = t["id"]
    return _listing["id"]


@test
def only_staff_and_admins_read_the_log():
    st, j = audit(None)
    check(st == 401 and j["error"]["code"] == "unauthenticated", f"anonymous: {st} {j}")
    for role in ("company", "tto"):
        st, j = audit(role)
        check(st == 403 and j["error"]["code"] == "forbidden", f"{role}: {st} {j}")
    for role in ("staff", "admin"):
        st, j = audit(role)
        check(st == 200 and isinstance(j["items"], list) and j["items"], f"{role}: {st} {j}")
    # The session cookie reads it too; a GET needs no X-CSRF-Token.
    st, _, j = get_json(AUDIT, headers={"Cookie": user("staff")["cookie"]})
    check(st == 200 and j["items"], f"staff by cookie: {st} {j}")


@test
def a_tto_listing_change_shows_its_before_and_after_values_and_its_actor():
    tid = tto_listing()
    tto = user("tto")
    st, j = audit(object="technology", object_id=tid)
    check(st == 200, f"{st} {j}")
    check([r["action"] for r in j["items"]] == ["technology.update", "technology.create"],
          f"actions {[r['action'] for r in j['items']]}")
    upd, new = j["items"]
    for r in (upd, new):
        check(r["user_id"] == tto["id"] and r["user_email"] == tto["email"], f"actor {r}")
        check(r["object"] == "technology" and r["object_id"] == tid, f"object {r}")
        check(r["address"] == "127.0.0.1", f"address {r['address']}")
        datetime.datetime.strptime(r["at"], "%Y-%m-%dT%H:%M:%SZ")
    check(upd["before"] == {"summary": "처음 요약", "trl": 3}, f"before {upd['before']}")
    check(upd["after"] == {"summary": "바뀐 요약", "trl": 5}, f"after {upd['after']}")
    check(new["before"] is None and new["after"]["title"] == "qqauditqq 감사 리스팅" and
          new["after"]["trl"] == 3, f"create {new}")
    check(j["next"] is None, f"next {j['next']}")


@test
def command_line_changes_have_no_user_and_no_address():
    user("company")  # added with `techmart user add`
    st, j = audit(action="user.add", object="user")
    rows = [r for r in j["items"] if r["after"] and r["after"].get("email") == "audit-company@example.org"]
    check(st == 200 and len(rows) == 1, f"{st} {j}")
    check(rows[0]["user_id"] is None and rows[0]["user_email"] is None and
          rows[0]["address"] is None, f"{rows[0]}")


@test
def each_filter_selects_exactly_the_rows_it_names():
    tid = tto_listing()
    tto = user("tto")["id"]
    everything = walk()
    check(len(everything) == len(db_rows()), f"walked {len(everything)}, stored {len(db_rows())}")
    cases = [
        ({"object": "technology"}, lambda r: r["object"] == "technology"),
        ({"object": "technology", "object_id": tid},
         lambda r: r["object"] == "technology" and r["object_id"] == tid),
        ({"object": "session"}, lambda r: r["object"] == "session"),
        ({"user_id": tto}, lambda r: r["user_id"] == tto),
        ({"action": "technology.update"}, lambda r: r["action"] == "technology.update"),
        ({"action": "session.open", "user_id": tto},
         lambda r: r["action"] == "session.open" and r["user_id"] == tto),
        ({"object": "no_such_object"}, lambda r: False),
    ]
    for params, keep in cases:
        want = [r["id"] for r in everything if keep(r)]
        got = [r["id"] for r in walk(**params)]
        check(got == want, f"{params}: {len(got)} rows, want {len(want)}")
        check(params.get("object") == "no_such_object" or want, f"{params}: nothing to narrow to")
        check(len(want) < len(everything), f"{params} narrows nothing")
    check(len(db_rows("user_id = ?", (tto,))) == len(walk(user_id=tto)), "user_id vs the DB")


@test
def time_filters_compare_as_utc_and_a_date_covers_its_whole_day():
    everything = walk()
    times = sorted({r["at"] for r in everything})
    mid = times[len(times) // 2]
    for params, keep in (({"since": mid}, lambda r: r["at"] >= mid),
                         ({"until": mid}, lambda r: r["at"] <= mid),
                         ({"since": mid, "until": mid}, lambda r: r["at"] == mid)):
        want = [r["id"] for r in everything if keep(r)]
        got = [r["id"] for r in walk(**params)]
        check(got == want and want, f"{params}: {len(got)} rows, want {len(want)}")
    day = everything[0]["at"][:10]
    on_day = [r["id"] for r in everything if r["at"][:10] == day]
    got = [r["id"] for r in walk(since=day, until=day)]
    check(got == on_day and on_day, f"since=until={day}: {len(got)} rows, want {len(on_day)}")
    d = datetime.date.fromisoformat(day)
    before = (d - datetime.timedelta(days=1)).isoformat()
    after = (d + datetime.timedelta(days=1)).isoformat()
    check([r["id"] for r in walk(until=before)] ==
          [r["id"] for r in everything if r["at"][:10] <= before], f"until={before}")
    check(walk(since=after) == [], f"since={after} finds rows")


@test
def paging_walks_every_row_once_in_any_page_size():
    tto_listing()
    full = [r["id"] for r in walk(limit=200)]
    check(len(full) > 7, f"only {len(full)} rows")
    for limit in (1, 3, 7):
        got = [r["id"] for r in walk(limit=limit)]
        check(got == full, f"limit {limit}: {len(got)} rows, {len(set(got))} distinct, "
                           f"want {len(full)}")
    st, j = audit(limit=len(full))
    check(st == 200 and len(j["items"]) == len(full) and j["next"] is None, f"{j['next']}")
    st, j = audit()
    check(len(j["items"]) == min(50, len(full)), f"default page {len(j['items'])}")
    # A filtered walk pages the filtered rows only.
    tech = [r["id"] for r in walk(object="technology")]
    check([r["id"] for r in walk(limit=1, object="technology")] == tech, "filtered paging")
    # before_id past the newest starts at the newest; at the oldest, nothing is left.
    st, j = audit(before_id=full[0] + 1000, limit=2)
    check([r["id"] for r in j["items"]] == full[:2], f"{j}")
    st, j = audit(before_id=full[-1])
    check(st == 200 and j["items"] == [] and j["next"] is None, f"{j}")


@test
def no_secret_reaches_any_audit_row():
    admin = user("admin")
    # A user added over the API, logged in, with a token, then a new password.
    email, pw = "audit-secret@example.org", "audit secret password 77"
    st, _, made = call("POST", "/api/v1/users", "admin",
                       {"email": email, "password": pw, "role": "staff"})
    check(st == 201, f"create user: {st} {made}")
    st, h, s = login(email, pw)
    check(st == 201, f"login: {st} {s}")
    cookie = h["set-cookie"].split(";")[0]
    st, _, t = get_json("/api/v1/tokens", method="POST", data=b'{"name": "secret"}',
                        headers={"Cookie": cookie, "X-CSRF-Token": s["csrf_token"],
                                 "Content-Type": "application/json"})
    check(st == 201, f"token: {st} {t}")
    st, _, _ = get("/api/v1/session", method="DELETE",
                   headers={"Cookie": cookie, "X-CSRF-Token": s["csrf_token"]})
    check(st == 204, f"logout {st}")
    with sqlite3.connect(os.environ["TECHMART_DB"], timeout=30) as db:
        hashes = [r[0] for r in db.execute('SELECT password_hash FROM "user"')]
        blobs = [r[0].hex() for r in db.execute(
            "SELECT token_hash FROM session UNION ALL SELECT csrf_hash FROM session"
            " UNION ALL SELECT token_hash FROM api_token")]
    secrets = {"password": pw, "list password": PW, "token": t["token"],
               "cookie": cookie.split("=", 1)[1], "csrf": s["csrf_token"]}
    for role in ("company", "tto", "staff", "admin"):
        u = user(role)
        secrets.update({f"{role} token": u["token"], f"{role} cookie": u["cookie"].split("=", 1)[1],
                        f"{role} csrf": u["csrf"]})
    secrets.update({f"hash {i}": x for i, x in enumerate(hashes)})
    secrets.update({f"stored hash {i}": x for i, x in enumerate(blobs)})
    rows = walk()
    check(any(r["action"] == "user.add" and (r["after"] or {}).get("email") == email and
              r["user_id"] == admin["id"] for r in rows), "the API's user.add row is missing")
    check(any(r["action"] == "session.close" for r in rows), "no session.close row")
    check(any(r["action"] == "token.create" for r in rows), "no token.create row")
    bad_keys = {"password", "password_hash", "token", "token_hash", "cookie", "csrf",
                "csrf_token", "csrf_hash", "secret"}
    for r in rows:
        text = json.dumps(r, ensure_ascii=False)
        for what, secret in secrets.items():
            check(secret not in text and secret.lower() not in text.lower(),
                  f"row {r['id']} ({r['action']}) holds the {what}")
        check("$argon2" not in text, f"row {r['id']} holds a password hash")
        for side in ("before", "after"):
            keys = set(r[side] or {})
            check(not keys & bad_keys, f"row {r['id']} {side} has {keys & bad_keys}")
    # The stored text too, not only what the API shows.
    with sqlite3.connect(os.environ["TECHMART_DB"], timeout=30) as db:
        stored = " ".join(str(c) for row in db.execute("SELECT * FROM audit_log") for c in row)
    for what, secret in secrets.items():
        check(secret not in stored, f"audit_log holds the {what}")


BAD = [
    ({"limit": "0"}, "limit"), ({"limit": "201"}, "limit"), ({"limit": "ten"}, "limit"),
    ({"limit": "-5"}, "limit"), ({"object_id": "3"}, "object_id"),
    ({"object": "technology", "object_id": "0"}, "object_id"),
    ({"object": "technology", "object_id": "x1"}, "object_id"),
    ({"object": "Technology"}, "object"), ({"object": "tech nology"}, "object"),
    ({"object": "a" * 65}, "object"), ({"action": "user.add;--"}, "action"),
    ({"user_id": "-1"}, "user_id"), ({"user_id": "1.5"}, "user_id"),
    ({"user_id": "99999999999999999999"}, "user_id"), ({"before_id": "0"}, "before_id"),
    ({"before_id": "abc"}, "before_id"),
    ({"since": "2026-13-01"}, "since"), ({"since": "2026-02-29"}, "since"),
    ({"since": "2026-11-25 09:00:00"}, "since"), ({"since": "2026-11-25T09:00:00"}, "since"),
    ({"since": "2026-11-25T09:00:00+09:00"}, "since"), ({"since": "yesterday"}, "since"),
    ({"until": "2026-11-25T24:00:00Z"}, "until"), ({"until": "2026-11-31"}, "until"),
    ({"until": "2026-11-25T09:60:00Z"}, "until"),
    ({"since": "2026-11-26", "until": "2026-11-25"}, "since"),
    ({"since": "2026-11-25T10:00:00Z", "until": "2026-11-25T09:59:59Z"}, "since"),
]


@test
def bad_parameters_are_400_naming_the_parameter():
    for params, field in BAD:
        st, j = audit(**params)
        check(st == 400 and j["error"]["code"] == "invalid" and j["error"].get("field") == field,
              f"{params}: {st} {j}")
    for params in ({"since": "2024-02-29"}, {"until": "2026-11-25T23:59:59Z"},
                   {"since": "2026-11-25", "until": "2026-11-25"}, {"limit": "200"},
                   {"limit": "1"}, {"object": "api_token", "object_id": "1"}):
        st, j = audit(**params)
        check(st == 200, f"{params}: {st} {j}")


@test
def listings_made_here_are_withdrawn_at_the_end():
    """Other suites count the demo catalogue: leave nothing of ours visible."""
    if _listing:
        st, _, _ = call("DELETE", f"{TECHS}/{_listing['id']}", "tto")
        check(st == 204, f"withdraw: {st}")
    _, _, j = get_json(TECHS + "?q=qqauditqq")
    check(j["total"] == 0, f"{j['total']} listings of this suite are still found")


run_all()
