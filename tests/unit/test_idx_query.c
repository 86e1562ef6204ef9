/* Tests of idx_query: the tree a search parses to, the errors, the FTS5
 * string it compiles to, and that every compiled string (hostile inputs
 * included) runs as a MATCH on a real FTS5 table without an SQLite error. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/tm_buf.h"
#include "../../common/tm_err.h"
#include "../../index/idx_enum.h"
#include "../../index/idx_query.h"
#include "../../index/idx_tok.h"
#include "../tm_test.h"

#define TITLE_COLS ((1u << IDX_COL_TITLE) | (1u << IDX_COL_TITLE_EN))

/* ---- helpers ------------------------------------------------------------ */

static idx_query *parse_ok(const char *s)
{
    idx_query *q = NULL;
    tm_err err = {0};
    int rc = idx_query_parse(s, strlen(s), &q, &err);
    CHECK(rc == TM_OK);
    CHECK(q != NULL);
    if (rc != TM_OK) fprintf(stderr, "  parsing [%s]: %s\n", s, err.msg);
    return q;
}

/* The FTS5 string of s, or "(blank)" when it parses to nothing. Free it. */
static char *fts_of(const char *s)
{
    idx_query *q = parse_ok(s);
    tm_buf b = {0};
    if (q && q->root)
        idx_query_to_fts(q, &b);
    else
        tm_buf_puts(&b, "(blank)");
    idx_query_free(q);
    return tm_buf_steal(&b);
}

#define CHECK_FTS(input, want)                                                                     \
    do {                                                                                           \
        char *got_ = fts_of(input);                                                                \
        CHECK_STR(got_, want);                                                                     \
        free(got_);                                                                                \
    } while (0)

static bool is_term(const idx_qnode *n, const char *text, bool phrase, bool prefix,
                    unsigned colmask)
{
    return n && n->kind == IDX_Q_TERM && n->text && strcmp(n->text, text) == 0 &&
           n->phrase == phrase && n->prefix == prefix && n->colmask == colmask && n->nkids == 0;
}

static bool is_word(const idx_qnode *n, const char *text)
{
    return is_term(n, text, false, false, 0);
}

static bool is_not_word(const idx_qnode *n, const char *text)
{
    return n && n->kind == IDX_Q_NOT && n->nkids == 1 && is_word(n->kids[0], text);
}

static int parse_err(const char *s, size_t len, tm_err *err)
{
    idx_query *q = (idx_query *)&q; /* must be reset to NULL */
    int rc = idx_query_parse(s, len, &q, err);
    CHECK(q == NULL || rc == TM_OK);
    idx_query_free(rc == TM_OK ? q : NULL);
    return rc;
}

static void check_einval_q(const char *s, size_t len)
{
    tm_err err = {0};
    CHECK(parse_err(s, len, &err) == TM_EINVAL);
    CHECK(err.code == TM_EINVAL);
    CHECK_STR(err.field, "q");
    CHECK(strlen(err.msg) > 10);
}

/* ---- parse: tree shape -------------------------------------------------- */

TM_TEST(blank_query_parses_to_no_root)
{
    const char *blanks[] = {"", " ", "\t\r\n", "\x01\x02\x7f", "\xe3\x80\x80\xc2\xa0"};
    for (size_t i = 0; i < sizeof blanks / sizeof blanks[0]; i++) {
        idx_query *q = parse_ok(blanks[i]);
        CHECK(q && q->root == NULL);
        idx_query_free(q);
    }
    idx_query *q = (idx_query *)&q;
    CHECK(idx_query_parse(NULL, 0, &q, NULL) == TM_OK && q && !q->root);
    idx_query_free(q);
}

TM_TEST(one_word_is_a_term_at_the_root)
{
    idx_query *q = parse_ok("  battery  ");
    CHECK(q && is_word(q->root, "battery"));
    CHECK(q && q->root && q->root->toks == NULL && q->root->ntoks == 0);
    idx_query_free(q);
}

TM_TEST(words_separated_by_spaces_are_anded_in_order)
{
    idx_query *q = parse_ok("solar  cell\tperovskite");
    CHECK(q && q->root && q->root->kind == IDX_Q_AND && q->root->nkids == 3);
    if (q && q->root && q->root->nkids == 3) {
        CHECK(is_word(q->root->kids[0], "solar"));
        CHECK(is_word(q->root->kids[1], "cell"));
        CHECK(is_word(q->root->kids[2], "perovskite"));
    }
    idx_query_free(q);
}

TM_TEST(control_bytes_and_unicode_spaces_separate_words)
{
    /* tab, SOH, DEL, NUL, ideographic space U+3000, NBSP */
    const char s[] = "a\tb\x01"
                     "c\x7f"
                     "d\0e\xe3\x80\x80"
                     "f\xc2\xa0g";
    idx_query *q = NULL;
    CHECK(idx_query_parse(s, sizeof s - 1, &q, NULL) == TM_OK);
    CHECK(q && q->root && q->root->kind == IDX_Q_AND && q->root->nkids == 7);
    if (q && q->root && q->root->nkids == 7) {
        const char *want[] = {"a", "b", "c", "d", "e", "f", "g"};
        for (size_t i = 0; i < 7; i++)
            CHECK(is_word(q->root->kids[i], want[i]));
    }
    idx_query_free(q);
}

TM_TEST(quoted_text_is_one_phrase_term)
{
    idx_query *q = parse_ok("\"solar cell\"");
    CHECK(q && is_term(q->root, "solar cell", true, false, 0));
    idx_query_free(q);
}

TM_TEST(unbalanced_quote_runs_to_the_end)
{
    idx_query *q = parse_ok("battery \"solid state electrolyte");
    CHECK(q && q->root && q->root->kind == IDX_Q_AND && q->root->nkids == 2);
    if (q && q->root && q->root->nkids == 2) {
        CHECK(is_word(q->root->kids[0], "battery"));
        CHECK(is_term(q->root->kids[1], "solid state electrolyte", true, false, 0));
    }
    idx_query_free(q);
}

TM_TEST(control_bytes_inside_a_phrase_become_spaces)
{
    const char s[] = "\"a\x01"
                     "b\tc\0d\"";
    idx_query *q = NULL;
    CHECK(idx_query_parse(s, sizeof s - 1, &q, NULL) == TM_OK);
    CHECK(q && is_term(q->root, "a b c d", true, false, 0));
    idx_query_free(q);
}

TM_TEST(quote_after_a_word_starts_a_new_phrase)
{
    idx_query *q = parse_ok("lithium\"ion cell\"");
    CHECK(q && q->root && q->root->kind == IDX_Q_AND && q->root->nkids == 2);
    if (q && q->root && q->root->nkids == 2) {
        CHECK(is_word(q->root->kids[0], "lithium"));
        CHECK(is_term(q->root->kids[1], "ion cell", true, false, 0));
    }
    idx_query_free(q);
}

TM_TEST(or_binds_tighter_than_and)
{
    idx_query *q = parse_ok("a b OR c");
    CHECK(q && q->root && q->root->kind == IDX_Q_AND && q->root->nkids == 2);
    if (q && q->root && q->root->nkids == 2) {
        const idx_qnode * or = q->root->kids[1];
        CHECK(is_word(q->root->kids[0], "a"));
        CHECK(or->kind == IDX_Q_OR && or->nkids == 2);
        if (or->nkids == 2) {
            CHECK(is_word(or->kids[0], "b"));
            CHECK(is_word(or->kids[1], "c"));
        }
    }
    idx_query_free(q);
}

TM_TEST(a_chain_of_ors_is_one_or_node)
{
    idx_query *q = parse_ok("a OR b OR OR c");
    CHECK(q && q->root && q->root->kind == IDX_Q_OR && q->root->nkids == 3);
    if (q && q->root && q->root->nkids == 3) {
        CHECK(is_word(q->root->kids[0], "a"));
        CHECK(is_word(q->root->kids[1], "b"));
        CHECK(is_word(q->root->kids[2], "c"));
    }
    idx_query_free(q);
}

TM_TEST(or_with_nothing_to_join_is_ignored)
{
    const char *cases[][2] = {{"a OR", "a"}, {"OR a", "a"}, {"OR", NULL}, {"OR OR", NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        idx_query *q = parse_ok(cases[i][0]);
        if (cases[i][1])
            CHECK(q && is_word(q->root, cases[i][1]));
        else
            CHECK(q && q->root == NULL);
        idx_query_free(q);
    }
}

TM_TEST(or_in_lower_case_is_a_word)
{
    idx_query *q = parse_ok("a or b");
    CHECK(q && q->root && q->root->kind == IDX_Q_AND && q->root->nkids == 3);
    if (q && q->root && q->root->nkids == 3) CHECK(is_word(q->root->kids[1], "or"));
    idx_query_free(q);
}

TM_TEST(minus_excludes_a_word_or_a_phrase)
{
    idx_query *q = parse_ok("battery -lithium -\"solid state\"");
    CHECK(q && q->root && q->root->kind == IDX_Q_AND && q->root->nkids == 3);
    if (q && q->root && q->root->nkids == 3) {
        const idx_qnode *neg = q->root->kids[2];
        CHECK(is_word(q->root->kids[0], "battery"));
        CHECK(is_not_word(q->root->kids[1], "lithium"));
        CHECK(neg->kind == IDX_Q_NOT && neg->nkids == 1 &&
              is_term(neg->kids[0], "solid state", true, false, 0));
    }
    idx_query_free(q);
}

TM_TEST(or_next_to_an_exclusion_is_ignored)
{
    const char *inputs[] = {"a OR -b", "-b OR a"};
    for (size_t i = 0; i < 2; i++) {
        idx_query *q = parse_ok(inputs[i]);
        CHECK(q && q->root && q->root->kind == IDX_Q_AND && q->root->nkids == 2);
        if (q && q->root && q->root->nkids == 2) {
            size_t a = i == 0 ? 0 : 1;
            CHECK(is_word(q->root->kids[a], "a"));
            CHECK(is_not_word(q->root->kids[1 - a], "b"));
        }
        idx_query_free(q);
    }
}

TM_TEST(lone_minus_is_nothing)
{
    idx_query *q = parse_ok("- battery -");
    CHECK(q && is_word(q->root, "battery"));
    idx_query_free(q);
}

TM_TEST(hyphen_inside_a_word_is_part_of_it)
{
    idx_query *q = parse_ok("10-2019-0012345 bio-medical");
    CHECK(q && q->root && q->root->kind == IDX_Q_AND && q->root->nkids == 2);
    if (q && q->root && q->root->nkids == 2) {
        CHECK(is_word(q->root->kids[0], "10-2019-0012345"));
        CHECK(is_word(q->root->kids[1], "bio-medical"));
    }
    idx_query_free(q);
}

TM_TEST(trailing_star_makes_a_prefix_term)
{
    idx_query *q = parse_ok("batter** \"fuel cel\"*");
    CHECK(q && q->root && q->root->kind == IDX_Q_AND && q->root->nkids == 2);
    if (q && q->root && q->root->nkids == 2) {
        CHECK(is_term(q->root->kids[0], "batter", false, true, 0));
        CHECK(is_term(q->root->kids[1], "fuel cel", true, true, 0));
    }
    idx_query_free(q);
}

TM_TEST(star_inside_a_word_is_text)
{
    idx_query *q = parse_ok("a*b");
    CHECK(q && is_word(q->root, "a*b"));
    idx_query_free(q);
}

TM_TEST(field_prefixes_select_columns)
{
    struct {
        const char *in, *text;
        bool phrase, prefix;
        unsigned mask;
    } cases[] = {
        {"title:battery", "battery", false, false, TITLE_COLS},
        {"Title:\"solar cell\"", "solar cell", true, false, TITLE_COLS},
        {"keywords:lithium", "lithium", false, false, 1u << IDX_COL_KEYWORDS},
        {"institution:KAIST", "KAIST", false, false, 1u << IDX_COL_INSTITUTION},
        {"inventor:kim", "kim", false, false, 1u << IDX_COL_INVENTORS},
        {"inventors:kim", "kim", false, false, 1u << IDX_COL_INVENTORS},
        {"ipc:A61B*", "A61B", false, true, 1u << IDX_COL_IPC},
        {"IPC:\"H01M 4\"*", "H01M 4", true, true, 1u << IDX_COL_IPC},
        {"title:a:b", "a:b", false, false, TITLE_COLS},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        idx_query *q = parse_ok(cases[i].in);
        CHECK(q &&
              is_term(q->root, cases[i].text, cases[i].phrase, cases[i].prefix, cases[i].mask));
        idx_query_free(q);
    }
}

TM_TEST(excluded_field_term_keeps_its_columns)
{
    idx_query *q = parse_ok("battery -institution:\"Korea University\"");
    CHECK(q && q->root && q->root->kind == IDX_Q_AND && q->root->nkids == 2);
    if (q && q->root && q->root->nkids == 2) {
        const idx_qnode *neg = q->root->kids[1];
        CHECK(neg->kind == IDX_Q_NOT && neg->nkids == 1 &&
              is_term(neg->kids[0], "Korea University", true, false, 1u << IDX_COL_INSTITUTION));
    }
    idx_query_free(q);
}

TM_TEST(unknown_field_is_plain_text)
{
    idx_query *q = parse_ok("summary:battery http://x.kr");
    CHECK(q && q->root && q->root->kind == IDX_Q_AND && q->root->nkids == 2);
    if (q && q->root && q->root->nkids == 2) {
        CHECK(is_word(q->root->kids[0], "summary:battery"));
        CHECK(is_word(q->root->kids[1], "http://x.kr"));
    }
    idx_query_free(q);
}

TM_TEST(field_with_nothing_after_it_is_nothing)
{
    idx_query *q = parse_ok("title: battery ipc:");
    CHECK(q && is_word(q->root, "battery"));
    idx_query_free(q);
}

TM_TEST(terms_without_letter_or_digit_are_dropped)
{
    const char *junk[] = {"*",
                          "^",
                          "-",
                          ":",
                          "\"\"",
                          "\"",
                          "( )",
                          "&&",
                          "!?",
                          "---",
                          "NEAR(",
                          "-*",
                          "\u2605 \u2192 \u2014 \u3001 \uff01",
                          "\xf0\x9f\x98\x80",
                          "\xcc\x81"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        idx_query *q = parse_ok(junk[i]);
        if (strcmp(junk[i], "NEAR(") == 0)
            CHECK(q && is_word(q->root, "NEAR("));
        else
            CHECK(q && q->root == NULL);
        idx_query_free(q);
    }
}

TM_TEST(hangul_and_other_scripts_count_as_letters)
{
    idx_query *q = parse_ok("기술을 \u00e9t\u00e9 \u0394 \u4e2d");
    CHECK(q && q->root && q->root->kind == IDX_Q_AND && q->root->nkids == 4);
    if (q && q->root && q->root->nkids == 4) CHECK(is_word(q->root->kids[0], "기술을"));
    idx_query_free(q);
}

/* ---- parse: errors ------------------------------------------------------ */

TM_TEST(query_longer_than_the_limit_is_einval_q)
{
    char *s = malloc(IDX_QUERY_MAX_BYTES + 2);
    memset(s, 'a', IDX_QUERY_MAX_BYTES + 1);
    s[IDX_QUERY_MAX_BYTES + 1] = '\0';
    check_einval_q(s, IDX_QUERY_MAX_BYTES + 1);
    /* exactly at the limit is fine */
    idx_query *q = NULL;
    CHECK(idx_query_parse(s, IDX_QUERY_MAX_BYTES, &q, NULL) == TM_OK);
    CHECK(q && q->root && q->root->kind == IDX_Q_TERM &&
          strlen(q->root->text) == IDX_QUERY_MAX_BYTES);
    idx_query_free(q);
    free(s);
}

TM_TEST(invalid_utf8_is_einval_q)
{
    const char *bad[] = {
        "\xff",                  /* never valid */
        "battery \xea\xb8",      /* truncated 3-byte sequence at the end */
        "\xc0\xaf",              /* overlong '/' */
        "\xed\xa0\x80",          /* surrogate */
        "\xf4\x90\x80\x80",      /* past U+10FFFF */
        "\"ok\" \x80 continued", /* lone continuation byte */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_einval_q(bad[i], strlen(bad[i]));
}

TM_TEST(more_terms_than_the_limit_is_einval_q)
{
    tm_buf b = {0};
    for (int i = 0; i < IDX_QUERY_MAX_TERMS; i++)
        tm_buf_printf(&b, "w%d ", i);
    idx_query *q = NULL;
    CHECK(idx_query_parse(b.p, b.len, &q, NULL) == TM_OK);
    CHECK(q && q->root && q->root->nkids == IDX_QUERY_MAX_TERMS);
    idx_query_free(q);
    tm_buf_puts(&b, "OR -excluded");
    check_einval_q(b.p, b.len);
    tm_buf_free(&b);
}

TM_TEST(dropped_junk_does_not_count_as_terms)
{
    tm_buf b = {0};
    for (int i = 0; i < IDX_QUERY_MAX_TERMS; i++)
        tm_buf_printf(&b, "w%d * - OR ", i);
    idx_query *q = NULL;
    CHECK(idx_query_parse(b.p, b.len, &q, NULL) == TM_OK);
    idx_query_free(q);
    tm_buf_free(&b);
}

TM_TEST(only_exclusions_is_einval_q)
{
    const char *cases[] = {"-a", "-a -b", "-\"solid state\" -title:x", "-a OR -b * ^"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_einval_q(cases[i], strlen(cases[i]));
}

TM_TEST(failed_parse_leaves_out_null_and_err_is_optional)
{
    idx_query *q = (idx_query *)&q;
    CHECK(idx_query_parse("\xff", 1, &q, NULL) == TM_EINVAL);
    CHECK(q == NULL);
}

/* ---- FTS5 strings ------------------------------------------------------- */

TM_TEST(words_compile_to_quoted_strings_joined_by_and)
{
    CHECK_FTS("battery", "\"battery\"");
    CHECK_FTS("solar cell", "\"solar\" AND \"cell\"");
    CHECK_FTS("기술을 특허", "\"기술을\" AND \"특허\"");
}

TM_TEST(or_groups_compile_in_parentheses)
{
    CHECK_FTS("a OR b", "\"a\" OR \"b\"");
    CHECK_FTS("a b OR c", "\"a\" AND (\"b\" OR \"c\")");
    CHECK_FTS("a OR b c OR d", "(\"a\" OR \"b\") AND (\"c\" OR \"d\")");
}

TM_TEST(phrases_prefixes_and_fields_compile_to_fts5_syntax)
{
    CHECK_FTS("\"solar cell\"", "\"solar cell\"");
    CHECK_FTS("batter*", "\"batter\" *");
    CHECK_FTS("\"fuel cel\"*", "\"fuel cel\" *");
    CHECK_FTS("title:\"solar cell\"", "{title title_en} : \"solar cell\"");
    CHECK_FTS("ipc:A61B*", "{ipc} : \"A61B\" *");
    CHECK_FTS("inventor:kim institution:KAIST keywords:x",
              "{inventors} : \"kim\" AND {inst_names} : \"KAIST\" AND {keywords} : \"x\"");
}

TM_TEST(exclusions_compile_to_binary_not_after_the_positive_group)
{
    CHECK_FTS("a -c", "(\"a\") NOT (\"c\")");
    CHECK_FTS("a b -c -\"d e\"", "(\"a\" AND \"b\") NOT (\"c\") NOT (\"d e\")");
    CHECK_FTS("-c x OR y", "(\"x\" OR \"y\") NOT (\"c\")");
    CHECK_FTS("a x OR y -z", "(\"a\" AND (\"x\" OR \"y\")) NOT (\"z\")");
    CHECK_FTS("배터리 -institution:KAIST*", "(\"배터리\") NOT ({inst_names} : \"KAIST\" *)");
}

TM_TEST(operator_words_of_fts5_stay_quoted_text)
{
    CHECK_FTS("NEAR(a b) AND NOT", "\"NEAR(a\" AND \"b)\" AND \"AND\" AND \"NOT\"");
    CHECK_FTS("{title}:x ^a +b", "\"{title}:x\" AND \"^a\" AND \"+b\"");
}

TM_TEST(double_quotes_in_a_term_are_doubled)
{
    /* The parser never leaves '"' in a term; a tree built by hand can. */
    idx_qnode t = {.kind = IDX_Q_TERM, .text = "say \"hi\""};
    idx_query q = {.root = &t};
    tm_buf b = {0};
    idx_query_to_fts(&q, &b);
    CHECK_STR(tm_buf_cstr(&b), "\"say \"\"hi\"\"\"");
    tm_buf_free(&b);
}

TM_TEST(column_bits_past_the_table_are_ignored)
{
    idx_qnode t = {.kind = IDX_Q_TERM, .text = "x", .colmask = 1u << IDX_COL__COUNT};
    idx_query q = {.root = &t};
    tm_buf b = {0};
    idx_query_to_fts(&q, &b);
    CHECK_STR(tm_buf_cstr(&b), "\"x\"");
    tm_buf_free(&b);
}

/* ---- end to end on FTS5 ------------------------------------------------- */

static const char *const fts_cols = "title, title_en, keywords, summary, description, inst_names, "
                                    "inventors, ipc, patent_numbers";

/* An in-memory FTS5 table t with three technologies, tokenized by tokenizer. */
static sqlite3 *fts_db(const char *tokenizer)
{
    sqlite3 *db = NULL;
    char sql[512];
    CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
    if (strstr(tokenizer, "techmart")) CHECK(idx_tok_register(db) == SQLITE_OK);
    int n = snprintf(sql, sizeof sql, "CREATE VIRTUAL TABLE t USING fts5(%s, tokenize='%s')",
                     fts_cols, tokenizer);
    CHECK(n > 0 && (size_t)n < sizeof sql);
    CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "INSERT INTO t(rowid, title, title_en, keywords, summary, inst_names,"
                       " inventors, ipc, patent_numbers) VALUES"
                       " (1, '페로브스카이트 태양전지', 'Perovskite solar cell', 'energy',"
                       "  'A tandem cell', 'KAIST', 'Kim Minsu', 'H01L 31/04', '10-2019-0012345'),"
                       " (2, '리튬 배터리 전극', 'Battery electrode coating', 'battery, lithium',"
                       "  'Coated electrodes', 'Korea University', 'Lee Jiho', 'H01M 4/04',"
                       "  '10-2020-0000001'),"
                       " (3, '의료 영상 장치', 'Medical imaging device', 'imaging',"
                       "  'Solar powered and portable', 'Kyung Hee University', 'Park Jiwoo',"
                       "  'A61B 6/00', '10-2021-0000002')",
                       NULL, NULL, NULL) == SQLITE_OK);
    return db;
}

/* Runs SELECT count(*) ... MATCH fts; returns the count, or -1 on an SQLite
 * error (printed). */
static int match_count(sqlite3 *db, const char *fts)
{
    sqlite3_stmt *st = NULL;
    int count = -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?", -1, &st, NULL) !=
        SQLITE_OK)
        goto out;
    if (sqlite3_bind_text(st, 1, fts, -1, SQLITE_TRANSIENT) != SQLITE_OK) goto out;
    if (sqlite3_step(st) == SQLITE_ROW)
        count = sqlite3_column_int(st, 0);
    else
        fprintf(stderr, "  MATCH [%s]: %s\n", fts, sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    return count;
}

/* Parses s (and tokenizes it when tok is not NULL) and counts its matches;
 * -2 when it parses to nothing, -3 on a parse error. */
static int search_count(sqlite3 *db, idx_tok *tok, const char *s, size_t len)
{
    idx_query *q = NULL;
    tm_err err = {0};
    tm_buf b = {0};
    int count;
    if (idx_query_parse(s, len, &q, &err) != TM_OK ||
        (tok && idx_query_tokenize(q, tok, &err) != TM_OK)) {
        CHECK(err.code == TM_EINVAL);
        CHECK_STR(err.field, "q");
        count = -3;
        goto out;
    }
    if (!q->root) {
        count = -2;
        goto out;
    }
    idx_query_to_fts(q, &b);
    count = match_count(db, tm_buf_cstr(&b));
out:
    tm_buf_free(&b);
    idx_query_free(q);
    return count;
}

static const struct {
    const char *q;
    int count;
} semantic_cases[] = {
    {"solar", 2},
    {"title:solar", 1},
    {"solar -medical", 1},
    {"solar -\"medical imaging\"", 1},
    {"solar -title:medical", 1},
    {"batter*", 1},
    {"solar OR battery", 3},
    {"\"solar cell\"", 1},
    {"\"cell solar\"", 0},
    {"institution:kaist", 1},
    {"institution:university", 2},
    {"institution:university -inventor:lee", 1},
    {"inventors:kim OR inventor:park", 2},
    {"ipc:H01*", 2},
    {"keywords:battery", 1},
    {"keywords:solar", 0},
    {"10-2019-0012345", 1},
    {"electrode coating -lithium", 0},
    {"electrode OR imaging -lithium", 1},
};

TM_TEST(compiled_queries_match_the_expected_rows)
{
    sqlite3 *db = fts_db("porter unicode61");
    for (size_t i = 0; i < sizeof semantic_cases / sizeof semantic_cases[0]; i++) {
        int got = search_count(db, NULL, semantic_cases[i].q, strlen(semantic_cases[i].q));
        if (got != semantic_cases[i].count)
            fprintf(stderr, "  [%s]: %d matches, want %d\n", semantic_cases[i].q, got,
                    semantic_cases[i].count);
        CHECK(got == semantic_cases[i].count);
    }
    sqlite3_close(db);
}

/* Hostile inputs; each must parse or be TM_EINVAL "q", and whatever parses
 * must run as a MATCH without an SQLite error. */
static const struct {
    const char *s;
    size_t len; /* 0: strlen */
} hostile[] = {
    {"\"", 0},
    {"\"\"", 0},
    {"\"\"\"", 0},
    {"\"a\" \"b\" \"", 0},
    {"-", 0},
    {"- -", 0},
    {"--a", 0},
    {"-a -b", 0},
    {"-\"", 0},
    {"a -", 0},
    {"NEAR(", 0},
    {"NEAR(a b, 2)", 0},
    {"a NEAR b", 0},
    {"*", 0},
    {"**", 0},
    {"a*b", 0},
    {"x*\"y\"", 0},
    {"\"abc\"*", 0},
    {"^", 0},
    {"^a", 0},
    {"a ^ b", 0},
    {"OR", 0},
    {"OR OR", 0},
    {"a OR", 0},
    {"OR a", 0},
    {"a OR OR b", 0},
    {"a OR -b", 0},
    {"AND", 0},
    {"a AND b", 0},
    {"NOT", 0},
    {"a NOT b", 0},
    {"title:", 0},
    {"-title:", 0},
    {"title:\"", 0},
    {"title::", 0},
    {"title:OR", 0},
    {"ipc:*", 0},
    {":", 0},
    {"::", 0},
    {"a:b", 0},
    {"{title}:a", 0},
    {"{title title_en}", 0},
    {"(a OR b)", 0},
    {")(", 0},
    {"+a + b", 0},
    {"'a' 'b", 0},
    {"\\\" \\", 0},
    {"a\"\"b", 0},
    {"\x01\x02\x1f\x7f", 0},
    {"a\0b", 3},
    {"\0", 1},
    {"\"a\0b\"", 5},
    {"\xff\xfe", 0},
    {"\xe2\x82", 0},
    {"\xed\xa0\x80", 0},
    {"\xcc\x81", 0},
    {"a \xcc\x81*", 0},
    {"\xf0\x9d\x84\x9e", 0},
    {"\xf0\x9f\x87\xb0\xf0\x9f\x87\xb7", 0},
    {"\xef\xbf\xbd", 0},
    {"\xee\x80\x80 \xee\x80\x80*", 0},
    {"\xcd\xb8", 0},
    {"기술을 -특허", 0},
    {"\xe3\x80\x80\"\xe3\x80\x80\"", 0},
};

static void check_hostile(sqlite3 *db, idx_tok *tok, const char *s, size_t len)
{
    int got = search_count(db, tok, s, len);
    if (got == -1) fprintf(stderr, "  hostile input [%.*s] gave an SQLite error\n", (int)len, s);
    CHECK(got != -1);
}

static void check_all_hostile(sqlite3 *db, idx_tok *tok)
{
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
        check_hostile(db, tok, hostile[i].s,
                      hostile[i].len ? hostile[i].len : strlen(hostile[i].s));

    /* 10 kB of text, and long runs of operators and junk within the limit */
    const char *units[] = {"solar ", "OR ",     "- ",     "-a ", "a OR ", "\" ",
                           "* ",     "title: ", "NEAR( ", "(( ", "\x01",  "\xea\xb8\xb0"};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        tm_buf b = {0};
        while (b.len < 10240)
            tm_buf_puts(&b, units[u]);
        check_hostile(db, tok, b.p, b.len);
        size_t n = IDX_QUERY_MAX_BYTES - IDX_QUERY_MAX_BYTES % strlen(units[u]);
        check_hostile(db, tok, b.p, n);
        tm_buf_free(&b);
    }
}

TM_TEST(hostile_inputs_never_make_an_invalid_fts5_expression)
{
    sqlite3 *db = fts_db("porter unicode61");
    check_all_hostile(db, NULL);
    sqlite3_close(db);
}

/* ---- tokenize ----------------------------------------------------------- */

/* A connection with the techmart tokenizer and an idx_tok opened on it. */
static sqlite3 *tok_db(idx_tok **tok)
{
    sqlite3 *db = fts_db("porter techmart");
    tm_err err = {0};
    *tok = NULL;
    CHECK(idx_tok_open(db, tok, &err) == TM_OK);
    return db;
}

/* True when term's toks are exactly what the tokenizer gives for its text. */
static bool toks_are_the_tokenizers(idx_tok *tok, const idx_qnode *t)
{
    idx_tok_list want = {0};
    bool same =
        idx_tok_collect(tok, 1, t->text, strlen(t->text), &want) == SQLITE_OK && want.n == t->ntoks;
    for (size_t i = 0; same && i < want.n; i++)
        same = strcmp(want.tok[i], t->toks[i]) == 0;
    idx_tok_list_clear(&want);
    return same;
}

static bool has_toks(const idx_qnode *t, size_t n, const char *const *want)
{
    if (!t || t->kind != IDX_Q_TERM || t->ntoks != n) return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(t->toks[i], want[i]) != 0) return false;
    return true;
}

TM_TEST(tokenize_fills_every_term_with_its_query_tokens)
{
    idx_tok *tok = NULL;
    sqlite3 *db = tok_db(&tok);
    idx_query *q = parse_ok("기술을 \"Solar Cells\" 10-2019-0012345 -KIM ipc:A61B*");
    tm_err err = {0};
    CHECK(idx_query_tokenize(q, tok, &err) == TM_OK);
    CHECK(q && q->root && q->root->kind == IDX_Q_AND && q->root->nkids == 5);
    if (q && q->root && q->root->nkids == 5) {
        idx_qnode **k = q->root->kids;
        const char *korean[] = {"기술", "술을"}, *number[] = {"1020190012345"}, *kim[] = {"kim"};
        CHECK(has_toks(k[0], 2, korean));
        CHECK(has_toks(k[2], 1, number));
        CHECK(k[3]->kind == IDX_Q_NOT && has_toks(k[3]->kids[0], 1, kim));
        CHECK(toks_are_the_tokenizers(tok, k[1]) && k[1]->ntoks == 2);
        CHECK(toks_are_the_tokenizers(tok, k[4]) && k[4]->ntoks == 1);
        /* the raw text is kept for FTS5 to tokenize again */
        CHECK_STR(k[1]->text, "Solar Cells");
    }
    idx_query_free(q);
    idx_tok_free(tok);
    sqlite3_close(db);
}

/* U+E000 (private use) counts as a letter for the parser, so whether it is
 * searchable is the tokenizer's call; the techmart tokenizer drops it. */
#define NO_TOKENS "\xee\x80\x80"

TM_TEST(tokenize_drops_terms_without_tokens_and_simplifies)
{
    idx_tok *tok = NULL;
    sqlite3 *db = tok_db(&tok);
    idx_tok_list l = {0};
    CHECK(idx_tok_collect(tok, 1, NO_TOKENS, strlen(NO_TOKENS), &l) == SQLITE_OK && l.n == 0);
    idx_tok_list_clear(&l);

    const char *to_word[] = {"battery " NO_TOKENS, "battery OR " NO_TOKENS, NO_TOKENS " OR battery",
                             "battery -" NO_TOKENS,
                             NO_TOKENS " OR " NO_TOKENS " battery -\"" NO_TOKENS "\""};
    for (size_t i = 0; i < sizeof to_word / sizeof to_word[0]; i++) {
        idx_query *q = parse_ok(to_word[i]);
        tm_err err = {0};
        CHECK(q && q->root && q->root->kind != IDX_Q_TERM);
        CHECK(idx_query_tokenize(q, tok, &err) == TM_OK);
        CHECK(q && is_word(q->root, "battery") && q->root->ntoks == 1);
        idx_query_free(q);
    }

    idx_query *q = parse_ok(NO_TOKENS " \"" NO_TOKENS " " NO_TOKENS "\"");
    CHECK(idx_query_tokenize(q, tok, NULL) == TM_OK);
    CHECK(q && q->root == NULL);
    idx_query_free(q);

    q = parse_ok("a b OR " NO_TOKENS " -c");
    CHECK(idx_query_tokenize(q, tok, NULL) == TM_OK);
    CHECK(q && q->root && q->root->kind == IDX_Q_AND && q->root->nkids == 3);
    if (q && q->root && q->root->nkids == 3) {
        CHECK(is_word(q->root->kids[0], "a"));
        CHECK(is_word(q->root->kids[1], "b"));
        CHECK(is_not_word(q->root->kids[2], "c"));
    }
    idx_query_free(q);
    idx_tok_free(tok);
    sqlite3_close(db);
}

TM_TEST(tokenize_leaving_only_exclusions_is_einval_q)
{
    idx_tok *tok = NULL;
    sqlite3 *db = tok_db(&tok);
    idx_query *q = parse_ok("-battery " NO_TOKENS);
    tm_err err = {0};
    CHECK(idx_query_tokenize(q, tok, &err) == TM_EINVAL);
    CHECK_STR(err.field, "q");
    CHECK(strlen(err.msg) > 10);
    idx_query_free(q); /* still a valid tree to free */
    idx_tok_free(tok);
    sqlite3_close(db);
}

TM_TEST(tokenize_of_a_blank_query_is_a_no_op)
{
    idx_tok *tok = NULL;
    sqlite3 *db = tok_db(&tok);
    idx_query *q = parse_ok(" * - ");
    CHECK(idx_query_tokenize(q, tok, NULL) == TM_OK);
    CHECK(q && q->root == NULL);
    idx_query_free(q);
    idx_tok_free(tok);
    sqlite3_close(db);
}

static const struct {
    const char *q;
    int count;
} techmart_cases[] = {
    {"배터리", 1},
    {"태양전지", 1},
    {"전지 OR 영상", 2},
    {"title:배터리", 1},
    {"keywords:배터리", 0},
    {"\"리튬 배터리\"", 1},
    {"장치 -의료", 0},
    {"10-2019-0012345", 1},
    {"1020190012345", 1},
    {"ipc:a61b", 1},
    {"batter*", 1},
    {"solar -title:medical", 1},
    {"institution:university -inventor:lee", 1},
};

TM_TEST(tokenized_queries_match_the_expected_rows_with_the_techmart_tokenizer)
{
    idx_tok *tok = NULL;
    sqlite3 *db = tok_db(&tok);
    for (size_t i = 0; i < sizeof techmart_cases / sizeof techmart_cases[0]; i++) {
        int got = search_count(db, tok, techmart_cases[i].q, strlen(techmart_cases[i].q));
        if (got != techmart_cases[i].count)
            fprintf(stderr, "  [%s]: %d matches, want %d\n", techmart_cases[i].q, got,
                    techmart_cases[i].count);
        CHECK(got == techmart_cases[i].count);
    }
    idx_tok_free(tok);
    sqlite3_close(db);
}

TM_TEST(hostile_inputs_tokenized_never_make_an_invalid_fts5_expression)
{
    idx_tok *tok = NULL;
    sqlite3 *db = tok_db(&tok);
    check_all_hostile(db, tok);
    /* and compiled without the tokenizer pass, on the techmart table */
    check_all_hostile(db, NULL);
    idx_tok_free(tok);
    sqlite3_close(db);
}

TM_TEST_MAIN()
