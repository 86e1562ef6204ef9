"""Account administration and account policy over HTTP.

Admins create institutions (POST /api/v1/institutions); users change their
own password (POST /api/v1/me/password), which ends their other login
sessions; `techmart user passwd` ends them all. Sessions expire after the
configured idle time and absolute lifetime and survive a restart; company
sign-ups are limited per address. Settings the shared server must not have
are checked on servers spawned for the test (harness.spawn_server)."""
import json
import os
import sqlite3
import subprocess
import time
import uuid

from harness import (add_user, check, get, get_json, institutions, login, run_all, spawn_server,
                     test)

JSON_HDR = {"Content-Type": "application/json"}
PW = "accounts test password long"
NEW_PW = "accounts new password longer"


def uniq():
    return uuid.uuid4().hex[:10]


def cookie_of(headers):
    return headers["set-cookie"].split(";", 1)[0]


def session(email, password, base=None):
    """Logs in; (cookie header dict, csrf token)."""
    st, h, j = get_json("/api/v1/session", method="POST", base=base, headers=JSON_HDR,
                        data=json.dumps({"email": email, "password": password}).encode())
    check(st == 201, f"login {email}: {st} {j}")
    return {"Cookie": cookie_of(h)}, j["csrf_token"]


def me(cookie, base=None):
    st, _, _ = get_json("/api/v1/me", headers=cookie, base=base)
    return st


def new_user(role="company", password=PW):
    email = f"acc-{role}-{uniq()}@example.org"
    inst = institutions()[0]["id"] if role in ("company", "tto") else None
    add_user(email, password, role, inst)
    return email


def bearer_of(email, password=PW):
    cookie, csrf = session(email, password)
    st, _, j = get_json("/api/v1/tokens", method="POST",
                        headers={**cookie, **JSON_HDR, "X-CSRF-Token": csrf},
                        data=json.dumps({"name": "accounts test"}).encode())
    check(st == 201, f"token: {st} {j}")
    return {"Authorization": f"Bearer {j['token']}"}


def audit_rows(action, object_id=None):
    with sqlite3.connect(os.environ["TECHMART_DB"], timeout=10) as db:
        q = "SELECT user_id, action, object, object_id, after FROM audit_log WHERE action = ?"
        args = [action]
        if object_id is not None:
            q += " AND object_id = ?"
            args.append(object_id)
        return db.execute(q, args).fetchall()


# ---- institutions

_admin = {}


def admin():
    if not _admin:
        email = new_user("admin")
        _admin["email"] = email
        _admin["bearer"] = bearer_of(email)
    return _admin["bearer"]


def post_inst(body, headers):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return get_json("/api/v1/institutions", method="POST", headers={**JSON_HDR, **headers},
                    data=data)


@test
def an_admin_creates_an_institution_that_is_then_listed_and_audited():
    name = f"ｚ 계정시험대학교 {uniq()}"
    st, _, j = post_inst({"name": name, "name_en": f"Accounts Test University {uniq()}",
                          "kind": "university", "groups": ["forum"]}, admin())
    check(st == 201, f"{st} {j}")
    check(j["name"] == name and j["kind"] == "university" and j["groups"] == ["forum"], str(j))
    check(isinstance(j["id"], int) and j["technologies"] == 0, str(j))
    _, _, listed = get_json("/api/v1/institutions")
    check(any(i["id"] == j["id"] and i["name"] == name for i in listed["items"]), "not listed")
    rows = audit_rows("institution.add", j["id"])
    check(len(rows) == 1 and rows[0][0] and name in rows[0][4], f"audit rows {rows}")


@test
def an_institution_without_a_kind_is_other_and_a_tto_user_can_then_belong_to_it():
    name = f"ｚ 기관 {uniq()}"
    st, _, j = post_inst({"name": name}, admin())
    check(st == 201 and j["kind"] == "other", f"{st} {j}")
    add_user(f"acc-tto-{uniq()}@example.org", PW, "tto", j["id"])


@test
def a_taken_name_or_english_name_is_409_naming_it():
    name, en = f"ｚ 중복기관 {uniq()}", f"Duplicate Institute {uniq()}"
    st, _, _ = post_inst({"name": name, "name_en": en}, admin())
    check(st == 201, f"first {st}")
    st, _, j = post_inst({"name": name}, admin())
    check(st == 409 and j["error"]["field"] == "name", f"{st} {j}")
    st, _, j = post_inst({"name": f"ｚ 다른기관 {uniq()}", "name_en": en.upper()}, admin())
    check(st == 409 and j["error"]["field"] == "name_en", f"{st} {j}")


@test
def institution_bodies_are_validated_and_server_fields_refused():
    cases = [({"name_en": "No Korean Name"}, "name"),
             ({"name": f"ｚ {uniq()}", "kind": "castle"}, "kind"),
             ({"name": f"ｚ {uniq()}", "id": 5}, "id"),
             ({"name": f"ｚ {uniq()}", "technologies": 3}, "technologies"),
             ({"name": f"ｚ {uniq()}", "created_at": "2020-01-01"}, "created_at"),
             ({"name": "x" * 300}, "name")]
    for body, field in cases:
        st, _, j = post_inst(body, admin())
        check(st == 400 and j["error"]["field"] == field, f"{body}: {st} {j}")
    for raw in (b"[]", b"{", b""):
        st, _, j = post_inst(raw, admin())
        check(st == 400 and "error" in j, f"{raw!r}: {st} {j}")


@test
def only_admins_create_institutions():
    body = {"name": f"ｚ 권한시험 {uniq()}"}
    st, _, _ = post_inst(body, {})
    check(st == 401, f"anonymous {st}")
    for role in ("company", "tto", "staff"):
        st, _, _ = post_inst(body, bearer_of(new_user(role)))
        check(st == 403, f"{role} {st}")
    _, _, listed = get_json("/api/v1/institutions")
    check(not any(i["name"] == body["name"] for i in listed["items"]), "created anyway")


# ---- password changes

def change(headers, current, new):
    return get_json("/api/v1/me/password", method="POST", headers={**JSON_HDR, **headers},
                    data=json.dumps({"current_password": current, "new_password": new}).encode())


@test
def changing_the_password_ends_the_other_sessions_but_not_this_one_nor_tokens():
    email = new_user()
    token = bearer_of(email)
    a, csrf_a = session(email, PW)
    b, _ = session(email, PW)
    st, _, j = change({**a, "X-CSRF-Token": csrf_a}, PW, NEW_PW)
    check(st == 204, f"change: {st} {j}")
    check(me(a) == 200, "the session it was changed from ended")
    check(me(b) == 401, "another session survived the change")
    check(get_json("/api/v1/me", headers=token)[0] == 200, "the API token stopped working")
    check(login(email, PW)[0] == 401, "the old password still works")
    check(login(email, NEW_PW)[0] == 201, "the new password does not work")
    user_id = get_json("/api/v1/me", headers=a)[2]["id"]
    rows = audit_rows("session.close_all", user_id)
    check(len(rows) == 1 and '"sessions_closed":' in rows[0][4], f"audit {rows}")
    check(all(PW not in (r[4] or "") and NEW_PW not in (r[4] or "")
              for r in audit_rows("user.passwd", user_id)), "a password in the audit log")


@test
def a_password_change_by_bearer_token_ends_every_session():
    email = new_user()
    token = bearer_of(email)
    a, _ = session(email, PW)
    st, _, j = change(token, PW, NEW_PW)
    check(st == 204, f"{st} {j}")
    check(me(a) == 401, "a session survived")


@test
def a_password_change_with_the_cookie_needs_the_csrf_token():
    email = new_user()
    a, _ = session(email, PW)
    st, _, _ = change(a, PW, NEW_PW)
    check(st == 403, f"without X-CSRF-Token: {st}")
    check(login(email, PW)[0] == 201, "the password changed without the CSRF token")


@test
def a_wrong_current_password_is_403_and_the_new_one_must_pass_the_policy():
    email = new_user()
    token = bearer_of(email)
    st, _, j = change(token, "not the password at all", NEW_PW)
    check(st == 403 and j["error"]["field"] == "current_password", f"wrong: {st} {j}")
    for new, why in (("short", "too short"), ("password1234", "common"), (PW, "unchanged")):
        st, _, j = change(token, PW, new)
        check(st == 400 and j["error"]["field"] == "new_password", f"{why}: {st} {j}")
        check(new not in json.dumps(j), f"{why}: the answer repeats the password")
    st, _, j = get_json("/api/v1/me/password", method="POST", headers={**JSON_HDR, **token},
                        data=json.dumps({"current_password": PW, "new_password": NEW_PW,
                                         "email": "other@example.org"}).encode())
    check(st == 400 and j["error"]["field"] == "email", f"extra member: {st} {j}")
    check(login(email, PW)[0] == 201, "the password changed")


@test
def five_wrong_current_passwords_lock_password_changes_with_429():
    email = new_user()
    token = bearer_of(email)
    for i in range(5):
        st, _, _ = change(token, f"wrong guess number {i}", NEW_PW)
        check(st == 403, f"guess {i}: {st}")
    st, h, j = change(token, PW, NEW_PW)
    check(st == 429 and int(h.get("retry-after", "0")) > 0, f"sixth: {st} {h} {j}")
    check(login(email, PW)[0] == 201, "the password changed while locked")


@test
def anonymous_password_changes_are_401():
    st, _, _ = change({}, PW, NEW_PW)
    check(st == 401, f"{st}")


@test
def the_cli_password_reset_ends_every_session():
    email = new_user()
    a, _ = session(email, PW)
    r = subprocess.run([os.environ["TECHMART_BIN"], "user", "passwd", "--db",
                        os.environ["TECHMART_DB"], "--email", email, "--password-stdin"],
                       input=NEW_PW + "\n", capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, r.stderr)
    check(me(a) == 401, "the session survived a password reset")
    check(login(email, NEW_PW)[0] == 201, "new password")


@test
def wrong_passwords_sent_at_once_are_counted_before_they_are_checked():
    # Each attempt is counted when it is queued for hashing, so eight sent at
    # once cannot all pass the limit of five: three are refused at once.
    import threading  # noqa: PLC0415
    email = new_user()
    token = bearer_of(email)
    statuses = []
    lock = threading.Lock()

    def attempt(i):
        st, _, _ = change(token, f"concurrent wrong guess {i}", NEW_PW)
        with lock:
            statuses.append(st)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(sorted(statuses) == [403] * 5 + [429] * 3, f"statuses {sorted(statuses)}")
    check(login(email, PW)[0] == 201, "the password changed")


@test
def two_password_changes_at_once_cannot_both_win():
    import threading  # noqa: PLC0415
    email = new_user()
    token = bearer_of(email)
    results = {}

    def attempt(new):
        results[new] = change(token, PW, new)[0]

    news = ["first new password here", "second new password here"]
    threads = [threading.Thread(target=attempt, args=(n,)) for n in news]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [n for n in news if results[n] == 204]
    # The loser either verified the old password before the winner's commit
    # (409: the account changed meanwhile) or after it (403: wrong current).
    check(len(won) == 1 and all(results[n] in (204, 409, 403) for n in news), f"{results}")
    # Whoever won last is the password; a loser's is not, and a 409 wrote nothing.
    works = [n for n in news if login(email, n)[0] == 201]
    check(len(works) == 1 and works[0] in won, f"passwords that work: {works}, results {results}")


# ---- session lifetime (spawned servers)

@test
def a_session_unused_for_the_idle_time_ends():
    email = new_user()
    with spawn_server("--session-idle", "2", "--session-max", "600") as base:
        a, _ = session(email, PW, base)
        check(me(a, base) == 200, "fresh session")
        time.sleep(3.2)
        check(me(a, base) == 401, "idle session still works")


@test
def a_session_ends_at_its_absolute_lifetime_even_when_used():
    email = new_user()
    with spawn_server(env={"TECHMART_SESSION_IDLE": "600", "TECHMART_SESSION_MAX": "3"}) as base:
        st, h, _ = get_json("/api/v1/session", method="POST", base=base, headers=JSON_HDR,
                            data=json.dumps({"email": email, "password": PW}).encode())
        check(st == 201 and "Max-Age=3;" in h["set-cookie"], h.get("set-cookie"))
        a = {"Cookie": cookie_of(h)}
        for _ in range(2):
            time.sleep(1)
            check(me(a, base) == 200, "session ended early")
        time.sleep(2.2)
        check(me(a, base) == 401, "session outlived its absolute lifetime")


@test
def sessions_survive_a_server_restart():
    email = new_user()
    with spawn_server() as base:
        a, _ = session(email, PW, base)
        check(me(a, base) == 200, "fresh session")
    with spawn_server() as base:
        check(me(a, base) == 200, "the session did not survive the restart")


@test
def bad_session_settings_are_refused_at_start():
    for args in (["--session-idle", "0"], ["--session-max", "ten"],
                 ["--registrations-per-hour", "-1"], ["--hash-threads", "0"],
                 ["--hash-threads", "65"]):
        r = subprocess.run([os.environ["TECHMART_BIN"], "serve", "--db", os.environ["TECHMART_DB"],
                            "--port", "0"] + args, capture_output=True, text=True, timeout=60)
        check(r.returncode == 2 and args[0] in r.stderr, f"{args}: {r.returncode} {r.stderr}")


# ---- sign-up limits (spawned servers)

def sign_up(base):
    n = uniq()
    return get_json("/api/v1/users", method="POST", base=base, headers=JSON_HDR, data=json.dumps(
        {"email": f"acc-signup-{n}@example.org", "password": PW,
         "institution": {"name": f"ｚ accounts signup {n}"}}).encode())


@test
def sign_ups_past_the_hourly_limit_per_address_are_429():
    with spawn_server("--registrations-per-hour", "2") as base:
        for i in range(2):
            st, _, j = sign_up(base)
            check(st == 201, f"sign-up {i}: {st} {j}")
        st, h, j = sign_up(base)
        check(st == 429 and 0 < int(h.get("retry-after", "0")) <= 3600, f"third: {st} {h} {j}")
        email = f"acc-admin-made-{uniq()}@example.org"
        admin_bearer = admin()
        st, _, j = get_json("/api/v1/users", method="POST", base=base,
                            headers={**JSON_HDR, **admin_bearer},
                            data=json.dumps({"email": email, "role": "staff"}).encode())
        check(st == 201, f"an admin is not limited: {st} {j}")


@test
def sign_up_can_be_turned_off():
    with spawn_server(env={"TECHMART_REGISTRATIONS_PER_HOUR": "0"}) as base:
        st, _, j = sign_up(base)
        check(st == 403 and "error" in j, f"{st} {j}")


run_all()
