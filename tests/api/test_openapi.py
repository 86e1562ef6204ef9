"""The running server against docs/openapi.yaml, and the spec against itself.

Every documented path and operation is requested with real queries (the
demo catalogue served by tests/api/run.py); each answer's status must be one
the spec documents for that operation, its Content-Type one of the
documented media types, and its body valid against the documented schema.
Objects whose schema lists properties may not carry fields the spec does
not list: an undocumented field is a spec bug. The 400 answers are derived
from the parameters' own schemas (every enum, minimum, maximum and
maxLength gets a value just outside it), so a parameter added to the spec is
checked without a new test. The reverse holds too: every route of
server/srv_route.c must be documented, so a new route without docs fails.

The validator covers the part of OpenAPI 3.0 schema this spec uses, with
the 3.0.3 meaning of `nullable` (it adds null to the `type` beside it and
reaches through neither `$ref` nor `allOf`; an `enum` still has to list
null); a test fails if the spec starts using a keyword it does not know.

Needs PyYAML (Debian python3-yaml, installed by `tools/deps.sh test`)."""
import os
import subprocess
import sys


def _yaml_or_reexec():
    """PyYAML, re-running this script under Debian's python3 when the one
    running it (a pyenv one, say) lacks it."""
    try:
        import yaml  # noqa: PLC0415 - optional until checked

        return yaml
    except ImportError:
        pass
    deb = "/usr/bin/python3"
    mine = os.path.realpath(sys.executable or "")
    if os.path.exists(deb) and os.path.realpath(deb) != mine and \
            subprocess.run([deb, "-c", "import yaml"], capture_output=True).returncode == 0:
        os.execv(deb, [deb, os.path.abspath(__file__)] + sys.argv[1:])
    tried = sys.executable if os.path.realpath(deb) == mine else f"{sys.executable} and {deb}"
    print(f"FAIL {os.path.basename(__file__)}: PyYAML is missing for {tried}; install it "
          f"with `tools/deps.sh test` (Debian package python3-yaml)")
    print(f"{os.path.basename(__file__)}: 0 passed, 1 failed")
    sys.exit(1)


yaml = _yaml_or_reexec()

import datetime  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import urllib.parse  # noqa: E402

from harness import ROOT, add_user, check, get, run_all, test  # noqa: E402

SPEC_PATH = os.path.join(ROOT, "docs/openapi.yaml")
ROUTES_C = os.path.join(ROOT, "server/srv_route.c")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

with open(SPEC_PATH, encoding="utf-8") as _f:
    SPEC = yaml.safe_load(_f)

# Documented answers no request can provoke on an idle, healthy server.
UNPROVOKED = {"503": "needs an overloaded or failing server (tests/api/test_limits.py)",
              "429": "locks logins out for 15 minutes (tests/api/test_session.py)"}
# The same for one operation's status.
UNPROVOKED_AT = {("/api/v1/me/password", "post", "409"):
                 "needs two changes at once (tests/api/test_accounts.py)"}

# (path template, method, status) of every answer seen, for the coverage test.
exercised = set()


# ---- the validator

# Keywords the validator applies, and those that only annotate.
ASSERTING = {"$ref", "type", "nullable", "enum", "properties", "required",
             "additionalProperties", "items", "allOf", "anyOf", "oneOf", "minimum",
             "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
             "minItems", "maxItems", "uniqueItems", "pattern", "format"}
ANNOTATING = {"description", "example", "default", "title", "deprecated", "readOnly",
              "writeOnly", "externalDocs"}
FORMATS = {"int32", "int64", "date", "date-time", "double", "float"}
INT_RANGE = {"int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1)}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def resolve(ref):
    """The object a local $ref ("#/a/b") points to; KeyError if none."""
    check(ref.startswith("#/"), f"only local $refs are supported: {ref}")
    node = SPEC
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__  # a YAML date or the like: not JSON


def type_ok(want, v):
    got = json_type(v)
    return got == want or (want == "number" and got == "integer")


def same_json(a, b):
    """JSON equality: True is not 1, 1 equals 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def known_props(schema):
    """Property names a schema lists, its allOf branches included; None when
    neither it nor a branch lists any (a free-form object)."""
    if "$ref" in schema:
        return known_props(resolve(schema["$ref"]))
    names = set(schema.get("properties", {})) if "properties" in schema else None
    for sub in schema.get("allOf", []):
        more = known_props(sub)
        if more is not None:
            names = (names or set()) | more
    return names


def closed(schema):
    """Whether extra fields are undocumented ones: the schema (or an allOf
    branch) lists properties and none says additionalProperties."""
    if "$ref" in schema:
        return closed(resolve(schema["$ref"]))
    if "additionalProperties" in schema:
        return False
    return "properties" in schema or any(closed(s) for s in schema.get("allOf", []))


def validate(schema, v, where="$", in_allof=False):
    """Errors (strings) of v against schema; [] when valid."""
    if "$ref" in schema:  # siblings of a $ref are ignored in OpenAPI 3.0
        return validate(resolve(schema["$ref"]), v, where, in_allof)
    errs = []
    t = schema.get("type")
    if v is None:
        if t is not None and not schema.get("nullable"):
            errs.append(f"{where}: null, but the schema is a non-nullable {t}")
        elif "enum" in schema and None not in schema["enum"]:
            errs.append(f"{where}: null is not in enum {schema['enum']} (list null there too)")
        for sub in schema.get("allOf", []):
            errs += validate(sub, v, where, True)
        return errs
    if t is not None and not type_ok(t, v):
        return [f"{where}: {json_type(v)} {v!r:.60}, want {t}"]
    if "enum" in schema and not any(same_json(v, e) for e in schema["enum"]):
        errs.append(f"{where}: {v!r:.60} is not one of {schema['enum']}")
    fmt = schema.get("format")
    if fmt in INT_RANGE and isinstance(v, int) and not isinstance(v, bool):
        lo, hi = INT_RANGE[fmt]
        if not lo <= v <= hi:
            errs.append(f"{where}: {v} is outside {fmt}")
    if fmt == "date" and isinstance(v, str) and not _date_ok(v):
        errs.append(f"{where}: {v!r} is not a date (YYYY-MM-DD)")
    if fmt == "date-time" and isinstance(v, str) and not _datetime_ok(v):
        errs.append(f"{where}: {v!r} is not an RFC 3339 date-time")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if isinstance(v, float) and not math.isfinite(v):
            errs.append(f"{where}: {v} is not a JSON number")
        if "minimum" in schema and (v < schema["minimum"] or
                                    (schema.get("exclusiveMinimum") and v == schema["minimum"])):
            errs.append(f"{where}: {v} is below the minimum {schema['minimum']}")
        if "maximum" in schema and (v > schema["maximum"] or
                                    (schema.get("exclusiveMaximum") and v == schema["maximum"])):
            errs.append(f"{where}: {v} is above the maximum {schema['maximum']}")
    if isinstance(v, str):
        if "minLength" in schema and len(v) < schema["minLength"]:
            errs.append(f"{where}: shorter than {schema['minLength']} characters")
        if "maxLength" in schema and len(v) > schema["maxLength"]:
            errs.append(f"{where}: longer than {schema['maxLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], v):
            errs.append(f"{where}: {v!r:.60} does not match {schema['pattern']}")
    if isinstance(v, list):
        if "minItems" in schema and len(v) < schema["minItems"]:
            errs.append(f"{where}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(v) > schema["maxItems"]:
            errs.append(f"{where}: more than {schema['maxItems']} items")
        if schema.get("uniqueItems") and len({json.dumps(x, sort_keys=True) for x in v}) < len(v):
            errs.append(f"{where}: items repeat")
        if "items" in schema:
            for i, x in enumerate(v):
                errs += validate(schema["items"], x, f"{where}[{i}]")
    if isinstance(v, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in v:
                errs.append(f"{where}: required field {name!r} is missing")
        for k, x in v.items():
            if k in props:
                errs += validate(props[k], x, f"{where}.{k}")
        extra = schema.get("additionalProperties", True)
        if isinstance(extra, dict):
            for k, x in v.items():
                if k not in props:
                    errs += validate(extra, x, f"{where}.{k}")
        elif extra is False:
            errs += [f"{where}.{k}: not allowed (additionalProperties: false)"
                     for k in v if k not in props]
        if not in_allof and closed(schema):
            listed = known_props(schema) or set()
            errs += [f"{where}.{k}: the server sends it but the spec does not list it"
                     for k in v if k not in listed]
    for sub in schema.get("allOf", []):
        errs += validate(sub, v, where, True)
    if "anyOf" in schema and all(validate(s, v, where) for s in schema["anyOf"]):
        errs.append(f"{where}: matches none of anyOf")
    if "oneOf" in schema:
        n = sum(1 for s in schema["oneOf"] if not validate(s, v, where))
        if n != 1:
            errs.append(f"{where}: matches {n} of oneOf, want exactly 1")
    return errs


def _date_ok(s):
    try:
        return bool(DATE_RE.match(s)) and bool(datetime.date.fromisoformat(s))
    except ValueError:
        return False


def _datetime_ok(s):
    if not DATETIME_RE.match(s):
        return False
    try:
        datetime.datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00")
                                        .replace("t", "T"))
        return True
    except ValueError:
        return False


def must_validate(schema, v, what):
    errs = validate(schema, v)
    check(not errs, f"{what}: {len(errs)} schema error(s): " + "; ".join(errs[:8]))


# ---- walking the spec

def operations():
    """(path template, method, operation) of every documented operation."""
    for path, item in SPEC.get("paths", {}).items():
        for m in METHODS:
            if m in item:
                yield path, m, item[m]


def op_params(path, method):
    """Parameters of an operation, path-level ones included, $refs resolved."""
    item = SPEC["paths"][path]
    out = {}
    for p in item.get("parameters", []) + item[method].get("parameters", []):
        p = resolve(p["$ref"]) if "$ref" in p else p
        out[(p["name"], p["in"])] = p
    return list(out.values())


def param_schema(p):
    s = p.get("schema", {})
    return resolve(s["$ref"]) if "$ref" in s else s


def schemas_in(node, where="#"):
    """(where, schema) of every Schema Object in the spec, found by position:
    components.schemas, parameter and header `schema`, media type `schema`,
    and the subschemas of each."""
    found = []

    def sub(s, w):
        if not isinstance(s, dict):
            return
        found.append((w, s))
        for k in ("properties",):
            for name, x in s.get(k, {}).items():
                sub(x, f"{w}/{k}/{name}")
        for k in ("items", "additionalProperties", "not"):
            if isinstance(s.get(k), dict):
                sub(s[k], f"{w}/{k}")
        for k in ("allOf", "anyOf", "oneOf"):
            for i, x in enumerate(s.get(k, [])):
                sub(x, f"{w}/{k}/{i}")

    def walk(n, w):
        if isinstance(n, dict):
            for k, x in n.items():
                if k == "schema" and isinstance(x, dict):
                    sub(x, f"{w}/schema")
                elif k == "schemas" and w == "#/components":
                    for name, s in x.items():
                        sub(s, f"{w}/schemas/{name}")
                else:
                    walk(x, f"{w}/{k}")
        elif isinstance(n, list):
            for i, x in enumerate(n):
                walk(x, f"{w}/{i}")

    walk(node, where)
    return found


def refs_in(node, where="#"):
    if isinstance(node, dict):
        for k, x in node.items():
            if k == "$ref" and isinstance(x, str):
                yield where, x
            else:
                yield from refs_in(x, f"{where}/{k}")
    elif isinstance(node, list):
        for i, x in enumerate(node):
            yield from refs_in(x, f"{where}/{i}")


def response_of(path, method, status):
    """The spec's Response Object for an answer, or None if undocumented."""
    rs = SPEC["paths"][path][method]["responses"]
    r = rs.get(str(status)) or rs.get(f"{str(status)[0]}XX") or rs.get("default")
    return resolve(r["$ref"]) if r and "$ref" in r else r


def media_type(h):
    return h.get("content-type", "").split(";")[0].strip().lower()


def request(path, target, method="GET", want=None, headers=None, data=None):
    """Requests target (an instance of the spec path `path`) and checks the
    answer against the spec: documented status (and `want`, if given),
    documented Content-Type, body valid for that status's schema, documented
    headers valid. Returns (status, headers, parsed JSON body)."""
    m = method.lower()
    st, h, raw = get(target, method=method, headers=headers, data=data)
    what = f"{method} {target[:120]}"
    if want is not None:
        check(st == want, f"{what}: status {st}, want {want}; body {raw[:300]!r}")
    resp = response_of(path, m, st)
    check(resp is not None, f"{what}: status {st} is not documented for {method} {path} "
                            f"(documented: {sorted(SPEC['paths'][path][m]['responses'])})")
    exercised.add((path, m, str(st)))
    content = resp.get("content") or {}
    if not content:
        check(raw == b"", f"{what}: {st} has no documented body but the server sent {raw[:80]!r}")
        return st, h, None
    mt = media_type(h)
    check(mt in content, f"{what}: Content-Type {h.get('content-type')!r}, documented: "
                         f"{sorted(content)}")
    body = None
    if mt.endswith("json"):
        try:
            body = json.loads(raw)
        except ValueError as e:
            check(False, f"{what}: the body is not JSON ({e}): {raw[:120]!r}")
    if "schema" in content[mt]:
        must_validate(content[mt]["schema"], body, f"{what} -> {st}")
    for name, hd in (resp.get("headers") or {}).items():
        v = h.get(name.lower())
        check(v is not None or not hd.get("required"), f"{what}: header {name} is missing")
        if v is not None and "schema" in hd:
            s = resolve(hd["schema"]["$ref"]) if "$ref" in hd["schema"] else hd["schema"]
            val = int(v) if s.get("type") == "integer" and re.fullmatch(r"-?\d+", v) else v
            must_validate(s, val, f"{what}: header {name}")
    return st, h, body


def qs(**params):
    return "?" + urllib.parse.urlencode(params) if params else ""


def add_test(name, fn):
    fn.__name__ = name
    test(fn)


SEARCH = "/api/v1/technologies"
TECH = "/api/v1/technologies/{id}"
INSTS = "/api/v1/institutions"


def search(want=200, **params):
    return request(SEARCH, SEARCH + qs(**params), want=want)


# ---- the spec on its own

@test
def spec_is_openapi_3_0_with_paths():
    check(str(SPEC.get("openapi", "")).startswith("3.0."), f"openapi: {SPEC.get('openapi')!r}")
    check(SPEC.get("paths"), "no paths")


@test
def every_ref_in_the_spec_resolves():
    bad = []
    for where, ref in refs_in(SPEC):
        try:
            resolve(ref)
        except (KeyError, TypeError, AssertionError):
            bad.append(f"{where}: {ref}")
    check(not bad, "dangling $ref: " + "; ".join(bad))


@test
def spec_schemas_use_only_keywords_the_validator_knows():
    bad = []
    for where, s in schemas_in(SPEC):
        unknown = set(s) - ASSERTING - ANNOTATING
        if unknown:
            bad.append(f"{where}: {sorted(unknown)}")
        if s.get("format") and s["format"] not in FORMATS:
            bad.append(f"{where}: format {s['format']}")
    check(not bad, "teach the validator these, or do not use them: " + "; ".join(bad))


@test
def nullable_sits_beside_a_type_and_nullable_enums_list_null():
    # OpenAPI 3.0.3: nullable only adds null to the `type` of its own schema.
    bad = []
    for where, s in schemas_in(SPEC):
        if s.get("nullable") and "type" not in s:
            bad.append(f"{where}: nullable without type (it has no effect there)")
        if s.get("nullable") and "enum" in s and None not in s["enum"]:
            bad.append(f"{where}: nullable enum without null in it")
    check(not bad, "; ".join(bad))


@test
def or_null_schemas_are_their_base_plus_null():
    # A nullable enum repeats its base's values; they must not drift apart.
    schemas = SPEC.get("components", {}).get("schemas", {})
    for name, s in schemas.items():
        if name.endswith("OrNull") and name[:-6] in schemas:
            base = schemas[name[:-6]]
            check(s.get("type") == base.get("type") and s.get("nullable") is True,
                  f"{name}: type {s.get('type')}, nullable {s.get('nullable')}")
            check(s.get("enum") == base.get("enum", []) + [None],
                  f"{name}: enum {s.get('enum')} is not {name[:-6]}'s plus null")


@test
def the_validator_rejects_what_the_spec_forbids():
    # Not a vacuous validator: a real record, spoiled in ways the spec forbids.
    _, _, j = search(per_page=1)
    tech = json.loads(json.dumps(j["items"][0]))
    summary = {"$ref": "#/components/schemas/TechnologySummary"}
    check(not validate(summary, tech), "the unspoiled record is valid")
    spoils = {
        "an undocumented field": lambda t: t.update(secret="x"),
        "a missing required field": lambda t: t.pop("snippet"),
        "a float id": lambda t: t.update(id=float(t["id"])),
        "a boolean id": lambda t: t.update(id=True),
        "a string trl": lambda t: t.update(trl="5"),
        "a trl above 9": lambda t: t.update(trl=10),
        "an unknown status": lambda t: t.update(status="sold"),
        "a null status": lambda t: t.update(status=None),
        "a null title": lambda t: t.update(title=None),
        "an unknown licence": lambda t: t.update(licence=["free"]),
        "an id past int64": lambda t: t.update(id=2**63),
        "an unknown field": lambda t: t.update(field="magic"),
    }
    for what, spoil in spoils.items():
        t = json.loads(json.dumps(tech))
        spoil(t)
        check(validate(summary, t), f"the validator accepts {what}")
    t = dict(tech, field=None, trl=None, title_en=None)
    check(not validate(summary, t), f"nullable fields refuse null: {validate(summary, t)}")
    check(validate({"type": "string", "format": "date"}, "2024-02-30"), "a bad date passes")
    check(validate({"type": "string", "format": "date-time"}, "2024-02-01 10:00"),
          "a date-time without T and zone passes")


@test
def required_fields_are_listed_properties():
    bad = []
    for where, s in schemas_in(SPEC):
        listed = known_props(s)
        for name in s.get("required", []):
            if listed is None or name not in listed:
                bad.append(f"{where}: {name}")
    check(not bad, "required but not in properties: " + "; ".join(bad))


@test
def path_templates_declare_their_path_parameters():
    bad = []
    for path, m, _ in operations():
        names = set(re.findall(r"\{([^}]+)\}", path))
        declared = {p["name"] for p in op_params(path, m) if p["in"] == "path"}
        for p in op_params(path, m):
            if p["in"] == "path" and not p.get("required"):
                bad.append(f"{m} {path}: path parameter {p['name']} must be required")
        if names != declared:
            bad.append(f"{m} {path}: template has {sorted(names)}, declared {sorted(declared)}")
    check(not bad, "; ".join(bad))


@test
def spec_examples_match_their_schemas():
    bad = []
    for where, s in schemas_in(SPEC):
        if "example" in s:
            bad += [f"{where}/example: {e}" for e in validate(s, s["example"])]
        if "default" in s:
            bad += [f"{where}/default: {e}" for e in validate(s, s["default"])]

    def holders(n, w):  # parameters and media types: schema beside example(s)
        if isinstance(n, dict):
            if isinstance(n.get("schema"), dict) and ("example" in n or "examples" in n):
                exs = [("example", n["example"])] if "example" in n else []
                for k, e in (n.get("examples") or {}).items():
                    e = resolve(e["$ref"]) if "$ref" in e else e
                    if "value" in e:
                        exs.append((f"examples/{k}", e["value"]))
                for k, e in exs:
                    yield f"{w}/{k}", n["schema"], e
            for k, x in n.items():
                yield from holders(x, f"{w}/{k}")
        elif isinstance(n, list):
            for i, x in enumerate(n):
                yield from holders(x, f"{w}/{i}")

    for where, s, e in holders(SPEC, "#"):
        bad += [f"{where}: {x}" for x in validate(s, e)]
    check(not bad, "; ".join(bad[:10]))


# ---- the spec against the route table

def c_routes():
    with open(ROUTES_C, encoding="utf-8") as f:
        src = f.read()
    rows = re.findall(r'\{\s*EVHTTP_REQ_([A-Z]+)\s*,\s*"([^"]+)"', src)
    check(rows, f"no {{EVHTTP_REQ_..., \"/path\", ...}} rows found in {ROUTES_C}")
    return [(m.lower(), p) for m, p in rows]


@test
def every_route_of_the_server_is_documented():
    missing = [f"{m.upper()} {p}" for m, p in c_routes()
               if m not in SPEC["paths"].get(p, {})]
    check(not missing, "routes in server/srv_route.c with no operation in docs/openapi.yaml: "
                       + ", ".join(missing))


@test
def every_documented_operation_is_a_route_of_the_server():
    routes = set(c_routes())
    extra = [f"{m.upper()} {p}" for p, m, _ in operations() if (m, p) not in routes]
    check(not extra, "operations in docs/openapi.yaml that server/srv_route.c lacks: "
                     + ", ".join(extra))


# ---- the server against the spec: operations

@test
def healthz_answers_as_documented():
    request("/healthz", "/healthz", want=200)


@test
def institutions_list_answers_as_documented():
    _, _, j = request(INSTS, INSTS, want=200)
    check(j["total"] == len(j["items"]) and j["items"], f"total {j['total']}")


def _search_case(name, want=200, **params):
    add_test(name, lambda: search(want, **params))


_search_case("search_without_a_query_lists_the_catalogue_as_documented")
_search_case("search_korean_words_answers_as_documented", q="그래핀 전극")
_search_case("search_korean_word_with_particle_answers_as_documented", q="센서를")
_search_case("search_english_words_answers_as_documented", q="graphene electrode")
_search_case("search_with_every_filter_answers_as_documented", q="센서", field="ict",
             status="available", trl_min=3, trl_max=8, licence="non-exclusive", per_page=50)
_search_case("search_by_group_answers_as_documented", group="hongneung", per_page=100)
_search_case("search_of_withdrawn_status_answers_as_documented", status="withdrawn")
_search_case("search_sorted_by_newest_answers_as_documented", q="장치", sort="newest")
_search_case("search_sorted_by_trl_answers_as_documented", q="장치", sort="trl", per_page=100)
_search_case("search_sorted_by_relevance_answers_as_documented", q="의료기기",
             sort="relevance", per_page=100)
_search_case("search_second_page_of_100_answers_as_documented", per_page=100, page=2)
_search_case("search_page_past_the_last_answers_as_documented", q="그래핀", page=400, per_page=25)
_search_case("search_with_syntax_answers_as_documented",
             q='title:센서 "무선 센서" OR sensor -배터리 nano* inventor:김')
_search_case("search_with_an_unknown_parameter_answers_as_documented", q="센서", colour="blue")


@test
def search_with_the_spec_examples_of_q_answers_as_documented():
    p = next(p for p in op_params(SEARCH, "get") if p["name"] == "q")
    exs = [e["value"] for e in (p.get("examples") or {}).values()]
    exs += [p["example"]] if "example" in p else []
    check(exs, "q has no examples")
    for e in exs:
        search(q=e)


@test
def search_with_no_match_answers_as_documented():
    _, _, j = search(q="qqzzxxnotaword")
    check(j["total"] == 0 and j["items"] == [], f"total {j['total']}")
    check(j["relaxed"] is False, "a one-word query is never relaxed")


@test
def relaxed_search_answers_as_documented_with_strict_total():
    _, _, j = search(q="센서 qqzzxxnotaword")
    check(j["relaxed"] is True, f"relaxed {j['relaxed']}")
    check("strict_total" in j and j["strict_total"] < j["total"], f"{j.get('strict_total')}")


@test
def strict_total_is_sent_only_when_relaxed():
    for q in ("센서", "그래핀 전극", "센서 qqzzxxnotaword"):
        _, _, j = search(q=q)
        check(("strict_total" in j) == j["relaxed"], f"q={q}: relaxed {j['relaxed']}, "
                                                     f"strict_total {j.get('strict_total')}")


@test
def score_is_0_without_a_query_under_every_sort():
    for sort in ("newest", "trl", "relevance"):
        _, _, j = search(sort=sort)
        check(j["items"] and all(it["score"] == 0 for it in j["items"]),
              f"sort={sort}: scores {[it['score'] for it in j['items']][:5]}")


@test
def score_is_the_relevance_of_a_query_under_every_sort():
    for sort in ("newest", "trl", "relevance"):
        _, _, j = search(q="센서", sort=sort)
        check(j["items"] and all(it["score"] > 0 for it in j["items"]),
              f"sort={sort}: scores {[it['score'] for it in j['items']][:5]}")


@test
def facet_keys_are_the_documented_values():
    _, _, j = search(per_page=1)
    f = j["facets"]
    enums = {k: set(resolve(f"#/components/schemas/{s}")["enum"])
             for k, s in (("field", "Field"), ("status", "Status"), ("licence", "Licence"))}
    for k, allowed in enums.items():
        check(set(f[k]) <= allowed, f"facets.{k} keys {sorted(set(f[k]) - allowed)}")
    check(all(k in {str(i) for i in range(1, 10)} for k in f["trl"]), f"trl keys {list(f['trl'])}")
    check(all(re.fullmatch(r"[1-9]\d*", k) for k in f["institution"]), "institution keys")
    _, _, insts = request(INSTS, INSTS, want=200)
    groups = {g for i in insts["items"] for g in i["groups"]}
    check(set(f["group"]) <= groups, f"group keys {sorted(set(f['group']) - groups)}")


def _ids_to_fetch():
    """Ids from several searches, so records with and without the optional
    fields (nulls, patents, keywords) are among them."""
    ids = []
    for params in ({"per_page": 15}, {"sort": "trl", "per_page": 15}, {"q": "graphene"},
                   {"q": "의료기기", "per_page": 10}, {"group": "hongneung", "per_page": 10},
                   {"per_page": 10, "page": 50}):
        _, _, j = search(**params)
        ids += [it["id"] for it in j["items"]]
    return list(dict.fromkeys(ids))


@test
def technology_records_answer_as_documented():
    ids = _ids_to_fetch()
    check(len(ids) >= 30, f"only {len(ids)} ids")
    for i in ids:
        _, _, j = request(TECH, f"/api/v1/technologies/{i}", want=200)
        check(j["id"] == i, f"asked {i}, got {j['id']}")


@test
def technology_record_not_found_answers_as_documented():
    for target in ("999999999", "9223372036854775807", "9223372036854775808", "0", "-1",
                   "abc", "1.5", "01", "%20"):
        request(TECH, f"/api/v1/technologies/{target}", want=404)


SESSION = "/api/v1/session"
ME = "/api/v1/me"
JSON_HDR = {"Content-Type": "application/json"}


def _login_body(email, password, **extra):
    return json.dumps({"email": email, "password": password, **extra}).encode()


@test
def login_me_and_logout_answer_as_documented():
    email, pw = "openapi-staff@example.org", "openapi staff password 1"
    add_user(email, pw)
    st, h, j = request(SESSION, SESSION, "POST", 201, JSON_HDR, _login_body(email, pw))
    cookie = h["set-cookie"].split(";")[0]
    _, _, me = request(ME, ME, want=200, headers={"Cookie": cookie})
    check(me == j["user"], f"{me} != {j['user']}")
    request(SESSION, SESSION, "DELETE", 403, {"Cookie": cookie})
    request(SESSION, SESSION, "DELETE", 204, {"Cookie": cookie, "X-CSRF-Token": j["csrf_token"]})
    request(ME, ME, want=401, headers={"Cookie": cookie})
    request(SESSION, SESSION, "DELETE", 401, {"Cookie": cookie, "X-CSRF-Token": j["csrf_token"]})


@test
def failed_logins_answer_as_documented():
    request(SESSION, SESSION, "POST", 401, JSON_HDR,
            _login_body("openapi-nobody@example.org", "not the password"))
    _, _, j = request(SESSION, SESSION, "POST", 400, JSON_HDR, b'{"email": "a@b.example"}')
    check(j["error"].get("field") == "password", f"{j}")
    request(SESSION, SESSION, "POST", 413, JSON_HDR, b" " * 5000)


TOKENS = "/api/v1/tokens"
TOKEN = "/api/v1/tokens/{id}"


@test
def tokens_answer_as_documented():
    email, pw = "openapi-tokens@example.org", "openapi tokens password 1"
    add_user(email, pw)
    _, h, j = request(SESSION, SESSION, "POST", 201, JSON_HDR, _login_body(email, pw))
    cookie = {"Cookie": h["set-cookie"].split(";")[0]}
    csrf = {**cookie, "X-CSRF-Token": j["csrf_token"], **JSON_HDR}
    name = json.dumps({"name": "openapi"}).encode()
    _, _, t = request(TOKENS, TOKENS, "POST", 201, csrf, name)
    bearer = {"Authorization": "Bearer " + t["token"]}
    request(TOKENS, TOKENS, "POST", 403, {**cookie, **JSON_HDR}, name)
    request(TOKENS, TOKENS, "POST", 401, JSON_HDR, name)
    _, _, e = request(TOKENS, TOKENS, "POST", 400, bearer, b'{"name": "x", "id": 1}')
    check(e["error"].get("field") == "id", f"{e}")
    request(TOKENS, TOKENS, "POST", 413, bearer, b" " * 5000)
    _, _, lst = request(TOKENS, TOKENS, want=200, headers=bearer)
    check([x["id"] for x in lst["items"]] == [t["id"]], f"{lst}")
    request(TOKENS, TOKENS, want=401)
    target = f"{TOKENS}/{t['id']}"
    request(TOKEN, target, "DELETE", 401)
    request(TOKEN, target, "DELETE", 403, cookie)
    request(TOKEN, target, "DELETE", 204, bearer)
    request(TOKEN, target, "DELETE", 404, csrf)
    request(ME, ME, want=401, headers=bearer)


def _bearer(email, role="staff", institution=None):
    pw = "openapi listings password 1"
    add_user(email, pw, role, institution)
    _, h, j = request(SESSION, SESSION, "POST", 201, JSON_HDR, _login_body(email, pw))
    cookie = {"Cookie": h["set-cookie"].split(";")[0]}
    csrf = {**cookie, "X-CSRF-Token": j["csrf_token"], **JSON_HDR}
    _, _, t = request(TOKENS, TOKENS, "POST", 201, csrf, json.dumps({"name": "o"}).encode())
    return {"Authorization": "Bearer " + t["token"], **JSON_HDR}, cookie


IMPORTS = "/api/v1/imports"


@test
def imports_answer_as_documented():
    _, _, insts = request(INSTS, INSTS, want=200)
    tto, tto_cookie = _bearer("openapi-import-tto@example.org", "tto", insts["items"][0]["id"])
    staff, _ = _bearer("openapi-import-staff@example.org", "staff")
    company, _ = _bearer("openapi-import-co@example.org", "company", insts["items"][0]["id"])
    csv = {"Content-Type": "text/csv"}
    bad = b"title,trl\nqqopenapiqq import,ten\n"  # rejected: the catalogue stays as it was
    _, _, j = request(IMPORTS, IMPORTS, "POST", 200, {**tto, **csv}, bad)
    check(j["rejected"] == 1 and j["issues"][0]["field"] == "trl", f"{j}")
    request(IMPORTS, IMPORTS + "?institution=999999999", "POST", 400, {**staff, **csv}, bad)
    request(IMPORTS, IMPORTS, "POST", 401, csv, bad)
    request(IMPORTS, IMPORTS, "POST", 403, {**company, **csv}, bad)
    request(IMPORTS, IMPORTS, "POST", 403, {**tto_cookie, **csv}, bad)  # no X-CSRF-Token
    request(IMPORTS, IMPORTS, "POST", 415, {**tto, "Content-Type": "application/xml"}, bad)
    request(IMPORTS, IMPORTS, "POST", 413, {**tto, **csv}, b" " * ((2 << 20) + 1))


@test
def listings_answer_as_documented():
    _, _, insts = request(INSTS, INSTS, want=200)
    own, other = insts["items"][0], insts["items"][1]
    tto, tto_cookie = _bearer("openapi-tto@example.org", "tto", own["id"])
    other_tto, _ = _bearer("openapi-tto-other@example.org", "tto", other["id"])
    company, _ = _bearer("openapi-company@example.org", "company", own["id"])
    rec = json.dumps({"title": "qqopenapiqq listing", "trl": 3, "external_id": "openapi-1"}).encode()
    _, h, t = request(SEARCH, SEARCH, "POST", 201, tto, rec)
    check(h.get("etag") == f'"{t["version"]}"', f"{h.get('etag')}")
    request(SEARCH, SEARCH, "POST", 409, tto, rec)
    _, _, e = request(SEARCH, SEARCH, "POST", 400, tto, b'{"title": "x", "version": 3}')
    check(e["error"].get("field") == "version", f"{e}")
    request(SEARCH, SEARCH, "POST", 401, JSON_HDR, rec)
    request(SEARCH, SEARCH, "POST", 403, company, rec)
    request(SEARCH, SEARCH, "POST", 403, {**tto_cookie, **JSON_HDR}, rec)  # no X-CSRF-Token
    request(SEARCH, SEARCH, "POST", 413, tto, b" " * 300000)
    target = f"{SEARCH}/{t['id']}"
    body = json.dumps({"trl": 4}).encode()
    request(TECH, target, "PATCH", 428, tto, body)
    request(TECH, target, "PATCH", 412, {**tto, "If-Match": '"99"'}, body)
    request(TECH, target, "PATCH", 401, {**JSON_HDR, "If-Match": h["etag"]}, body)
    request(TECH, target, "PATCH", 403, {**other_tto, "If-Match": h["etag"]}, body)
    request(TECH, target, "PATCH", 400, {**tto, "If-Match": h["etag"]}, b'{"trl": 0}')
    _, h2, _ = request(TECH, target, "PATCH", 200, {**tto, "If-Match": h["etag"]}, body)
    request(TECH, target, "DELETE", 401)
    request(TECH, target, "DELETE", 403, other_tto)
    request(TECH, target, "DELETE", 204, tto)
    request(TECH, target, "DELETE", 404, other_tto)
    request(TECH, target, "PATCH", 404, {**other_tto, "If-Match": '"3"'}, body)
    request(TECH, target, "PATCH", 200, {**tto, "If-Match": '"3"'},
            b'{"status": "available"}')
    request(TECH, f"{SEARCH}/999999999", "DELETE", 404, tto)
    request(TECH, target, "DELETE", 204, tto)  # the demo catalogue stays as it was


USERS = "/api/v1/users"


@test
def users_answer_as_documented():
    # Institution names in fullwidth letters sort after the demo catalogue's
    # Korean ones, so later tests taking the first institutions are undisturbed.
    pw = "openapi users password 1"
    reg = {"email": "openapi-register@example.org", "password": pw,
           "institution": {"name": "ｚ openapi company", "name_en": "Openapi Co"}}
    _, _, j = request(USERS, USERS, "POST", 201, JSON_HDR, json.dumps(reg).encode())
    check(j["role"] == "company" and "password" not in j, f"{j}")
    taken = {**reg, "institution": {"name": "ｚ openapi company 2"}}
    _, _, e = request(USERS, USERS, "POST", 409, JSON_HDR, json.dumps(taken).encode())
    check(e["error"].get("field") == "email", f"{e}")
    reg2 = {**reg, "email": "openapi-register-2@example.org"}
    _, _, e = request(USERS, USERS, "POST", 409, JSON_HDR, json.dumps(reg2).encode())
    check(e["error"].get("field") == "institution.name", f"{e}")
    _, _, e = request(USERS, USERS, "POST", 400, JSON_HDR,
                      json.dumps({**reg2, "role": "admin"}).encode())
    check(e["error"].get("field") == "role", f"{e}")
    request(USERS, USERS, "POST", 413, JSON_HDR, b" " * 9000)
    admin, admin_cookie = _bearer("openapi-users-admin@example.org", "admin")
    staff, _ = _bearer("openapi-users-staff@example.org", "staff")
    new = json.dumps({"email": "openapi-new-staff@example.org", "role": "staff"}).encode()
    request(USERS, USERS, "POST", 403, staff, new)
    request(USERS, USERS, "POST", 403, {**admin_cookie, **JSON_HDR}, new)  # no X-CSRF-Token
    _, _, j = request(USERS, USERS, "POST", 201, admin, new)
    check(isinstance(j.get("password"), str), f"{j}")


INST_NEW = "/api/v1/institutions"
PASSWORD = "/api/v1/me/password"


@test
def institution_creation_answers_as_documented():
    admin, admin_cookie = _bearer("openapi-inst-admin@example.org", "admin")
    staff, _ = _bearer("openapi-inst-staff@example.org", "staff")
    body = json.dumps({"name": "ｚ openapi institute", "name_en": "Openapi Institute",
                       "kind": "research-institute", "groups": ["forum"]}).encode()
    request(INST_NEW, INST_NEW, "POST", 401, JSON_HDR, body)
    request(INST_NEW, INST_NEW, "POST", 403, staff, body)
    request(INST_NEW, INST_NEW, "POST", 403, {**admin_cookie, **JSON_HDR}, body)
    _, _, j = request(INST_NEW, INST_NEW, "POST", 201, admin, body)
    check(j["kind"] == "research-institute", f"{j}")
    _, _, e = request(INST_NEW, INST_NEW, "POST", 409, admin, body)
    check(e["error"].get("field") == "name", f"{e}")
    _, _, e = request(INST_NEW, INST_NEW, "POST", 400, admin,
                      json.dumps({"name": "ｚ openapi 2", "id": 1}).encode())
    check(e["error"].get("field") == "id", f"{e}")
    request(INST_NEW, INST_NEW, "POST", 413, admin, b" " * 9000)


@test
def password_change_answers_as_documented():
    pw = "openapi password change 1"
    _, _, insts = request(INSTS, INSTS, want=200)  # noqa: F841 (pw: any well-formed body)
    user, cookie = _bearer("openapi-passwd@example.org", "company", insts["items"][0]["id"])
    request(PASSWORD, PASSWORD, "POST", 401, JSON_HDR,
            json.dumps({"current_password": pw, "new_password": pw + "x"}).encode())
    _, _, e = request(PASSWORD, PASSWORD, "POST", 403, user,
                      json.dumps({"current_password": "wrong wrong wrong",
                                  "new_password": "openapi password change 2"}).encode())
    check(e["error"].get("field") == "current_password", f"{e}")
    request(PASSWORD, PASSWORD, "POST", 403, {**cookie, **JSON_HDR},  # no X-CSRF-Token
            json.dumps({"current_password": "x", "new_password": "y"}).encode())
    _, _, e = request(PASSWORD, PASSWORD, "POST", 400, user,
                      json.dumps({"current_password": "x", "new_password": "short"}).encode())
    check(e["error"].get("field") == "new_password", f"{e}")
    request(PASSWORD, PASSWORD, "POST", 413, user, b" " * 5000)
    request(PASSWORD, PASSWORD, "POST", 204, user,
            json.dumps({"current_password": "openapi listings password 1",  # _bearer's
                        "new_password": "openapi password change 2"}).encode())


AUDIT = "/api/v1/audit"


@test
def audit_answers_as_documented():
    _, _, insts = request(INSTS, INSTS, want=200)
    staff, _ = _bearer("openapi-audit-staff@example.org", "staff")
    admin, admin_cookie = _bearer("openapi-audit-admin@example.org", "admin")
    tto, _ = _bearer("openapi-audit-tto@example.org", "tto", insts["items"][0]["id"])
    company, _ = _bearer("openapi-audit-co@example.org", "company", insts["items"][0]["id"])
    _, _, j = request(AUDIT, AUDIT + qs(limit=2), want=200, headers=staff)
    check(len(j["items"]) == 2 and j["next"] == j["items"][-1]["id"], f"{j}")
    request(AUDIT, AUDIT + qs(before_id=j["next"], object="user", since="2000-01-01",
                              until="2999-12-31T23:59:59Z", limit=200), want=200, headers=admin)
    request(AUDIT, AUDIT + qs(action="session.open", user_id=1), want=200,
            headers=admin_cookie)
    _, _, e = request(AUDIT, AUDIT + qs(limit=0), want=400, headers=staff)
    check(e["error"].get("field") == "limit", f"{e}")
    _, _, e = request(AUDIT, AUDIT + qs(object_id=1), want=400, headers=staff)
    check(e["error"].get("field") == "object_id", f"{e}")
    request(AUDIT, AUDIT, want=401)
    request(AUDIT, AUDIT, want=403, headers=tto)
    request(AUDIT, AUDIT, want=403, headers=company)


EXPORT = "/api/v1/technologies/export"


@test
def export_answers_as_documented():
    _, _, insts = request(INSTS, INSTS, want=200)
    own, other = insts["items"][0]["id"], insts["items"][1]["id"]
    staff, _ = _bearer("openapi-export-staff@example.org", "staff")
    tto, _ = _bearer("openapi-export-tto@example.org", "tto", own)
    company, _ = _bearer("openapi-export-co@example.org", "company", own)
    _, h, _ = request(EXPORT, EXPORT + qs(q="그래핀", format="csv"), want=200, headers=staff)
    check(media_type(h) == "text/csv", f"{h}")
    # JSON Lines is not one JSON document: checked here, not by request().
    st, h, _ = get(EXPORT + qs(format="jsonl"), headers=tto)
    documented = SPEC["paths"][EXPORT]["get"]["responses"]["200"]["content"]
    check(st == 200 and media_type(h) == "application/x-ndjson" and media_type(h) in documented,
          f"{st} {h}")
    request(EXPORT, EXPORT + qs(institution=other), want=403, headers=tto)
    request(EXPORT, EXPORT, want=401)
    request(EXPORT, EXPORT, want=403, headers=company)
    for name, value in (("format", "xlsx"), ("status", "gone"), ("trl_min", "0"), ("q", "-센서")):
        _, _, j = request(EXPORT, EXPORT + qs(**{name: value}), want=400, headers=staff)
        check(j["error"].get("field") == name, f"{name}={value}: {j}")


# ---- 400 for each bad parameter, derived from the parameters' schemas

def bad_values(s):
    """(label, value) pairs just outside a parameter schema."""
    out = []
    if "enum" in s:
        out.append(("an_unknown_value", "no-such-value"))
    if s.get("type") == "integer":
        out += [("a_non_integer", "abc"), ("a_fraction", "1.5")]
        if "minimum" in s:
            out.append(("below_its_minimum", str(s["minimum"] - 1)))
        if "maximum" in s:
            out.append(("above_its_maximum", str(s["maximum"] + 1)))
    if s.get("type") == "string" and "maxLength" in s:
        out.append(("longer_than_its_maxlength", "a" * (s["maxLength"] + 1)))
    return out


def good_values(s):
    """(label, value) pairs at the edges of a parameter schema."""
    out = [(f"value_{e}", str(e)) for e in s.get("enum", [])[:1] + s.get("enum", [])[-1:]]
    if s.get("type") == "integer":
        for k in ("minimum", "maximum"):
            if k in s:
                out.append((f"its_{k}", str(s[k])))
    if s.get("type") == "string" and "maxLength" in s and "enum" not in s:
        out.append(("its_maxlength", "a" * s["maxLength"]))
    return out


def _param_tests():
    for p in op_params(SEARCH, "get"):
        if p["in"] != "query":
            continue
        s, name = param_schema(p), p["name"]

        for label, value in bad_values(s):
            def bad(name=name, value=value):
                _, _, j = search(400, **{name: value})
                check(j["error"].get("field") == name,
                      f"{name}={value[:20]}: error.field {j['error'].get('field')!r}")
            add_test(f"search_{name}_{label}_is_a_documented_400", bad)

        for label, value in good_values(s):
            def good(name=name, value=value):
                # page × per_page is capped too: page at its maximum needs per_page=1
                extra = {"per_page": "1"} if name == "page" else {}
                search(200, **{name: value, **extra})
            add_test(f"search_{name}_at_{label}_answers_as_documented", good)


_param_tests()


@test
def search_q_of_exclusions_only_is_a_documented_400():
    _, _, j = search(400, q="-그래핀 -센서")
    check(j["error"].get("field") == "q", f"{j}")


@test
def search_q_over_1000_bytes_is_a_documented_400():
    q = "센" * 334  # 1002 bytes, 334 characters
    _, _, j = search(400, q=q)
    check(j["error"].get("field") == "q", f"{j}")


@test
def search_q_of_33_terms_is_a_documented_400():
    _, _, j = search(400, q=" ".join(f"w{i}" for i in range(33)))
    check(j["error"].get("field") == "q", f"{j}")


@test
def search_trl_min_above_trl_max_is_a_documented_400_naming_trl_min():
    _, _, j = search(400, trl_min=6, trl_max=5)
    check(j["error"].get("field") == "trl_min", f"{j}")


@test
def search_past_the_10000th_result_is_a_documented_400_naming_page():
    _, _, j = search(400, page=101, per_page=100)
    check(j["error"].get("field") == "page", f"{j}")
    search(200, page=100, per_page=100)


# ---- answers outside any one operation

@test
def other_methods_answer_405_with_an_error_body_and_the_documented_methods():
    error = resolve("#/components/schemas/Error")
    for path, item in SPEC["paths"].items():
        target = path.replace("{id}", "1")
        documented = {m.upper() for m in METHODS if m in item}
        allowed = documented | ({"HEAD"} if "GET" in documented else set())
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            if method in documented:
                continue
            st, h, raw = get(target, method=method, data=b"" if method != "DELETE" else None)
            check(st == 405, f"{method} {target}: status {st}")
            check(media_type(h) == "application/json", f"{method} {target}: {h}")
            must_validate(error, json.loads(raw), f"{method} {target}")
            got = {m.strip() for m in h.get("allow", "").split(",") if m.strip()}
            check(got == allowed, f"{method} {target}: Allow {sorted(got)}, spec {sorted(allowed)}")


@test
def unknown_api_path_answers_404_with_an_error_body():
    st, h, raw = get("/api/v1/no-such-thing")
    check(st == 404 and media_type(h) == "application/json", f"status {st}")
    must_validate(resolve("#/components/schemas/Error"), json.loads(raw), "/api/v1/no-such-thing")


@test
def every_path_answers_a_malformed_url_with_a_400_error_body():
    error = resolve("#/components/schemas/Error")
    for path in SPEC["paths"]:
        base = path.replace("{id}", "1")
        for target in (base + "?q=%zz", base + "?x=%00", base + "?q=%ff"):
            st, h, raw = get(target)
            check(st == 400 and media_type(h) == "application/json", f"{target}: status {st}")
            body = json.loads(raw)
            must_validate(error, body, target)
            check(body["error"]["code"] == "invalid", f"{target}: {body}")


@test
def a_url_over_16384_bytes_answers_414_with_an_error_body():
    target = SEARCH + "?q=" + "a" * 16400
    st, h, raw = get(target)
    check(st == 414 and media_type(h) == "application/json", f"status {st}")
    body = json.loads(raw)
    must_validate(resolve("#/components/schemas/Error"), body, "414")
    check(body["error"]["code"] == "too_large", f"{body}")


@test
def head_answers_like_get_without_a_body_on_every_get_operation():
    for path, m, _ in operations():
        if m != "get":
            continue
        target = path.replace("{id}", "1")
        st, h, _ = get(target)
        hst, hh, hraw = get(target, method="HEAD")
        check(hst == st and media_type(hh) == media_type(h) and hraw == b"",
              f"HEAD {target}: {hst} {hh.get('content-type')} {hraw[:40]!r}; GET {st}")


# ---- last: every documented answer was seen

@test
def every_documented_status_was_provoked():
    missing = []
    for path, m, op in operations():
        for st in op["responses"]:
            if ((path, m, str(st)) not in exercised and str(st) not in UNPROVOKED
                    and (path, m, str(st)) not in UNPROVOKED_AT):
                missing.append(f"{m.upper()} {path} {st}")
    check(not missing, "documented but never provoked here (add a request or an UNPROVOKED "
                       "reason): " + ", ".join(missing))


run_all()
