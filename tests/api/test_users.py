"""Accounts over HTTP: POST /api/v1/users.

Anonymous callers register a company (a new institution of kind company and
a company user of it); an admin creates users of any role; every other
signed-in caller gets 403. Registration tells whether an email or an
institution name is taken (409 naming the field). New institutions get
names that sort after the demo catalogue's (fullwidth letters follow
Hangul), so suites that take the first institutions are not disturbed."""
import json
import os
import sqlite3
import uuid

from harness import add_user, check, get_json, login, run_all, test

USERS = "/api/v1/users"
JSON_HDR = {"Content-Type": "application/json"}
PW = "users test password long"
_bearers = {}


def uniq():
    return uuid.uuid4().hex[:10]


def post(body, headers=None):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return get_json(USERS, method="POST", headers={**JSON_HDR, **(headers or {})}, data=data)


def registration(**extra):
    n = uniq()
    body = {"email": f"users-co-{n}@example.org", "password": PW,
            "institution": {"name": f"ｚ users company {n}"}}
    body.update(extra)
    return body


def bearer(role, institution=None):
    """A bearer header of a new user of role (created once per role)."""
    if role not in _bearers:
        email = f"users-{role}-{uniq()}@example.org"
        add_user(email, PW, role, institution)
        st, h, j = login(email, PW)
        check(st == 201, f"login {role}: {st} {j}")
        cookie = {"Cookie": h["set-cookie"].split(";")[0], "X-CSRF-Token": j["csrf_token"]}
        st, _, t = get_json("/api/v1/tokens", method="POST", headers={**cookie, **JSON_HDR},
                            data=b'{"name": "users"}')
        check(st == 201, f"token {role}: {st} {t}")
        _bearers[role] = ({"Authorization": "Bearer " + t["token"]}, cookie)
    return _bearers[role][0]


def an_institution_id():
    _, _, j = get_json("/api/v1/institutions")
    return j["items"][0]["id"]


def audit_actions(obj, obj_id):
    db = sqlite3.connect(os.environ["TECHMART_DB"], timeout=30)
    try:
        rows = db.execute("SELECT action FROM audit_log WHERE object = ? AND object_id = ?",
                          (obj, obj_id)).fetchall()
    finally:
        db.close()
    return [r[0] for r in rows]


@test
def anonymous_registration_creates_a_company_of_a_new_company_institution():
    body = registration()
    body["institution"]["name_en"] = f"Users Co {uniq()}"
    st, _, j = post(body)
    check(st == 201, f"status {st} {j}")
    check(set(j) == {"id", "email", "role", "institution_id"}, f"{j}")
    check(j["role"] == "company" and j["email"] == body["email"], f"{j}")
    check(isinstance(j["institution_id"], int) and j["institution_id"] > 0, f"{j}")
    _, _, insts = get_json("/api/v1/institutions")
    mine = [i for i in insts["items"] if i["id"] == j["institution_id"]]
    check(len(mine) == 1 and mine[0]["name"] == body["institution"]["name"], f"{mine}")
    check(mine[0]["name_en"] == body["institution"]["name_en"], f"{mine}")
    check(mine[0]["kind"] == "company", f"{mine}")
    check(audit_actions("user", j["id"]) == ["user.add"], "user audit")
    check(audit_actions("institution", j["institution_id"]) == ["institution.add"],
          "institution audit")


@test
def the_registered_company_logs_in_and_sees_itself():
    body = registration()
    st, _, j = post(body)
    check(st == 201, f"status {st} {j}")
    st, _, s = login(body["email"].upper(), PW)
    check(st == 201, f"login {st} {s}")
    check(s["user"] == j, f"{s['user']} != {j}")


@test
def an_email_that_exists_is_409_naming_email_and_adds_no_institution():
    first = registration()
    check(post(first)[0] == 201, "first registration")
    again = registration(email=first["email"].upper())
    st, _, j = post(again)
    check(st == 409 and j["error"]["field"] == "email", f"{st} {j}")
    _, _, insts = get_json("/api/v1/institutions")
    check(all(i["name"] != again["institution"]["name"] for i in insts["items"]),
          "the institution of a refused registration was kept")


@test
def an_institution_that_exists_is_409_naming_institution_name():
    first = registration()
    check(post(first)[0] == 201, "first registration")
    again = registration(institution={"name": first["institution"]["name"]})
    st, _, j = post(again)
    check(st == 409 and j["error"]["field"] == "institution.name", f"{st} {j}")
    st, _, _ = login(again["email"], PW)
    check(st == 401, f"the refused user logs in: {st}")


@test
def weak_passwords_are_400_naming_password_without_repeating_it():
    for pw in ("short pw", "password1234", "x" * 1025):
        st, _, j = post(registration(password=pw))
        check(st == 400 and j["error"]["field"] == "password", f"{pw[:12]}: {st} {j}")
        check(pw not in j["error"]["message"], f"the message repeats the password: {j}")


@test
def fields_an_anonymous_caller_may_not_set_are_400_naming_them():
    for field, value in (("role", "admin"), ("institution_id", 1), ("disabled", False),
                         ("id", 5), ("version", 1), ("created_at", "2020-01-01T00:00:00Z"),
                         ("colour", "blue")):
        st, _, j = post(registration(**{field: value}))
        check(st == 400 and j["error"]["field"] == field, f"{field}: {st} {j}")
    body = registration()
    body["institution"]["kind"] = "university"
    st, _, j = post(body)
    check(st == 400 and j["error"]["field"] == "institution.kind", f"{st} {j}")


@test
def missing_or_malformed_members_are_400_naming_them():
    body = registration()
    del body["institution"]
    cases = [(body, "institution"), (registration(institution={}), "institution.name"),
             (registration(institution={"name": ""}), "institution.name"),
             (registration(email="not an address"), "email"),
             (registration(password=None), "password")]
    for b, field in cases:
        st, _, j = post(b)
        check(st == 400 and j["error"].get("field") == field, f"{field}: {st} {j}")
    st, _, j = post(b"[1, 2]")
    check(st == 400, f"a non-object body: {st}")


@test
def an_admin_creates_a_tto_of_an_existing_institution_who_logs_in():
    inst = an_institution_id()
    email = f"users-tto-{uniq()}@example.org"
    st, _, j = post({"email": email, "password": PW, "role": "tto", "institution_id": inst},
                    bearer("admin"))
    check(st == 201, f"status {st} {j}")
    check(j == {"id": j["id"], "email": email, "role": "tto", "institution_id": inst}, f"{j}")
    st, _, s = login(email, PW)
    check(st == 201 and s["user"] == j, f"login {st} {s}")
    check(audit_actions("user", j["id"]) == ["user.add"], "audit")


@test
def an_admin_creates_staff_without_a_password_and_gets_a_generated_one_once():
    email = f"users-staff-{uniq()}@example.org"
    st, _, j = post({"email": email, "role": "staff"}, bearer("admin"))
    check(st == 201, f"status {st} {j}")
    check(j["role"] == "staff" and j["institution_id"] is None, f"{j}")
    pw = j.get("password")
    check(isinstance(pw, str) and len(pw) >= 20, "no generated password")
    st, _, s = login(email, pw)
    check(st == 201 and s["user"]["id"] == j["id"], f"login with the generated password: {st}")


@test
def an_admin_is_refused_what_the_role_needs_or_may_not_set():
    admin = bearer("admin")
    cases = [({"email": f"u-{uniq()}@example.org", "role": "tto"}, "institution_id"),
             ({"email": f"u-{uniq()}@example.org", "role": "tto", "institution_id": 999999999},
              "institution_id"),
             ({"email": f"u-{uniq()}@example.org", "role": "owner"}, "role"),
             ({"email": f"u-{uniq()}@example.org", "role": "staff", "id": 3}, "id"),
             ({"email": f"u-{uniq()}@example.org", "role": "staff", "password": "weak"},
              "password")]
    for body, field in cases:
        st, _, j = post(body, admin)
        check(st == 400 and j["error"].get("field") == field, f"{field}: {st} {j}")


@test
def an_admin_with_the_cookie_needs_the_csrf_token():
    bearer("admin")
    cookie = _bearers["admin"][1]
    body = {"email": f"users-cookie-{uniq()}@example.org", "role": "staff", "password": PW}
    st, _, j = post(body, {"Cookie": cookie["Cookie"]})
    check(st == 403 and j["error"].get("field") == "X-CSRF-Token", f"{st} {j}")
    st, _, j = post(body, cookie)
    check(st == 201, f"with the token: {st} {j}")


@test
def signed_in_users_other_than_admins_get_403():
    inst = an_institution_id()
    for role in ("company", "tto", "staff"):
        st, _, j = post(registration(), bearer(role, inst if role != "staff" else None))
        check(st == 403 and j["error"]["code"] == "forbidden", f"{role}: {st} {j}")


run_all()
