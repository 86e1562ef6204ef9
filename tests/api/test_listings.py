"""A TTO manages its own listings: POST /api/v1/technologies, PATCH and
DELETE /api/v1/technologies/{id}, against the real server.

Users: a TTO of the first demo institution ("own"), a TTO of the second
("other"), staff and a company, each with a bearer token. The audit log is
read straight from the server's database (TECHMART_DB) with sqlite3."""
import json
import os
import sqlite3

from harness import add_user, check, get, get_json, institutions, login, run_all, test

PW = "listings password long enough"
TECHS = "/api/v1/technologies"
_users = {}


def who(role):
    """Bearer headers of the role's user: tto_own, tto_other, staff, company."""
    if role not in _users:
        own, other = institutions()
        kind, inst = {"tto_own": ("tto", own["id"]), "tto_other": ("tto", other["id"]),
                      "staff": ("staff", None), "company": ("company", own["id"])}[role]
        email = f"listings-{role.replace('_', '-')}@example.org"
        add_user(email, PW, kind, inst)
        st, h, j = login(email, PW)
        check(st == 201, f"login {role}: {st} {j}")
        cookie = {"Cookie": h["set-cookie"].split(";")[0], "X-CSRF-Token": j["csrf_token"]}
        st, _, t = get_json("/api/v1/tokens", method="POST", data=b'{"name": "listings"}',
                            headers={**cookie, "Content-Type": "application/json"})
        check(st == 201, f"token {role}: {st} {t}")
        _users[role] = {"Authorization": "Bearer " + t["token"], "user_id": j["user"]["id"]}
    return {"Authorization": _users[role]["Authorization"]}


def call(method, path, role=None, body=None, headers=None):
    h = dict(who(role)) if role else {}
    h.update(headers or {})
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    st, hd, raw = get(path, method=method, headers=h, data=data)
    try:
        j = json.loads(raw) if raw else None
    except ValueError:
        j = None
    return st, hd, j


def create(role="tto_own", **fields):
    body = {"title": "열전 소자 리스팅 qqlistingsqq", "trl": 4, "field": "energy", **fields}
    st, h, j = call("POST", TECHS, role, body)
    check(st == 201, f"create: {st} {j}")
    return j, h


def patch(tid, role, body, etag):
    return call("PATCH", f"{TECHS}/{tid}", role, body, {"If-Match": etag})


def field_of(j):
    return (j or {}).get("error", {}).get("field")


def audit_rows(tid):
    with sqlite3.connect(os.environ["TECHMART_DB"], timeout=30) as db:
        return db.execute("SELECT user_id, address, action, before, after FROM audit_log"
                          " WHERE object = 'technology' AND object_id = ? ORDER BY id",
                          (tid,)).fetchall()


@test
def tto_creates_a_listing_of_its_own_institution_with_an_etag():
    j, h = create(summary="요약", keywords=["열전", "소자"])
    check(j["institution_id"] == institutions()[0]["id"], f"{j['institution_id']}")
    check(j["version"] == 1 and h.get("etag") == '"1"', f"{j['version']} {h.get('etag')}")
    check(j["keywords"] == ["열전", "소자"] and j["trl"] == 4, f"{j}")
    st, h2, got = call("GET", f"{TECHS}/{j['id']}")
    check(st == 200 and got["title"] == "열전 소자 리스팅 qqlistingsqq" and h2.get("etag") == '"1"',
          f"{st} {h2.get('etag')}")


@test
def tto_naming_its_own_institution_is_accepted_and_another_is_a_400_naming_institution():
    own, other = institutions()
    j, _ = create(institution=own["name"])
    check(j["institution_id"] == own["id"], f"{j}")
    st, _, e = call("POST", TECHS, "tto_own", {"title": "x", "institution": other["name"]})
    check(st == 400 and field_of(e) == "institution", f"{st} {e}")


@test
def staff_must_name_an_existing_institution():
    st, _, e = call("POST", TECHS, "staff", {"title": "staff listing"})
    check(st == 400 and field_of(e) == "institution", f"{st} {e}")
    st, _, e = call("POST", TECHS, "staff", {"title": "x", "institution": "없는 대학교 zz"})
    check(st == 400 and field_of(e) == "institution", f"{st} {e}")
    other = institutions()[1]
    j, _ = create("staff", institution=other["name"])
    check(j["institution_id"] == other["id"], f"{j}")


@test
def validation_errors_name_the_field_as_the_importer_does():
    for body, field in (({"title": "x", "trl": 10}, "trl"), ({"trl": 3}, "title"),
                        ({"title": "x", "field": "alchemy"}, "field"),
                        ({"title": "x", "licence": ["free"]}, "licence"),
                        ({"title": "x" * 501}, "title"),
                        ({"title": "x", "colour": "blue"}, "colour")):
        st, _, e = call("POST", TECHS, "tto_own", body)
        check(st == 400 and field_of(e) == field, f"{body}: {st} {e}")
    st, _, e = call("POST", TECHS, "tto_own", {"title": "x", "trl": 10})
    check('10' in e["error"]["message"], f"{e}")
    st, _, e = call("POST", TECHS, "tto_own", b"[1, 2]")
    check(st == 400, f"{st} {e}")


@test
def server_owned_fields_are_a_400_naming_them_on_create_and_patch():
    j, h = create()
    for f, v in (("id", 5), ("institution_id", institutions()[1]["id"]), ("version", 9),
                 ("created_at", "2020-01-01T00:00:00Z"), ("updated_at", "2020-01-01T00:00:00Z")):
        st, _, e = call("POST", TECHS, "tto_own", {"title": "x", f: v})
        check(st == 400 and field_of(e) == f, f"POST {f}: {st} {e}")
        st, _, e = patch(j["id"], "tto_own", {f: v}, h["etag"])
        check(st == 400 and field_of(e) == f, f"PATCH {f}: {st} {e}")
    st, _, got = call("GET", f"{TECHS}/{j['id']}")
    check(got["version"] == 1 and got["institution_id"] == j["institution_id"], f"{got}")


@test
def patch_changes_only_the_fields_sent_and_bumps_the_etag():
    j, h = create(summary="before", trl=3)
    st, h2, got = patch(j["id"], "tto_own", {"trl": 5, "title_en": "Thermoelectric"}, h["etag"])
    check(st == 200 and h2.get("etag") == '"2"', f"{st} {h2.get('etag')} {got}")
    check(got["trl"] == 5 and got["title_en"] == "Thermoelectric" and got["summary"] == "before",
          f"{got}")
    st, _, got = patch(j["id"], "tto_own", {"title_en": None}, h2["etag"])
    check(st == 200 and got["title_en"] is None and got["version"] == 3, f"{st} {got}")
    st, _, e = patch(j["id"], "tto_own", {"trl": "ten"}, '"3"')
    check(st == 400 and field_of(e) == "trl", f"{st} {e}")


@test
def patch_without_if_match_is_428_and_a_stale_one_412():
    j, _ = create()
    st, _, e = call("PATCH", f"{TECHS}/{j['id']}", "tto_own", {"trl": 5})
    check(st == 428 and field_of(e) == "If-Match", f"{st} {e}")
    for etag in ('"7"', "1", "*", '"abc"'):
        st, _, e = patch(j["id"], "tto_own", {"trl": 5}, etag)
        check(st == 412 and e["error"]["code"] == "precondition_failed", f"{etag}: {st} {e}")
    st, _, got = call("GET", f"{TECHS}/{j['id']}")
    check(got["trl"] == 4 and got["version"] == 1, f"{got}")


@test
def of_two_editors_with_the_same_etag_the_second_gets_412():
    j, h = create()
    st, _, a = patch(j["id"], "tto_own", {"summary": "first editor"}, h["etag"])
    check(st == 200, f"{st} {a}")
    st, _, b = patch(j["id"], "staff", {"summary": "second editor"}, h["etag"])
    check(st == 412, f"{st} {b}")
    _, _, got = call("GET", f"{TECHS}/{j['id']}")
    check(got["summary"] == "first editor" and got["version"] == 2, f"{got}")


@test
def tto_cannot_edit_or_withdraw_another_institutions_listing():
    j, h = create()
    st, _, e = patch(j["id"], "tto_other", {"summary": "hijack"}, h["etag"])
    check(st == 403, f"{st} {e}")
    st, _, e = call("DELETE", f"{TECHS}/{j['id']}", "tto_other")
    check(st == 403, f"{st} {e}")
    st, _, e = patch(j["id"], "company", {"summary": "hijack"}, h["etag"])
    check(st == 403, f"{st} {e}")
    _, _, got = call("GET", f"{TECHS}/{j['id']}")
    check(got["status"] == "available" and got["version"] == 1, f"{got}")
    # Nor move its own listing to another institution.
    st, _, e = patch(j["id"], "tto_own", {"institution": institutions()[1]["name"]}, h["etag"])
    check(st == 400 and field_of(e) == "institution", f"{st} {e}")


@test
def a_withdrawn_listing_is_404_to_the_public_visible_to_owner_and_staff_and_not_searched():
    j, _ = create(title="철회될 열전 리스팅 qqwithdrawnqq qqlistingsqq")
    path = f"{TECHS}/{j['id']}"
    _, _, s = get_json(TECHS + "?q=qqwithdrawnqq")
    check([it["id"] for it in s["items"]] == [j["id"]], f"{s['items']}")
    st, _, _ = call("DELETE", path, "tto_own")
    check(st == 204, f"withdraw: {st}")
    st, _, _ = call("GET", path)
    check(st == 404, f"public: {st}")
    for role in ("company", "tto_other"):
        st, _, _ = call("GET", path, role)
        check(st == 404, f"{role}: {st}")
    for role in ("tto_own", "staff"):
        st, h, got = call("GET", path, role)
        check(st == 200 and got["status"] == "withdrawn" and h.get("etag") == '"2"',
              f"{role}: {st} {got}")
    _, _, s = get_json(TECHS + "?q=qqwithdrawnqq")
    check(s["total"] == 0, f"search: {s['total']}")
    _, _, s = get_json(TECHS + "?q=qqwithdrawnqq&status=withdrawn")
    check(s["total"] == 0, f"search by status: {s['total']}")
    # Another institution's TTO may not learn it exists.
    st, _, _ = patch(j["id"], "tto_other", {"status": "available"}, '"2"')
    check(st == 404, f"tto_other patch: {st}")
    st, _, _ = call("DELETE", path, "tto_other")
    check(st == 404, f"tto_other delete: {st}")
    st, _, _ = call("DELETE", path, "tto_own")
    check(st == 204, f"second withdraw: {st}")
    _, _, got = call("GET", path, "tto_own")
    check(got["version"] == 2, f"withdrawing twice changed it: {got['version']}")


@test
def relisting_is_a_patch_of_status():
    j, _ = create(title="다시 올릴 리스팅 qqrelistqq qqlistingsqq")
    call("DELETE", f"{TECHS}/{j['id']}", "tto_own")
    st, h, got = patch(j["id"], "tto_own", {"status": "available"}, '"2"')
    check(st == 200 and got["status"] == "available" and h.get("etag") == '"3"', f"{st} {got}")
    st, _, _ = call("GET", f"{TECHS}/{j['id']}")
    check(st == 200, f"public after re-listing: {st}")
    _, _, s = get_json(TECHS + "?q=qqrelistqq")
    check([it["id"] for it in s["items"]] == [j["id"]], f"{s['items']}")


@test
def every_mutation_writes_an_audit_row_with_actor_and_changed_fields():
    j, h = create(summary="audited")
    _, h2, _ = patch(j["id"], "tto_own", {"trl": 7}, h["etag"])
    call("DELETE", f"{TECHS}/{j['id']}", "staff")
    rows = audit_rows(j["id"])
    check([r[2] for r in rows] == ["technology.create", "technology.update",
                                   "technology.withdraw"], f"{rows}")
    uid = {r: _users[r]["user_id"] for r in ("tto_own", "staff")}
    check([r[0] for r in rows] == [uid["tto_own"], uid["tto_own"], uid["staff"]], f"{rows}")
    check(all(r[1] and r[1] != "-" for r in rows), f"addresses {[r[1] for r in rows]}")
    created, updated, withdrawn = rows
    check(created[3] is None and json.loads(created[4])["summary"] == "audited", f"{created}")
    check(json.loads(updated[3]) == {"trl": 4} and json.loads(updated[4]) == {"trl": 7},
          f"{updated}")
    check(json.loads(withdrawn[3]) == {"status": "available"} and
          json.loads(withdrawn[4]) == {"status": "withdrawn"}, f"{withdrawn}")


@test
def failed_mutations_write_no_audit_row():
    j, h = create()
    patch(j["id"], "tto_own", {"trl": 5}, '"9"')
    patch(j["id"], "tto_other", {"trl": 5}, h["etag"])
    patch(j["id"], "tto_own", {"trl": 99}, h["etag"])
    check([r[2] for r in audit_rows(j["id"])] == ["technology.create"], f"{audit_rows(j['id'])}")


@test
def a_duplicate_external_id_is_a_409_naming_it():
    create(external_id="listings-ext-1")
    st, _, e = call("POST", TECHS, "tto_own", {"title": "again", "external_id": "listings-ext-1"})
    check(st == 409 and field_of(e) == "external_id", f"{st} {e}")



@test
def listings_made_here_are_withdrawn_at_the_end():
    """Other suites count the demo catalogue: leave nothing of ours visible."""
    for _ in range(20):
        _, _, j = get_json(TECHS + "?q=qqlistingsqq&per_page=100")
        if not j["items"]:
            return
        for it in j["items"]:
            st, _, _ = call("DELETE", f"{TECHS}/{it['id']}", "staff")
            check(st == 204, f"withdraw {it['id']}: {st}")
    check(False, "listings of this suite are still found")


run_all()
