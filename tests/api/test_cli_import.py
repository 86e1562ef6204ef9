"""`techmart import` as an operator and a script use it: every option, the
exit statuses (0 all stored, 1 any rejection or file error, 2 usage), --strict
rolling back only the file with a bad record, --json matching the plain
report, --quiet, the progress bar only on a terminal, --dry-run's listing
with nothing written, --institution by name and id. What the database holds
is read back with `techmart export`, as a user would. Each test uses its own
temporary database."""
import json
import os
import pty
import select
import sqlite3
import subprocess
import tempfile
import time

from harness import run_all, test

BIN = os.environ.get("TECHMART_BIN", "build/asan/techmart")


def run(*args):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=300)
    return r.returncode, r.stdout, r.stderr


def tmpdir():
    return tempfile.TemporaryDirectory(prefix="tm_cli_import_")


def write(path, text, encoding="utf-8"):
    with open(path, "w", encoding=encoding) as f:
        f.write(text)
    return path


def jsonl(path, records):
    return write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def rec(i, **kw):
    r = {"external_id": f"T-{i}", "title": f"측정 장치 {i}", "institution": "고려대학교",
         "trl": 4, "keywords": ["의료기기"]}
    r.update(kw)
    return r


def catalogue(db):
    code, out, err = run("export", "--db", db, "--format", "jsonl", "--status", "all")
    assert code == 0, err
    return {r["external_id"]: r for r in map(json.loads, out.splitlines())}


def summary(out, label):
    """The counts of label's summary line: {'added': n, ...}."""
    for line in out.splitlines():
        if line.startswith(label + ": ") and " added, " in line:
            parts = line[len(label) + 2:].split(";")[0].split(", ")
            return {p.split()[1]: int(p.split()[0]) for p in parts}
    raise AssertionError(f"no summary for {label} in {out!r}")


@test
def help_names_every_option():
    code, out, _ = run("import", "--help")
    assert code == 0 and "usage: techmart import" in out
    for opt in ("--db", "--dry-run", "--map", "--encoding", "--institution", "--strict",
                "--quiet", "--json"):
        assert opt in out, opt


@test
def usage_errors_exit_2_with_a_reason():
    with tmpdir() as d:
        db = os.path.join(d, "t.db")
        path = jsonl(os.path.join(d, "a.jsonl"), [rec(1)])
        cases = [
            (["--bogus", path], "--bogus"),
            ([], "no file given"),
            (["--encoding", "latin1", path], "--encoding"),
            (["--quiet", "--json", path], "--quiet and --json"),
            (["--map", "nonsense", path], "--map"),
            (["--institution", "", path], "--institution"),
        ]
        for args, why in cases:
            code, out, err = run("import", "--db", db, *args)
            assert code == 2 and why in err, (args, code, out, err)
            assert out == "", (args, out)
        # nothing was imported by any of them
        assert catalogue(db) == {}


@test
def exit_status_is_0_when_all_went_in_and_1_on_a_rejection_or_a_bad_file():
    with tmpdir() as d:
        db = os.path.join(d, "t.db")
        good = jsonl(os.path.join(d, "good.jsonl"), [rec(1), rec(2)])
        code, out, err = run("import", "--db", db, good)
        assert code == 0 and summary(out, good)["added"] == 2, (out, err)
        bad = jsonl(os.path.join(d, "bad.jsonl"), [rec(3), rec(4, trl="ten")])
        code, out, err = run("import", "--db", db, bad)
        assert code == 1 and 'bad.jsonl:2: trl: "ten" is not an integer 1-9' in out, out
        code, out, err = run("import", "--db", db, os.path.join(d, "missing.jsonl"))
        assert code == 1 and "missing.jsonl" in err and "cannot open" in err, err
        code, out, err = run("import", "--db", db, write(os.path.join(d, "x.txt"), "hi"))
        assert code == 1 and "unknown format" in err, err


@test
def strict_leaves_the_file_with_a_bad_row_out_and_imports_the_good_file():
    with tmpdir() as d:
        db = os.path.join(d, "t.db")
        jsonl(os.path.join(d, "seed.jsonl"), [rec(0)])
        assert run("import", "--db", db, os.path.join(d, "seed.jsonl"))[0] == 0
        before = catalogue(db)
        # the bad file would add two, update one and create an institution
        bad = jsonl(os.path.join(d, "bad.jsonl"),
                    [rec(10), rec(0, title="바뀐 제목"), rec(11, trl=12),
                     rec(12, institution="새 연구소")])
        good = jsonl(os.path.join(d, "good.jsonl"), [rec(20), rec(21)])
        code, out, err = run("import", "--db", db, "--strict", bad, good)
        assert code == 1, (out, err)
        assert "bad.jsonl:3: trl:" in out, out
        assert f"{bad}: --strict: 1 record rejected, so nothing of this file was stored" in err
        assert summary(out, bad) == {"added": 0, "updated": 0, "unchanged": 0, "rejected": 1}
        assert "new institution" not in out
        assert summary(out, good)["added"] == 2
        after = catalogue(db)
        assert set(after) == set(before) | {"T-20", "T-21"}, sorted(after)
        assert after["T-0"]["title"] == before["T-0"]["title"]
        code, out, _ = run("institution", "list", "--db", db)
        assert "새 연구소" not in out
        # the same bad file without --strict stores its good rows
        code, out, err = run("import", "--db", db, bad)
        assert code == 1 and summary(out, bad) == {"added": 2, "updated": 1, "unchanged": 0,
                                                    "rejected": 1}, out


@test
def json_is_one_object_with_the_plain_reports_counts():
    with tmpdir() as d:
        a = jsonl(os.path.join(d, "a.jsonl"), [rec(1), rec(2, trl="ten"), rec(3)])
        b = write(os.path.join(d, "b.csv"), "external_id,title,institution,trl\n"
                  "C-1,표 기술,서울대학교,3\nC-2,,서울대학교,3\n")
        code_p, out_p, _ = run("import", "--db", os.path.join(d, "p.db"), a, b)
        code_j, out_j, err_j = run("import", "--db", os.path.join(d, "j.db"), "--json", a, b)
        assert code_p == code_j == 1
        rep = json.loads(out_j)  # the whole of stdout is one JSON document
        assert err_j == "", err_j
        assert [f["file"] for f in rep["files"]] == [a, b]
        for f, path in zip(rep["files"], (a, b)):
            plain = summary(out_p, path)
            assert {k: f[k] for k in plain} == plain, (f, plain)
            assert f["aborted"] is False and f["error"] is None
            rejected = [i for i in f["issues"] if not i["warning"]]
            assert len(rejected) == f["rejected"]
            for i in rejected:
                assert f'{os.path.basename(path)}:{i["line"]}: {i["field"]}: {i["message"]}' \
                    in out_p, (i, out_p)
        assert rep["files"][0]["issues"][0]["line"] == 2
        assert rep["files"][0]["issues"][0]["field"] == "trl"
        assert rep["files"][1]["new_institutions"] == ["서울대학교"]
        for k in ("added", "updated", "unchanged", "rejected"):
            assert rep[k] == sum(f[k] for f in rep["files"]), k
        assert rep["dry_run"] is False and rep["strict"] is False and rep["failed_files"] == 0


@test
def json_reports_file_errors_and_strict_aborts():
    with tmpdir() as d:
        db = os.path.join(d, "t.db")
        bad = jsonl(os.path.join(d, "bad.jsonl"), [rec(1), rec(2, trl=0)])
        code, out, err = run("import", "--db", db, "--json", "--strict", bad,
                             os.path.join(d, "nope.jsonl"))
        assert code == 1 and err == "", err
        rep = json.loads(out)
        assert rep["strict"] is True and rep["failed_files"] == 1
        f0, f1 = rep["files"]
        assert f0["aborted"] is True and f0["added"] == 0 and f0["rejected"] == 1
        assert f1["error"]["field"] == "file" and "cannot open" in f1["error"]["message"]
        assert catalogue(db) == {}


@test
def quiet_prints_nothing_on_success_and_the_status_still_tells():
    with tmpdir() as d:
        db = os.path.join(d, "t.db")
        good = jsonl(os.path.join(d, "good.jsonl"), [rec(1), rec(2)])
        assert run("import", "--db", db, "--quiet", good) == (0, "", "")
        assert set(catalogue(db)) == {"T-1", "T-2"}
        bad = jsonl(os.path.join(d, "bad.jsonl"), [rec(3, trl="ten")])
        code, out, err = run("import", "--db", db, "--quiet", bad)
        assert code == 1 and out == "" and err == "", (out, err)
        code, out, err = run("import", "--db", db, "--quiet", os.path.join(d, "none.jsonl"))
        assert code == 1 and out == "" and "none.jsonl" in err


def run_on_terminal(*args):
    """Runs with stderr on a pseudo-terminal and stdout on a pipe; returns
    (status, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([BIN, *args], stdout=subprocess.PIPE, stderr=slave,
                         stdin=subprocess.DEVNULL)
    os.close(slave)
    tty = b""
    while True:
        r, _, _ = select.select([master], [], [], 300)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        tty += chunk
    out = p.stdout.read().decode()
    p.stdout.close()
    code = p.wait(timeout=300)
    os.close(master)
    return code, out, tty.decode("utf-8", "replace")


@test
def a_progress_bar_is_drawn_on_a_terminal_only_and_cleared():
    with tmpdir() as d:
        path = jsonl(os.path.join(d, "many.jsonl"), [rec(i) for i in range(3000)])
        code, out, tty = run_on_terminal("import", "--db", os.path.join(d, "a.db"), path)
        assert code == 0 and summary(out, path)["added"] == 3000, out
        assert "rows/s" in tty and "many.jsonl [" in tty, tty
        assert tty.endswith("\r\x1b[K"), repr(tty[-40:])  # cleared at the end
        assert "\x1b" not in out and "rows/s" not in out
        # on pipes: no bar anywhere
        code, out, err = run("import", "--db", os.path.join(d, "b.db"), path)
        assert code == 0 and "rows/s" not in out + err and "\x1b" not in out + err
        assert err == ""
        # on a terminal with --quiet or --json: none either
        for flag in ("--quiet", "--json"):
            code, out, tty = run_on_terminal("import", "--db", os.path.join(d, "c.db"), flag,
                                             path)
            assert code == 0 and tty == "", (flag, tty)


@test
def dry_run_lists_what_would_change_and_writes_nothing():
    with tmpdir() as d:
        db = os.path.join(d, "t.db")
        first = jsonl(os.path.join(d, "first.jsonl"), [rec(1), rec(2), rec(3)])
        assert run("import", "--db", db, first)[0] == 0
        before = catalogue(db)
        nxt = jsonl(os.path.join(d, "next.jsonl"),
                    [rec(1), rec(2, title="새 제목", trl=7), rec(4, title="추가될 기술"),
                     rec(3, keywords=["의료기기", "센서"]), rec(5, trl="ten")])
        code, out, err = run("import", "--db", db, "--dry-run", nxt)
        assert code == 1, (out, err)  # the rejected record still counts
        lines = out.splitlines()
        assert 'next.jsonl:3: would add "추가될 기술"' in lines, out
        upd = [l for l in lines if "would update" in l]
        assert len(upd) == 2, out
        assert upd[0].startswith("next.jsonl:2: would update #") and \
            upd[0].endswith("(새 제목): fields title, trl"), upd
        assert upd[1].startswith("next.jsonl:4: would update #") and \
            upd[1].endswith(": fields keywords"), upd
        assert not any(l.startswith("next.jsonl:1:") for l in lines), out  # unchanged
        assert 'next.jsonl:5: trl: "ten" is not an integer 1-9' in lines
        assert summary(out, nxt + " (dry run)") == {"added": 1, "updated": 2, "unchanged": 1,
                                                     "rejected": 1}
        assert catalogue(db) == before


@test
def dry_run_listing_is_capped():
    with tmpdir() as d:
        db = os.path.join(d, "t.db")
        path = jsonl(os.path.join(d, "big.jsonl"), [rec(i) for i in range(1005)])
        code, out, _ = run("import", "--db", db, "--dry-run", path)
        assert code == 0
        assert sum("would add" in l for l in out.splitlines()) == 1000
        assert "... and 5 more changes not listed" in out
        assert summary(out, path + " (dry run)")["added"] == 1005
        assert catalogue(db) == {}
        # --json and --quiet carry no listing
        code, out, _ = run("import", "--db", db, "--dry-run", "--json", path)
        assert code == 0 and json.loads(out)["added"] == 1005 and json.loads(out)["dry_run"]
        assert run("import", "--db", db, "--dry-run", "--quiet", path) == (0, "", "")
        assert catalogue(db) == {}


def institution_id(db, name):
    code, out, _ = run("institution", "list", "--db", db)
    for line in out.splitlines()[1:]:
        cols = line.split("\t")
        if cols[1] == name:
            return cols[0]
    raise AssertionError(f"{name} not in {out}")


@test
def institution_by_name_or_id_forces_every_record():
    with tmpdir() as d:
        db = os.path.join(d, "t.db")
        seed = jsonl(os.path.join(d, "seed.jsonl"),
                     [rec(1), rec(2, institution="서울대학교")])
        assert run("import", "--db", db, seed)[0] == 0
        # records without an institution take the forced one
        bare = write(os.path.join(d, "bare.csv"), "external_id,title\nB-1,이름 없는 기술 1\n"
                     "B-2,이름 없는 기술 2\n")
        code, out, err = run("import", "--db", db, "--institution", "서울대학교", bare)
        assert code == 0 and summary(out, bare)["added"] == 2, (out, err)
        snu = institution_id(db, "서울대학교")
        bare2 = write(os.path.join(d, "bare2.csv"), "external_id,title\nB-3,기술 3\n")
        code, out, err = run("import", "--db", db, "--institution", snu, bare2)
        assert code == 0 and summary(out, bare2)["added"] == 1, (out, err)
        cat = catalogue(db)
        assert all(cat[k]["institution"] == "서울대학교" for k in ("B-1", "B-2", "B-3")), cat
        # a record naming another institution is rejected, not moved
        other = jsonl(os.path.join(d, "other.jsonl"), [rec(9)])
        code, out, _ = run("import", "--db", db, "--institution", snu, other)
        assert code == 1 and "other.jsonl:1: institution:" in out, out
        assert "T-9" not in catalogue(db)
        # an unknown institution is a usage error naming it; nothing is read
        for bad in ("없는 대학교", "99999"):
            code, out, err = run("import", "--db", db, "--institution", bad, bare)
            assert code == 2 and f'no institution named or numbered "{bad}"' in err, err
            assert out == ""


@test
def map_and_encoding_options_reach_the_importer():
    with tmpdir() as d:
        db = os.path.join(d, "t.db")
        text = "external_id,명칭,institution\nE-1,한글 제목 기술,고려대학교\n"
        cp = write(os.path.join(d, "cp.csv"), text, encoding="cp949")
        code, out, err = run("import", "--db", db, "--encoding", "cp949", "--map", "명칭=title",
                             cp)
        assert code == 0, (out, err)
        assert catalogue(db)["E-1"]["title"] == "한글 제목 기술"
        # the same bytes forced to UTF-8 are not valid text: rejected, not garbled
        db2 = os.path.join(d, "t2.db")
        code, out, err = run("import", "--db", db2, "--encoding", "utf-8", "--map",
                             "명칭=title", cp)
        assert code == 1, (out, err)
        assert catalogue(db2) == {}


@test
def repeats_are_checked_for_the_first_131072_ids_then_the_report_says_it_stopped():
    # The table of seen ids is bounded (memory must not grow with the file):
    # past it, one warning says later repeats go unreported.
    with tmpdir() as d:
        n = (1 << 17) + 2
        path = os.path.join(d, "many.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write("external_id,title,institution\n")
            f.write("R-0,repeated first,고려대학교\n")
            for i in range(1, n):
                f.write(f"M-{i},t {i},고려대학교\n")
            f.write("R-0,repeated again,고려대학교\n")
        code, out, err = run("import", "--db", os.path.join(d, "t.db"), "--dry-run", path)
        assert code == 0, err
        warned = [l for l in out.splitlines() if "external_ids in this file" in l]
        assert len(warned) == 1 and f"more than {1 << 17}" in warned[0], warned
        assert warned[0].startswith(f"warning: many.csv:{(1 << 17) + 2}: external_id:"), warned
        assert "also on line 2" in out, "a repeat of a tracked id went unreported"


def file_format(db):
    """Bytes 18 and 19 of an SQLite file: 2 in WAL mode, 1 with a rollback journal."""
    with open(db, "rb") as f:
        h = f.read(20)
    return (h[18], h[19])


@test
def a_load_alone_ends_in_wal_mode_and_one_beside_a_reader_stays_in_it():
    with tmpdir() as d:
        db = os.path.join(d, "t.db")
        code, _, err = run("import", "--db", db, jsonl(os.path.join(d, "a.jsonl"),
                                                          [rec(i) for i in range(50)]))
        assert code == 0, err
        assert file_format(db) == (2, 2), file_format(db)
        assert not os.path.exists(db + "-journal")
        assert len(catalogue(db)) == 50

        # an import that stops early (no such institution) turns the log back on too
        code, _, err = run("import", "--db", db, "--institution", "없는 기관",
                           os.path.join(d, "a.jsonl"))
        assert code == 2 and "--institution" in err, (code, err)
        assert file_format(db) == (2, 2), file_format(db)

        # a reader holds the database open: the import shares it through the
        # write-ahead log, and the reader sees the new rows once it commits
        reader = sqlite3.connect(db, timeout=5)
        try:
            assert reader.execute("SELECT count(*) FROM technology").fetchone()[0] == 50
            code, _, err = run("import", "--db", db, jsonl(os.path.join(d, "b.jsonl"),
                                                              [rec(i) for i in range(50, 80)]))
            assert code == 0, err
            assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert reader.execute("SELECT count(*) FROM technology").fetchone()[0] == 80
        finally:
            reader.close()
        assert file_format(db) == (2, 2)


@test
def a_load_alone_killed_mid_file_leaves_the_catalogue_as_before_it():
    with tmpdir() as d:
        db = os.path.join(d, "t.db")
        code, _, err = run("import", "--db", db, jsonl(os.path.join(d, "a.jsonl"),
                                                          [rec(i) for i in range(20)]))
        assert code == 0, err
        big = jsonl(os.path.join(d, "big.jsonl"), [rec(i, summary="측정 장치 " * 40)
                                                   for i in range(100, 30100)])
        p = subprocess.Popen([BIN, "import", "--quiet", "--db", db, big],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # the rollback journal exists while the file's transaction is open
            for _ in range(600):
                if os.path.exists(db + "-journal") or p.poll() is not None:
                    break
                time.sleep(0.05)
            assert p.poll() is None and os.path.exists(db + "-journal"), \
                "the load did not write alone with a rollback journal"
            p.kill()
        finally:
            p.wait(timeout=60)
        assert file_format(db) == (1, 1)  # left in rollback mode, with a hot journal
        got = catalogue(db)  # the next program rolls the file back and turns WAL on
        assert sorted(got) == sorted(f"T-{i}" for i in range(20)), len(got)
        assert file_format(db) == (2, 2)
        assert not os.path.exists(db + "-journal")


run_all()
