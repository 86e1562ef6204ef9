#!/usr/bin/env python3
"""gen_catalogue.py N OUT.jsonl [--seed S] [--workers W] [--demo DIR]

Writes N synthetic technologies in techmart's canonical JSONL import format
(the format of data/demo/technologies.jsonl), for benchmarks at any size.

Every piece of text comes from the 3,027 real demo records, recombined so that
the catalogue reads like the real one and its term frequencies look like the
real ones (common words such as 방법, 장치 stay common, rare ones stay rare):

- Each generated record starts from a "source" demo record drawn at random,
  so fields keep the demo's field mix and IPC classes stay with their field.
- Titles, English titles, summary sentences and research-project names are
  spliced: a random cut point in one real text at word w continues with the
  rest of another real text (same field when it can) after the same word w,
  one or two times. This is a variable-order Markov chain over the real
  texts: every word pair in the output occurs in the demo.
- Summaries are 2-6 such sentences, the first from the demo's first
  sentences ("본 발명은 ... 관한 것이다."), the others from later ones.
- Keywords: the source's NTIS classification (or one of its field's) plus
  nouns taken from the generated title, particles stripped.
- Inventors: real surnames and given names from the demo, recombined.
- Institutions from data/demo/institutions.jsonl, skewed like the demo's.
- trl (1-9, absent for ~10%), licence (a set), status, patents: drawn from
  fixed plausible distributions. Patent numbers are unique within a file and
  depend only on the record's index (patent_number(i, k)), not on the seed,
  so gen_queries.py can ask for numbers that exist.

Deterministic: the same N and seed give the same bytes, whatever the number
of workers (records are made in fixed blocks, each with its own seeded RNG).
Streams its output. Python 3 standard library only.
"""
import argparse
import json
import multiprocessing
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DEMO = os.path.join(HERE, "..", "data", "demo")
BLOCK = 4000
MAX_N = 2_500_000  # 4 patent slots per record within 10^7 serials

# ---------------------------------------------------------------- numbers


def _mix(x):
    """A fixed 32-bit integer hash (no dependence on PYTHONHASHSEED)."""
    x &= 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x45D9F3B) & 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x45D9F3B) & 0xFFFFFFFF
    x ^= x >> 16
    return x


# Application years 2003-2024, peaking in 2015-2019 like the demo's.
FILED_YEARS = list(range(2003, 2025))
FILED_W = [2, 3, 3, 3, 3, 4, 4, 5, 6, 6, 7, 8, 10, 12, 12, 11, 10, 9, 8, 7, 6, 4]
FILED_CUM = [sum(FILED_W[: i + 1]) for i in range(len(FILED_W))]


def patent_year(i, k=0):
    """Application year of patent k (0-3) of record i."""
    h = _mix(i * 4 + k + 0x9E37) % FILED_CUM[-1]
    for y, c in zip(FILED_YEARS, FILED_CUM):
        if h < c:
            return y
    return FILED_YEARS[-1]


def patent_number(i, k=0):
    """KIPO application number of patent k (0-3) of record i (0-based).
    Unique over i < MAX_N: the serial is a bijection of i*4+k mod 10^7."""
    serial = ((i * 4 + k) * 7_654_321 + 1_234_567) % 10_000_000
    return "10-%d-%07d" % (patent_year(i, k), serial)


def registration_number(i, k=0):
    serial = ((i * 4 + k) * 4_999_999 + 271_828) % 9_000_000 + 1_000_000
    return "10-%07d" % serial


# ---------------------------------------------------------------- model

SENT_SPLIT = re.compile(r"(?<=[.?!])\s+(?=\S)")
PROJECT_RE = re.compile(r"^연구과제:\s*(.*?)\s*\(([^()]*)\)\s*$")
HANGUL_RE = re.compile(r"[가-힣]")
PARTICLES = ("으로서", "으로써", "으로", "에서의", "에서", "에의", "에", "을", "를", "은", "는", "의", "용")
VERB_ENDINGS = ("하는", "되는", "있는", "없는", "시키는", "주는", "지는", "내는", "하고", "되고", "하여",
                "되어", "하며", "된", "한", "적인", "시킨", "하기", "되기", "위해", "따라", "하게")
TITLE_STOP = {
    "및", "방법", "장치", "이용한", "이를", "그", "포함하는", "이의", "위한", "제조", "제조방법", "기반",
    "갖는", "또는", "기반의", "의한", "제조된", "이용하여", "통한", "그의", "가능한", "신규한", "이에",
    "가지는", "구비한", "의해", "상기", "대한", "미공개", "시스템", "관한", "따른", "이용", "사용한",
    "함유하는", "유효성분으로", "포함한", "있는", "구성", "방식", "방법을", "장치를", "것", "수",
}


def pick(rng, seq):
    """rng.choice(seq), faster: one random() call instead of getrandbits loops."""
    return seq[int(rng.random() * len(seq))]


class Splicer:
    """Texts as word lists, with an index word -> [(text, position)] for
    splicing; one index for all texts and one per field."""

    def __init__(self):
        self.texts = []   # list of word lists
        self.fields = []  # field of each text
        self.index = {}   # (field or None, word) -> list of (t, pos)
        self.by_field = {}  # field -> list of text ids

    def add(self, words, field):
        if not words:
            return
        t = len(self.texts)
        self.texts.append(words)
        self.fields.append(field)
        self.by_field.setdefault(field, []).append(t)
        for pos, w in enumerate(words):
            if pos == 0:
                continue
            self.index.setdefault((None, w), []).append((t, pos))
            self.index.setdefault((field, w), []).append((t, pos))

    def finish(self):
        # cut points: positions whose word continues in another text
        self.cuts = []
        for t, words in enumerate(self.texts):
            self.cuts.append([p for p in range(1, len(words))
                              if len(self.index[(None, words[p])]) > 1])
        self.all_ids = list(range(len(self.texts)))

    def pick(self, rng, field):
        ids = self.by_field.get(field)
        if not ids or len(ids) < 8 or rng.random() < 0.15:
            ids = self.all_ids
        return pick(rng, ids)

    def splice(self, rng, t, field, times):
        """Words of text t, spliced `times` times with other texts."""
        words = self.texts[t]
        cuts = self.cuts[t]
        for _ in range(times):
            if not cuts:
                break
            p = pick(rng, cuts)
            w = words[p]
            cand = self.index.get((field, w))
            if not cand or len(cand) < 2:
                cand = self.index[(None, w)]
            t2, p2 = pick(rng, cand)
            if t2 == t:
                continue
            limit = 3 * len(self.texts[t]) + 8
            words = (words[:p] + self.texts[t2][p2:])[:limit]
            t = t2
            n, shift = len(words), p - p2
            cuts = [c + shift for c in self.cuts[t2] if c > p2 and c + shift < n]
        return words


_NOUNS = {}


def title_noun(w):
    """The noun in a title word (particle stripped), or "" for a verb form."""
    n = _NOUNS.get(w)
    if n is None:
        n = _NOUNS[w] = _title_noun(w)
    return n


def _title_noun(w):
    w = w.strip(",.;:()[]\"'")
    if w.endswith(VERB_ENDINGS):
        return ""
    for p in PARTICLES:
        if len(w) > len(p) + 1 and w.endswith(p):
            return w[: -len(p)]
    return w


class Model:
    def __init__(self, demo_dir):
        techs = []
        with open(os.path.join(demo_dir, "technologies.jsonl"), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    techs.append(json.loads(line))
        insts = []
        with open(os.path.join(demo_dir, "institutions.jsonl"), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    insts.append(json.loads(line))
        self.techs = techs
        self.titles = Splicer()
        self.titles_en = Splicer()
        self.first = Splicer()
        self.rest = Splicer()
        self.projects = Splicer()
        self.title_id = []  # tech index -> title text id or -1
        self.title_en_id = []
        self.first_id = []
        self.nsents = []  # sentences per real summary
        self.ministries = []
        self.field_keywords = {}
        self.field_ipc = {}
        surnames, given = [], []
        inst_count = {}
        for d in techs:
            field = d.get("field", "other")
            title = d.get("title", "")
            if title and title != "미공개":
                self.title_id.append(len(self.titles.texts))
                self.titles.add(title.split(), field)
            else:
                self.title_id.append(-1)
            te = d.get("title_en")
            if te:
                self.title_en_id.append(len(self.titles_en.texts))
                self.titles_en.add(te.split(), field)
            else:
                self.title_en_id.append(-1)
            s = d.get("summary")
            if s:
                sents = SENT_SPLIT.split(s.strip())
                self.nsents.append(len(sents))
                self.first_id.append(len(self.first.texts))
                self.first.add(sents[0].split(), field)
                for x in sents[1:]:
                    self.rest.add(x.split(), field)
            else:
                self.first_id.append(-1)
            desc = d.get("description")
            if desc:
                m = PROJECT_RE.match(desc)
                if m:
                    self.projects.add(m.group(1).split(), field)
                    self.ministries.append(m.group(2))
            for k in d.get("keywords", []):
                self.field_keywords.setdefault(field, []).append(k)
            for c in d.get("ipc", []):
                self.field_ipc.setdefault(field, []).append(c)
            for name in d.get("inventors", []):
                if len(name) == 3 and all(HANGUL_RE.match(ch) for ch in name):
                    surnames.append(name[0])
                    given.append(name[1:])
            inst = d.get("institution")
            if inst:
                inst_count[inst] = inst_count.get(inst, 0) + 1
        for s in (self.titles, self.titles_en, self.first, self.rest, self.projects):
            s.finish()
        self.surnames = surnames
        self.given = sorted(set(given))
        self.ministries = self.ministries or ["과학기술정보통신부"]
        # institutions: skewed like the demo, every one possible
        self.institutions = [i["name"] for i in insts]
        acc, self.inst_cum = 0.0, []
        for name in self.institutions:
            acc += (inst_count.get(name, 0) + 2) ** 0.7
            self.inst_cum.append(acc)
        self.all_keywords = sorted(k for ks in self.field_keywords.values() for k in ks)


MODEL = None


def _init_worker(demo_dir):
    global MODEL
    MODEL = Model(demo_dir)


TRL_W = [4, 11, 19, 21, 17, 12, 8, 5, 3]
TRL_CUM = [sum(TRL_W[: i + 1]) for i in range(9)]
STATUS = ["available"] * 80 + ["negotiating"] * 10 + ["licensed"] * 8 + ["withdrawn"] * 2
ASKING = ["협의", "협의 후 결정", "정액기술료 협의", "경상기술료 3%", "경상기술료 2%", "착수기본료 협의",
          "5,000만원", "3,000만원", "1억원", "2,000만원", "1,000만원", "7,000만원"]


def make_record(rng, i, seed):
    m = MODEL
    src_i = rng.randrange(len(m.techs))
    src = m.techs[src_i]
    field = src.get("field", "other")
    rec = {"external_id": "gen%d-%07d" % (seed, i)}

    # title
    t = m.title_id[src_i]
    if t < 0:
        t = m.titles.pick(rng, field)
    words = m.titles.splice(rng, t, field, 1 + (rng.random() < 0.5))
    title = " ".join(words)
    rec["title"] = title

    # English title
    te = m.title_en_id[src_i]
    if te < 0 and rng.random() < 0.25:
        te = m.titles_en.pick(rng, field)
    if te >= 0:
        rec["title_en"] = " ".join(m.titles_en.splice(rng, te, field, 1))

    # summary
    f = m.first_id[src_i]
    if f >= 0 or rng.random() < 0.6:
        if f < 0:
            f = m.first.pick(rng, field)
        sents = [" ".join(m.first.splice(rng, f, field, 1))]
        for _ in range(pick(rng, m.nsents) - 1):
            r = m.rest.pick(rng, field)
            sents.append(" ".join(m.rest.splice(rng, r, field, 1)))
        rec["summary"] = " ".join(sents)

    # description: the funding research project
    if "description" in src or rng.random() < 0.15:
        p = m.projects.pick(rng, field)
        proj = " ".join(m.projects.splice(rng, p, field, 1))
        rec["description"] = "연구과제: %s (%s)" % (proj, pick(rng, m.ministries))

    # keywords
    kws = []
    if src.get("keywords"):
        kws.append(src["keywords"][0])
    elif rng.random() < 0.5:
        pool = m.field_keywords.get(field) or m.all_keywords
        kws.append(pick(rng, pool))
    nouns = []
    for w in words:
        n = title_noun(w)
        if 2 <= len(n) <= 12 and n not in TITLE_STOP and n not in nouns and n not in kws:
            nouns.append(n)
    if nouns:
        kws.extend(rng.sample(nouns, min(len(nouns), rng.randint(1, 4))))
    if kws:
        rec["keywords"] = kws

    rec["field"] = field

    # IPC: the source's, sometimes with one more of its field's
    ipc = list(dict.fromkeys(src.get("ipc", [])))
    if len(ipc) > 1:
        head, tail = ipc[0], ipc[1:]
        rng.shuffle(tail)
        ipc = [head] + tail[: rng.randint(0, len(tail))]
    pool = m.field_ipc.get(field)
    if pool and rng.random() < 0.3:
        extra = pick(rng, pool)
        if extra not in ipc:
            ipc.append(extra)
    rec["ipc"] = ipc

    # trl, licence, asking, status
    if rng.random() < 0.9:
        rec["trl"] = rng.choices(range(1, 10), cum_weights=TRL_CUM)[0]
    lic = []
    if rng.random() < 0.45:
        lic.append("exclusive")
    if rng.random() < 0.70:
        lic.append("non-exclusive")
    if rng.random() < 0.20:
        lic.append("assignment")
    if rng.random() < 0.15:
        lic.append("joint-research")
    if not lic:
        lic.append("non-exclusive")
    rec["licence"] = lic
    if rng.random() < 0.35:
        rec["asking"] = pick(rng, ASKING)
    rec["status"] = pick(rng, STATUS)

    rec["institution"] = rng.choices(m.institutions, cum_weights=m.inst_cum)[0]
    if "inventors" in src or rng.random() < 0.7:
        n = min(rng.choices((1, 2, 3, 4, 5, 6), (15, 22, 25, 18, 12, 8))[0], 6)
        rec["inventors"] = [pick(rng, m.surnames) + pick(rng, m.given) for _ in range(n)]

    # patents
    npat = 1 + (rng.random() < 0.15) + (rng.random() < 0.04)
    pats = []
    for k in range(npat):
        year = patent_year(i, k)
        p = {"number": patent_number(i, k), "country": "KR", "kind": "patent"}
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        p["filed"] = "%04d-%02d-%02d" % (year, month, day)
        if year <= 2022 and rng.random() < 0.65:
            p["status"] = "registered"
            ry = min(year + pick(rng, (1, 1, 2, 2, 2, 3, 4)), 2025)
            p["registered"] = "%04d-%02d-%02d" % (ry, rng.randint(1, 12), rng.randint(1, 28))
            p["registration_number"] = registration_number(i, k)
        else:
            p["status"] = "filed"
        pats.append(p)
    rec["patents"] = pats
    return rec


def make_block(args):
    seed, block, start, end = args
    rng = random.Random("techmart-bench:%d:%d" % (seed, block))
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    out = []
    for i in range(start, end):
        out.append(dumps(make_record(rng, i, seed)))
    out.append("")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of technologies")
    ap.add_argument("out", help="output .jsonl file ('-' for stdout)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--demo", default=DEFAULT_DEMO, help="folder with the demo JSONL files")
    a = ap.parse_args(argv)
    if a.n < 0 or a.n > MAX_N:
        ap.error("N must be between 0 and %d" % MAX_N)
    if a.seed < 0:
        ap.error("seed must be >= 0")
    jobs = [(a.seed, b, s, min(s + BLOCK, a.n)) for b, s in enumerate(range(0, a.n, BLOCK))]
    tmp = None
    if a.out == "-":
        out = sys.stdout
    else:
        tmp = a.out + ".part"
        out = open(tmp, "w", encoding="utf-8")
    try:
        if a.workers <= 1 or len(jobs) <= 1:
            _init_worker(a.demo)
            for j in jobs:
                out.write(make_block(j))
        else:
            ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
            with ctx.Pool(a.workers, _init_worker, (a.demo,)) as pool:
                for chunk in pool.imap(make_block, jobs, chunksize=1):
                    out.write(chunk)
        out.flush()
    finally:
        if tmp:
            out.close()
    if tmp:
        os.replace(tmp, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
