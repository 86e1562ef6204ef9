"""Every real CSV and JSON file of ../shared/data (raw, clean, variants) goes
through `techmart import` into a fresh database, with no API. What each file
should give is worked out here from the file itself with Python's csv and
json modules: every data row is a record; a row whose identity (its id
column, else its application number) repeats an earlier row's is that
technology again (unchanged); nothing is rejected. The two institution lists
in clean/ have no title column: they must fail as a whole with an error that
says so. Then a few values per file show the mapping did what the README of
the data promises (titles split, spilled abstracts joined, applicants
reduced to the institution, patent statuses kept apart)."""
import csv
import json
import os
import re
import sqlite3
import subprocess
import tempfile

from harness import ROOT, check, run_all, test

BIN = os.environ.get("TECHMART_BIN", os.path.join(ROOT, "build/asan/techmart"))
DATA = os.path.join(ROOT, "..", "shared", "data")
SUMMARY = re.compile(r"(\d+) added, (\d+) updated, (\d+) unchanged, (\d+) rejected")

# CSV files: (encoding, separator, identity column). The identity is what the
# importer keys a record on: its external_id column, else (same institution)
# its application number.
CSV_FILES = {
    "raw/inu_kipris_patents.csv": ("utf-8", ",", "출원번호 NUMERIC"),
    "raw/kipris_export_pet_industry.csv": ("utf-8", ",", "출원번호"),
    "raw/nasa_patents.csv": ("utf-8", ",", "Case Number"),
    "raw/nasa_patents_semicolon_bom_crlf.csv": ("utf-8-sig", ";", "Case Number"),
    "raw/ntis_rnd_patent_outcomes_2013_registered_enriched.csv": ("utf-8-sig", ",", "성과고유번호"),
    "clean/catalogue_kr_univ_tech.csv": ("utf-8", ",", "id"),
    "variants/inu_catalogue_ko_headers.cp949.csv": ("cp949", ",", "출원번호"),
}
NOT_TECHNOLOGIES = ["clean/kr_institutions_from_sources.csv", "clean/kr_universities_en.csv"]


def run(*args):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=900)
    return r.returncode, r.stdout, r.stderr


def has_data():
    if os.path.isdir(DATA):
        return True
    print(f"note: {DATA} is missing; the real-file tests are skipped", flush=True)
    return False


def has_option(opt):
    _, out, _ = run("import", "--help")
    return opt in out


def expected_csv(rel):
    enc, sep, key = CSV_FILES[rel]
    with open(os.path.join(DATA, rel), encoding=enc, newline="") as f:
        rows = list(csv.reader(f, delimiter=sep))
    head, body = rows[0], [r for r in rows[1:] if any(c.strip() for c in r)]
    k = head.index(key)
    return len(body), len({r[k].strip() for r in body})


def expected_jsonl(rel):
    with open(os.path.join(DATA, rel), encoding="utf-8") as f:
        recs = [json.loads(line) for line in f if line.strip()]
    key = "id" if "id" in recs[0] else "external_id"
    return len(recs), len({r[key] for r in recs})


def import_one(rel, *extra):
    """Imports rel (under DATA, or an absolute path) into a fresh database:
    (counts, stdout+stderr, db path, tmpdir)."""
    tmp = tempfile.TemporaryDirectory(prefix="tm_real_")
    db = os.path.join(tmp.name, "t.db")
    code, out, err = run("import", "--db", db, *extra, os.path.join(DATA, rel))
    m = SUMMARY.search(out)
    check(m, f"{rel}: no summary (exit {code}): {(out + err)[-400:]}")
    counts = tuple(int(x) for x in m.groups())
    print(f"  {rel}: {counts[0]} added, {counts[1]} updated, {counts[2]} unchanged, "
          f"{counts[3]} rejected, {out.count('warning: ')} warnings", flush=True)
    check(code == 0, f"{rel}: exit {code}")
    return counts, out + err, db, tmp


def check_counts(rel, counts, records, distinct):
    added, updated, unchanged, rejected = counts
    check(rejected == 0, f"{rel}: {rejected} rejected")
    check(added == distinct, f"{rel}: {added} added, {distinct} distinct records")
    check(added + updated + unchanged == records, f"{rel}: {counts} for {records} records")


def query(db, sql, *args):
    with sqlite3.connect(db) as c:
        return c.execute(sql, args).fetchall()


@test
def every_real_csv_imports_with_no_rejection():
    if not has_data():
        return
    for rel in CSV_FILES:
        records, distinct = expected_csv(rel)
        counts, out, _, tmp = import_one(rel)
        check_counts(rel, counts, records, distinct)
        # The report names an encoding only when it was not UTF-8.
        enc = "cp949" if CSV_FILES[rel][0] == "cp949" else None
        check(("encoding: cp949 (detected)" in out) == (enc is not None), f"{rel}: {out[-300:]}")
        tmp.cleanup()
    if has_option("--encoding"):
        rel = "variants/inu_catalogue_ko_headers.cp949.csv"
        records, distinct = expected_csv(rel)
        counts, out, _, tmp = import_one(rel, "--encoding", "euc-kr")
        check_counts(rel, counts, records, distinct)
        check("encoding: cp949 (forced)" in out, out[-300:])
        tmp.cleanup()


@test
def the_ntis_xls_imports_as_its_clean_jsonl_says():
    """raw/ntis_rnd_patent_outcomes_2013.xls is the source of
    clean/kr_ntis_rnd_patents_2013.jsonl: the same records, ids, titles and
    applicants, read by our own BIFF8 reader."""
    if not has_data():
        return
    ws = lambda s: re.sub(r"\s+", " ", s or "").strip()
    rel = "raw/ntis_rnd_patent_outcomes_2013.xls"
    with open(os.path.join(DATA, "clean/kr_ntis_rnd_patents_2013.jsonl"), encoding="utf-8") as f:
        clean = {r["outcome_id"]: r for r in (json.loads(x) for x in f if x.strip())}
    counts, out, db, tmp = import_one(rel)
    check_counts(rel, counts, len(clean), len(clean))
    check("encoding:" not in out, "an .xls has no text encoding to report")
    # Every warning is explained: columns not imported, or a field kept as a keyword.
    for line in out.splitlines():
        if line.startswith("warning: "):
            check("ignored columns: " in line or "is not a known field; kept as a keyword" in line,
                  line)
    rows = query(db, "SELECT t.external_id, t.title, i.name, (SELECT count(*) FROM patent p"
                 " WHERE p.technology_id = t.id) FROM technology t"
                 " JOIN institution i ON i.id = t.institution_id")
    check({r[0] for r in rows} == set(clean), "the external ids are not the outcome ids")
    bad = [r for r in rows if ws(r[1]) != ws(clean[r[0]]["title"])]
    check(not bad, f"{len(bad)} titles differ, e.g. {bad[:2]}")

    def owners(rec):
        """The names the institution may be: an applicant; the first of
        several joined by spaces; an applicant as the .xls spells it, with
        the README's entity damage ("R&DB" written "Ramp;DB", cut at ';')."""
        for x in rec["applicants"]:
            for a in re.split(r"[,;]", x):
                yield ws(a)
                yield ws(a).split(" ")[0]
            yield ws(x.replace("&", "amp;").split(";")[0])

    bad = [r for r in rows if ws(r[2]) not in set(owners(clean[r[0]]))]
    check(not bad, f"{len(bad)} institutions are none of the applicants, e.g. {bad[:2]}")
    check(all(r[3] == 1 for r in rows), "every outcome is one patent")
    tmp.cleanup()
    # Its .xlsx sibling is refused, with the way out.
    with tempfile.TemporaryDirectory(prefix="tm_real_") as t:
        code, out, err = run("import", "--db", os.path.join(t, "t.db"),
                             os.path.join(DATA, "raw/nasa_patents.xlsx"))
        check(code != 0 and ".xlsx is not supported: save it as .xls" in out + err, out + err)


@test
def every_real_jsonl_imports_with_no_rejection():
    if not has_data():
        return
    rels = sorted("clean/" + n for n in os.listdir(os.path.join(DATA, "clean"))
                  if n.endswith((".jsonl", ".json")))
    rels.append("demo/technologies.jsonl")
    for rel in rels:
        records, distinct = expected_jsonl(rel)
        counts, out, _, tmp = import_one(rel)
        check_counts(rel, counts, records, distinct)
        if rel.startswith("demo/"):
            # The canonical format: nothing to map, nothing to warn about.
            check("warning:" not in out, f"{rel}: {out[:300]}")
        tmp.cleanup()


@test
def institution_lists_fail_with_an_error_naming_the_missing_title():
    if not has_data():
        return
    for rel in NOT_TECHNOLOGIES:
        with tempfile.TemporaryDirectory(prefix="tm_real_") as tmp:
            code, out, err = run("import", "--db", os.path.join(tmp, "t.db"),
                                 os.path.join(DATA, rel))
            check(code == 1, f"{rel}: exit {code}")
            with open(os.path.join(DATA, rel), encoding="utf-8") as f:
                first = next(csv.reader(f))[0]
            check(re.search(r'header: there is no "title" column: none of ' + first, err),
                  f"{rel}: {err}")
            check(query(os.path.join(tmp, "t.db"), "SELECT count(*) FROM technology") == [(0,)],
                  f"{rel}: something was stored")


@test
def inu_kipris_titles_split_and_spilled_abstracts_join_back():
    if not has_data():
        return
    rel = "raw/inu_kipris_patents.csv"
    with open(os.path.join(DATA, rel), encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    spilled = [r for r in rows[1:] if any(c.strip() for c in r[12:])]
    check(len(spilled) == 5, f"{len(spilled)} spilled rows in the file")
    counts, out, db, tmp = import_one(rel)
    check(out.count("the text ran on into the unnamed columns") == 5, out[-600:])
    check("ignored columns: 공개번호 NUMERIC, 공개일자 DATETIME, 대리인 NGRAM" in out, out[:400])
    for r in spilled:
        last = max(i for i, c in enumerate(r) if c.strip())
        tail = r[last].strip()
        got = query(db, "SELECT summary FROM technology t JOIN patent p ON p.technology_id = t.id"
                    " WHERE p.number_key = ?", r[3].strip())
        check(got and got[0][0].endswith(tail), f"{r[3]}: {got} does not end with {tail!r}")
    # 한국어 제목(ENGLISH TITLE) became two titles.
    title, en = rows[1][0].rsplit("(", 1)
    got = query(db, "SELECT title, title_en FROM technology WHERE title = ?", title.strip())
    check(got == [(title.strip(), en.rstrip(")").strip())], f"{got}")
    # Applicants: a row filed by 인천대학교 산학협력단 first (alone or with a
    # company after it, space-joined) is that institution's.
    own = {r[3].strip() for r in rows[1:] if r[2].strip().startswith("인천대학교 산학협력단")}
    got = query(db, "SELECT p.number_key FROM technology t JOIN patent p ON p.technology_id = t.id"
                " JOIN institution i ON i.id = t.institution_id"
                " WHERE i.name = '인천대학교 산학협력단'")
    check(own and own <= {g[0] for g in got}, f"{len(own - {g[0] for g in got})} rows elsewhere")
    tmp.cleanup()


@test
def kipris_statuses_are_the_patents_and_nasa_reads_with_semicolons():
    if not has_data():
        return
    counts, out, db, tmp = import_one("raw/kipris_export_pet_industry.csv")
    statuses = dict(query(db, "SELECT status, count(*) FROM patent GROUP BY 1"))
    check(set(statuses) == {"등록", "공개", "거절", "취하", "소멸", "포기"}, f"{statuses}")
    check(query(db, "SELECT DISTINCT status FROM technology") == [("available",)],
          "a patent status leaked into the listing status")
    # The English title in the Korean one is dropped when it is the title_en.
    dup = query(db, "SELECT count(*) FROM technology WHERE title_en IS NOT NULL AND "
                "instr(lower(title), lower(title_en)) > 0")[0][0]
    check(dup < 10, f"{dup} titles still hold their English title")
    tmp.cleanup()

    counts, out, db, tmp = import_one("raw/nasa_patents_semicolon_bom_crlf.csv")
    check(counts[0] == 1393, f"{counts}")
    got = query(db, "SELECT t.external_id, i.name, p.number, p.status FROM technology t"
                " JOIN institution i ON i.id = t.institution_id JOIN patent p"
                " ON p.technology_id = t.id WHERE t.external_id = 'KSC-12871'")
    check(got == [("KSC-12871", "NASA Kennedy Space Center", "13/033,085", "Application")],
          f"{got}")
    check('status: "GM" is neither a listing status' in out, "the odd status is not warned about")
    tmp.cleanup()


@test
def a_map_rule_turns_a_list_into_a_catalogue():
    if not has_data():
        return
    rel = "clean/kr_universities_en.csv"
    counts, out, db, tmp = import_one(rel, "--map", "name_en=title", "--map", "domains=applicants",
                                      "--map", "web_pages=ignore")
    with open(os.path.join(DATA, rel), encoding="utf-8") as f:
        n = sum(1 for _ in csv.DictReader(f))
    check(counts[0] + counts[2] == n and counts[3] == 0, f"{counts} for {n}")
    check("ignored columns: web_pages" in out, out[:300])
    tmp.cleanup()
    with tempfile.TemporaryDirectory(prefix="tm_real_") as t:
        code, _, err = run("import", "--db", os.path.join(t, "t.db"), "--map", "name_en=colour",
                           os.path.join(DATA, rel))
    check(code == 2 and '"colour" is not a field' in err, err)


@test
def korean_headers_in_tsv_or_semicolon_files_report_their_own_columns():
    with tempfile.TemporaryDirectory(prefix="tm_real_") as t:
        rows = [["기술명", "보유기관", "TRL", "출원번호", "키워드"],
                ["심박 측정 장치", "테스트대학교", "4", "10-2019-0012345", "의료기기|센서"],
                ["나쁜 기술", "테스트대학교", "ten", "10-2019-0054321", ""]]
        for name, sep, bom in (("list.tsv", "\t", ""), ("list.csv", ";", "\ufeff")):
            path = os.path.join(t, name)
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(bom + "\r\n".join(sep.join(r) for r in rows) + "\r\n")
            db = os.path.join(t, name + ".db")
            code, out, err = run("import", "--db", db, path)
            check(code == 1, f"{name}: exit {code} {out} {err}")
            check(f'{name}:3: TRL: "ten" is not an integer 1-9' in out, f"{name}: {out}")
            check(SUMMARY.search(out).groups() == ("1", "0", "0", "1"), f"{name}: {out}")
            got = query(db, "SELECT t.title, t.trl, t.keywords, i.name FROM technology t"
                        " JOIN institution i ON i.id = t.institution_id")
            check(got == [("심박 측정 장치", 4, "의료기기\n센서", "테스트대학교")], f"{name}: {got}")


# ---- round trip: what a real file gave comes back out and in unchanged

REAL_FILES = list(CSV_FILES) + ["raw/ntis_rnd_patent_outcomes_2013.xls",
                                "clean/catalogue_kr_univ_tech.jsonl",
                                "clean/kr_inu_patents.jsonl",
                                "clean/kr_ntis_rnd_patents_2013.jsonl",
                                "clean/kr_kipris_pet_patents.jsonl",
                                "clean/us_nasa_patents.jsonl"]

# What an import stores of a technology, with its institution's name (ids
# and times differ between databases).
STORED = ("SELECT t.external_id, t.title, t.title_en, t.summary, t.description, t.keywords,"
          " t.field, t.ipc, t.trl, t.licence, t.asking, t.status, i.name, t.inventors,"
          " t.contact, t.patent_numbers,"
          " (SELECT group_concat(p.ord || '|' || ifnull(p.number, '') || '|' ||"
          "   ifnull(p.country, '') || '|' || ifnull(p.kind, '') || '|' || ifnull(p.status, '')"
          "   || '|' || ifnull(p.filed, '') || '|' || ifnull(p.registered, '') || '|' ||"
          "   ifnull(p.registration_number, ''), char(10))"
          "  FROM (SELECT * FROM patent WHERE technology_id = t.id ORDER BY ord) p)"
          " FROM technology t JOIN institution i ON i.id = t.institution_id")


def stored(db):
    return sorted(query(db, STORED), key=repr)


@test
def every_real_file_round_trips_through_export_in_each_format():
    if not has_data():
        return
    for rel in REAL_FILES:
        _, _, db, tmp = import_one(rel)
        want = stored(db)
        check(want, f"{rel}: nothing stored")
        for fmt in ("csv", "jsonl", "json"):
            out = os.path.join(tmp.name, f"out.{fmt}")
            code, _, err = run("export", "--db", db, "--format", fmt, "--status", "all",
                               "--output", out)
            check(code == 0, f"{rel} export {fmt}: {err}")
            db2 = os.path.join(tmp.name, f"back-{fmt}.db")
            code, o2, err = run("import", "--db", db2, out)
            check(code == 0 and " 0 rejected" in o2, f"{rel} re-import {fmt}: {(o2 + err)[-300:]}")
            check(stored(db2) == want, f"{rel}: {fmt} export and import changed the catalogue")
            again = os.path.join(tmp.name, f"again.{fmt}")
            code, _, _ = run("export", "--db", db2, "--format", fmt, "--status", "all",
                             "--output", again)
            with open(out, "rb") as a, open(again, "rb") as b:
                check(code == 0 and a.read() == b.read(), f"{rel}: second {fmt} export differs")
        tmp.cleanup()


if __name__ == "__main__":
    run_all()
