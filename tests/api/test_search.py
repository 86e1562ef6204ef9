"""Search, records, institutions and static files, as a company or a script
would use them, against the demo catalogue served by tests/api/run.py."""
import json
import os
import subprocess
import tempfile
import time
import urllib.parse

from harness import get, get_json, run_all, test

ROOT = os.environ.get("TECHMART_ROOT", ".")
DEMO = [json.loads(l) for l in open(os.path.join(ROOT, "data/demo/technologies.jsonl"), encoding="utf-8")]


def search(**params):
    st, h, j = get_json("/api/v1/technologies?" + urllib.parse.urlencode(params))
    assert st == 200, (st, j)
    assert "application/json" in h.get("content-type", ""), h
    return j


def all_ids(**params):
    """Every id of a search, paging through it."""
    ids, page = [], 1
    while True:
        j = search(per_page=100, page=page, **params)
        ids += [it["id"] for it in j["items"]]
        if len(ids) >= j["total"] or not j["items"]:
            return ids, j["total"]
        page += 1


def ext_ids(j):
    return {it["external_id"] for it in j["items"]}


@test
def a_korean_query_returns_ranked_matches_with_highlights_and_facets():
    j = search(q="의료기기")
    assert j["total"] > 0 and j["items"], j["total"]
    scores = [it["score"] for it in j["items"]]
    assert scores == sorted(scores, reverse=True), scores
    assert any("<mark>" in it["snippet"] for it in j["items"])
    # facets count the whole match set, not the page
    assert sum(j["facets"]["field"].values()) == j["total"]
    assert sum(j["facets"]["institution"].values()) == j["total"]
    for it in j["items"]:
        for k in ("id", "external_id", "title", "title_en", "institution", "field", "trl",
                  "status", "licence", "snippet"):
            assert k in it, k


@test
def a_word_is_found_before_its_particle():
    # 기술 finds titles written 기술을 / 기술이
    want = [t for t in DEMO if "기술을" in t["title"] or "기술이" in t["title"]]
    assert want, "the demo catalogue has such titles"
    ids, _ = all_ids(q="기술")
    got = {search_by_ext(t["external_id"]) for t in want[:5]}
    assert got <= set(ids), (got - set(ids))


_ext_cache = {}


def search_by_ext(ext):
    """The id of the technology with this external_id (its title finds it)."""
    if ext not in _ext_cache:
        t = next(t for t in DEMO if t["external_id"] == ext)
        num = t["patents"][0]["number"]
        j = search(q=num)
        hit = [it for it in j["items"] if it["external_id"] == ext]
        assert hit, (ext, num, ext_ids(j))
        _ext_cache[ext] = hit[0]["id"]
    return _ext_cache[ext]


@test
def a_two_syllable_query_matches_and_compounds_are_found_by_their_parts():
    part, _ = all_ids(q="의료")
    whole, total = all_ids(q="의료기기")
    assert total > 0
    assert set(whole) <= set(part)
    assert search(q="특허")["total"] > 0


@test
def mixed_korean_and_english_queries_work():
    for q, latin, korean in (("LED 조명", "led", "조명"), ("RFID 태그", "rfid", "태그"),
                             ("AI 진단", "ai", "진단")):
        j = search(q=q)
        strict = j["strict_total"] if j["relaxed"] else j["total"]
        for it in j["items"][:strict]:  # a relaxed answer lists those with all words first
            rec = get_json(f"/api/v1/technologies/{it['id']}")[2]
            text = json.dumps(rec, ensure_ascii=False)
            assert latin.upper() in text.upper() and korean in text, (q, rec["title"])
        if q != "AI 진단":
            assert strict > 0, q


def strict_total(q):
    """How many technologies match all the words of q (relaxed or not)."""
    j = search(q=q)
    return j["strict_total"] if j["relaxed"] else j["total"]


@test
def english_is_case_folded_and_stemmed():
    a = search(q="batteries")["total"]
    b = search(q="Battery")["total"]
    assert a == b and a > 0, (a, b)


@test
def a_patent_number_finds_its_technology_with_or_without_hyphens():
    t = next(t for t in DEMO if t["patents"][0]["number"].count("-") == 2)
    num = t["patents"][0]["number"]
    for q in (num, num.replace("-", "")):
        j = search(q=q)
        assert j["items"] and j["items"][0]["external_id"] == t["external_id"], (q, ext_ids(j))


@test
def query_syntax_phrase_or_exclusion_prefix_and_fields():
    a = search(q="센서")["total"]
    b = search(q="배터리")["total"]
    either = search(q="센서 OR 배터리")["total"]
    assert either >= max(a, b) and either <= a + b, (a, b, either)
    both = strict_total("센서 배터리")
    assert both <= min(a, b)
    without = search(q="센서 -배터리")["total"]
    assert without == a - both, (a, both, without)
    assert search(q="batter*")["total"] >= search(q="battery")["total"]
    t = search(q="title:센서")
    assert t["total"] <= a
    for it in t["items"]:
        assert "센서" in it["title"] or "센서" in (it["title_en"] or ""), it["title"]
    phrase = search(q='"의료 기기"')["total"]
    assert phrase <= search(q="의료 기기")["total"]


@test
def words_that_match_nothing_together_fall_back_to_any_of_them():
    strict = search(q="센서")
    assert strict["relaxed"] is False
    j = search(q="센서 qqzzxxnotaword")
    assert j["relaxed"] is True and j["strict_total"] == 0, j.get("relaxed")
    assert j["total"] == strict["total"]


@test
def hostile_queries_give_results_or_a_400_never_a_500():
    hostile = ['"unbalanced', "-", "NEAR(", "*", "^", "\x01\x02ab", "a\tb", "OR", "title:",
               '""', "((( a", "a AND", "-a -b", "x" * 10240, "%", "'; DROP TABLE technology; --",
               "title:\"", "ipc:A61B*", "😀", "\u200b", "NOT a"]
    for q in hostile:
        st, h, j = get_json("/api/v1/technologies?q=" + urllib.parse.quote(q))
        assert st in (200, 400), (q[:20], st)
        if st == 400:
            assert j["error"]["field"] == "q" and j["error"]["message"], j
            assert "fts5" not in j["error"]["message"].lower()
            assert "sqlite" not in j["error"]["message"].lower()
    # invalid UTF-8 in the query string
    st, h, j = get_json("/api/v1/technologies?q=%ff%fe")
    assert st == 400 and j["error"]["field"] == "q", (st, j)


@test
def every_invalid_parameter_is_a_400_naming_it():
    for bad in ["field=nonsense", "institution=abc", "institution=-1", "status=gone",
                "trl_min=0", "trl_max=10", "trl_min=x", "licence=free", "sort=bogus",
                "page=0", "page=-1", "per_page=0", "per_page=101", "per_page=1e2",
                "group=" + "g" * 100]:
        st, h, j = get_json("/api/v1/technologies?" + bad)
        name = bad.split("=")[0]
        assert st == 400, (bad, st)
        assert j["error"]["field"] == name and j["error"]["code"], (bad, j)
    st, h, j = get_json("/api/v1/technologies?trl_min=7&trl_max=3")
    assert st == 400 and j["error"]["field"] == "trl_min", j


@test
def filters_narrow_results_and_facets_follow_them():
    j = search(field="ict", per_page=100)
    assert j["total"] > 0
    assert all(it["field"] == "ict" for it in j["items"])
    assert list(j["facets"]["field"].keys()) == ["ict"]
    j = search(trl_min=5, trl_max=6, per_page=100)
    assert all(5 <= it["trl"] <= 6 for it in j["items"])
    j = search(licence="assignment", per_page=100)
    assert j["total"] > 0 and all("assignment" in it["licence"] for it in j["items"])
    inst = get_json("/api/v1/institutions")[2]["items"]
    ku = next(i for i in inst if i["name"] == "고려대학교")
    j = search(institution=ku["id"])
    assert j["total"] == ku["technologies"], (j["total"], ku)
    assert all(it["institution_id"] == ku["id"] for it in j["items"])
    g = search(group="hongneung")
    members = [i for i in inst if "hongneung" in i["groups"]]
    assert g["total"] == sum(i["technologies"] for i in members)
    assert search(status="withdrawn")["total"] == 0


@test
def sorting_and_paging():
    j = search(sort="trl", per_page=50)
    trls = [it["trl"] if it["trl"] is not None else 0 for it in j["items"]]
    assert trls == sorted(trls, reverse=True), trls
    p1 = search(per_page=10, page=1)
    p2 = search(per_page=10, page=2)
    assert p1["page"] == 1 and p2["page"] == 2 and p1["per_page"] == 10
    assert not ({it["id"] for it in p1["items"]} & {it["id"] for it in p2["items"]})
    ids = [it["id"] for it in search(per_page=20)["items"]]
    assert ids == sorted(ids, reverse=True), "newest first without a query"
    far = search(q="장치", page=500, per_page=20)
    assert far["items"] == [] and far["total"] > 0


@test
def a_record_has_every_field_and_its_patents():
    t = DEMO[0]
    tid = search_by_ext(t["external_id"])
    st, h, r = get_json(f"/api/v1/technologies/{tid}")
    assert st == 200
    for k in ("id", "external_id", "title", "title_en", "summary", "keywords", "field", "ipc",
              "trl", "licence", "status", "institution", "institution_id", "inventors",
              "patents", "created_at", "updated_at", "version"):
        assert k in r, k
    assert r["title"] == t["title"] and r["ipc"] == t["ipc"]
    assert r["patents"][0]["number"] == t["patents"][0]["number"]
    assert r["patents"][0]["registration_number"] == t["patents"][0].get("registration_number")
    assert r["version"] >= 1


@test
def unknown_or_malformed_ids_are_404_with_an_error_body():
    for path in ("999999999", "0", "-1", "abc", "1x", "99999999999999999999999"):
        st, h, j = get_json("/api/v1/technologies/" + path)
        assert st == 404, (path, st)
        assert j["error"]["code"] and j["error"]["message"]


@test
def institutions_list_names_groups_and_counts():
    st, h, j = get_json("/api/v1/institutions")
    assert st == 200 and j["total"] == len(j["items"]) >= 281
    ku = next(i for i in j["items"] if i["name"] == "고려대학교")
    assert ku["name_en"] == "Korea University" and ku["kind"] == "university"
    assert set(ku["groups"]) == {"forum", "dongbuk4", "hongneung"}
    # the demo file repeats 30 records word for word; each is one technology
    assert sum(i["technologies"] for i in j["items"]) == len({t["external_id"] for t in DEMO})


@test
def health_and_static_files():
    st, h, b = get("/healthz")
    assert st == 200
    st, h, b = get("/")
    assert st == 200 and "text/html" in h["content-type"] and b"<html" in b.lower()
    st, h, b = get("/app.js")
    assert st == 200 and "javascript" in h["content-type"]
    for path in ("/../Makefile", "/%2e%2e/Makefile", "/..%2fMakefile", "/web/../Makefile"):
        st, h, b = get(path)
        assert st in (400, 404), (path, st)
        assert b"CFLAGS" not in b
    st, h, j = get_json("/api/v1/nothing")
    assert st == 404 and j["error"]["code"]


@test
def an_import_while_serving_is_searchable_and_cannot_inject_markup():
    rec = {"external_id": "api-test-xss", "title": "<script>alert(1)</script> zzqxv 측정 장치",
           "summary": "zzqxv <mark>not a hit</mark> & <img src=x onerror=alert(1)>",
           "institution": "고려대학교", "field": "ict", "trl": 5, "licence": ["exclusive"]}
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    try:
        r = subprocess.run([os.environ["TECHMART_BIN"], "import", "--db", os.environ["TECHMART_DB"],
                            f.name], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        os.unlink(f.name)
    j = None
    for _ in range(50):  # the server sees the write at once (FTS5 path) or after its rebuild
        j = search(q="zzqxv")
        if j["total"]:
            break
        time.sleep(0.1)
    assert j["total"] == 1, j
    it = j["items"][0]
    assert "<script" not in it["snippet"] and "<img" not in it["snippet"]
    assert "&lt;" in it["snippet"] and "<mark>zzqxv</mark>" in it["snippet"], it["snippet"]
    assert it["snippet"].count("<mark>") == it["snippet"].count("</mark>")


run_all()
