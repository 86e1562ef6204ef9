#!/usr/bin/env python3
"""relevance.py BASE_URL [judged.json] [--k 10] [--quiet]

Runs every query of a judged relevance set (bench/judged.json) against a
techmart server that serves the demo catalogue (GET
/api/v1/technologies?q=...&per_page=10, default sort) and prints, per query
and on average:

  nDCG@10    graded: gain 2^grade - 1, log2(rank + 1) discount, normalised
             by the ideal ordering of every judged technology of the query;
  recall@10  judged-relevant technologies (grade >= 1) in the top 10,
             divided by min(10, number judged relevant), so 1.0 is reachable
             when a query has more than 10 relevant ones;
  P@10       share of the top 10 that is judged relevant (for reading only).

Results are matched to judgments by external_id. Unjudged results count as
not relevant. A query that fails (HTTP error, timeout) scores 0 and is
marked; the script still exits 0 (it measures, it does not gate), unless
the server could not be reached at all (exit 2). The last line is
machine-readable:  RESULT ndcg10=0.xxx recall10=0.xxx queries=N failed=F
Python 3 standard library only.
"""
import argparse
import json
import math
import os
import sys
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def dcg(gains):
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def score(ranked_ids, judged, k):
    """nDCG@k, recall@k, precision@k of ranked external ids vs {id: grade}."""
    gains = [(2 ** judged.get(x, 0)) - 1 for x in ranked_ids[:k]]
    ideal = sorted(((2 ** g) - 1 for g in judged.values() if g > 0), reverse=True)[:k]
    idcg = dcg(ideal)
    ndcg = dcg(gains) / idcg if idcg > 0 else 0.0
    rel = {x for x, g in judged.items() if g > 0}
    hit = len(rel.intersection(ranked_ids[:k]))
    recall = hit / min(k, len(rel)) if rel else 0.0
    prec = hit / k
    return ndcg, recall, prec


def fetch(base, q, k, timeout):
    url = "%s/api/v1/technologies?q=%s&per_page=%d" % (base, urllib.parse.quote(q, safe=""), k)
    with urllib.request.urlopen(url, timeout=timeout) as r:
        body = json.loads(r.read().decode("utf-8"))
    items = body.get("items") or []
    return [it.get("external_id") for it in items], body.get("total")


def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def pad(s, n):
    if width(s) > n:
        out = ""
        for c in s:
            if width(out + c) > n - 1:
                break
            out += c
        s = out + "~"
    return s + " " * (n - width(s))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("base", help="server base URL, e.g. http://127.0.0.1:8080")
    ap.add_argument("judged", nargs="?", default=os.path.join(HERE, "judged.json"))
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--quiet", action="store_true", help="means only")
    a = ap.parse_args(argv)
    base = a.base.rstrip("/")
    with open(a.judged, encoding="utf-8") as f:
        data = json.load(f)
    queries = data["queries"]
    rows, failed = [], 0
    deadline = time.monotonic() + 120  # the whole run is bounded
    for jq in queries:
        q = jq["query"]
        judged = {x: int(g) for x, g in jq["judgments"].items()}
        err = None
        ids, total = [], None
        if time.monotonic() > deadline:
            err = "skipped (time)"
        else:
            try:
                ids, total = fetch(base, q, a.k, a.timeout)
            except urllib.error.HTTPError as e:
                err = "HTTP %d" % e.code
            except (urllib.error.URLError, OSError, ValueError) as e:
                err = str(getattr(e, "reason", e))
        if err is not None:
            failed += 1
        nd, rc, pr = score(ids, judged, a.k) if err is None else (0.0, 0.0, 0.0)
        nrel = sum(1 for g in judged.values() if g > 0)
        rows.append((q, nd, rc, pr, nrel, total, err))
    if failed == len(queries) and queries:
        print("relevance: no query could be answered by %s (%s)" % (base, rows[0][6]), file=sys.stderr)
        return 2
    n = len(rows) or 1
    mnd = sum(r[1] for r in rows) / n
    mrc = sum(r[2] for r in rows) / n
    mpr = sum(r[3] for r in rows) / n
    if not a.quiet:
        print("%s  %7s  %9s  %5s  %5s  %7s" % (pad("query", 34), "nDCG@%d" % a.k, "recall@%d" % a.k,
                                              "P@%d" % a.k, "judged", "total"))
        for q, nd, rc, pr, nrel, total, err in rows:
            tail = err if err else ("%7s" % ("-" if total is None else total))
            print("%s  %7.3f  %9.3f  %5.2f  %5d  %s" % (pad(q, 34), nd, rc, pr, nrel, tail))
        print("%s  %7.3f  %9.3f  %5.2f" % (pad("mean of %d queries" % len(rows), 34), mnd, mrc, mpr))
    print("RESULT ndcg10=%.3f recall10=%.3f p10=%.3f queries=%d failed=%d" % (mnd, mrc, mpr, len(rows), failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
