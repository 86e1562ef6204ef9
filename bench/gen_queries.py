#!/usr/bin/env python3
"""gen_queries.py N OUT [--seed S] [--catalogue M] [--demo DIR]

Writes N distinct search requests, one a line, each a URL path and query
string such as /api/v1/technologies?q=%EA%B7%B8%EB%9E%98%ED%95%80&per_page=20
(percent-encoded UTF-8), for wrk (bench/search.lua) to replay.

The words come from the demo catalogue (data/demo/technologies.jsonl), the
same text gen_catalogue.py recombines, so they hit the generated catalogue
the way real queries would. The mix imitates what users type:

  single Korean word            32%   (e.g. 그래핀, 특허, 의료영상)
  single English word           10%
  two words                     20%   (70% both from one record's title, so
                                       they go together; 30% independent)
  three words                    4%   (from one record's title)
  very common words only        14%   (방법, 장치, 시스템 ... alone or paired,
                                       with a page, sort, per_page or filter
                                       so that lines differ)
  "quoted phrase"                2%
  prefix*                        4%
  a OR b                         3%
  a -b                           3%
  field:term                     4%   (title:, keywords:, institution:,
                                       inventor:, ipc:)
  patent number                  2%   (numbers gen_catalogue.py gives to a
                                       catalogue of --catalogue M records)
  two Korean words + an English  2%
  ~12% of the above also carry filters (field=, trl_min=, status=, licence=,
  group=, sort=).

Ordinary words are drawn with weight df^0.6 (df: demo documents containing
the word), so common words are asked often and the tail is long. Output is
deterministic for a seed. Python 3 standard library only.
"""
import argparse
import json
import os
import random
import re
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_catalogue import patent_number, title_noun  # noqa: E402

DEFAULT_DEMO = os.path.join(HERE, "..", "data", "demo")
PATH = "/api/v1/technologies"
HANGUL = re.compile(r"^[가-힣]+$")
HANGUL_ANY = re.compile(r"[가-힣]")
EN_WORD = re.compile(r"[A-Za-z][A-Za-z-]{2,}")
EN_STOP = {
    "the", "and", "for", "with", "using", "method", "methods", "thereof", "same", "from", "into",
    "its", "use", "device", "apparatus", "system", "manufacturing", "preparing", "comprising",
    "based", "having", "which", "that", "are", "same", "thereby", "via", "containing", "including",
    "used", "according", "producing", "fabricating", "making", "thereof", "the", "non", "one",
    "therefor", "providing", "preparation", "capable", "improved", "improving", "same", "by",
    "thereby", "therein", "wherein", "between", "over", "under", "each", "such", "this",
}
KO_STOP = {
    "및", "이를", "그", "이의", "위한", "또는", "의한", "이용하여", "그의", "이에", "상기", "대한", "미공개",
    "관한", "따른", "통한", "본", "발명은", "발명", "것이다", "있다", "것으로", "것을", "하는", "수", "더욱",
    "특히", "상세하게는", "있는", "이러한", "것", "또한", "그리고", "이", "각", "본발명은", "제1", "제2",
    "상에", "서로", "이상", "이하", "하나", "높은", "방법이", "사이", "다수", "복수", "동시", "여부", "특징",
    "광에", "내부", "일부", "다른", "같은", "낮은", "적어도", "상태", "형태", "방향", "조건",
}
KO_VERB_ENDINGS = ("다", "고", "며", "여", "면", "록", "게", "함", "됨", "킴", "는", "한", "된", "인", "서",
                   "지", "도", "어", "아", "해", "던", "할", "될", "임")
FIELDS = ["bio-medical", "ict", "electronics", "mechanical", "materials", "chemical", "energy",
          "environment", "construction", "agri-food", "other"]
FIELD_W = [460, 708, 750, 235, 169, 259, 214, 31, 71, 61, 69]


def weighted(rng, items, cum):
    return rng.choices(items, cum_weights=cum)[0]


class Vocab:
    def __init__(self, demo_dir):
        docs = []
        with open(os.path.join(demo_dir, "technologies.jsonl"), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    docs.append(json.loads(line))
        ko_df, en_df = {}, {}
        self.ko_phrases, self.en_phrases = [], []
        self.keywords, self.inventors, self.ipc = [], [], []
        inst = {}
        title_words = set()
        self.docs_terms = []  # per record: (Korean nouns, English words) of its title and keywords
        for d in docs:
            ko_seen, en_seen = set(), set()
            text = " ".join([d.get("title", ""), d.get("summary", "")] + d.get("keywords", []))
            for w in text.split():
                n = title_noun(w)
                if 2 <= len(n) <= 8 and HANGUL.match(n) and n not in KO_STOP:
                    ko_seen.add(n)
            ko_terms = []
            for w in d.get("title", "").split() + d.get("keywords", []):
                n = title_noun(w)
                if n and not n.endswith(KO_VERB_ENDINGS):
                    title_words.add(n)
                    if (2 <= len(n) <= 8 and HANGUL.match(n) and n not in KO_STOP
                            and n not in ko_terms):
                        ko_terms.append(n)
            en_terms = []
            for w in EN_WORD.findall(d.get("title_en", "")):
                w = w.lower().strip("-")
                if len(w) >= 3 and w not in EN_STOP and w not in en_terms:
                    en_terms.append(w)
            if len(ko_terms) + len(en_terms) >= 2:
                self.docs_terms.append((ko_terms, en_terms))
            for w in EN_WORD.findall(d.get("title_en", "")):
                w = w.lower().strip("-")
                if len(w) >= 3 and w not in EN_STOP:
                    en_seen.add(w)
            for w in ko_seen:
                ko_df[w] = ko_df.get(w, 0) + 1
            for w in en_seen:
                en_df[w] = en_df.get(w, 0) + 1
            # phrases: adjacent title words that are both plain nouns
            tw = d.get("title", "").split()
            for x, y in zip(tw, tw[1:]):
                if all(HANGUL.match(z) and z == title_noun(z) and z not in KO_STOP
                       and not z.endswith(KO_VERB_ENDINGS) for z in (x, y)):
                    self.ko_phrases.append(x + " " + y)
            ew = [w for w in re.split(r"[^a-z0-9-]+", d.get("title_en", "").lower()) if w]
            for x, y in zip(ew, ew[1:]):
                if x not in EN_STOP and y not in EN_STOP and len(x) > 2 and len(y) > 2:
                    self.en_phrases.append(x + " " + y)
            self.keywords.extend(d.get("keywords", []))
            self.inventors.extend(d.get("inventors", []))
            self.ipc.extend(c.split()[0] for c in d.get("ipc", []) if c.split())
            name = d.get("institution")
            if name:
                inst[name] = inst.get(name, 0) + 1
        # Korean words a user would type: nouns seen in a title or keyword
        ko_df = {w: n for w, n in ko_df.items() if w in title_words}
        # words in at least 2 documents, sorted for determinism
        self.ko = sorted((w for w, n in ko_df.items() if n >= 2), key=lambda w: (-ko_df[w], w))
        self.en = sorted((w for w, n in en_df.items() if n >= 2), key=lambda w: (-en_df[w], w))
        self.ko_cum = self._cum([ko_df[w] ** 0.6 for w in self.ko])
        self.en_cum = self._cum([en_df[w] ** 0.6 for w in self.en])
        # the very common: words in 4%+ of documents (방법, 장치, 시스템, ...)
        self.common = [w for w in self.ko if ko_df[w] >= 0.04 * len(docs)][:40]
        self.common += [w for w in self.en if en_df[w] >= 0.04 * len(docs)][:5]
        df = dict(ko_df, **en_df)
        self.common_cum = self._cum([df[w] for w in self.common])
        self.ko_long = [w for w in self.ko if len(w) >= 3]
        self.en_long = [w for w in self.en if len(w) >= 6]
        self.institutions = sorted(inst, key=lambda k: (-inst[k], k))[:120]
        self.keywords = sorted(set(self.keywords))
        self.inventors = sorted(set(self.inventors))
        self.ipc = sorted(set(self.ipc))
        self.ko_phrases = sorted(set(self.ko_phrases))
        self.en_phrases = sorted(set(self.en_phrases))

    @staticmethod
    def _cum(ws):
        acc, out = 0.0, []
        for w in ws:
            acc += w
            out.append(acc)
        return out

    def ko_word(self, rng):
        return weighted(rng, self.ko, self.ko_cum)

    def en_word(self, rng):
        return weighted(rng, self.en, self.en_cum)

    def doc_words(self, rng, n):
        """n words (or fewer) that occur together in one record's title."""
        ko, en = rng.choice(self.docs_terms)
        pool = ko + en if (not ko or rng.random() < 0.25) else ko
        if len(pool) < 2:
            pool = ko + en
        return rng.sample(pool, min(n, len(pool)))

    def word(self, rng):
        return self.ko_word(rng) if rng.random() < 0.78 else self.en_word(rng)


def make_q(rng, v, catalogue):
    """One query string q and its extra parameters."""
    r = rng.random()
    params = []
    if r < 0.32:
        q = v.ko_word(rng)
    elif r < 0.42:
        q = v.en_word(rng)
    elif r < 0.62:
        if rng.random() < 0.7:
            # two words that go together: both from one record's title
            q = " ".join(v.doc_words(rng, 2))
        else:
            a = v.word(rng)
            b = v.ko_word(rng) if HANGUL_ANY.search(a) and rng.random() < 0.85 else v.word(rng)
            q = a + " " + b
    elif r < 0.66:
        q = " ".join(v.doc_words(rng, 3))
    elif r < 0.80:
        # the expensive ones: very common words, with something that varies
        q = weighted(rng, v.common, v.common_cum)
        if rng.random() < 0.3:
            q2 = weighted(rng, v.common, v.common_cum)
            if q2 != q:
                q += " " + q2
        k = rng.random()
        if k < 0.45:
            params.append(("page", str(rng.randint(2, 20))))
        elif k < 0.65:
            params.append(("sort", rng.choice(("newest", "trl", "relevance"))))
        elif k < 0.75:
            params.append(("per_page", str(rng.choice((10, 50, 100)))))
        elif k < 0.9:
            params.append(("field", weighted(rng, FIELDS, Vocab._cum(FIELD_W))))
        else:
            params.append(("trl_min", str(rng.randint(2, 7))))
        return q, params
    elif r < 0.82:
        q = '"%s"' % (rng.choice(v.ko_phrases) if rng.random() < 0.75 else rng.choice(v.en_phrases))
    elif r < 0.86:
        if rng.random() < 0.7:
            w = rng.choice(v.ko_long)
            q = w[: rng.randint(2, len(w) - 1)] + "*"
        else:
            w = rng.choice(v.en_long)
            q = w[: rng.randint(3, len(w) - 2)] + "*"
    elif r < 0.89:
        q = "%s OR %s" % (v.word(rng), v.word(rng))
    elif r < 0.92:
        q = "%s -%s" % (rng.choice(v.common) if rng.random() < 0.4 else v.word(rng), v.word(rng))
    elif r < 0.96:
        k = rng.random()
        if k < 0.3:
            q = "title:" + v.ko_word(rng)
        elif k < 0.5:
            kw = rng.choice(v.keywords)
            q = 'keywords:"%s"' % kw if " " in kw else "keywords:" + kw
        elif k < 0.7:
            q = "institution:" + rng.choice(v.institutions)
        elif k < 0.85:
            q = "inventor:" + rng.choice(v.inventors)
        else:
            q = "ipc:" + rng.choice(v.ipc)
        if rng.random() < 0.4:
            q += " " + v.ko_word(rng)
    elif r < 0.98:
        q = patent_number(rng.randrange(catalogue), 0)
    else:
        q = v.ko_word(rng) + " " + v.ko_word(rng) + " " + v.en_word(rng)
    if rng.random() < 0.12:
        k = rng.random()
        if k < 0.35:
            params.append(("field", weighted(rng, FIELDS, Vocab._cum(FIELD_W))))
        elif k < 0.55:
            params.append(("trl_min", str(rng.randint(3, 7))))
        elif k < 0.7:
            params.append(("status", "available"))
        elif k < 0.8:
            params.append(("licence", rng.choice(("exclusive", "non-exclusive"))))
        elif k < 0.88:
            params.append(("group", rng.choice(("forum", "dongbuk4", "hongneung"))))
        else:
            params.append(("sort", rng.choice(("newest", "trl"))))
    return q, params


def url(q, params, per_page):
    parts = ["q=" + urllib.parse.quote(q, safe="")]
    if not any(k == "per_page" for k, _ in params):
        parts.append("per_page=%d" % per_page)
    parts += ["%s=%s" % (k, urllib.parse.quote(val, safe="")) for k, val in params]
    return PATH + "?" + "&".join(parts)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of distinct requests")
    ap.add_argument("out", help="output file ('-' for stdout)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--catalogue", type=int, default=100000,
                    help="size of the generated catalogue, for patent numbers (default 100000)")
    ap.add_argument("--per-page", type=int, default=20)
    ap.add_argument("--demo", default=DEFAULT_DEMO)
    a = ap.parse_args(argv)
    if a.n < 0 or a.catalogue < 1:
        ap.error("N must be >= 0 and --catalogue >= 1")
    rng = random.Random("techmart-queries:%d" % a.seed)
    v = Vocab(a.demo)
    seen, lines = set(), []
    tries = 0
    while len(lines) < a.n and tries < 50 * a.n + 1000:
        tries += 1
        q, params = make_q(rng, v, a.catalogue)
        line = url(q, params, a.per_page)
        if line not in seen:
            seen.add(line)
            lines.append(line)
    if len(lines) < a.n:
        print("gen_queries: only %d distinct requests could be made" % len(lines), file=sys.stderr)
        return 1
    data = "\n".join(lines) + ("\n" if lines else "")
    if a.out == "-":
        sys.stdout.write(data)
    else:
        tmp = a.out + ".part"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(data)
        os.replace(tmp, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
