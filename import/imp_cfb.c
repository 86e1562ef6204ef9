/* imp_cfb: one stream out of an OLE2 compound file; see imp_cfb.h. */
#include "imp_cfb.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"

#define CFB_ENDOFCHAIN 0xFFFFFFFEu
#define CFB_NOSTREAM 0xFFFFFFFFu
#define CFB_HEADER 512
#define CFB_MINI_SECTOR 64
#define CFB_MINI_CUTOFF 4096
#define CFB_DIR_ENTRY 128

/* A table of next-sector links over sectors of ssz bytes, sector i being at
 * src[base + i * ssz]. */
typedef struct cfb_chain {
    const uint32_t *next;
    size_t nnext;
    const unsigned char *src;
    size_t srclen, base, ssz;
    const char *what; /* for messages: "sector", "mini sector" */
} cfb_chain;

static uint32_t cfb_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned cfb_u16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

bool imp_cfb_is_cfb(const void *p, size_t n)
{
    return n >= 8 && memcmp(p, IMP_CFB_MAGIC, 8) == 0;
}

static int cfb_bad(tm_err *err, const char *fmt, ...) TM_PRINTF(2, 3);
static int cfb_bad(tm_err *err, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap); /* truncation only shortens a message */
    va_end(ap);
    return tm_err_set(err, TM_EINVAL, "file", "damaged .xls file (OLE2 container): %s", msg);
}

/* Sets bit i of bm and returns whether it was set before. */
static bool cfb_seen(unsigned char *bm, size_t i)
{
    bool was = bm[i / 8] & (1u << (i % 8));
    bm[i / 8] |= (unsigned char)(1u << (i % 8));
    return was;
}

/* Follows c's chain from start: the whole chain up to ENDOFCHAIN when size
 * is SIZE_MAX, else just the sectors that hold size bytes. Every index is
 * checked, a sector visited twice is a cycle. *out (free() it) gets the
 * bytes, *out_len their count. */
static int cfb_chain_read(const cfb_chain *c, uint32_t start, size_t size, unsigned char **out,
                          size_t *out_len, tm_err *err)
{
    unsigned char *bm = tm_xcalloc(c->nnext / 8 + 1, 1);
    size_t nsec = 0, len, got = 0;
    uint32_t s = start;
    int rc = TM_OK;

    *out = NULL;
    /* Pass 1: validate the chain and count its sectors. */
    while (rc == TM_OK && (size == SIZE_MAX ? s != CFB_ENDOFCHAIN : nsec * c->ssz < size)) {
        if (s == CFB_ENDOFCHAIN) {
            rc = cfb_bad(err, "a chain ends before the stream's %zu bytes; truncated?", size);
        } else if (s >= c->nnext) {
            rc = cfb_bad(err, "%s %lu is out of range", c->what, (unsigned long)s);
        } else if (c->base + (size_t)s * c->ssz >= c->srclen) {
            rc = cfb_bad(err, "%s %lu is past the end of the file; truncated?", c->what,
                         (unsigned long)s);
        } else if (cfb_seen(bm, s)) {
            rc = cfb_bad(err, "a chain of %ss loops back to %s %lu", c->what, c->what,
                         (unsigned long)s);
        } else {
            nsec++;
            s = c->next[s];
        }
    }
    if (rc != TM_OK) goto out;
    len = size == SIZE_MAX ? nsec * c->ssz : size;
    *out = tm_xmalloc(len ? len : 1);
    /* Pass 2: copy (the chain is known to be sound). */
    for (s = start; got < len; s = c->next[s]) {
        size_t off = c->base + (size_t)s * c->ssz;
        size_t want = len - got < c->ssz ? len - got : c->ssz;
        if (want > c->srclen - off) {
            rc = cfb_bad(err, "the file ends inside sector %lu; truncated?", (unsigned long)s);
            goto out;
        }
        memcpy(*out + got, c->src + off, want);
        got += want;
    }
    *out_len = len;
out:
    if (rc != TM_OK) {
        free(*out);
        *out = NULL;
    }
    free(bm);
    return rc;
}

/* Reads the FAT: its sector list from the header's 109 DIFAT slots and then
 * the DIFAT chain. *fat (free() it) gets *nfat entries. */
static int cfb_fat_read(const unsigned char *p, size_t n, size_t ssz, size_t nsect, uint32_t **fat,
                        size_t *nfat, tm_err *err)
{
    uint32_t nfs = cfb_u32(p + 44), dif = cfb_u32(p + 68), ndif = cfb_u32(p + 72);
    size_t per = ssz / 4, k = 0;
    uint32_t *ids = NULL;
    unsigned char *bm = tm_xcalloc(nsect / 8 + 1, 1);
    int rc = TM_OK;

    *fat = NULL;
    if (nfs == 0 || nfs > nsect) {
        rc = cfb_bad(err, "%lu FAT sectors do not fit the file", (unsigned long)nfs);
        goto out;
    }
    *fat = tm_xreallocarray(NULL, (size_t)nfs * per, sizeof **fat);
    ids = tm_xreallocarray(NULL, nfs, sizeof *ids);
    for (uint32_t i = 0; i < 109 && k < nfs; i++)
        ids[k++] = cfb_u32(p + 76 + 4 * i);
    /* Past 109 FAT sectors, DIFAT sectors list the rest: per - 1 slots each,
     * the last slot links to the next DIFAT sector. */
    for (uint32_t nd = 0; k < nfs; nd++) {
        if (nd >= ndif || dif >= nsect || ssz + (size_t)dif * ssz + ssz > n || cfb_seen(bm, dif)) {
            rc = cfb_bad(err, "the DIFAT chain is broken at sector %lu", (unsigned long)dif);
            goto out;
        }
        const unsigned char *d = p + ssz + (size_t)dif * ssz;
        for (size_t j = 0; j < per - 1 && k < nfs; j++)
            ids[k++] = cfb_u32(d + 4 * j);
        dif = cfb_u32(d + 4 * (per - 1));
    }
    for (k = 0; k < nfs; k++) {
        uint32_t s = ids[k];
        if (s >= nsect || ssz + (size_t)s * ssz + ssz > n) {
            rc = cfb_bad(err, "FAT sector %lu is out of range; truncated?", (unsigned long)s);
            goto out;
        }
        for (size_t j = 0; j < per; j++)
            (*fat)[k * per + j] = cfb_u32(p + ssz + (size_t)s * ssz + 4 * j);
    }
    *nfat = (size_t)nfs * per;
out:
    if (rc != TM_OK) {
        free(*fat);
        *fat = NULL;
    }
    free(ids);
    free(bm);
    return rc;
}

/* Whether directory entry e is named name (ASCII, without case). */
static bool cfb_name_is(const unsigned char *e, const char *name)
{
    unsigned nl = cfb_u16(e + 64);
    size_t len = strlen(name);
    if (nl != 2 * (len + 1) || nl > 64) return false;
    for (size_t i = 0; i < len; i++) {
        unsigned u = cfb_u16(e + 2 * i);
        unsigned a = u < 128 && u >= 'A' && u <= 'Z' ? u + 32 : u;
        unsigned b = (unsigned char)name[i];
        if (b >= 'A' && b <= 'Z') b += 32;
        if (a != b) return false;
    }
    return true;
}

/* Walks the root's children (a tree linked by left, right and, below a
 * storage, child; only the root's own level is searched) for the first of
 * names. *found gets the entry or -1, *which the name's index. */
static int cfb_dir_find(const unsigned char *dir, size_t nent, const char *const *names,
                        long *found, int *which, tm_err *err)
{
    uint32_t *stack = tm_xreallocarray(NULL, nent + 1, sizeof *stack);
    unsigned char *bm = tm_xcalloc(nent / 8 + 1, 1);
    size_t top = 0;
    int rc = TM_OK;

    *found = -1;
    *which = -1;
    if (dir[66] != 5) {
        rc = cfb_bad(err, "the first directory entry is not the root");
        goto out;
    }
    (void)cfb_seen(bm, 0);
    if (cfb_u32(dir + 76) != CFB_NOSTREAM) stack[top++] = cfb_u32(dir + 76);
    while (rc == TM_OK && top > 0) {
        uint32_t id = stack[--top];
        if (id >= nent || cfb_seen(bm, id)) {
            rc = cfb_bad(err, "the directory tree is broken at entry %lu", (unsigned long)id);
            break;
        }
        const unsigned char *e = dir + (size_t)id * CFB_DIR_ENTRY;
        for (int i = 0; e[66] == 2 && names[i] && (*which < 0 || i < *which); i++) {
            if (cfb_name_is(e, names[i])) {
                *found = (long)id;
                *which = i;
            }
        }
        /* Each entry is pushed once at most (bm), so the stack cannot overflow. */
        if (cfb_u32(e + 68) != CFB_NOSTREAM && top < nent) stack[top++] = cfb_u32(e + 68);
        if (cfb_u32(e + 72) != CFB_NOSTREAM && top < nent) stack[top++] = cfb_u32(e + 72);
    }
out:
    free(stack);
    free(bm);
    return rc;
}

int imp_cfb_stream(const unsigned char *p, size_t n, const char *const *names, unsigned char **out,
                   size_t *out_len, int *which, tm_err *err)
{
    uint32_t *fat = NULL, *mfat = NULL;
    unsigned char *dir = NULL, *mini = NULL, *mfat_bytes = NULL;
    size_t nfat = 0, dirlen = 0, minilen = 0, mfatlen = 0, ssz, nsect;
    long ent = -1;
    int rc = TM_OK;

    *out = NULL;
    *out_len = 0;
    *which = -1;
    if (n < CFB_HEADER || !imp_cfb_is_cfb(p, n)) {
        rc = tm_err_set(err, TM_EINVAL, "file", "not an Excel 97-2003 .xls file%s",
                        n < CFB_HEADER ? " (too short)" : "");
        goto out;
    }
    unsigned major = cfb_u16(p + 26), shift = cfb_u16(p + 30);
    if (cfb_u16(p + 28) != 0xFFFE || !((major == 3 && shift == 9) || (major == 4 && shift == 12))) {
        rc = cfb_bad(err, "unknown version %u or sector shift %u", major, shift);
        goto out;
    }
    if (cfb_u16(p + 32) != 6 || cfb_u32(p + 56) != CFB_MINI_CUTOFF) {
        rc = cfb_bad(err, "unknown mini sector shift or cutoff");
        goto out;
    }
    ssz = (size_t)1 << shift;
    if (n <= ssz) {
        rc = cfb_bad(err, "no sectors after the header; truncated?");
        goto out;
    }
    nsect = (n - ssz + ssz - 1) / ssz;
    if ((rc = cfb_fat_read(p, n, ssz, nsect, &fat, &nfat, err)) != TM_OK) goto out;
    cfb_chain ch = {fat, nfat, p, n, ssz, ssz, "sector"};
    if ((rc = cfb_chain_read(&ch, cfb_u32(p + 48), SIZE_MAX, &dir, &dirlen, err)) != TM_OK)
        goto out;
    if (dirlen < CFB_DIR_ENTRY) {
        rc = cfb_bad(err, "the directory is empty");
        goto out;
    }
    if ((rc = cfb_dir_find(dir, dirlen / CFB_DIR_ENTRY, names, &ent, which, err)) != TM_OK)
        goto out;
    if (ent < 0) {
        rc = tm_err_set(err, TM_EINVAL, "file",
                        "not an Excel 97-2003 .xls file: no Workbook stream in the OLE2 file");
        goto out;
    }
    const unsigned char *e = dir + (size_t)ent * CFB_DIR_ENTRY;
    size_t size = cfb_u32(e + 120);
    if ((major == 4 && cfb_u32(e + 124) != 0) || size > n) {
        rc = cfb_bad(err, "a stream of %zu bytes is larger than the file", size);
        goto out;
    }
    if (size >= CFB_MINI_CUTOFF) {
        rc = cfb_chain_read(&ch, cfb_u32(e + 116), size, out, out_len, err);
        goto out;
    }
    /* A small stream lives in the mini stream (the root entry's data), in
     * 64-byte sectors linked by the mini FAT. */
    size_t rootsize = cfb_u32(dir + 120);
    if (rootsize > n) {
        rc = cfb_bad(err, "a mini stream of %zu bytes is larger than the file", rootsize);
        goto out;
    }
    if ((rc = cfb_chain_read(&ch, cfb_u32(dir + 116), rootsize, &mini, &minilen, err)) != TM_OK ||
        (rc = cfb_chain_read(&ch, cfb_u32(p + 60), SIZE_MAX, &mfat_bytes, &mfatlen, err)) != TM_OK)
        goto out;
    mfat = tm_xreallocarray(NULL, mfatlen / 4 + 1, sizeof *mfat);
    for (size_t i = 0; i < mfatlen / 4; i++)
        mfat[i] = cfb_u32(mfat_bytes + 4 * i);
    cfb_chain mch = {mfat, mfatlen / 4, mini, minilen, 0, CFB_MINI_SECTOR, "mini sector"};
    rc = cfb_chain_read(&mch, cfb_u32(e + 116), size, out, out_len, err);
out:
    if (rc != TM_OK) *which = -1;
    free(fat);
    free(mfat);
    free(mfat_bytes);
    free(dir);
    free(mini);
    return rc;
}
