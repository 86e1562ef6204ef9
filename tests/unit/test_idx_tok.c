/* Tests of the "techmart" tokenizer, through idx_tok (porter techmart) and
 * through a real FTS5 table. */
#include "../../index/idx_tok.h"

#include <stdbool.h>
#include <stdint.h>

#include "../../common/tm_utf8.h"
#include "../tm_test.h"

/* An in-memory database with the tokenizer registered, and an instance. */
static sqlite3 *open_db(idx_tok **tok)
{
    sqlite3 *db = NULL;
    tm_err err;

    *tok = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return db;
    if (idx_tok_register(db) != SQLITE_OK) return db;
    if (idx_tok_open(db, tok, &err) != TM_OK) fprintf(stderr, "  idx_tok_open: %s\n", err.msg);
    return db;
}

static void close_db(sqlite3 *db, idx_tok *tok)
{
    idx_tok_free(tok);
    sqlite3_close(db);
}

/* The tokens of text[0..len) joined by single spaces ("" if none, "ERROR"
 * when tokenizing fails). */
static const char *toks_n(idx_tok *tok, int query, const char *text, size_t len)
{
    static char out[4096];
    idx_tok_list l = {0};
    size_t o = 0;

    out[0] = '\0';
    if (idx_tok_collect(tok, query, text, len, &l) != SQLITE_OK) {
        idx_tok_list_clear(&l);
        return "ERROR";
    }
    for (size_t i = 0; i < l.n; i++) {
        size_t n = strlen(l.tok[i]);
        if (o + n + 2 > sizeof out) break;
        if (i > 0) out[o++] = ' ';
        memcpy(out + o, l.tok[i], n);
        o += n;
        out[o] = '\0';
    }
    idx_tok_list_clear(&l);
    return out;
}

static const char *toks(idx_tok *tok, const char *text)
{
    return toks_n(tok, 0, text, strlen(text));
}

/* Every token is non-empty valid UTF-8 of at most IDX_TOK_MAX bytes, with an
 * ordered byte range inside the input. */
static bool tokens_well_formed(const idx_tok_list *l, size_t len)
{
    for (size_t i = 0; i < l->n; i++) {
        size_t n = strlen(l->tok[i]);
        if (n == 0 || n > IDX_TOK_MAX || !tm_utf8_valid(l->tok[i], n)) return false;
        if (l->start[i] < 0 || l->start[i] >= l->end[i] || (size_t)l->end[i] > len) return false;
        if (i > 0 && l->start[i] < l->start[i - 1]) return false;
    }
    return true;
}

TM_TEST(hangul_run_becomes_overlapping_bigrams)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    CHECK(tok != NULL);
    CHECK_STR(toks(tok, "기술을"), "기술 술을");
    CHECK_STR(toks(tok, "의료기기"), "의료 료기 기기");
    CHECK_STR(toks(tok, "기술을 개발"), "기술 술을 개발");
    close_db(db, tok);
}

TM_TEST(single_syllable_stays_a_unigram)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    CHECK_STR(toks(tok, "술"), "술");
    CHECK_STR(toks(tok, "이 기술"), "이 기술");
    CHECK_STR(toks(tok, "(약)"), "약");
    close_db(db, tok);
}

TM_TEST(cjk_and_kana_runs_become_bigrams)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    CHECK_STR(toks(tok, "技術移轉"), "技術 術移 移轉");
    CHECK_STR(toks(tok, "カメラ"), "カメ メラ");
    CHECK_STR(toks(tok, "ㄱㄴ"), "ㄱㄴ");
    close_db(db, tok);
}

TM_TEST(latin_and_hangul_are_separate_tokens_with_or_without_space)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    CHECK_STR(toks(tok, "AI 진단"), "ai 진단");
    CHECK_STR(toks(tok, "AI진단"), "ai 진단");
    CHECK_STR(toks(tok, "진단AI기술"), "진단 ai 기술");
    CHECK_STR(toks(tok, "3D프린팅"), "3d 프린 린팅");
    close_db(db, tok);
}

TM_TEST(english_words_are_folded_and_stemmed_by_porter)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    CHECK_STR(toks(tok, "Batteries"), "batteri");
    CHECK_STR(toks(tok, "battery"), toks(tok, "BATTERIES"));
    CHECK_STR(toks(tok, "Lithium-ion Batteries"), "lithium ion batteri");
    close_db(db, tok);
}

TM_TEST(patent_numbers_match_with_or_without_hyphens)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    CHECK_STR(toks(tok, "10-2019-0012345"), "1020190012345");
    CHECK_STR(toks(tok, "10-2019-0012345"), toks(tok, "1020190012345"));
    CHECK_STR(toks(tok, "10-1846363"), "101846363");
    CHECK_STR(toks(tok, "특허 제10-1846363호"), "특허 제 101846363 호");
    CHECK_STR(toks(tok, "KR 10–2019–0012345"), "kr 1020190012345"); /* en dashes */
    close_db(db, tok);
}

TM_TEST(hyphen_next_to_a_letter_separates_tokens)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    CHECK_STR(toks(tok, "A-1"), "a 1");
    CHECK_STR(toks(tok, "covid-19"), "covid 19");
    CHECK_STR(toks(tok, "2019-covid"), "2019 covid");
    CHECK_STR(toks(tok, "10-20ab"), "10 20ab");
    CHECK_STR(toks(tok, "10--20"), "10 20");
    CHECK_STR(toks(tok, "-10-"), "10");
    close_db(db, tok);
}

TM_TEST(ipc_code_splits_on_space_and_slash)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    CHECK_STR(toks(tok, "A61B 5/00"), "a61b 5 00");
    CHECK_STR(toks(tok, "IPC: G06N 3/08, A61B 5/00"), "ipc g06n 3 08 a61b 5 00");
    close_db(db, tok);
}

TM_TEST(non_ascii_letters_are_folded_consistently)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    CHECK_STR(toks(tok, "ÉCOLE"), toks(tok, "école"));
    CHECK_STR(toks(tok, "Łódź"), "łódź");
    CHECK_STR(toks(tok, "ＡＩ１２"), "ai12"); /* fullwidth */
    CHECK_STR(toks(tok, "ΑΒΓ"), "αβγ");
    CHECK_STR(toks(tok, "5×3"), "5 3");
    close_db(db, tok);
}

TM_TEST(offsets_are_byte_offsets_into_the_input)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    const char *s = "AI진단 기술을, No. 10-2019-0012345";
    idx_tok_list l = {0};
    CHECK(idx_tok_collect(tok, 0, s, strlen(s), &l) == SQLITE_OK);
    CHECK(l.n == 6);
    if (l.n == 6) {
        /* "ai" [0,2) "진단" [2,8) "기술" [9,15) "술을" [12,18) "no" [20,22)
         * "1020190012345" spans the hyphens: [24,39) */
        int want[6][2] = {{0, 2}, {2, 8}, {9, 15}, {12, 18}, {20, 22}, {24, 39}};
        for (size_t i = 0; i < 6; i++) {
            CHECK(l.start[i] == want[i][0]);
            CHECK(l.end[i] == want[i][1]);
        }
        CHECK(memcmp(s + l.start[1], "진단", strlen("진단")) == 0);
        CHECK(memcmp(s + l.start[5], "10-2019-0012345", 15) == 0);
    }
    idx_tok_list_clear(&l);
    close_db(db, tok);
}

/* An ignorable (soft hyphen, zero-width joiner) inside a Hangul run joins
 * the characters around it into one bigram spanning it; a lone syllable
 * before one stays a unigram; Hangul next to other CJK is one run. */
TM_TEST(ignorables_inside_a_cjk_run_are_skipped_and_spanned)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    /* 기 [0,3) soft hyphen [3,5) 술 [5,8) ZWJ [8,11) 을 [11,14) */
    const char *s = "기\xC2\xAD술\xE2\x80\x8D을 한\xC2\xAD 漢字한";
    idx_tok_list l = {0};
    CHECK(idx_tok_collect(tok, 0, s, strlen(s), &l) == SQLITE_OK);
    CHECK_STR(toks(tok, s), "기술 술을 한 漢字 字한");
    CHECK(l.n == 5);
    if (l.n == 5) {
        int want[5][2] = {{0, 8}, {5, 14}, {15, 18}, {21, 27}, {24, 30}};
        for (size_t i = 0; i < 5; i++) {
            CHECK(l.start[i] == want[i][0]);
            CHECK(l.end[i] == want[i][1]);
        }
    }
    idx_tok_list_clear(&l);
    close_db(db, tok);
}

/* Hangul syllables are recognised from their bytes, everything else is
 * decoded: a run goes on across the seam both ways, and the first and last
 * syllables, and the code points just outside them, keep their classes. */
TM_TEST(hangul_next_to_other_cjk_and_at_its_range_ends_keeps_its_runs)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    CHECK_STR(toks(tok, "기술漢字"), "기술 술漢 漢字");
    CHECK_STR(toks(tok, "𠀀가나"), "𠀀가 가나"); /* U+20000, four bytes */
    CHECK_STR(toks(tok, "가𠀀"), "가𠀀");
    CHECK_STR(toks(tok, "가ㄱ힣"), "가ㄱ ㄱ힣");               /* compatibility Jamo */
    CHECK_STR(toks(tok, "가힣"), "가힣");                      /* U+AC00, U+D7A3 */
    CHECK_STR(toks(tok, "가\xed\x9e\xa4힣"), "가 힣");         /* U+D7A4: a separator */
    CHECK_STR(toks(tok, "가\xea\xaf\xbf"), "가 \xea\xaf\xbf"); /* U+ABFF: a word */
    CHECK_STR(toks(tok, "가\xed\x9f\x80"), "가\xed\x9f\x80");  /* U+D7C0: Jamo Ext-B */
    CHECK_STR(toks(tok, "기술\xec\x88"), "기술");              /* ends inside a syllable */
    CHECK_STR(toks(tok, "기술\xec\x88\x41"), "기술 a");
    CHECK_STR(toks(tok, "기\xeb\x80술"), "기 술");        /* a syllable missing its last byte */
    CHECK_STR(toks(tok, "기\xc2\xad\xc2\xad술"), "기술"); /* two ignorables */
    CHECK_STR(toks(tok, "\xc2\xad기술\xc2\xad"), "기술");
    close_db(db, tok);
}

/* ASCII letters are copied in a loop of their own: the cap still cuts a
 * word where a character would not fit, hyphens and ignorables included. */
TM_TEST(a_word_reaching_idx_tok_max_is_cut_before_the_character_that_overflows)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    char s[IDX_TOK_MAX + 16], want[2 * IDX_TOK_MAX + 16];

    memset(s, '1', IDX_TOK_MAX); /* 64 digits, then a hyphen and a digit group */
    memcpy(s + IDX_TOK_MAX, "-23", 4);
    memset(want, '1', IDX_TOK_MAX);
    memcpy(want + IDX_TOK_MAX, " 23", 4);
    CHECK_STR(toks(tok, s), want);

    memset(s, 'A', IDX_TOK_MAX - 1); /* 63 letters, then a two-byte one */
    memcpy(s + IDX_TOK_MAX - 1, "\xc3\x89z", 4);
    memset(want, 'a', IDX_TOK_MAX - 1);
    memcpy(want + IDX_TOK_MAX - 1, " \xc3\xa9z", 5);
    CHECK_STR(toks(tok, s), want);

    memset(s, 'b', IDX_TOK_MAX); /* 64 letters, a soft hyphen, one more */
    memcpy(s + IDX_TOK_MAX,
           "\xc2\xad"
           "c",
           4);
    memset(want, 'b', IDX_TOK_MAX);
    memcpy(want + IDX_TOK_MAX, " c", 3);
    CHECK_STR(toks(tok, s), want);

    memset(s, 'd', IDX_TOK_MAX + 1); /* 65 letters, stemmed by nothing */
    s[IDX_TOK_MAX + 1] = '\0';
    memset(want, 'd', IDX_TOK_MAX);
    memcpy(want + IDX_TOK_MAX, " d", 3);
    CHECK_STR(toks(tok, s), want);
    close_db(db, tok);
}

TM_TEST(query_mode_gives_the_same_tokens_as_document_mode)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    const char *s[] = {"기술을 개발", "AI진단 Batteries", "10-2019-0012345", "A61B 5/00"};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        char doc[512];
        snprintf(doc, sizeof doc, "%s", toks_n(tok, 0, s[i], strlen(s[i])));
        CHECK_STR(toks_n(tok, 1, s[i], strlen(s[i])), doc);
    }
    close_db(db, tok);
}

TM_TEST(empty_and_punctuation_only_inputs_give_no_tokens)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    CHECK_STR(toks_n(tok, 0, "", 0), "");
    CHECK_STR(toks_n(tok, 0, NULL, 0), "");
    CHECK_STR(toks(tok, "!?.,;:()[]{}<>\"'`~@#$%^&*_+=|\\/ \t\r\n"), "");
    CHECK_STR(toks(tok, "「」、。・…—“”·※"), "");
    CHECK_STR(toks(tok, "😀🚀 ㈜ ①"), "");
    close_db(db, tok);
}

TM_TEST(control_bytes_and_nul_separate_tokens)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    CHECK_STR(toks(tok, "\x01\x02"
                        "abc\x7f"
                        "def\x1b[0m"),
              "abc def 0m");
    CHECK_STR(toks_n(tok, 0, "abc\0def", 7), "abc def");
    CHECK_STR(toks_n(tok, 0, "기\0술", 7), "기 술");
    CHECK_STR(toks_n(tok, 0, "\0\0\0", 3), "");
    CHECK_STR(toks(tok, "\xc2\x85"
                        "abc"),
              "abc"); /* C1 control NEL */
    close_db(db, tok);
}

TM_TEST(invalid_utf8_separates_tokens_and_never_leaks_into_them)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    CHECK_STR(toks(tok, "\x80\xbf\x80"), ""); /* lone continuation bytes */
    CHECK_STR(toks(tok, "ab\x80"
                        "cd"),
              "ab cd");
    CHECK_STR(toks(tok, "기\xea\xb8"), "기");      /* truncated at the end */
    CHECK_STR(toks(tok, "기\xea\xb8술"), "기 술"); /* truncated in the middle */
    CHECK_STR(toks(tok, "a\xc0\xaf"
                        "b\xe0\x80\xaf"
                        "c"),
              "a b c");                                /* overlongs */
    CHECK_STR(toks(tok, "술\xed\xa0\x80을"), "술 을"); /* surrogate */
    CHECK_STR(toks(tok, "x\xf4\x90\x80\x80y"), "x y"); /* past U+10FFFF */
    CHECK_STR(toks(tok, "\xff\xfe"
                        "a\xfe\xff"),
              "a");
    close_db(db, tok);
}

TM_TEST(a_long_run_of_one_syllable_gives_consecutive_bigrams)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    size_t nsyl = 10240 / 3, len = nsyl * 3;
    char *s = malloc(len);
    idx_tok_list l = {0};
    bool ok = true;

    for (size_t i = 0; i < nsyl; i++)
        memcpy(s + 3 * i, "가", 3);
    CHECK(idx_tok_collect(tok, 0, s, len, &l) == SQLITE_OK);
    CHECK(l.n == nsyl - 1);
    for (size_t i = 0; i < l.n; i++)
        ok = ok && strcmp(l.tok[i], "가가") == 0 && l.start[i] == (int)(3 * i) &&
             l.end[i] == (int)(3 * i + 6);
    CHECK(ok);
    CHECK(tokens_well_formed(&l, len));
    idx_tok_list_clear(&l);
    free(s);
    close_db(db, tok);
}

TM_TEST(a_long_latin_run_is_cut_into_tokens_of_at_most_idx_tok_max_bytes)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    size_t len = 10240, total = 0;
    char *s = malloc(len);
    idx_tok_list l = {0};

    memset(s, 'a', len);
    CHECK(idx_tok_collect(tok, 0, s, len, &l) == SQLITE_OK);
    CHECK(l.n == (len + IDX_TOK_MAX - 1) / IDX_TOK_MAX);
    for (size_t i = 0; i < l.n; i++)
        total += strlen(l.tok[i]);
    CHECK(total == len);
    CHECK(tokens_well_formed(&l, len));
    idx_tok_list_clear(&l);
    free(s);
    close_db(db, tok);
}

TM_TEST(a_long_multibyte_run_is_cut_at_a_character_boundary)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    char s[1 + 2 * 40];
    idx_tok_list l = {0};

    s[0] = 'x'; /* odd offset: a byte cut at 64 would split a character */
    for (size_t i = 0; i < 40; i++)
        memcpy(s + 1 + 2 * i, "é", 2);
    CHECK(idx_tok_collect(tok, 0, s, sizeof s, &l) == SQLITE_OK);
    CHECK(l.n == 2);
    CHECK(tokens_well_formed(&l, sizeof s));
    if (l.n == 2) {
        CHECK(strlen(l.tok[0]) + strlen(l.tok[1]) == sizeof s);
        CHECK(l.end[0] == l.start[1]);
    }
    idx_tok_list_clear(&l);
    close_db(db, tok);
}

TM_TEST(hostile_bytes_give_well_formed_tokens)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    unsigned char s[4096];
    uint32_t x = 12345;

    for (int round = 0; round < 50; round++) {
        idx_tok_list l = {0};
        for (size_t i = 0; i < sizeof s; i++) {
            x = x * 1103515245u + 12345u;
            s[i] = (unsigned char)(x >> 16);
        }
        CHECK(idx_tok_collect(tok, round & 1, (const char *)s, sizeof s, &l) == SQLITE_OK);
        CHECK(tokens_well_formed(&l, sizeof s));
        idx_tok_list_clear(&l);
    }
    close_db(db, tok);
}

static int stop_after_first(void *ctx, const char *t, int n, int start, int end)
{
    (void)t, (void)n, (void)start, (void)end;
    (*(int *)ctx)++;
    return SQLITE_ABORT;
}

TM_TEST(a_callback_error_stops_the_run_and_is_returned)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    int calls = 0;
    const char *s = "기술을 개발 AI batteries";
    CHECK(idx_tok_run(tok, 0, s, strlen(s), stop_after_first, &calls) == SQLITE_ABORT);
    CHECK(calls == 1);
    close_db(db, tok);
}

TM_TEST(collect_appends_to_an_existing_list)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    idx_tok_list l = {0};
    CHECK(idx_tok_collect(tok, 0, "기술", strlen("기술"), &l) == SQLITE_OK);
    CHECK(idx_tok_collect(tok, 0, "AI", 2, &l) == SQLITE_OK);
    CHECK(l.n == 2);
    if (l.n == 2) {
        CHECK_STR(l.tok[0], "기술");
        CHECK_STR(l.tok[1], "ai");
    }
    idx_tok_list_clear(&l);
    CHECK(l.n == 0 && l.tok == NULL);
    idx_tok_list_clear(&l);
    close_db(db, tok);
}

TM_TEST(open_without_register_fails_cleanly)
{
    sqlite3 *db = NULL;
    idx_tok *tok = (idx_tok *)&db; /* must be reset to NULL */
    tm_err err;
    CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
    CHECK(idx_tok_open(db, &tok, &err) != TM_OK);
    CHECK(tok == NULL);
    CHECK(err.msg[0] != '\0');
    idx_tok_free(NULL);
    sqlite3_close(db);
}

TM_TEST(fts5_rejects_options_for_the_tokenizer)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    CHECK(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='techmart bogus 1')",
                       NULL, NULL, NULL) != SQLITE_OK);
    close_db(db, tok);
}

/* Rowids of rows of table t matching expr, as "1,3" ("" for none). */
static const char *match(sqlite3 *db, const char *expr)
{
    static char out[256];
    sqlite3_stmt *st = NULL;
    size_t o = 0;
    int rc;

    out[0] = '\0';
    if (sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rowid", -1, &st,
                           NULL) != SQLITE_OK)
        return "PREPARE ERROR";
    sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && o < sizeof out - 24)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%lld", o ? "," : "",
                              (long long)sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? out : "STEP ERROR";
}

TM_TEST(fts5_table_finds_korean_words_inside_longer_words)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    const char *rows[] = {
        "기술을 개발",          /* 1 */
        "의료기기 제조",        /* 2 */
        "Lithium battery pack", /* 3 */
        "특허 10-2019-0012345", /* 4 */
        "AI진단 플랫폼",        /* 5 */
        "기계 설계",            /* 6 */
    };
    sqlite3_stmt *ins = NULL;

    CHECK(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter techmart')", NULL,
                       NULL, NULL) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "INSERT INTO t(rowid, x) VALUES (?1, ?2)", -1, &ins, NULL) ==
          SQLITE_OK);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sqlite3_bind_int64(ins, 1, (sqlite3_int64)i + 1);
        sqlite3_bind_text(ins, 2, rows[i], -1, SQLITE_STATIC);
        CHECK(sqlite3_step(ins) == SQLITE_DONE);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);

    CHECK_STR(match(db, "\"기술\""), "1");
    CHECK_STR(match(db, "\"의료\""), "2");
    CHECK_STR(match(db, "\"의료기기\""), "2");
    CHECK_STR(match(db, "\"batteries\""), "3");
    CHECK_STR(match(db, "\"1020190012345\""), "4");
    CHECK_STR(match(db, "\"10-2019-0012345\""), "4");
    CHECK_STR(match(db, "\"진단\""), "5");
    CHECK_STR(match(db, "\"ai\""), "5");
    CHECK_STR(match(db, "\"기기\""), "2");
    CHECK_STR(match(db, "\"기술개발\""), ""); /* 기술 술개 개발: 술개 is in no row */
    CHECK_STR(match(db, "\"기계\""), "6");
    close_db(db, tok);
}

TM_TEST(idx_tok_gives_the_token_stream_of_the_fts5_table)
{
    idx_tok *tok;
    sqlite3 *db = open_db(&tok);
    const char *doc = "AI진단 Batteries, 의료기기 10-2019-0012345 A61B 5/00 École";
    idx_tok_list l = {0};
    sqlite3_stmt *st = NULL;
    size_t i = 0;
    bool same = true;

    CHECK(sqlite3_exec(db,
                       "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter techmart');"
                       "CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance');",
                       NULL, NULL, NULL) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "INSERT INTO t(x) VALUES (?1)", -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, doc, -1, SQLITE_STATIC);
    CHECK(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);

    CHECK(idx_tok_collect(tok, 0, doc, strlen(doc), &l) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "SELECT term FROM v ORDER BY offset", -1, &st, NULL) == SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *term = (const char *)sqlite3_column_text(st, 0);
        same = same && i < l.n && term && strcmp(term, l.tok[i]) == 0;
        i++;
    }
    sqlite3_finalize(st);
    CHECK(same);
    CHECK(i == l.n);
    CHECK(l.n > 10);
    idx_tok_list_clear(&l);
    close_db(db, tok);
}

TM_TEST_MAIN()
