"""The authorization matrix: every route of server/srv_route.c x every role.

ROLES are the kinds of caller the issue names: anonymous, company, tto of
the object's own institution, tto of another institution, staff and admin.
MATRIX has one row per route (method, path pattern) with the status each
role gets; a route of srv_route.c without a row (or a row without a route)
fails `every_route_has_a_row`, so a new route cannot skip this table.

Each role's user is added with `techmart user add` (company and tto users
at institutions of the demo catalogue) and logs in; every row is requested
once per role with a bearer token and once with the session cookie (and its
X-CSRF-Token). For the objects of the token routes, "own" is the tto_own
user: DELETE /api/v1/tokens/{id} targets a token of that user. For the
listing routes, "tto_own" is a TTO of the technology's institution: PATCH
and DELETE target a (visible) technology created by tto_own, so tto_other
gets 403; withdrawn ones (404 for it) are in test_listings.py."""
import json
import os
import re

from harness import ROOT, add_user, check, get, get_json, login, run_all, test

ROLES = ("anonymous", "company", "tto_own", "tto_other", "staff", "admin")
PW = "matrix password long enough"
ROUTES_C = os.path.join(ROOT, "server/srv_route.c")


def expect(anonymous, signed_in=None, **per_role):
    """Statuses by role: anonymous's, then one for every signed-in role,
    overridden per role."""
    out = {r: (signed_in if signed_in is not None else anonymous) for r in ROLES}
    out["anonymous"] = anonymous
    out.update(per_role)
    return out


_users = {}
_inst = []


def institutions():
    if not _inst:
        _, _, j = get_json("/api/v1/institutions")
        check(len(j["items"]) >= 2, "the demo catalogue has fewer than 2 institutions")
        _inst.extend([j["items"][0]["id"], j["items"][1]["id"]])
    return _inst


def email_of(role):
    return f"matrix-{role.replace('_', '-')}@example.org"


def user(role):
    """The role's user, created once: {"email", "bearer", "cookie"} (header dicts)."""
    if role not in _users:
        own, other = institutions()
        kind, inst = {"company": ("company", own), "tto_own": ("tto", own),
                      "tto_other": ("tto", other), "staff": ("staff", None),
                      "admin": ("admin", None)}[role]
        add_user(email_of(role), PW, kind, inst)
        cookie = fresh_cookie(role)
        st, _, j = get_json("/api/v1/tokens", method="POST", headers=cookie,
                            data=json.dumps({"name": "matrix"}).encode())
        check(st == 201, f"{role}: token {st} {j}")
        _users[role] = {"bearer": {"Authorization": "Bearer " + j["token"]}, "cookie": cookie}
    return _users[role]


def fresh_cookie(role):
    st, h, j = login(email_of(role), PW)
    check(st == 201, f"{role}: login {st} {j}")
    return {"Cookie": h["set-cookie"].split(";")[0], "X-CSRF-Token": j["csrf_token"]}


def creds(role, how):
    return {} if role == "anonymous" else dict(user(role)[how])


# ---- request builders: (target, headers, body) for a role and a credential


def plain(path):
    return lambda role, how: (path, creds(role, how), None)


def a_technology(role, how):
    _, _, j = get_json("/api/v1/technologies?per_page=1")
    return f"/api/v1/technologies/{j['items'][0]['id']}", creds(role, how), None


def a_login(role, how):
    who = role if role != "anonymous" else "staff"
    user(who)
    body = json.dumps({"email": email_of(who), "password": PW}).encode()
    return "/api/v1/session", creds(role, how), body


def a_logout(role, how):
    # Logging out ends a cookie session: every signed-in role uses a new one.
    return "/api/v1/session", ({} if role == "anonymous" else fresh_cookie(role)), None


def a_token_name(role, how):
    return "/api/v1/tokens", creds(role, how), json.dumps({"name": "m"}).encode()


def tto_own_token(role, how):
    st, _, j = get_json("/api/v1/tokens", method="POST", headers=creds("tto_own", "bearer"),
                        data=json.dumps({"name": "target"}).encode())
    check(st == 201, f"target token: {st} {j}")
    return f"/api/v1/tokens/{j['id']}", creds(role, how), None


def own_listing():
    """A new technology of tto_own's institution; its id."""
    st, _, j = get_json("/api/v1/technologies", method="POST",
                        headers={**creds("tto_own", "bearer"), "Content-Type": "application/json"},
                        data=json.dumps({"title": "qqmatrixqq listing"}).encode())
    check(st == 201, f"own listing: {st} {j}")
    return j["id"]


def a_new_listing(role, how):
    body = {"title": f"qqmatrixqq listing by {role}"}
    if role in ("staff", "admin"):  # a TTO's listing is its institution's; theirs must name one
        _, _, j = get_json("/api/v1/institutions")
        body["institution"] = next(i["name"] for i in j["items"] if i["id"] == institutions()[0])
    return "/api/v1/technologies", creds(role, how), json.dumps(body).encode()


_patch_target = []


def a_listing_patch(role, how):
    if not _patch_target:
        _patch_target.append(own_listing())
    path = f"/api/v1/technologies/{_patch_target[0]}"
    st, h, _ = get(path)
    check(st == 200, f"patch target: {st}")
    headers = {**creds(role, how), "If-Match": h["etag"]}
    return path, headers, json.dumps({"summary": f"edited by {role}"}).encode()


def a_listing_withdrawal(role, how):
    return f"/api/v1/technologies/{own_listing()}", creds(role, how), None


def an_import(role, how):
    # ?format=csv: the matrix sends every body as application/json. The row
    # is rejected (bad TRL), so nothing is stored.
    _, _, j = get_json("/api/v1/institutions")
    name = next(i["name"] for i in j["items"] if i["id"] == institutions()[0])
    body = f"title,trl,institution\nqqmatrixqq import,ten,{name}\n".encode()
    return "/api/v1/imports?format=csv", creds(role, how), body


def a_new_user(role, how):
    # Anonymous callers register a company (its institution's name sorts
    # after the demo catalogue's: fullwidth letters follow Hangul); an admin
    # adds staff; the others are refused before the body is read.
    n = f"{role}-{how}-{len(_new_users)}"
    _new_users.append(n)
    body = {"email": f"matrix-new-{n}@example.org", "password": PW}
    if role == "admin":
        body["role"] = "staff"
    else:
        body["institution"] = {"name": f"ｚ matrix company {n}"}
    return "/api/v1/users", creds(role, how), json.dumps(body).encode()


_new_users = []


def a_new_institution(role, how):
    n = f"{role}-{how}-{len(_new_users)}"
    _new_users.append(n)
    body = {"name": f"ｚ matrix institution {n}", "kind": "agency"}
    return "/api/v1/institutions", creds(role, how), json.dumps(body).encode()


def a_password_change(role, how):
    # A wrong current password: the answer past authorization is 403 naming
    # current_password, and no account's password changes.
    body = {"current_password": "not the password", "new_password": "matrix new password long"}
    return "/api/v1/me/password", creds(role, how), json.dumps(body).encode()


# (method, route pattern as in srv_route.c, request builder, statuses by role)
MATRIX = [
    ("GET", "/healthz", plain("/healthz"), expect(200)),
    ("GET", "/api/v1/technologies", plain("/api/v1/technologies?q=%EC%84%BC%EC%84%9C"),
     expect(200)),
    ("GET", "/api/v1/technologies/{id}", a_technology, expect(200)),
    ("GET", "/api/v1/institutions", plain("/api/v1/institutions"), expect(200)),
    ("POST", "/api/v1/session", a_login, expect(201)),
    ("DELETE", "/api/v1/session", a_logout, expect(401, 204)),
    ("GET", "/api/v1/me", plain("/api/v1/me"), expect(401, 200)),
    ("POST", "/api/v1/tokens", a_token_name, expect(401, 201)),
    ("GET", "/api/v1/tokens", plain("/api/v1/tokens"), expect(401, 200)),
    ("DELETE", "/api/v1/tokens/{id}", tto_own_token, expect(401, 404, tto_own=204)),
    ("POST", "/api/v1/technologies", a_new_listing, expect(401, 201, company=403)),
    ("PATCH", "/api/v1/technologies/{id}", a_listing_patch,
     expect(401, 200, company=403, tto_other=403)),
    ("DELETE", "/api/v1/technologies/{id}", a_listing_withdrawal,
     expect(401, 204, company=403, tto_other=403)),
    ("POST", "/api/v1/imports", an_import, expect(401, 200, company=403)),
    # A TTO exports its own institution's (the default when it names none).
    ("GET", "/api/v1/technologies/export",
     plain("/api/v1/technologies/export?format=jsonl&q=%EA%B7%B8%EB%9E%98%ED%95%80"),
     expect(401, 200, company=403)),
    ("POST", "/api/v1/users", a_new_user, expect(201, 403, admin=201)),
    ("POST", "/api/v1/institutions", a_new_institution, expect(401, 403, admin=201)),
    ("POST", "/api/v1/me/password", a_password_change, expect(401, 403)),
    ("GET", "/api/v1/audit", plain("/api/v1/audit?object=technology&limit=5"),
     expect(401, 403, staff=200, admin=200)),
]

ERROR_CODE = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}


def c_routes():
    with open(ROUTES_C, encoding="utf-8") as f:
        rows = re.findall(r'\{\s*EVHTTP_REQ_([A-Z]+)\s*,\s*"([^"]+)"', f.read())
    check(rows, f"no routes found in {ROUTES_C}")
    return rows


@test
def every_route_has_a_row_and_every_row_a_route():
    routes = set(c_routes())
    rows = [(m, p) for m, p, _, _ in MATRIX]
    missing = sorted(routes - set(rows))
    check(not missing, f"routes of server/srv_route.c with no row in MATRIX: {missing}")
    stale = sorted(set(rows) - routes)
    check(not stale, f"MATRIX rows for routes srv_route.c lacks: {stale}")
    check(len(rows) == len(set(rows)), "a route has two rows")
    for m, p, _, want in MATRIX:
        check(set(want) == set(ROLES), f"{m} {p}: roles {sorted(want)}")


def run_row(method, pattern, build, want, how):
    bad = []
    for role in ROLES:
        target, headers, body = build(role, how)
        if body is not None:
            headers["Content-Type"] = "application/json"
        st, _, raw = get(target, method=method, headers=headers, data=body)
        if st != want[role]:
            bad.append(f"{role}: {st} (want {want[role]}) {raw[:100]!r}")
        elif st in ERROR_CODE:
            code = json.loads(raw)["error"]["code"]
            if code != ERROR_CODE[st]:
                bad.append(f"{role}: {st} with code {code}")
    check(not bad, f"{method} {pattern} ({how}): " + "; ".join(bad))


def _row_test(method, pattern, build, want, how):
    def t():
        run_row(method, pattern, build, want, how)
    t.__name__ = f"{method} {pattern} with {how}"
    test(t)


for _m, _p, _b, _w in MATRIX:
    for _how in ("bearer", "cookie"):
        _row_test(_m, _p, _b, _w, _how)



def listings_made_here_are_withdrawn_at_the_end():
    """Other suites count the demo catalogue: leave nothing of ours visible."""
    staff = creds("staff", "bearer")
    for _ in range(20):
        _, _, j = get_json("/api/v1/technologies?q=qqmatrixqq&per_page=100")
        if not j["items"]:
            return
        for it in j["items"]:
            st, _, _ = get(f"/api/v1/technologies/{it['id']}", method="DELETE", headers=staff)
            check(st == 204, f"withdraw {it['id']}: {st}")
    check(False, "matrix listings are still found")


test(listings_made_here_are_withdrawn_at_the_end)

run_all()
