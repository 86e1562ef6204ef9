"""The command line as an operator uses it: help, import reports and exit
statuses, idempotent re-import, demo, reindex, and clear errors for bad
files and databases. Each test uses its own temporary database."""
import json
import os
import subprocess
import tempfile

from harness import run_all, test

BIN = os.environ.get("TECHMART_BIN", "build/asan/techmart")


def run(*args, stdin=None):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, input=stdin, timeout=300)
    return r.returncode, r.stdout + r.stderr


def tmpdir():
    return tempfile.TemporaryDirectory(prefix="tm_cli_")


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


REC = {"external_id": "CLI-1", "title": "심박 측정 장치", "institution": "고려대학교",
       "field": "bio-medical", "trl": 4, "licence": ["exclusive"], "keywords": ["의료기기"],
       "patents": [{"number": "10-2019-0012345", "country": "KR", "filed": "2019-01-23"}]}


@test
def every_command_has_help():
    code, out = run("--help")
    assert code == 0 and "serve" in out and "import" in out and "demo" in out
    for cmd in ("serve", "import", "demo", "reindex"):
        code, out = run(cmd, "--help")
        assert code == 0 and f"usage: techmart {cmd}" in out, (cmd, out)


@test
def unknown_commands_and_options_are_usage_errors():
    assert run("frobnicate")[0] == 2
    code, out = run("import", "--bogus", "x.jsonl")
    assert code == 2 and "--bogus" in out
    code, out = run("serve", "--port", "99999")
    assert code == 2 and "--port" in out


@test
def a_bad_record_is_reported_with_file_line_and_field_and_the_rest_imported():
    with tmpdir() as d:
        db = os.path.join(d, "t.db")
        lines = [dict(REC, external_id=f"M-{i}") for i in range(5)]
        lines[3]["trl"] = "ten"
        path = write(os.path.join(d, "mixed.jsonl"),
                     "".join(json.dumps(l, ensure_ascii=False) + "\n" for l in lines))
        code, out = run("import", "--db", db, path)
        assert code == 1, out
        assert 'mixed.jsonl:4: trl: "ten" is not an integer 1-9' in out, out
        assert "4 added" in out and "1 rejected" in out, out
        code, out = run("import", "--db", db, path)
        assert code == 1 and "0 added" in out and "4 unchanged" in out, out


@test
def reimport_changes_nothing_and_a_changed_record_updates():
    with tmpdir() as d:
        db = os.path.join(d, "t.db")
        path = write(os.path.join(d, "a.jsonl"), json.dumps(REC, ensure_ascii=False) + "\n")
        assert run("import", "--db", db, path)[0] == 0
        code, out = run("import", "--db", db, path)
        assert code == 0 and "0 added, 0 updated, 1 unchanged, 0 rejected" in out, out
        write(path, json.dumps(dict(REC, title="심박 측정 장치 및 방법"), ensure_ascii=False) + "\n")
        code, out = run("import", "--db", db, path)
        assert code == 0 and "1 updated" in out, out


@test
def json_arrays_and_csv_import_the_same_record():
    with tmpdir() as d:
        db = os.path.join(d, "t.db")
        arr = write(os.path.join(d, "a.json"), json.dumps([REC, dict(REC, external_id="CLI-2")]))
        code, out = run("import", "--db", db, arr)
        assert code == 0 and "2 added" in out, out
        csv = write(os.path.join(d, "b.csv"),
                    "external_id,title,institution,keywords,trl,summary\r\n"
                    'CLI-3,"배터리, 음극재",한양대학교,리튬;음극,5,"first line\r\nsecond ""quoted"" line"\r\n')
        code, out = run("import", "--db", db, csv)
        assert code == 0 and "1 added" in out, out


@test
def unreadable_or_unknown_files_are_clear_errors():
    with tmpdir() as d:
        db = os.path.join(d, "t.db")
        code, out = run("import", "--db", db, os.path.join(d, "missing.jsonl"))
        assert code == 1 and "missing.jsonl" in out, out
        code, out = run("import", "--db", db, write(os.path.join(d, "x.txt"), "hello"))
        assert code == 1 and "x.txt" in out, out


@test
def a_file_that_is_not_a_database_is_refused():
    with tmpdir() as d:
        bad = write(os.path.join(d, "notadb.db"), "this is not sqlite" * 100)
        code, out = run("reindex", "--db", bad)
        assert code == 1 and "not a techmart database" in out, out
        code, out = run("reindex", "--db", os.path.join(d, "no", "such", "dir.db"))
        assert code == 1 and "cannot open" in out, out


@test
def demo_loads_once_and_reindex_counts():
    with tmpdir() as d:
        db = os.path.join(d, "t.db")
        demo = os.path.join(os.environ.get("TECHMART_ROOT", "."), "data/demo/technologies.jsonl")
        with open(demo, encoding="utf-8") as f:
            distinct = len({json.loads(l)["external_id"] for l in f})
        code, out = run("demo", "--db", db)
        assert code == 0 and f"{distinct} added" in out and "0 rejected" in out, out
        code, out = run("demo", "--db", db)
        assert code == 0 and "0 added" in out and "3027 unchanged" in out, out
        code, out = run("reindex", "--db", db)
        assert code == 0 and f"reindexed {distinct} technologies" in out, out


run_all()
