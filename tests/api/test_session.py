"""Logging in and out: POST/DELETE /api/v1/session and GET /api/v1/me.

Users are added with `techmart user add` on the server's own database file.
The rate-limit test runs last: it locks its own email out for 15 minutes and
adds five failures to this address's count (20 allowed)."""
import json

from harness import add_user, check, get, get_json, login, run_all, test

PW = "a long enough test password"
ME = "/api/v1/me"
SESSION = "/api/v1/session"
_users = set()


def user(email, role="staff", pw=PW):
    if email not in _users:
        add_user(email, pw, role)
        _users.add(email)
    return email


def cookie_of(h):
    return h["set-cookie"].split(";")[0]


@test
def login_sets_an_httponly_strict_session_cookie_and_returns_the_user_and_a_csrf_token():
    email = user("session-ok@example.org")
    st, h, j = login(email.upper(), PW)
    check(st == 201, f"status {st} {j}")
    attrs = [a.strip() for a in h["set-cookie"].split(";")]
    name, _, value = attrs[0].partition("=")
    check(name == "techmart_session" and len(value) >= 43, f"cookie {attrs[0][:20]}...")
    for want in ("HttpOnly", "SameSite=Strict", "Path=/"):
        check(want in attrs, f"{want} missing from {attrs[1:]}")
    check("Secure" not in attrs, "Secure without --secure-cookies")
    check(j["user"]["email"] == email and j["user"]["role"] == "staff", f"{j['user']}")
    check(j["user"]["institution_id"] is None and isinstance(j["user"]["id"], int), f"{j}")
    check(isinstance(j["csrf_token"], str) and len(j["csrf_token"]) >= 43, "csrf_token")
    check(j["csrf_token"] != value, "the CSRF token is the cookie")


@test
def two_logins_get_different_tokens():
    email = user("session-ok@example.org")
    _, h1, j1 = login(email, PW)
    _, h2, j2 = login(email, PW)
    check(cookie_of(h1) != cookie_of(h2) and j1["csrf_token"] != j2["csrf_token"], "same tokens")


@test
def me_answers_the_user_of_the_cookie_and_401_without_one():
    email = user("session-ok@example.org")
    _, h, j = login(email, PW)
    st, _, me = get_json(ME, headers={"Cookie": "other=1; " + cookie_of(h) + "; x=y"})
    check(st == 200 and me == j["user"], f"{st} {me}")
    st, _, body = get_json(ME)
    check(st == 401 and body["error"]["code"] == "unauthenticated", f"{st} {body}")
    st, _, _ = get_json(ME, headers={"Cookie": "techmart_session=" + "A" * 43})
    check(st == 401, f"a made-up token: {st}")
    st, _, _ = get_json(ME, headers={"Cookie": "techmart_session=short"})
    check(st == 401, f"a malformed token: {st}")


@test
def wrong_password_and_unknown_email_get_byte_identical_401s():
    email = user("session-ok@example.org")
    st1, h1, b1 = get(SESSION, method="POST",
                      data=json.dumps({"email": email, "password": "wrong password!"}).encode())
    st2, h2, b2 = get(SESSION, method="POST",
                      data=json.dumps({"email": "nobody-here@example.org",
                                       "password": "wrong password!"}).encode())
    check(st1 == st2 == 401, f"{st1} {st2}")
    check(b1 == b2, f"{b1!r} != {b2!r}")
    check(json.loads(b1) == {"error": {"code": "unauthenticated",
                                       "message": "wrong email or password"}}, f"{b1!r}")
    check("set-cookie" not in h1 and "set-cookie" not in h2, "a cookie on failure")


@test
def a_disabled_user_gets_the_same_401():
    import os
    import subprocess
    email = user("session-disabled@example.org")
    r = subprocess.run([os.environ["TECHMART_BIN"], "user", "disable", "--db",
                        os.environ["TECHMART_DB"], "--email", email], capture_output=True)
    check(r.returncode == 0, r.stderr)
    st, _, j = login(email, PW)
    check(st == 401 and j["error"]["message"] == "wrong email or password", f"{st} {j}")


@test
def logout_needs_the_csrf_token_then_revokes_the_session():
    email = user("session-ok@example.org")
    _, h, j = login(email, PW)
    c = {"Cookie": cookie_of(h)}
    st, _, body = get_json(SESSION, method="DELETE", headers=c)
    check(st == 403 and body["error"]["code"] == "forbidden", f"without CSRF: {st} {body}")
    st, _, _ = get_json(SESSION, method="DELETE", headers={**c, "X-CSRF-Token": "A" * 43})
    check(st == 403, f"wrong CSRF: {st}")
    check(get(ME, headers=c)[0] == 200, "the session ended on a refused logout")
    st, hh, raw = get(SESSION, method="DELETE", headers={**c, "X-CSRF-Token": j["csrf_token"]})
    check(st == 204 and raw == b"", f"{st} {raw!r}")
    check("Max-Age=0" in hh.get("set-cookie", ""), f"cookie not cleared: {hh.get('set-cookie')}")
    check(get(ME, headers=c)[0] == 401, "the session survived logout")
    st, _, _ = get_json(SESSION, method="DELETE", headers={**c, "X-CSRF-Token": j["csrf_token"]})
    check(st == 401, f"second logout: {st}")


@test
def logout_without_a_session_is_401():
    st, _, body = get_json(SESSION, method="DELETE")
    check(st == 401 and body["error"]["code"] == "unauthenticated", f"{st} {body}")


@test
def malformed_login_bodies_are_400_naming_the_field():
    cases = [
        (b"{not json", None),
        (b"[]", None),
        (json.dumps({"email": "a@b.example"}).encode(), "password"),
        (json.dumps({"password": "x"}).encode(), "email"),
        (json.dumps({"email": "a@b.example", "password": "x", "role": "admin"}).encode(), "role"),
        (json.dumps({"email": 5, "password": "x"}).encode(), "email"),
        (json.dumps({"email": "a@b.example", "password": "x" * 1025}).encode(), "password"),
    ]
    for body, field in cases:
        st, h, j = get_json(SESSION, method="POST", data=body)
        check(st == 400 and j and j["error"]["code"] == "invalid", f"{body[:40]!r}: {st} {j}")
        check(h["content-type"].startswith("application/json"), f"{h['content-type']}")
        if field:
            check(j["error"].get("field") == field, f"{body[:40]!r}: field {j['error']}")


@test
def an_oversize_login_body_is_413_json():
    st, h, j = get_json(SESSION, method="POST", data=b"{" + b" " * 5000 + b"}")
    check(st == 413 and j and j["error"]["code"] == "too_large", f"{st} {j}")


@test
def five_failed_logins_for_one_email_answer_429_with_retry_after_even_with_the_right_password():
    email = user("session-limited@example.org")
    for i in range(5):
        st, _, _ = login(email, "not the password")
        check(st == 401, f"attempt {i + 1}: {st}")
    st, h, j = login(email, PW)
    check(st == 429, f"sixth attempt: {st} {j}")
    check(j["error"]["code"] == "rate_limited", f"{j}")
    check(0 < int(h.get("retry-after", "0")) <= 900, f"Retry-After {h.get('retry-after')}")
    other = user("session-ok@example.org")
    check(login(other, PW)[0] == 201, "another email is locked out too")


run_all()
