"""API tokens: POST/GET /api/v1/tokens, DELETE /api/v1/tokens/{id}, and
bearer authentication. Users are added with `techmart user add`."""
import json

from harness import add_user, check, get, get_json, login, run_all, test

PW = "a long enough token password"
TOKENS = "/api/v1/tokens"
ME = "/api/v1/me"
_users = {}


def session(email, role="staff"):
    """(cookie header dict with X-CSRF-Token, user) of a new login of email."""
    if email not in _users:
        add_user(email, PW, role)
        _users[email] = True
    st, h, j = login(email, PW)
    check(st == 201, f"login {email}: {st} {j}")
    return {"Cookie": h["set-cookie"].split(";")[0], "X-CSRF-Token": j["csrf_token"]}, j["user"]


def create(headers, name="script"):
    return get_json(TOKENS, method="POST", data=json.dumps({"name": name}).encode(),
                    headers={**headers, "Content-Type": "application/json"})


def bearer(token):
    return {"Authorization": "Bearer " + token}


@test
def a_created_token_is_shown_once_and_authenticates_as_its_user():
    c, user = session("tokens-a@example.org")
    st, _, j = create(c, "ci job")
    check(st == 201, f"{st} {j}")
    check(set(j) == {"id", "name", "token", "created_at"}, f"fields {sorted(j)}")
    check(j["name"] == "ci job" and isinstance(j["id"], int) and len(j["token"]) == 43, f"{j}")
    check(j["created_at"].endswith("Z") and "T" in j["created_at"], j["created_at"])
    st, _, me = get_json(ME, headers=bearer(j["token"]))
    check(st == 200 and me == user, f"{st} {me} != {user}")


@test
def the_list_holds_the_callers_tokens_without_their_secrets():
    c, _ = session("tokens-list@example.org")
    _, _, t1 = create(c, "one")
    _, _, t2 = create(c, "two")
    other, _ = session("tokens-other@example.org")
    create(other, "not mine")
    st, _, j = get_json(TOKENS, headers=bearer(t1["token"]))
    check(st == 200, f"{st} {j}")
    check([(t["id"], t["name"]) for t in j["items"]] == [(t1["id"], "one"), (t2["id"], "two")],
          f"{j}")
    raw = json.dumps(j)
    check(t1["token"] not in raw and t2["token"] not in raw, "a secret in the list")
    for t in j["items"]:
        check(set(t) == {"id", "name", "created_at", "last_used"}, f"fields {sorted(t)}")
    used = next(t for t in j["items"] if t["id"] == t1["id"])
    check(used["last_used"] is not None, "last_used not set by a bearer request")


@test
def a_revoked_token_is_401_and_leaves_the_list():
    c, _ = session("tokens-revoke@example.org")
    _, _, t = create(c)
    b = bearer(t["token"])
    check(get(ME, headers=b)[0] == 200, "fresh token refused")
    st, _, raw = get(f"{TOKENS}/{t['id']}", method="DELETE", headers=b)
    check(st == 204 and raw == b"", f"{st} {raw!r}")
    st, _, j = get_json(ME, headers=b)
    check(st == 401 and j["error"]["code"] == "unauthenticated", f"{st} {j}")
    _, _, lst = get_json(TOKENS, headers=c)
    check(t["id"] not in [x["id"] for x in lst["items"]], "revoked token still listed")
    st, _, _ = get_json(f"{TOKENS}/{t['id']}", method="DELETE", headers=c)
    check(st == 404, f"second revoke: {st}")


@test
def another_users_token_id_is_404_and_stays_valid():
    mine, _ = session("tokens-owner@example.org", "admin")
    _, _, t = create(mine)
    for role in ("staff", "admin"):
        other, _ = session(f"tokens-intruder-{role}@example.org", role)
        st, _, j = get_json(f"{TOKENS}/{t['id']}", method="DELETE", headers=other)
        check(st == 404 and j["error"]["code"] == "not_found", f"{role}: {st} {j}")
    check(get(ME, headers=bearer(t["token"]))[0] == 200, "the token was revoked by another user")
    for bad in ("999999999", "0", "abc", "01"):
        st, _, _ = get_json(f"{TOKENS}/{bad}", method="DELETE", headers=mine)
        check(st == 404, f"{bad}: {st}")


@test
def a_bearer_request_needs_no_csrf_token_but_a_cookie_one_does():
    c, _ = session("tokens-csrf@example.org")
    _, _, t = create(c)
    st, _, j = create(bearer(t["token"]), "made with a token")
    check(st == 201, f"bearer POST: {st} {j}")
    cookie_only = {"Cookie": c["Cookie"]}
    st, _, j = create(cookie_only)
    check(st == 403 and j["error"].get("field") == "X-CSRF-Token", f"cookie POST: {st} {j}")
    st, _, j = create({**cookie_only, "X-CSRF-Token": "A" * 43})
    check(st == 403, f"wrong CSRF: {st} {j}")
    st, _, j = get_json(f"{TOKENS}/{t['id']}", method="DELETE", headers=cookie_only)
    check(st == 403, f"cookie DELETE without CSRF: {st} {j}")
    check(get(ME, headers=bearer(t["token"]))[0] == 200, "revoked without a CSRF token")


@test
def tokens_are_401_without_credentials_or_with_a_bad_one():
    for h in ({}, bearer("A" * 43), bearer("short"), {"Authorization": "Basic Zm9vOmJhcg=="}):
        st, _, j = get_json(TOKENS, headers=h)
        check(st == 401 and j["error"]["code"] == "unauthenticated", f"{h}: {st} {j}")
    st, _, _ = create({})
    check(st == 401, f"anonymous POST: {st}")


@test
def a_session_cookie_is_not_a_bearer_token():
    c, _ = session("tokens-cookie@example.org")
    value = c["Cookie"].split("=", 1)[1]
    check(get(ME, headers=bearer(value))[0] == 401, "a session id accepted as a bearer token")


@test
def a_disabled_users_tokens_stop_working():
    import os
    import subprocess
    email = "tokens-disabled@example.org"
    c, _ = session(email)
    _, _, t = create(c)
    check(get(ME, headers=bearer(t["token"]))[0] == 200, "fresh token refused")
    r = subprocess.run([os.environ["TECHMART_BIN"], "user", "disable", "--db",
                        os.environ["TECHMART_DB"], "--email", email], capture_output=True)
    check(r.returncode == 0, r.stderr)
    check(get(ME, headers=bearer(t["token"]))[0] == 401, "a disabled user's token works")
    check(get(ME, headers={"Cookie": c["Cookie"]})[0] == 401, "a disabled user's session works")


@test
def bad_token_bodies_are_400_naming_the_field():
    c, _ = session("tokens-a@example.org")
    cases = [(b"{not json", None), (b"[]", None), (b"{}", "name"),
             (json.dumps({"name": ""}).encode(), "name"),
             (json.dumps({"name": 5}).encode(), "name"),
             (json.dumps({"name": "x" * 101}).encode(), "name"),
             (json.dumps({"name": "x", "user_id": 1}).encode(), "user_id")]
    for body, field in cases:
        st, _, j = get_json(TOKENS, method="POST", data=body, headers=c)
        check(st == 400 and j["error"]["code"] == "invalid", f"{body[:30]!r}: {st} {j}")
        if field:
            check(j["error"].get("field") == field, f"{body[:30]!r}: {j}")


run_all()
