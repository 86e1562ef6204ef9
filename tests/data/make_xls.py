#!/usr/bin/env python3
"""Writes a small BIFF8 .xls (Excel 97-2003) by hand, for tests of import/imp_xls.

No spreadsheet library is needed: the file is a Compound File (CFBF v3,
512-byte sectors) holding one "Workbook" stream with a globals substream
(CODEPAGE UTF-16, XF records for built-in date/datetime/time formats, a
BOUNDSHEET, an SST) and one worksheet. The stream is padded past the 4096-byte
mini-stream cutoff with zero bytes (a record of type 0, size 0 ends a stream
for readers). With --mini the stream stays short and is stored in the
mini-stream (64-byte sectors, a miniFAT), as Excel stores workbooks under
4096 bytes: a file under 4 KB, for the fuzz corpus.
Variants, for the failure tests: --filepass (a FILEPASS record: encrypted),
--biff5 (an Excel 95 BOF), --1904 (DATEMODE 1904), --difat (110 FAT
sectors, so the FAT list goes on in a DIFAT sector), --stream (the bare
Workbook stream, no container: a seed for tests/fuzz/fuzz_xls.c).
The shared-string table is split by a CONTINUE record in the middle of
"Ünïcode ✓" (Latin-1 before, UTF-16 after, with the fresh flag byte), holds
an empty string and a string with rich-text runs and phonetic data.
Usage: make_xls.py [--mini|--filepass|--biff5|--1904|--difat|--stream] OUT.xls
"""
import struct
import sys

ROWS = [  # (row, col, kind, value); kinds: s (SST text), n (NUMBER), rk (RK int), b (BLANK)
    (0, 0, "s", "성과연도"), (0, 1, "s", "기술명"), (0, 2, "s", "출원번호"), (0, 3, "s", "값"),
    (0, 4, "s", "날짜"),
    (1, 0, "rk", 2013), (1, 1, "s", "의료용 영상 장치"), (1, 2, "n", 1020190012345.0),
    (1, 3, "n", 0.1), (1, 4, "date", 43488.0),
    (2, 0, "n", -7.0), (2, 1, "s", "Ünïcode ✓"), (2, 2, "s", "10-2013-0061895"),
    (2, 3, "n", 1.5e300), (2, 4, "datetime", 43488.5),
    # row 3 (1-based line 4) is absent: an empty row
    (4, 0, "n", 3.25), (4, 1, "b", None), (4, 3, "time", 0.75),
    # formulas with cached results, a boolean, MULRK (123.45 as 12345 / 100, 7)
    (5, 0, "fnum", 42.0), (5, 1, "fstr", "합계"), (5, 2, "bool", 1), (5, 3, "mulrk", None),
    # a LABEL, an empty shared string under a MULBLANK: one cell, rest empty
    (6, 0, "label", "라벨"), (6, 2, "s", ""), (6, 1, "mulblank", 4),
    # an empty shared string and a BLANK: an entirely empty row, skipped
    (7, 0, "s", ""), (7, 1, "b", None),
    # a rich string with phonetic data, an error value, a formula's error
    (8, 1, "s", "리치"), (8, 2, "err", 0x07), (8, 4, "ferr", 0x2A),
]
OPTS = set(a for a in sys.argv[1:] if a.startswith("--"))
XF_FMT = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 14, 22, 20]  # xf 15 default cell
XF = {"date": 16, "datetime": 17, "time": 18}


def rec(t, body):
    return struct.pack("<HH", t, len(body)) + body


def xlstr16(s):  # SST entry: cch(2) flags(1)=1 (UTF-16) chars
    u = s.encode("utf-16le")
    return struct.pack("<HB", len(u) // 2, 1) + u


def sst_record(strings):
    """The SST and a CONTINUE that splits "Ünïcode ✓" after "Ünïcode "."""
    body = struct.pack("<II", len(strings) + 3, len(strings))
    for s in strings:
        if s == "Ünïcode ✓":
            head = "Ünïcode "
            body += struct.pack("<HB", len(s), 0) + head.encode("latin-1")
            rest = s[len(head):].encode("utf-16le")
            return rec(0xFC, body), [b"\x01" + rest], strings[strings.index(s) + 1:]
        body += sst_entry(s)
    return rec(0xFC, body), [], []


def sst_entry(s):
    if s == "리치":  # two formatting runs (8 bytes), 6 bytes of phonetic data
        u = s.encode("utf-16le")
        return struct.pack("<HBHI", len(u) // 2, 0x0D, 2, 6) + u + b"\x00\x00\x01\x00\x01\x00\x02\x00" + b"phonet"
    return xlstr16(s)


def globals_stream(sheet_off, strings):
    out = rec(0x809, struct.pack("<HHHHII", 0x500 if "--biff5" in OPTS else 0x600, 0x5, 0x1, 0x7CC, 0, 0x6))
    if "--filepass" in OPTS:
        out += rec(0x2F, struct.pack("<HHH", 1, 1, 1) + b"\0" * 48)
    out += rec(0x42, struct.pack("<H", 0x04B0))
    out += rec(0x22, struct.pack("<H", 1 if "--1904" in OPTS else 0))
    for fmt in XF_FMT:
        out += rec(0xE0, struct.pack("<HHHBBBBIIH", 0, fmt, 0xFFF5 if fmt == 0 else 1, 0x20, 0, 0, 0, 0, 0, 0x20C0))
    name = "국가연구개발성과".encode("utf-16le")
    out += rec(0x85, struct.pack("<IBBBB", sheet_off, 0, 0, len(name) // 2, 1) + name)
    sst, cont, rest = sst_record(strings)
    out += sst
    for c in cont:
        out += rec(0x3C, c + b"".join(sst_entry(s) for s in rest))
    out += rec(0x0A, b"")
    return out


def sheet_stream(strings):
    last_row = max(r for r, _, _, _ in ROWS)
    last_col = max(c for _, c, _, _ in ROWS)
    out = rec(0x809, struct.pack("<HHHHII", 0x600, 0x10, 0x1, 0x7CC, 0, 0x6))
    out += rec(0x200, struct.pack("<IIHHH", 0, last_row + 1, 0, last_col + 1, 0))
    for r, c, kind, v in ROWS:
        if kind == "s":
            out += rec(0xFD, struct.pack("<HHHI", r, c, 15, strings.index(v)))
        elif kind == "rk":
            out += rec(0x27E, struct.pack("<HHHI", r, c, 15, (v << 2) | 2))
        elif kind == "b":
            out += rec(0x201, struct.pack("<HHH", r, c, 15))
        elif kind == "mulblank":
            out += rec(0xBE, struct.pack("<HH", r, c) + struct.pack("<H", 15) * (v - c + 1) + struct.pack("<H", v))
        elif kind == "mulrk":
            out += rec(0xBD, struct.pack("<HHHIHIH", r, c, 15, (12345 << 2) | 3, 15, (7 << 2) | 2, c + 1))
        elif kind == "label":
            u = v.encode("utf-16le")
            out += rec(0x204, struct.pack("<HHHHB", r, c, 15, len(u) // 2, 1) + u)
        elif kind in ("bool", "err"):
            out += rec(0x205, struct.pack("<HHHBB", r, c, 15, v, kind == "err"))
        elif kind in ("fnum", "fstr", "ferr"):
            res = struct.pack("<d", v) if kind == "fnum" else struct.pack(
                "<BBBBBBH", 0 if kind == "fstr" else 2, 0, v if kind == "ferr" else 0, 0, 0, 0, 0xFFFF)
            fml = b"\x1e\x01\x00"  # ptgInt 1: any formula; readers use the cached result
            out += rec(0x06, struct.pack("<HHH", r, c, 15) + res + struct.pack("<HIH", 0, 0, len(fml)) + fml)
            if kind == "fstr":
                u = v.encode("utf-16le")
                out += rec(0x207, struct.pack("<HB", len(u) // 2, 1) + u)
        else:
            out += rec(0x203, struct.pack("<HHHd", r, c, XF.get(kind, 15), v))
    out += rec(0x0A, b"")
    return out


def cfbf_mini(stream):
    ss, ms = 512, 64
    size = len(stream)
    stream += b"\0" * (-len(stream) % ms)
    nmini = len(stream) // ms
    container = stream + b"\0" * (-len(stream) % ss)
    n = len(container) // ss
    # sector 0: FAT, 1: miniFAT, 2..n+1: the mini-stream container, n+2: directory
    fat = [0xFFFFFFFD, 0xFFFFFFFE] + [i + 3 for i in range(n - 1)] + [0xFFFFFFFE, 0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (ss // 4 - len(fat))
    mfat = [i + 1 for i in range(nmini - 1)] + [0xFFFFFFFE]
    mfat += [0xFFFFFFFF] * (ss // 4 - len(mfat))
    dir_sec = n + 2
    d = dir_entry("Root Entry", 5, 1, 2, len(container))
    d += dir_entry("Workbook", 2, 0xFFFFFFFF, 0, size)
    d += dir_entry("", 0, 0xFFFFFFFF, 0, 0) * 2
    hdr = header(1, dir_sec, 1, 1)
    return hdr + struct.pack("<128I", *fat) + struct.pack("<128I", *mfat) + container + d


def dir_entry(name, typ, child, start, size):
    u = name.encode("utf-16le") + b"\0\0" if name else b""
    e = u.ljust(64, b"\0") + struct.pack("<HBB", len(u), typ, 1)
    e += struct.pack("<III", 0xFFFFFFFF, 0xFFFFFFFF, child) + b"\0" * 16 + b"\0" * 20
    return e + struct.pack("<III", start, size, 0)


def header(nfat, dir_sec, minifat_start, nminifat, difat_start=0xFFFFFFFE, ndifat=0):
    hdr = bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 16
    hdr += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    hdr += struct.pack("<IIIIIIIII", 0, nfat, dir_sec, 0, 4096, minifat_start, nminifat,
                       difat_start, ndifat)
    slots = list(range(min(nfat, 109))) + [0xFFFFFFFF] * (109 - min(nfat, 109))
    return hdr + struct.pack("<109I", *slots)


def cfbf(stream, nfat_min=1):
    """Sectors: the FAT, the DIFAT (past 109 FAT sectors), the stream, the directory."""
    ss, per = 512, 128
    stream += b"\0" * (-len(stream) % ss)
    n = len(stream) // ss
    nfat = max(nfat_min, 1)
    while True:
        ndif = max(0, -(-(nfat - 109) // (per - 1)))
        if nfat * per >= nfat + ndif + n + 1:
            break
        nfat += 1
    first = nfat + ndif
    fat = [0xFFFFFFFD] * nfat + [0xFFFFFFFC] * ndif
    fat += [first + i + 1 for i in range(n - 1)] + [0xFFFFFFFE, 0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (nfat * per - len(fat))
    dif = b""
    ids = list(range(109, nfat))
    for d in range(ndif):
        chunk = ids[d * (per - 1):(d + 1) * (per - 1)]
        chunk += [0xFFFFFFFF] * (per - 1 - len(chunk))
        nxt = nfat + d + 1 if d + 1 < ndif else 0xFFFFFFFE
        dif += struct.pack("<%dI" % per, *(chunk + [nxt]))
    d = dir_entry("Root Entry", 5, 1, 0xFFFFFFFE, 0)
    d += dir_entry("Workbook", 2, 0xFFFFFFFF, first, len(stream))
    d += dir_entry("", 0, 0xFFFFFFFF, 0, 0) * 2
    hdr = header(nfat, first + n, 0xFFFFFFFE, 0, nfat + 0 if ndif else 0xFFFFFFFE, ndif)
    return hdr + struct.pack("<%dI" % len(fat), *fat) + dif + stream + d


def main():
    strings = []
    for _, _, kind, v in ROWS:
        if kind in ("s",) and v not in strings:
            strings.append(v)
    g = globals_stream(0, strings)
    sheet = sheet_stream(strings)
    g = globals_stream(len(g), strings)  # the BOUNDSHEET points at the sheet's BOF
    stream = g + sheet
    mini = "--mini" in OPTS
    if not mini and "--stream" not in OPTS:
        stream += b"\0" * max(0, 4097 - len(stream))
    with open(sys.argv[-1], "wb") as f:
        if "--stream" in OPTS:
            f.write(stream)
            return
        f.write(cfbf_mini(stream) if mini else cfbf(stream, 110 if "--difat" in OPTS else 1))


if __name__ == "__main__":
    main()
