"""POST /api/v1/imports: a TTO (or staff) uploads a CSV/JSONL file of
technologies and gets the importer's report as JSON. The database is read
straight from TECHMART_DB with sqlite3 to see where the records went."""
import json
import os
import sqlite3

from harness import add_user, check, get, get_json, institutions, login, run_all, test

PW = "imports password long enough"
IMPORTS = "/api/v1/imports"
_users = {}


def who(role):
    """Bearer headers of the role's user: tto, staff, company."""
    if role not in _users:
        own = institutions()[0]["id"]
        kind, inst = {"tto": ("tto", own), "staff": ("staff", None),
                      "company": ("company", own)}[role]
        email = f"imports-{role}@example.org"
        add_user(email, PW, kind, inst)
        st, h, j = login(email, PW)
        check(st == 201, f"login {role}: {st} {j}")
        cookie = {"Cookie": h["set-cookie"].split(";")[0], "X-CSRF-Token": j["csrf_token"]}
        st, _, t = get_json("/api/v1/tokens", method="POST", data=b'{"name": "imports"}',
                            headers={**cookie, "Content-Type": "application/json"})
        check(st == 201, f"token {role}: {st} {t}")
        _users[role] = {"Authorization": "Bearer " + t["token"], "user_id": j["user"]["id"]}
    return {"Authorization": _users[role]["Authorization"]}


def upload(role, body, ctype="text/csv", query=""):
    headers = {**who(role), "Content-Type": ctype} if role else {"Content-Type": ctype}
    return get_json(IMPORTS + query, method="POST", headers=headers, data=body)


def stored(title):
    with sqlite3.connect(os.environ["TECHMART_DB"], timeout=30) as db:
        return db.execute("SELECT institution_id FROM technology WHERE title = ?",
                          (title,)).fetchall()


@test
def tto_import_forces_its_institution_and_reports_bad_rows():
    own, other = institutions()
    csv = ("title,trl,field,summary,institution\n"
           "qqimportqq good row,4,ict,fine,\n"
           "qqimportqq bad trl,ten,ict,x,\n"
           f"qqimportqq other inst,4,ict,x,{other['name']}\n").encode()
    st, _, j = upload("tto", csv)
    check(st == 200, f"{st} {j}")
    check((j["added"], j["rejected"]) == (1, 2), f"counts {j}")
    errs = [i for i in j["issues"] if not i["warning"]]
    check({(i["line"], i["field"]) for i in errs} == {(3, "trl"), (4, "institution")},
          f"issues {errs}")
    check(all(i["message"] for i in errs), f"messages {errs}")
    check(j["new_institutions"] == [], f"new {j}")
    check(stored("qqimportqq good row") == [(own["id"],)], "not stored in the TTO's institution")
    check(stored("qqimportqq bad trl") == [], "a rejected row was stored")
    with sqlite3.connect(os.environ["TECHMART_DB"], timeout=30) as db:
        rows = db.execute("SELECT user_id, after FROM audit_log WHERE action = "
                          "'technology.import' ORDER BY id DESC LIMIT 1").fetchall()
    check(rows and rows[0][0] == _users["tto"]["user_id"], f"audit {rows}")
    after = json.loads(rows[0][1])
    check(after["added"] == 1 and after["rejected"] == 2, f"audit counts {after}")


@test
def jsonl_by_content_type_and_staff_forces_an_institution():
    _, other = institutions()
    body = json.dumps({"title": "qqimportqq staff jsonl", "trl": 3}).encode() + b"\n"
    st, _, j = upload("staff", body, "application/x-ndjson", f"?institution={other['id']}")
    check(st == 200 and j["added"] == 1, f"{st} {j}")
    check(stored("qqimportqq staff jsonl") == [(other["id"],)], "not forced")


@test
def a_tto_may_not_force_another_institution():
    _, other = institutions()
    st, _, j = upload("tto", b"title\nx\n", query=f"?institution={other['id']}")
    check(st == 403, f"{st} {j}")


@test
def company_and_anonymous_are_refused():
    st, _, j = upload("company", b"title\nqqimportqq company\n")
    check(st == 403 and j["error"]["code"] == "forbidden", f"{st} {j}")
    st, _, j = upload(None, b"title\nqqimportqq anon\n")
    check(st == 401, f"{st} {j}")
    check(stored("qqimportqq company") == [] and stored("qqimportqq anon") == [], "stored")


@test
def an_unknown_format_is_415():
    st, _, j = upload("tto", b"<xml/>", "application/xml")
    check(st == 415 and j["error"]["field"] == "Content-Type", f"{st} {j}")
    st, _, j = upload("tto", b"x", "text/csv", "?format=xml")
    check(st == 415 and j["error"]["field"] == "format", f"{st} {j}")


@test
def a_file_level_error_is_400():
    st, _, j = upload("staff", b"title\nx\n", query="?institution=999999999")
    check(st == 400 and j["error"]["message"], f"{st} {j}")


@test
def a_body_over_2_mib_is_413():
    st, _, j = get_json(IMPORTS, method="POST", headers={**who("tto"), "Content-Type": "text/csv"},
                        data=b"a" * ((2 << 20) + 1), timeout=120)
    check(st == 413 and j["error"]["code"] == "too_large", f"{st} {j}")


@test
def imported_listings_are_withdrawn_again():
    # Leaves the catalogue's counts as the other scripts expect them.
    with sqlite3.connect(os.environ["TECHMART_DB"], timeout=30) as db:
        ids = [i for (i,) in db.execute("SELECT id FROM technology WHERE title LIKE"
                                        " 'qqimportqq%' AND status <> 'withdrawn'")]
    check(len(ids) == 2, f"imported {ids}")
    for i in ids:
        st, _, raw = get(f"/api/v1/technologies/{i}", method="DELETE", headers=who("staff"))
        check(st == 204, f"withdraw {i}: {st} {raw[:100]!r}")


if __name__ == "__main__":
    run_all()
