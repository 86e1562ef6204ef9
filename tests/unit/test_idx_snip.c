/* Tests of the snippet builder. Query trees are built by hand here (TERM
 * nodes whose toks come from the tokenizer in query mode, as
 * idx_query_tokenize fills them), so most tests do not depend on the query
 * parser; the typed_query_* tests go through it end to end. */
#include "../../index/idx_snip.h"

#include <stdbool.h>
#include <stdint.h>

#include "../../common/tm_utf8.h"
#include "../tm_test.h"

static sqlite3 *g_db;
static idx_tok *g_tok;

static void tok_close(void)
{
    idx_tok_free(g_tok);
    sqlite3_close(g_db);
}

static idx_tok *tok_get(void)
{
    tm_err err;
    if (!g_tok) {
        atexit(tok_close);
        if (sqlite3_open(":memory:", &g_db) != SQLITE_OK || idx_tok_register(g_db) != SQLITE_OK ||
            idx_tok_open(g_db, &g_tok, &err) != TM_OK) {
            fprintf(stderr, "cannot open the tokenizer\n");
            exit(1);
        }
    }
    return g_tok;
}

static idx_qnode *node_new(idx_qkind kind)
{
    idx_qnode *n = calloc(1, sizeof *n);
    n->kind = kind;
    return n;
}

/* A TERM node for text, tokenized in query mode. */
static idx_qnode *term(const char *text, bool prefix)
{
    idx_qnode *n = node_new(IDX_Q_TERM);
    idx_tok_list l = {0};

    n->text = strdup(text);
    n->prefix = prefix;
    if (idx_tok_collect(tok_get(), 1, text, strlen(text), &l) == SQLITE_OK && l.n > 0) {
        n->toks = l.tok; /* take the strings */
        n->ntoks = l.n;
        l.tok = NULL;
        l.n = 0;
    }
    idx_tok_list_clear(&l);
    return n;
}

static idx_qnode *op(idx_qkind kind, idx_qnode *a, idx_qnode *b)
{
    idx_qnode *n = node_new(kind);
    n->nkids = b ? 2 : 1;
    n->kids = calloc(n->nkids, sizeof *n->kids);
    n->kids[0] = a;
    if (b) n->kids[1] = b;
    return n;
}

static void node_free(idx_qnode *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    for (size_t i = 0; i < n->ntoks; i++)
        free(n->toks[i]);
    free(n->toks);
    free(n->kids);
    free(n->text);
    free(n);
}

/* The snippet of cols for the query rooted at root (freed here). */
static char *snip_cols(idx_qnode *root, const tm_str *cols, size_t ncols)
{
    idx_query q = {root};
    tm_buf out = {0};
    CHECK(idx_snip_html(tok_get(), &q, cols, ncols, &out) == SQLITE_OK);
    node_free(root);
    return tm_buf_steal(&out);
}

static char *snip1(idx_qnode *root, const char *text)
{
    tm_str col = tm_str_from(text);
    return snip_cols(root, &col, 1);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Characters of the visible text: marks and ellipses removed, entities
 * counted as one character. */
static size_t visible_chars(const char *html)
{
    size_t n = 0;
    const char *p = html;
    while (*p) {
        if (strncmp(p, "<mark>", 6) == 0) {
            p += 6;
        } else if (strncmp(p, "</mark>", 7) == 0) {
            p += 7;
        } else if (strncmp(p, "\xE2\x80\xA6", 3) == 0) {
            p += 3;
        } else if (*p == '&') {
            const char *semi = strchr(p, ';');
            p = semi ? semi + 1 : p + 1;
            n++;
        } else {
            uint32_t cp;
            size_t k = tm_utf8_decode((const unsigned char *)p, strlen(p), &cp);
            p += k ? k : 1;
            n++;
        }
    }
    return n;
}

TM_TEST(korean_query_word_is_marked_inside_a_longer_word)
{
    char *s = snip1(term("의료", false), "본 발명은 의료기기 제조 방법에 관한 것이다");
    CHECK_STR(s, "본 발명은 <mark>의료</mark>기기 제조 방법에 관한 것이다");
    free(s);
}

TM_TEST(overlapping_bigram_hits_become_one_mark)
{
    char *s = snip1(term("기술을", false), "새로운 기술을 개발");
    CHECK_STR(s, "새로운 <mark>기술을</mark> 개발");
    free(s);
}

TM_TEST(stemmed_english_and_hyphenated_patent_numbers_are_marked)
{
    char *s = snip1(op(IDX_Q_AND, term("batteries", false), term("1020190012345", false)),
                    "Lithium battery pack, patent 10-2019-0012345.");
    CHECK_STR(s, "Lithium <mark>battery</mark> pack, patent "
                 "<mark>10-2019-0012345</mark>.");
    free(s);
}

TM_TEST(excluded_terms_are_not_marked)
{
    char *s = snip1(op(IDX_Q_AND, term("배터리", false), op(IDX_Q_NOT, term("리튬", false), NULL)),
                    "리튬 배터리");
    CHECK_STR(s, "리튬 <mark>배터리</mark>");
    free(s);
}

TM_TEST(prefix_term_marks_words_that_start_with_it)
{
    char *s = snip1(term("batt", true), "A battery and a batten, not a bat.");
    CHECK_STR(s, "A <mark>battery</mark> and a <mark>batten</mark>, not a bat.");
    free(s);
}

TM_TEST(or_terms_are_all_marked)
{
    char *s = snip1(op(IDX_Q_OR, term("센서", false), term("AI", false)), "AI진단 센서 모듈");
    CHECK_STR(s, "<mark>AI</mark>진단 <mark>센서</mark> 모듈");
    free(s);
}

/* The snippet of text for what a user typed, through the query parser. */
static char *snip_typed(const char *typed, const char *text)
{
    idx_query *q = NULL;
    tm_buf out = {0};
    tm_str col = tm_str_from(text);
    tm_err err;

    CHECK(idx_query_parse(typed, strlen(typed), &q, &err) == TM_OK);
    if (q) {
        CHECK(idx_query_tokenize(q, tok_get(), &err) == TM_OK);
        CHECK(idx_snip_html(tok_get(), q, &col, 1, &out) == SQLITE_OK);
    }
    idx_query_free(q);
    return tm_buf_steal(&out);
}

TM_TEST(typed_query_marks_words_and_not_exclusions)
{
    char *s = snip_typed("배터리 -리튬", "리튬 배터리와 의료기기");
    CHECK_STR(s, "리튬 <mark>배터리</mark>와 의료기기");
    free(s);
}

TM_TEST(typed_query_marks_phrases_prefixes_and_or_terms)
{
    char *s = snip_typed("\"의료기기\" OR 제조", "본 발명은 의료기기 제조 방법");
    CHECK_STR(s, "본 발명은 <mark>의료기기</mark> <mark>제조</mark> 방법");
    free(s);
    s = snip_typed("batt* 10-2019-0012345", "Battery pack, patent 1020190012345");
    CHECK_STR(s, "<mark>Battery</mark> pack, patent <mark>1020190012345</mark>");
    free(s);
}

TM_TEST(markup_in_the_document_comes_out_escaped)
{
    char *s =
        snip1(term("기술", false), "<script>alert('x')</script> 기술 <mark>가짜</mark> & \"q\"");
    CHECK_STR(s, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; <mark>기술</mark> "
                 "&lt;mark&gt;가짜&lt;/mark&gt; &amp; &quot;q&quot;");
    CHECK(count(s, "<mark>") == 1);
    CHECK(strstr(s, "<script") == NULL);
    free(s);
}

TM_TEST(a_hit_made_of_markup_characters_is_escaped_inside_the_mark)
{
    char *s = snip1(term("script", false), "<script>");
    CHECK_STR(s, "&lt;<mark>script</mark>&gt;");
    free(s);
}

TM_TEST(control_bytes_are_dropped_and_invalid_utf8_becomes_replacement)
{
    char *s = snip1(NULL, "a\x01"
                          "b\nc\x7f"
                          "d\xff"
                          "e\xc2\x85"
                          "f");
    CHECK_STR(s, "ab cd\xEF\xBF\xBD"
                 "ef");
    CHECK(tm_utf8_valid(s, strlen(s)));
    free(s);
}

TM_TEST(long_text_is_cut_around_the_hit_with_ellipses)
{
    tm_buf doc = {0};
    char *s;

    for (int i = 0; i < 60; i++)
        tm_buf_puts(&doc, "이 장치는 일반적인 구성 요소를 포함한다. ");
    tm_buf_puts(&doc, "특히 배터리 관리 시스템을 제공한다. ");
    for (int i = 0; i < 60; i++)
        tm_buf_puts(&doc, "이 장치는 일반적인 구성 요소를 포함한다. ");
    s = snip1(term("배터리", false), tm_buf_cstr(&doc));
    CHECK(strncmp(s, "\xE2\x80\xA6", 3) == 0);
    CHECK(strlen(s) >= 3 && strcmp(s + strlen(s) - 3, "\xE2\x80\xA6") == 0);
    CHECK(strstr(s, "<mark>배터리</mark>") != NULL);
    CHECK(visible_chars(s) <= IDX_SNIP_CHARS);
    CHECK(visible_chars(s) >= IDX_SNIP_CHARS / 2);
    CHECK(tm_utf8_valid(s, strlen(s)));
    /* cut at a space: the first word after the ellipsis is a whole word */
    {
        const char *w = s + 3;
        size_t wl = strcspn(w, " <");
        char needle[128];
        CHECK(wl > 0 && wl + 3 < sizeof needle);
        if (wl > 0 && wl + 3 < sizeof needle) {
            snprintf(needle, sizeof needle, " %.*s ", (int)wl, w);
            CHECK(strstr(tm_buf_cstr(&doc), needle) != NULL);
        }
    }
    free(s);
    tm_buf_free(&doc);
}

TM_TEST(window_with_the_most_distinct_terms_wins)
{
    tm_buf doc = {0};
    char *s;

    tm_buf_puts(&doc, "센서 하나만 여기에 있다. ");
    for (int i = 0; i < 30; i++)
        tm_buf_puts(&doc, "관련 없는 문장이 계속 이어진다. ");
    tm_buf_puts(&doc, "여기에는 센서와 배터리가 함께 있다. ");
    for (int i = 0; i < 30; i++)
        tm_buf_puts(&doc, "관련 없는 문장이 계속 이어진다. ");
    s = snip1(op(IDX_Q_AND, term("센서", false), term("배터리", false)), tm_buf_cstr(&doc));
    CHECK(strstr(s, "<mark>센서</mark>와 <mark>배터리</mark>가") != NULL);
    CHECK(strstr(s, "하나만") == NULL);
    free(s);
    tm_buf_free(&doc);
}

TM_TEST(column_with_hits_is_chosen_over_earlier_columns)
{
    tm_str cols[] = {TM_STR_LIT("요약: 새로운 장치"), TM_STR_LIT("상세: 배터리 관리 방법")};
    char *s = snip_cols(term("배터리", false), cols, 2);
    CHECK_STR(s, "상세: <mark>배터리</mark> 관리 방법");
    free(s);
}

TM_TEST(without_hits_the_first_non_empty_column_start_is_shown)
{
    tm_str cols[] = {TM_STR_LIT(""), TM_STR_LIT("hello world"), TM_STR_LIT("other")};
    char *s = snip_cols(term("zebra", false), cols, 3);
    CHECK_STR(s, "hello world");
    free(s);
    s = snip_cols(NULL, cols, 3);
    CHECK_STR(s, "hello world");
    free(s);
}

TM_TEST(no_columns_give_an_empty_snippet)
{
    tm_str cols[] = {TM_STR_LIT("")};
    char *s = snip_cols(term("기술", false), cols, 1);
    CHECK_STR(s, "");
    free(s);
    s = snip_cols(term("기술", false), NULL, 0);
    CHECK_STR(s, "");
    free(s);
}

TM_TEST(long_text_without_spaces_is_cut_on_character_boundaries)
{
    tm_buf doc = {0};
    char *s;

    for (int i = 0; i < 500; i++)
        tm_buf_puts(&doc, "가");
    s = snip1(term("없음", false), tm_buf_cstr(&doc));
    CHECK(tm_utf8_valid(s, strlen(s)));
    CHECK(visible_chars(s) == IDX_SNIP_CHARS);
    CHECK(count(s, "\xE2\x80\xA6") == 1);
    free(s);
    tm_buf_free(&doc);
}

TM_TEST(a_hit_longer_than_the_window_is_clipped)
{
    tm_buf doc = {0};
    char *s;

    tm_buf_puts(&doc, "시작 ");
    for (int i = 0; i < 400; i++)
        tm_buf_puts(&doc, "가");
    s = snip1(term("가가", false), tm_buf_cstr(&doc));
    CHECK(tm_utf8_valid(s, strlen(s)));
    CHECK(count(s, "<mark>") == 1 && count(s, "</mark>") == 1);
    CHECK(visible_chars(s) <= IDX_SNIP_CHARS);
    free(s);
    tm_buf_free(&doc);
}

TM_TEST(hostile_bytes_give_valid_utf8_and_balanced_marks)
{
    unsigned char buf[3000];
    uint32_t x = 987654321u;

    for (int round = 0; round < 40; round++) {
        char *s;
        tm_str col;
        for (size_t i = 0; i < sizeof buf; i++) {
            x = x * 1103515245u + 12345u;
            /* bias towards 'a', '<' and Hangul lead bytes so hits happen */
            unsigned r = (x >> 16) & 0xFF;
            buf[i] = r < 64 ? 'a' : r < 72 ? '<' : (unsigned char)r;
        }
        col = (tm_str){(const char *)buf, sizeof buf};
        s = snip_cols(op(IDX_Q_OR, term("aa", true), term("a", false)), &col, 1);
        CHECK(tm_utf8_valid(s, strlen(s)));
        CHECK(count(s, "<mark>") == count(s, "</mark>"));
        CHECK(count(s, "<") == 2 * count(s, "<mark>"));
        CHECK(visible_chars(s) <= IDX_SNIP_CHARS);
        free(s);
    }
}

TM_TEST_MAIN()
