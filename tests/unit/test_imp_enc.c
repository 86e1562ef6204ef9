/* Tests for imp_enc: detection, CP949 decoding, pass-through of bad bytes,
 * block and prefix boundaries, pipes and the UTF-16 error. */
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/tm_buf.h"
#include "../../common/tm_utf8.h"
#include "../../import/imp_enc.h"
#include "../tm_test.h"

/* From the repository root, where tests run (tests/run.sh). */
#define CP949_FILE "../shared/data/variants/inu_catalogue_ko_headers.cp949.csv"

/* 기술 and a comma in CP949 and in UTF-8. */
#define KI_CP949 "\xB1\xE2"
#define KI_UTF8 "기"
#define SUL_CP949 "\xBC\xFA"

/* Appends everything f gives, chunk bytes at a time; false on a read error. */
static bool slurp(FILE *f, size_t chunk, tm_buf *out)
{
    char *tmp = malloc(chunk);
    size_t k;
    while ((k = fread(tmp, 1, chunk, f)) > 0)
        tm_buf_append(out, tmp, k);
    free(tmp);
    return !ferror(f);
}

/* A temporary file holding p[0..n), at its start. */
static FILE *file_of(const void *p, size_t n)
{
    FILE *f = tmpfile();
    if (f && n) fwrite(p, 1, n, f);
    if (f) rewind(f);
    return f;
}

/* Reads in through imp_enc into *out, chunk bytes at a time; returns the
 * code (0: TM_OK). */
static int decode(FILE *in, const char *forced, size_t chunk, imp_enc_info *info, tm_buf *out,
                  tm_err *err)
{
    FILE *u = imp_enc_open(in, forced, info, err);
    if (!u) return err->code;
    /* Tiny reads unbuffered, so that imp_enc itself gets asked for 1-3 bytes. */
    if (chunk < 4) setvbuf(u, NULL, _IONBF, 0);
    bool ok = slurp(u, chunk, out);
    fclose(u);
    return ok ? TM_OK : TM_EINTERNAL;
}

/* decode() of p[0..n) from a temporary file. */
static int decode_mem(const void *p, size_t n, const char *forced, size_t chunk, imp_enc_info *info,
                      tm_buf *out, tm_err *err)
{
    FILE *in = file_of(p, n);
    if (!in) return TM_EINTERNAL;
    int rc = decode(in, forced, chunk, info, out, err);
    fclose(in);
    return rc;
}

static bool same(const tm_buf *got, const void *want, size_t n)
{
    return got->len == n && (n == 0 || memcmp(got->p, want, n) == 0);
}

/* What `iconv -f cp949 -t utf-8 CP949_FILE` prints. */
static bool iconv_of_file(tm_buf *out)
{
    FILE *p = popen("iconv -f cp949 -t utf-8 " CP949_FILE, "r");
    if (!p) return false;
    bool ok = slurp(p, 65536, out);
    return pclose(p) == 0 && ok;
}

/* s (UTF-8, BMP only) as UTF-16 (be: big-endian), with a BOM when bom. */
static void utf16_of(const char *s, bool be, bool bom, tm_buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    uint32_t cp;
    if (bom) tm_buf_append(out, be ? "\xFE\xFF" : "\xFF\xFE", 2);
    for (size_t i = 0; i < n;) {
        size_t k = tm_utf8_decode(p + i, n - i, &cp);
        i += k ? k : 1;
        char u[2] = {(char)(be ? cp >> 8 : cp & 0xFF), (char)(be ? cp & 0xFF : cp >> 8)};
        tm_buf_append(out, u, 2);
    }
}

TM_TEST(utf8_without_bom_passes_through_unchanged)
{
    const char *s = "기술명,title\r\n\"배터리, 전극\",Battery\n";
    imp_enc_info info = {0};
    tm_buf out = {0};
    tm_err err = {0};
    CHECK(decode_mem(s, strlen(s), NULL, 65536, &info, &out, &err) == TM_OK);
    CHECK(same(&out, s, strlen(s)));
    CHECK_STR(info.name, "utf-8");
    CHECK(info.kind == IMP_ENC_UTF8 && info.detected && !info.bom);
    tm_buf_free(&out);
}

TM_TEST(utf8_bom_is_removed_and_reported)
{
    const char *s = "\xEF\xBB\xBF기술명,title\n1,2\n";
    imp_enc_info info = {0};
    tm_buf out = {0};
    tm_err err = {0};
    CHECK(decode_mem(s, strlen(s), NULL, 7, &info, &out, &err) == TM_OK);
    CHECK_STR(tm_buf_cstr(&out), "기술명,title\n1,2\n");
    CHECK_STR(info.name, "utf-8");
    CHECK(info.detected && info.bom);
    tm_buf_free(&out);
}

TM_TEST(cp949_file_is_detected_and_decoded_like_iconv)
{
    imp_enc_info info = {0};
    tm_buf out = {0}, want = {0};
    tm_err err = {0};
    FILE *in = fopen(CP949_FILE, "rb");
    CHECK(in != NULL);
    if (!in) return;
    CHECK(decode(in, NULL, 65536, &info, &out, &err) == TM_OK);
    fclose(in);
    CHECK_STR(info.name, "cp949");
    CHECK(info.kind == IMP_ENC_CP949 && info.detected && !info.bom);
    const char *head =
        "기술명,영문명,기술요약,보유기관,발명자,출원번호,출원일,등록번호,등록일,IPC\r\n";
    CHECK(out.len > strlen(head) && memcmp(out.p, head, strlen(head)) == 0);
    CHECK(tm_utf8_valid(out.p, out.len));
    CHECK(iconv_of_file(&want));
    CHECK(want.len > 800000 && same(&out, want.p, want.len));
    tm_buf_free(&out);
    tm_buf_free(&want);
}

TM_TEST(cp949_decodes_the_same_with_tiny_reads)
{
    tm_buf small = {0}, big = {0};
    tm_err err = {0};
    FILE *in = fopen(CP949_FILE, "rb");
    CHECK(in != NULL);
    if (!in) return;
    CHECK(decode(in, NULL, 1, NULL, &small, &err) == TM_OK);
    rewind(in);
    CHECK(decode(in, NULL, 5, NULL, &big, &err) == TM_OK);
    fclose(in);
    CHECK(small.len > 800000 && same(&small, big.p, big.len));
    tm_buf_free(&small);
    tm_buf_free(&big);
}

TM_TEST(cp949_from_a_pipe_is_detected)
{
    imp_enc_info info = {0};
    tm_buf out = {0}, want = {0};
    tm_err err = {0};
    FILE *p = popen("cat " CP949_FILE, "r");
    CHECK(p != NULL);
    if (!p) return;
    CHECK(decode(p, NULL, 65536, &info, &out, &err) == TM_OK);
    CHECK(pclose(p) == 0);
    CHECK_STR(info.name, "cp949");
    CHECK(iconv_of_file(&want));
    CHECK(want.len > 0 && same(&out, want.p, want.len));
    tm_buf_free(&out);
    tm_buf_free(&want);
}

TM_TEST(forced_names_are_accepted_in_any_case)
{
    const char *cp = KI_CP949 SUL_CP949 ",x\n";
    const char *names[] = {"cp949", "CP949", "euc-kr", "EUC-KR", "euckr", "EucKr"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        imp_enc_info info = {0};
        tm_buf out = {0};
        tm_err err = {0};
        CHECK(decode_mem(cp, strlen(cp), names[i], 65536, &info, &out, &err) == TM_OK);
        CHECK_STR(tm_buf_cstr(&out), "기술,x\n");
        CHECK_STR(info.name, "cp949");
        CHECK(!info.detected);
        tm_buf_free(&out);
    }
    /* Forced UTF-8 keeps the bytes as they are (the readers reject them). */
    const char *forced8[] = {"utf-8", "UTF8", "Utf-8"};
    for (size_t i = 0; i < sizeof forced8 / sizeof *forced8; i++) {
        imp_enc_info info = {0};
        tm_buf out = {0};
        tm_err err = {0};
        CHECK(decode_mem(cp, strlen(cp), forced8[i], 65536, &info, &out, &err) == TM_OK);
        CHECK(same(&out, cp, strlen(cp)));
        CHECK_STR(info.name, "utf-8");
        CHECK(!info.detected && !info.bom);
        tm_buf_free(&out);
    }
}

TM_TEST(forced_utf8_still_removes_the_bom)
{
    imp_enc_info info = {0};
    tm_buf out = {0};
    tm_err err = {0};
    CHECK(decode_mem("\xEF\xBB\xBF"
                     "a,b\n",
                     7, "utf-8", 65536, &info, &out, &err) == TM_OK);
    CHECK_STR(tm_buf_cstr(&out), "a,b\n");
    CHECK(info.bom && !info.detected);
    tm_buf_free(&out);
}

TM_TEST(unknown_forced_encoding_lists_the_accepted_ones)
{
    const char *bad[] = {"latin1", "utf-16", "", "cp9499"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tm_buf out = {0};
        tm_err err = {0};
        CHECK(decode_mem("a\n", 2, bad[i], 65536, NULL, &out, &err) == TM_EINVAL);
        CHECK_STR(err.field, "encoding");
        CHECK(strstr(err.msg, "utf-8") && strstr(err.msg, "cp949") && strstr(err.msg, "euc-kr"));
        tm_buf_free(&out);
    }
}

TM_TEST(utf16_and_utf32_get_a_clear_error)
{
    const char *text = "기술명,title,TRL\r\n배터리,Battery,4\r\n";
    for (int v = 0; v < 4; v++) {
        tm_buf in = {0}, out = {0};
        tm_err err = {0};
        utf16_of(text, v & 1, v & 2, &in);
        CHECK(decode_mem(in.p, in.len, NULL, 65536, NULL, &out, &err) == TM_EINVAL);
        CHECK_STR(err.field, "encoding");
        CHECK_STR(err.msg, "the file is UTF-16; save it as UTF-8 or CP949 CSV");
        /* Forcing an encoding does not make UTF-16 readable. */
        CHECK(decode_mem(in.p, in.len, "utf-8", 65536, NULL, &out, &err) == TM_EINVAL);
        CHECK(strstr(err.msg, "UTF-16") != NULL);
        tm_buf_free(&in);
        tm_buf_free(&out);
    }
    static const char le32[] = "\xFF\xFE\0\0a\0\0\0,\0\0\0b\0\0\0";
    static const char be32[] = "\0\0\0a\0\0\0,\0\0\0b\0\0\0\n";
    tm_buf out = {0};
    tm_err err = {0};
    CHECK(decode_mem(le32, sizeof le32 - 1, NULL, 65536, NULL, &out, &err) == TM_EINVAL);
    CHECK_STR(err.msg, "the file is UTF-32; save it as UTF-8 or CP949 CSV");
    CHECK(decode_mem(be32, sizeof be32 - 1, NULL, 65536, NULL, &out, &err) == TM_EINVAL);
    CHECK_STR(err.msg, "the file is UTF-32; save it as UTF-8 or CP949 CSV");
    tm_buf_free(&out);
}

TM_TEST(a_few_nul_bytes_in_utf8_are_not_utf16)
{
    const char s[] = "title,summary\nab\0c,d\n";
    tm_buf out = {0};
    tm_err err = {0};
    imp_enc_info info = {0};
    CHECK(decode_mem(s, sizeof s - 1, NULL, 65536, &info, &out, &err) == TM_OK);
    CHECK(same(&out, s, sizeof s - 1));
    CHECK_STR(info.name, "utf-8");
    tm_buf_free(&out);
}

TM_TEST(empty_file_and_bom_only_file_give_nothing)
{
    imp_enc_info info = {0};
    tm_buf out = {0};
    tm_err err = {0};
    CHECK(decode_mem("", 0, NULL, 65536, &info, &out, &err) == TM_OK);
    CHECK(out.len == 0);
    CHECK_STR(info.name, "utf-8");
    CHECK(info.detected && !info.bom);
    CHECK(decode_mem("\xEF\xBB\xBF", 3, NULL, 65536, &info, &out, &err) == TM_OK);
    CHECK(out.len == 0);
    CHECK(info.bom);
    CHECK(decode_mem("", 0, "cp949", 65536, &info, &out, &err) == TM_OK);
    CHECK(out.len == 0);
    tm_buf_free(&out);
}

/* CP949 and the UTF-8 it decodes to, with a 기 whose lead byte sits at each
 * offset in at[] (ASCII filler lines between). */
static void build_split(const size_t *at, size_t nat, tm_buf *cp, tm_buf *u8)
{
    tm_buf_append(cp, KI_CP949 SUL_CP949 ",x\n", 7);
    tm_buf_puts(u8, "기술,x\n");
    for (size_t i = 0; i < nat; i++) {
        while (cp->len < at[i]) {
            size_t k = at[i] - cp->len;
            char c = k % 61 == 1 ? '\n' : (char)('a' + k % 26);
            tm_buf_putc(cp, c);
            tm_buf_putc(u8, c);
        }
        tm_buf_append(cp, KI_CP949, 2);
        tm_buf_puts(u8, KI_UTF8);
    }
    tm_buf_append(cp, SUL_CP949 "\n", 3);
    tm_buf_puts(u8, "술\n");
}

TM_TEST(cp949_character_split_at_prefix_and_block_boundaries)
{
    const size_t at[] = {IMP_ENC_PREFIX - 1, IMP_ENC_PREFIX + IMP_ENC_BLOCK - 1,
                         IMP_ENC_PREFIX + 2 * IMP_ENC_BLOCK + 1,
                         IMP_ENC_PREFIX + 3 * IMP_ENC_BLOCK - 1};
    tm_buf cp = {0}, u8 = {0};
    build_split(at, 4, &cp, &u8);
    const size_t chunks[] = {65536, 4096, 3, 1};
    for (size_t i = 0; i < 4; i++) {
        imp_enc_info info = {0};
        tm_buf out = {0};
        tm_err err = {0};
        CHECK(decode_mem(cp.p, cp.len, NULL, chunks[i], &info, &out, &err) == TM_OK);
        CHECK_STR(info.name, "cp949");
        CHECK(same(&out, u8.p, u8.len));
        tm_buf_free(&out);
    }
    tm_buf_free(&cp);
    tm_buf_free(&u8);
}

TM_TEST(cp949_past_the_prefix_through_a_pipe)
{
    const size_t at[] = {IMP_ENC_PREFIX - 1, IMP_ENC_PREFIX + IMP_ENC_BLOCK - 1};
    tm_buf cp = {0}, u8 = {0}, out = {0};
    build_split(at, 2, &cp, &u8);
    int fd[2];
    CHECK(pipe(fd) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) { /* the writer */
        close(fd[0]);
        size_t off = 0;
        while (off < cp.len) {
            ssize_t k = write(fd[1], cp.p + off, cp.len - off < 4000 ? cp.len - off : 4000);
            if (k <= 0) _exit(1);
            off += (size_t)k;
        }
        _exit(0);
    }
    close(fd[1]);
    FILE *in = fdopen(fd[0], "rb");
    imp_enc_info info = {0};
    tm_err err = {0};
    CHECK(in != NULL);
    CHECK(in && decode(in, NULL, 65536, &info, &out, &err) == TM_OK);
    if (in) fclose(in);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_STR(info.name, "cp949");
    CHECK(same(&out, u8.p, u8.len));
    tm_buf_free(&cp);
    tm_buf_free(&u8);
    tm_buf_free(&out);
}

TM_TEST(utf8_character_split_at_the_prefix_end_stays_utf8)
{
    tm_buf in = {0};
    while (in.len < IMP_ENC_PREFIX - 1)
        tm_buf_putc(&in, in.len % 50 == 49 ? '\n' : 'x');
    tm_buf_puts(&in, "기술\n");
    imp_enc_info info = {0};
    tm_buf out = {0};
    tm_err err = {0};
    CHECK(decode_mem(in.p, in.len, NULL, 65536, &info, &out, &err) == TM_OK);
    CHECK_STR(info.name, "utf-8");
    CHECK(same(&out, in.p, in.len));
    tm_buf_free(&in);
    tm_buf_free(&out);
}

TM_TEST(utf8_cut_at_end_of_file_stays_utf8)
{
    const char *s = "기술명,title\n배터리,x\n\xEB\xB0";
    imp_enc_info info = {0};
    tm_buf out = {0};
    tm_err err = {0};
    CHECK(decode_mem(s, strlen(s), NULL, 65536, &info, &out, &err) == TM_OK);
    CHECK_STR(info.name, "utf-8");
    CHECK(same(&out, s, strlen(s)));
    tm_buf_free(&out);
}

/* True when p[0..n) converts from CP949 without an error. */
static bool valid_cp949(const char *p, size_t n)
{
    iconv_t cd = iconv_open("UTF-8", "CP949");
    char out[4096], *ip = (char *)p, *op = out;
    size_t il = n, ol = sizeof out;
    if (cd == (iconv_t)-1) return false;
    bool ok = n < sizeof out / 2 && iconv(cd, &ip, &il, &op, &ol) != (size_t)-1;
    iconv_close(cd);
    return ok;
}

TM_TEST(utf8_file_with_one_cp949_row_stays_utf8)
{
    /* These UTF-8 rows happen to be valid CP949 too: only the share of valid
     * UTF-8 keeps the file from being decoded as CP949 (and garbled). */
    const char *rows = "keywords,field\n감성,무선\n차량,진동\n좌표,광전\n";
    CHECK(valid_cp949(rows, strlen(rows)));
    tm_buf in = {0};
    for (int i = 0; i < 5; i++)
        tm_buf_puts(&in, rows);
    tm_buf_append(&in, KI_CP949 SUL_CP949 ",x\n", 7);
    CHECK(valid_cp949(in.p, in.len));
    imp_enc_info info = {0};
    tm_buf out = {0};
    tm_err err = {0};
    CHECK(decode_mem(in.p, in.len, NULL, 65536, &info, &out, &err) == TM_OK);
    CHECK_STR(info.name, "utf-8");
    CHECK(same(&out, in.p, in.len));
    tm_buf_free(&in);
    tm_buf_free(&out);
}

TM_TEST(invalid_cp949_bytes_pass_through_unchanged)
{
    /* FF cannot lead, 80 is undefined, B1 before ',' has no trail byte, and
     * the file ends inside a character. */
    const char *s = KI_CP949 ",\xFF,\x80,\xB1," SUL_CP949 "\n" KI_CP949 "\xB1";
    const char *want = "기,\xFF,\x80,\xB1,술\n기\xB1";
    const size_t chunks[] = {65536, 2, 1};
    for (size_t i = 0; i < 3; i++) {
        tm_buf out = {0};
        tm_err err = {0};
        CHECK(decode_mem(s, strlen(s), "cp949", chunks[i], NULL, &out, &err) == TM_OK);
        CHECK(same(&out, want, strlen(want)));
        tm_buf_free(&out);
    }
}

TM_TEST(invalid_cp949_bytes_after_the_prefix_pass_through)
{
    const size_t at[] = {10, IMP_ENC_PREFIX + 5};
    tm_buf cp = {0}, u8 = {0};
    build_split(at, 2, &cp, &u8);
    tm_buf_append(&cp, "\xFF\xB1", 2);
    tm_buf_append(&u8, "\xFF\xB1", 2);
    imp_enc_info info = {0};
    tm_buf out = {0};
    tm_err err = {0};
    CHECK(decode_mem(cp.p, cp.len, NULL, 65536, &info, &out, &err) == TM_OK);
    CHECK_STR(info.name, "cp949");
    CHECK(same(&out, u8.p, u8.len));
    tm_buf_free(&cp);
    tm_buf_free(&u8);
    tm_buf_free(&out);
}

TM_TEST(closing_the_stream_leaves_the_input_open)
{
    FILE *in = file_of("a,b\n", 4);
    tm_err err = {0};
    CHECK(in != NULL);
    if (!in) return;
    FILE *u = imp_enc_open(in, NULL, NULL, &err);
    CHECK(u != NULL);
    CHECK(fgetc(u) == 'a');
    if (u) fclose(u);
    rewind(in);
    CHECK(fgetc(in) == 'a');
    fclose(in);
}

TM_TEST(read_error_on_the_input_is_reported)
{
    FILE *in = fopen("/", "rb"); /* opens, but reading fails with EISDIR */
    tm_err err = {0};
    CHECK(in != NULL);
    if (!in) return;
    FILE *u = imp_enc_open(in, NULL, NULL, &err);
    CHECK(u == NULL);
    CHECK(err.code == TM_EINVAL);
    CHECK_STR(err.field, "file");
    if (u) fclose(u);
    fclose(in);
}

TM_TEST_MAIN()
