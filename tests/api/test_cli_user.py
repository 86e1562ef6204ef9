"""`techmart user` as an operator uses it: add with a generated password
(printed once) or one read from stdin, the password policy (never echoing a
refused password), duplicate emails, unknown institutions, list (never a
hash), passwd, disable, --help. Each test uses its own temporary database;
the demo institutions come from `techmart demo`, made once."""
import os
import sqlite3
import string
import subprocess
import tempfile

from harness import run_all, test

BIN = os.environ.get("TECHMART_BIN", "build/asan/techmart")
ALPHABET = set(string.ascii_letters + string.digits) - set("0O1lIo")
_tmp = tempfile.TemporaryDirectory(prefix="tm_cli_user_")
_n = [0]


def run(*args, stdin=None):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, input=stdin, timeout=300)
    return r.returncode, r.stdout, r.stderr


def new_db(with_institutions=False):
    """A new database path; with the demo institutions when asked."""
    _n[0] += 1
    db = os.path.join(_tmp.name, f"u{_n[0]}.db")
    if with_institutions:
        code, out, err = run("demo", "--db", db)
        assert code == 0, err
    return db


_demo = []


def demo_db():
    """One database with the demo institutions, shared by the tests that
    need institutions (each uses its own emails)."""
    if not _demo:
        _demo.append(new_db(with_institutions=True))
    return _demo[0]


def passwords_printed(out):
    return [l.split(": ", 1)[1] for l in out.splitlines() if l.startswith("password: ")]


@test
def user_help_lists_the_subcommands_and_each_has_help():
    code, out, _ = run("--help")
    assert code == 0 and "user" in out, out
    code, out, _ = run("user", "--help")
    assert code == 0 and "usage: techmart user" in out, out
    for sub in ("add", "passwd", "disable", "list"):
        assert sub in out
        code, out2, _ = run("user", sub, "--help")
        assert code == 0 and f"usage: techmart user {sub}" in out2, (sub, out2)


@test
def usage_errors_exit_2():
    db = new_db()
    assert run("user")[0] == 2
    assert run("user", "frobnicate")[0] == 2
    assert run("user", "add", "--db", db, "--role", "admin")[0] == 2  # no --email
    assert run("user", "add", "--db", db, "--email", "a@example.com")[0] == 2  # no --role
    code, _, err = run("user", "add", "--db", db, "--email", "a@example.com", "--role", "root")
    assert code == 2 and "--role" in err, err
    code, _, err = run("user", "add", "--db", db, "--email", "not-an-email", "--role", "admin")
    assert code == 2 and err.startswith("techmart user add: "), err
    code, _, err = run("user", "add", "--db", db, "--email", "t@example.com", "--role", "tto")
    assert code == 2 and "--institution" in err, err
    code, _, err = run("user", "list", "--db", db, "--email", "a@example.com")
    assert code == 2 and "--email" in err, err


@test
def add_without_stdin_prints_one_generated_20_character_password():
    db = new_db()
    code, out, err = run("user", "add", "--db", db, "--email", "Admin@Example.COM",
                         "--role", "admin")
    assert code == 0, err
    pws = passwords_printed(out)
    assert len(pws) == 1, out
    pw = pws[0]
    assert len(pw) == 20 and set(pw) <= ALPHABET, pw
    assert out.count(pw) == 1 and pw not in err
    assert "admin@example.com" in out  # stored lower-cased
    # Stored as an argon2id hash, never as the password itself.
    with sqlite3.connect(db) as c:
        (h,) = c.execute('SELECT password_hash FROM "user"').fetchone()
        rows = c.execute('SELECT "before", "after" FROM audit_log').fetchall()
    assert h.startswith("$argon2id$") and pw not in h
    assert len(rows) == 1 and "argon2" not in repr(rows) and pw not in repr(rows)
    # Another run makes another password.
    code, out2, _ = run("user", "add", "--db", db, "--email", "b@example.com", "--role", "staff")
    assert code == 0 and passwords_printed(out2)[0] != pw


@test
def add_with_password_stdin_takes_the_first_line_and_prints_no_password():
    db = demo_db()
    secret = "correct horse battery staple"
    code, out, err = run("user", "add", "--db", db, "--email", "tto@korea.ac.kr", "--role", "tto",
                         "--institution", "Korea University", "--password-stdin",
                         stdin=secret + "\r\nsecond line\n")
    assert code == 0, err
    assert passwords_printed(out) == [] and secret not in out + err
    assert "고려대학교" in out, out
    with sqlite3.connect(db) as c:
        (inst,) = c.execute('SELECT i.name FROM "user" u JOIN institution i'
                            ' ON i.id = u.institution_id WHERE email = ?',
                            ("tto@korea.ac.kr",)).fetchone()
    assert inst == "고려대학교"


@test
def institutions_are_found_by_korean_name_or_id_and_an_unknown_one_is_exit_1():
    db = demo_db()
    with sqlite3.connect(db) as c:
        (iid, name) = c.execute("SELECT id, name FROM institution ORDER BY id LIMIT 1").fetchone()
    code, out, err = run("user", "add", "--db", db, "--email", "c1@corp.kr", "--role", "company",
                         "--institution", str(iid))
    assert code == 0 and name in out, err
    code, out, err = run("user", "add", "--db", db, "--email", "c2@corp.kr", "--role", "company",
                         "--institution", name)
    assert code == 0 and name in out, err
    code, out, err = run("user", "add", "--db", db, "--email", "c3@corp.kr", "--role", "company",
                         "--institution", "Nowhere Institute of Nothing")
    assert code == 1, (code, err)
    assert err.startswith("techmart user add: ") and "Nowhere Institute of Nothing" in err, err
    assert passwords_printed(out) == []


@test
def weak_short_and_common_passwords_are_refused_without_echoing_them():
    db = new_db()
    for i, pw in enumerate(["short-pw", "Password1234", "qwertyuiop123", "x" * 1025, ""]):
        code, out, err = run("user", "add", "--db", db, "--email", f"w{i}@example.com",
                             "--role", "staff", "--password-stdin", stdin=pw + "\n")
        assert code == 1, (pw[:20], code, err)
        assert err.startswith("techmart user add: "), err
        assert not pw or pw not in out + err, err
    code, out, _ = run("user", "list", "--db", db)
    assert code == 0 and out.count("\n") == 1, out  # the header only


@test
def a_duplicate_email_in_any_case_already_exists_and_exits_1():
    db = new_db()
    assert run("user", "add", "--db", db, "--email", "dup@example.com", "--role", "staff")[0] == 0
    code, out, err = run("user", "add", "--db", db, "--email", "DUP@example.com",
                         "--role", "admin")
    assert code == 1 and "already exists" in err, err
    assert passwords_printed(out) == []


@test
def list_shows_email_role_institution_disabled_created_and_never_a_hash():
    db = demo_db()
    assert run("user", "add", "--db", db, "--email", "staff@forum.kr", "--role", "staff")[0] == 0
    assert run("user", "add", "--db", db, "--email", "tto2@korea.ac.kr", "--role", "tto",
               "--institution", "고려대학교", "--password-stdin",
               stdin="a long enough passphrase\n")[0] == 0
    code, out, err = run("user", "list", "--db", db)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split("\t") == ["email", "role", "institution", "disabled", "created_at"]
    rows = {l.split("\t")[0]: l.split("\t") for l in lines[1:]}
    assert rows["staff@forum.kr"][1:4] == ["staff", "-", "no"], rows
    assert rows["tto2@korea.ac.kr"][1:4] == ["tto", "고려대학교", "no"], rows
    assert rows["staff@forum.kr"][4].endswith("Z")
    assert "argon2" not in out and "$" not in out


@test
def passwd_replaces_the_hash_and_disable_marks_the_user_once():
    db = new_db()
    assert run("user", "add", "--db", db, "--email", "p@example.com", "--role", "admin")[0] == 0
    with sqlite3.connect(db) as c:
        (h1,) = c.execute('SELECT password_hash FROM "user"').fetchone()
    code, out, err = run("user", "passwd", "--db", db, "--email", "P@example.com",
                         "--password-stdin", stdin="a new passphrase here\n")
    assert code == 0 and passwords_printed(out) == [] and "passphrase" not in out + err, err
    code, out, err = run("user", "passwd", "--db", db, "--email", "p@example.com")
    assert code == 0 and len(passwords_printed(out)) == 1, err
    code, out, err = run("user", "passwd", "--db", db, "--email", "p@example.com",
                         "--password-stdin", stdin="password1234\n")
    assert code == 1 and "password1234" not in out + err, err
    with sqlite3.connect(db) as c:
        (h2, version) = c.execute('SELECT password_hash, version FROM "user"').fetchone()
    assert h2 != h1 and h2.startswith("$argon2id$") and version == 3
    code, _, err = run("user", "passwd", "--db", db, "--email", "nobody@example.com")
    assert code == 1 and "nobody@example.com" in err, err

    code, out, err = run("user", "disable", "--db", db, "--email", "p@example.com")
    assert code == 0 and "disabled" in out, err
    code, out, err = run("user", "disable", "--db", db, "--email", "p@example.com")
    assert code == 0 and "already" in out, err
    code, out, _ = run("user", "list", "--db", db)
    assert out.splitlines()[1].split("\t")[3] == "yes", out
    code, _, err = run("user", "disable", "--db", db, "--email", "nobody@example.com")
    assert code == 1 and err.startswith("techmart user disable: "), err
    with sqlite3.connect(db) as c:
        actions = [a for (a,) in c.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["user.add", "user.passwd", "user.passwd", "user.disable"], actions


# ---- techmart institution, and the demo's accounts

@test
def institution_add_then_list_shows_it_and_refuses_a_taken_name():
    db = new_db()
    code, out, err = run("institution", "add", "--db", db, "--name", "시험대학교", "--name-en",
                         "Test University", "--kind", "university", "--group", "forum",
                         "--group", "dongbuk4")
    assert code == 0 and "added institution" in out and "시험대학교" in out, (out, err)
    code, out, _ = run("institution", "list", "--db", db)
    rows = [l.split("\t") for l in out.splitlines()[1:]]
    assert any(r[1:4] == ["시험대학교", "Test University", "university"]
               and sorted(r[4].split(",")) == ["dongbuk4", "forum"] for r in rows), rows
    code, out, err = run("institution", "add", "--db", db, "--name", "test university")
    assert code == 1 and "name" in err and "exists" in err, (code, err)
    with sqlite3.connect(db) as c:
        n = c.execute("SELECT count(*) FROM audit_log WHERE action = 'institution.add'").fetchone()
    assert n[0] == 1, n


@test
def institution_add_needs_a_name_and_a_known_kind():
    db = new_db()
    code, _, err = run("institution", "add", "--db", db)
    assert code == 2 and "--name" in err, err
    code, _, err = run("institution", "add", "--db", db, "--name", "x", "--kind", "castle")
    assert code == 2 and "--kind" in err, err
    code, _, err = run("institution", "remove", "--db", db)
    assert code == 2 and "unknown subcommand" in err, err
    code, out, _ = run("institution", "add", "--help")
    assert code == 0 and "usage: techmart institution add" in out


@test
def demo_accounts_are_one_per_role_with_passwords_printed_once_and_kept_on_rerun():
    db = new_db()
    code, out, err = run("demo", "--db", db, "--accounts")
    assert code == 0, err
    lines = [l.split() for l in out.splitlines() if "@demo.techmart.example" in l]
    roles = {l[0]: (l[1], l[-1]) for l in lines}
    assert sorted(roles) == ["admin", "company", "staff", "tto"], lines
    pws = [pw for _, pw in roles.values()]
    assert len(set(pws)) == 4 and all(len(p) == 20 and set(p) <= ALPHABET for p in pws), pws
    code, out2, _ = run("demo", "--db", db, "--accounts")
    assert code == 0 and not any(p in out2 for p in pws), out2
    assert out2.count("exists; password unchanged") == 4, out2
    code, listed, _ = run("user", "list", "--db", db)
    assert "tto@demo.techmart.example\ttto\t서울대학교" in listed, listed
    assert "company@demo.techmart.example\tcompany\t데모 주식회사" in listed, listed


run_all()
