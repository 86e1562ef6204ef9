#!/usr/bin/env python3
"""Writes a CSV catalogue of about SIZE bytes to PATH (or stdout for "-"),
for the importer's streaming checks: memory must not grow with the file.

    bench/gen_big_csv.py SIZE PATH [--seed S]

SIZE is bytes, or a number with k, M or G (powers of 1024): 10M, 1G. Every
row is a distinct valid technology (its own external_id and title) of about
600 bytes, with Korean and English text, a quoted summary holding commas,
line breaks and "" quotes, and a patent number; rows are written in 1 MiB
blocks, so the generator itself needs no memory to speak of."""
import argparse
import random
import sys

WORDS_KO = ["의료기기", "배터리", "센서", "인공지능", "반도체", "바이오", "소재", "영상", "진단",
            "에너지", "로봇", "통신", "제어", "분석", "시스템", "방법", "장치", "조성물"]
WORDS_EN = ["battery", "sensor", "imaging", "catalyst", "membrane", "antibody", "robot",
            "network", "polymer", "laser", "vaccine", "circuit", "display", "storage"]
INSTITUTIONS = ["서울대학교", "고려대학교", "연세대학교", "한양대학교", "경희대학교",
                "Korea Institute of Science and Technology", "국민대학교", "광운대학교"]
HEADER = "external_id,title,institution,trl,field,keywords,summary,application_number\r\n"


def size_arg(s):
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}.get(s[-1:].lower(), 1)
    n = int(s[:-1] if mult > 1 else s) * mult
    if n <= 0:
        raise argparse.ArgumentTypeError("SIZE must be positive")
    return n


def row(rng, i):
    ko = " ".join(rng.choice(WORDS_KO) for _ in range(4))
    en = " ".join(rng.choice(WORDS_EN) for _ in range(3))
    summary = (f"{ko}에 관한 기술, {en}; \"{rng.choice(WORDS_EN)}\"\"s\"\" edge\n"
               + " ".join(rng.choice(WORDS_KO + WORDS_EN) for _ in range(40)))
    summary = summary.replace('"', '""')
    year = 2005 + i % 19
    return (f"big-{i},{ko} {en} {i},{rng.choice(INSTITUTIONS)},{1 + i % 9},ict,"
            f"{rng.choice(WORDS_KO)};{rng.choice(WORDS_EN)},\"{summary}\","
            f"10-{year}-{i % 10000000:07d}\r\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("size", type=size_arg)
    ap.add_argument("path")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    out = sys.stdout.buffer if a.path == "-" else open(a.path, "wb")
    written, i, block = 0, 0, [HEADER.encode()]
    pending = len(block[0])
    while written + pending < a.size:
        b = row(rng, i).encode()
        i += 1
        block.append(b)
        pending += len(b)
        if pending >= 1 << 20:
            out.write(b"".join(block))
            written += pending
            block, pending = [], 0
    out.write(b"".join(block))
    out.flush()
    if out is not sys.stdout.buffer:
        out.close()
    print(f"{i} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
