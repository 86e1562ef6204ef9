/* imp_map: header names, --map rules and the value rules of real files;
 * the CSV separator option and sniffing; the columns of imp_rec. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/tm_buf.h"
#include "../../import/imp.h"
#include "../../import/imp_csv.h"
#include "../../import/imp_map.h"
#include "../../import/imp_rec.h"
#include "../tm_test.h"

static const char *norm(const char *s)
{
    static tm_buf b;
    imp_map_norm(s, strlen(s), &b);
    return tm_buf_cstr(&b);
}

static const char *target(const imp_map *m, const char *s)
{
    const char *t = imp_map_target(m, s, strlen(s));
    return t ? t : "(unknown)";
}

static const char *applicant(const char *s)
{
    static tm_buf b;
    imp_map_applicant(s, strlen(s), &b);
    return tm_buf_cstr(&b);
}

static const char *field_of(const char *s)
{
    const char *f = imp_map_field_value(s);
    return f ? f : "(none)";
}

/* Collects warnings as "field: msg\n". */
static void collect(void *arg, const char *key, const char *field, const char *msg)
{
    (void)key;
    tm_buf_printf(arg, "%s: %s\n", field, msg);
}

/* A JSON text through imp_map_json, back as compact JSON with sorted keys. */
static char *mapped(const char *json, tm_buf *warnings)
{
    json_error_t je;
    json_t *in = json_loads(json, 0, &je), *out = NULL;
    imp_map_notes notes = {.warn = collect, .arg = warnings};
    tm_err err = {0};
    char *s = NULL;
    if (in && imp_map_json(NULL, in, &notes, &out, &err) == TM_OK)
        s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(in);
    json_decref(out);
    return s;
}

TM_TEST(names_are_trimmed_folded_and_lose_whoosh_type_words)
{
    CHECK_STR(norm("  Case Number "), "casenumber");
    CHECK_STR(norm("application_date"), "applicationdate");
    CHECK_STR(norm("Patent-Expiration Date"), "patentexpirationdate");
    CHECK_STR(norm("특허명 TEXT"), "특허명");
    CHECK_STR(norm("출원인  NGRAM"), "출원인");
    CHECK_STR(norm("출원날짜DATETIME"), "출원날짜");
    CHECK_STR(norm("발명가 KEYWORD"), "발명가");
    CHECK_STR(norm(" STORED"), "");
    /* Only capitals after something else are a type word. */
    CHECK_STR(norm("KEYWORD"), "keyword");
    CHECK_STR(norm("context"), "context");
    CHECK_STR(norm("ConTEXT"), "context");
}

TM_TEST(korean_and_english_header_names_find_their_fields)
{
    CHECK_STR(target(NULL, "기술명"), "title");
    CHECK_STR(target(NULL, "발명의명칭"), "title");
    CHECK_STR(target(NULL, "특허명 TEXT"), "title");
    CHECK_STR(target(NULL, "성과명"), "title");
    CHECK_STR(target(NULL, "Title"), "title");
    CHECK_STR(target(NULL, "발명의명칭(영문)"), "title_en");
    CHECK_STR(target(NULL, "영문명"), "title_en");
    CHECK_STR(target(NULL, "초록(국문)"), "summary");
    CHECK_STR(target(NULL, "설명"), "summary");
    CHECK_STR(target(NULL, "Abstract"), "summary");
    CHECK_STR(target(NULL, "키워드"), "keywords");
    CHECK_STR(target(NULL, "기술분야"), "field");
    CHECK_STR(target(NULL, "IPC OR 등록기관 등"), "ipc");
    CHECK_STR(target(NULL, "IPC넘버"), "ipc");
    CHECK_STR(target(NULL, "IPC분류"), "ipc");
    CHECK_STR(target(NULL, "발명가 KEYWORD"), "inventors");
    CHECK_STR(target(NULL, "보유기관"), "institution");
    CHECK_STR(target(NULL, "Center"), "institution");
    CHECK_STR(target(NULL, "출원인  NGRAM"), "applicants");
    CHECK_STR(target(NULL, "저자 OR 저작자 등"), "applicants");
    CHECK_STR(target(NULL, "출원번호 NUMERIC"), "patent_number");
    CHECK_STR(target(NULL, "Application SN"), "patent_number");
    CHECK_STR(target(NULL, "application_number"), "patent_number");
    CHECK_STR(target(NULL, "patent_number"), "patent_number");
    /* NASA's and USPTO's "Patent Number" is the granted one. */
    CHECK_STR(target(NULL, "Patent Number"), "patent_registration_number");
    CHECK_STR(target(NULL, "등록번호"), "patent_registration_number");
    CHECK_STR(target(NULL, "출원날짜DATETIME"), "patent_filed");
    CHECK_STR(target(NULL, "등록일자DATETIME"), "patent_registered");
    CHECK_STR(target(NULL, "상태"), "status");
    CHECK_STR(target(NULL, "국내외구분 OR 제조사 등"), "patent_country");
    CHECK_STR(target(NULL, "성과고유번호"), "external_id");
    CHECK_STR(target(NULL, "id"), "external_id");
    CHECK_STR(target(NULL, "TRL"), "trl");
    CHECK_STR(target(NULL, "대표도면"), "ignore");
    CHECK_STR(target(NULL, "공개일자 DATETIME"), "ignore");
    CHECK_STR(target(NULL, "Patent Expiration Date"), "ignore");
    CHECK_STR(target(NULL, "colour"), "(unknown)");
    CHECK_STR(target(NULL, " STORED"), "(unknown)");
}

TM_TEST(map_rules_override_the_table_and_name_bad_fields)
{
    imp_map m = {0};
    tm_err err = {0};
    CHECK(imp_map_rule_add(&m, "Case Number=ignore", &err) == TM_OK);
    CHECK(imp_map_rule_add(&m, "비고=description", &err) == TM_OK);
    CHECK(imp_map_rule_add(&m, "설명=Description", &err) == TM_OK);
    CHECK_STR(target(&m, "case_number"), "ignore");
    CHECK_STR(target(&m, "비고"), "description");
    CHECK_STR(target(&m, "설명"), "description");
    CHECK_STR(target(&m, "기술명"), "title");
    CHECK(imp_map_rule_add(&m, "x=colour", &err) == TM_EINVAL);
    CHECK_STR(err.field, "map");
    CHECK(strstr(err.msg, "\"colour\" is not a field") != NULL);
    CHECK(imp_map_rule_add(&m, "no equals sign", &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "is not column=field") != NULL);
    CHECK(imp_map_rule_add(&m, "=title", &err) == TM_EINVAL);
    CHECK(imp_map_rule_add(&m, " = title", &err) == TM_EINVAL);
    CHECK(m.n == 3);
    imp_map_free(&m);
    imp_map_free(&m); /* an empty map again */
}

TM_TEST(the_institution_is_the_first_university_or_institute_applicant)
{
    CHECK_STR(applicant("한국생명공학연구원;"), "한국생명공학연구원");
    CHECK_STR(applicant("연세대학교 산학협력단, 건국대학교 산학협력단;"), "연세대학교 산학협력단");
    CHECK_STR(applicant("에쓰오일주식회사, 아주대학교산학협력단;"), "아주대학교산학협력단");
    CHECK_STR(applicant("Korea University Research amp; Business Foundation;"),
              "Korea University Research & Business Foundation");
    CHECK_STR(applicant("(주)펫미|충북대학교 산학협력단|홍길동"), "충북대학교 산학협력단");
    CHECK_STR(applicant("(주)펫미|홍길동"), "(주)펫미");
    CHECK_STR(applicant("Acme Co., Ltd.; Beta Inc."), "Acme Co., Ltd.");
    /* Space-joined KIPRIS cells. */
    CHECK_STR(applicant("인천대학교 산학협력단 에이치씨테크(주)"), "인천대학교 산학협력단");
    CHECK_STR(applicant("에이치씨테크(주) 서울대학교산학협력단"), "서울대학교산학협력단");
    CHECK_STR(applicant("한국광기술원 하이프레스 인코포레이티드 강준희"), "한국광기술원");
    CHECK_STR(applicant("서재곤 김종범"), "서재곤");
    CHECK_STR(applicant("주식회사 에스엠티 유우식"), "주식회사 에스엠티 유우식");
    CHECK_STR(applicant("  NASA Kennedy Space Center "), "NASA Kennedy Space Center");
    CHECK_STR(applicant(";|"), "");
}

TM_TEST(field_values_map_from_common_names_or_stay_unknown)
{
    CHECK_STR(field_of("ict"), "ict");
    CHECK_STR(field_of("Bio-Medical"), "bio-medical");
    CHECK_STR(field_of("정보이론"), "ict");
    CHECK_STR(field_of("기타정보/통신"), "ict");
    CHECK_STR(field_of("의생명과학"), "bio-medical");
    CHECK_STR(field_of("보건의료"), "bio-medical");
    CHECK_STR(field_of("로봇/자동화기계"), "mechanical");
    CHECK_STR(field_of("기계"), "mechanical");
    CHECK_STR(field_of("신재생에너지"), "energy");
    CHECK_STR(field_of("세라믹재료"), "materials");
    CHECK_STR(field_of("반도체소자/시스템"), "electronics");
    CHECK_STR(field_of("식품과학"), "agri-food");
    CHECK_STR(field_of("Software"), "ict");
    CHECK_STR(field_of("과학기술정책/사회"), "(none)");
    CHECK_STR(field_of("biology"), "(none)");
}

TM_TEST(canonical_json_records_pass_through_untouched)
{
    json_t *in = json_loads("{\"title\": \"T\", \"institution\": \"I\", \"field\": \"biology\","
                            " \"status\": \"withdrawn\", \"colour\": 1, \"keywords\": \"a|b\"}",
                            0, NULL);
    json_t *out = NULL;
    tm_err err = {0};
    CHECK(imp_map_json(NULL, in, NULL, &out, &err) == TM_OK);
    CHECK(out == in); /* the same object: validated exactly as before */
    json_decref(out);
    json_decref(in);
}

TM_TEST(foreign_json_records_are_mapped_by_the_value_rules)
{
    tm_buf w = {0};
    char *s =
        mapped("{\"id\": \"ntis-1\", \"status\": \"registered\", \"title\": \"T\","
               " \"summary\": null, \"applicants\": [\"(주)가\", \"한국과학기술원\"],"
               " \"application_number\": \"10-2013-0061895\", \"registration_number\": null,"
               " \"country\": \"KR\", \"ipc\": [\"C12N 9/00\"], \"field\": \"유전학/유전공학\","
               " \"ministry\": \"미래창조과학부\", \"colour\": \"nan\"}",
               &w);
    CHECK_STR(
        s, "{\"colour\":\"nan\",\"external_id\":\"ntis-1\",\"field\":\"bio-medical\","
           "\"institution\":\"한국과학기술원\",\"ipc\":[\"C12N 9/00\"],\"patents\":[{\"country\":"
           "\"KR\",\"number\":\"10-2013-0061895\",\"status\":\"registered\"}],\"title\":\"T\"}");
    CHECK_STR(tm_buf_cstr(&w), ": ignored fields: ministry\n");
    free(s);

    /* The institution column wins over applicants; an unknown field value
     * becomes a keyword, with a warning; "withdrawn" of a patent is the
     * patent's; a registration number alone names the patent. */
    tm_buf_reset(&w);
    s = mapped("{\"applicants\": [\"A\"], \"institution\": \"B\", \"title\": \"T\","
               " \"field\": \"과학기술정책\", \"keywords\": \"x; y\", \"status\": \"withdrawn\","
               " \"registration_number\": \"10-1234567\"}",
               &w);
    CHECK_STR(s, "{\"institution\":\"B\",\"keywords\":[\"x\",\"y\",\"과학기술정책\"],\"patents\":[{"
                 "\"number\":\"10-1234567\",\"registration_number\":\"10-1234567\",\"status\":"
                 "\"withdrawn\"}],\"title\":\"T\"}");
    CHECK_STR(tm_buf_cstr(&w), "field: \"과학기술정책\" is not a known field; kept as a keyword\n");
    free(s);

    /* Without a patent, "withdrawn" is the listing's; a NASA "0" is no number. */
    tm_buf_reset(&w);
    s = mapped("{\"Title\": \"T\", \"Center\": \"C\", \"Status\": \"withdrawn\","
               " \"Patent Number\": \"0\"}",
               &w);
    CHECK_STR(s, "{\"institution\":\"C\",\"status\":\"withdrawn\",\"title\":\"T\"}");
    free(s);
    tm_buf_reset(&w);
    s = mapped("{\"Title\": \"T\", \"Center\": \"C\", \"Status\": \"GM\","
               " \"Application SN\": \"13/033,085\"}",
               &w);
    CHECK_STR(s, "{\"institution\":\"C\",\"patents\":[{\"number\":\"13/033,085\",\"status\":"
                 "\"GM\"}],\"title\":\"T\"}");
    CHECK(strstr(tm_buf_cstr(&w), "status: \"GM\" is neither a listing status") != NULL);
    free(s);
    tm_buf_free(&w);
}

TM_TEST(a_korean_title_with_an_english_tail_is_split)
{
    tm_buf w = {0};
    char *s = mapped("{\"특허명\": \"그래핀 전극의 제조방법(METHOD OF GRAPHENE ELECTRODE)\"}", &w);
    CHECK_STR(s, "{\"title\":\"그래핀 전극의 제조방법\",\"title_en\":\"METHOD OF GRAPHENE "
                 "ELECTRODE\"}");
    free(s);
    /* Equal to the title_en column: dropped from the title. */
    s = mapped("{\"발명의명칭\": \"반려동물 사료(Pet food for dogs)\", \"발명의명칭(영문)\": \"pet "
               "food for dogs\"}",
               &w);
    CHECK_STR(s, "{\"title\":\"반려동물 사료\",\"title_en\":\"pet food for dogs\"}");
    free(s);
    /* An acronym, a different English title, or no Korean: kept whole. */
    s = mapped("{\"기술명\": \"유기 발광 소자(OLED)\"}", &w);
    CHECK_STR(s, "{\"title\":\"유기 발광 소자(OLED)\"}");
    free(s);
    s = mapped("{\"기술명\": \"사료(Pet food)\", \"영문명\": \"Feed\"}", &w);
    CHECK_STR(s, "{\"title\":\"사료(Pet food)\",\"title_en\":\"Feed\"}");
    free(s);
    s = mapped("{\"기술명\": \"Method (of the thing)\"}", &w);
    CHECK_STR(s, "{\"title\":\"Method (of the thing)\"}");
    free(s);
    tm_buf_free(&w);
}

TM_TEST(list_cells_split_at_semicolons_bars_or_commas)
{
    tm_buf w = {0};
    char *s =
        mapped("{\"기술명\": \"T\", \"키워드\": \"a|b; c\", \"발명자\": \"안호선 김지훈 이길원\","
               " \"발명가\": \"x\"}",
               &w);
    CHECK_STR(s, "{\"inventors\":[\"안호선\",\"김지훈\",\"이길원\"],\"keywords\":[\"a\",\"b\","
                 "\"c\"],\"title\":\"T\"}");
    free(s);
    s = mapped("{\"기술명\": \"T\", \"키워드\": \"a, b\", \"inventors\": \"Smith John\"}", &w);
    CHECK_STR(s, "{\"inventors\":[\"Smith John\"],\"keywords\":[\"a\",\"b\"],\"title\":\"T\"}");
    free(s);
    tm_buf_free(&w);
}

/* ---- CSV ---- */

static imp_csv *csv_sep(const char *text, FILE **f, int sep)
{
    imp_csv_limits lim = {.sep = sep};
    *f = fmemopen((void *)text, strlen(text), "rb");
    return imp_csv_open(*f, &lim);
}

static size_t first_row_fields(const char *text, int sep)
{
    FILE *f;
    tm_err err = {0};
    imp_csv *c = csv_sep(text, &f, sep);
    size_t n = imp_csv_next(c, &err) == IMP_CSV_ROW ? imp_csv_nfields(c) : 0;
    imp_csv_free(c);
    fclose(f);
    return n;
}

TM_TEST(the_separator_is_chosen_or_sniffed_from_the_header)
{
    CHECK(first_row_fields("a;b;c\n1;2;3\n", ';') == 3);
    CHECK(first_row_fields("a;b;c\n", ',') == 1);
    CHECK(first_row_fields("a;b;c\n", 0) == 1);
    CHECK(first_row_fields("a\tb\tc\n", '\t') == 3);
    CHECK(first_row_fields("\xEF\xBB\xBF"
                           "Center;Status;\"A,B,C,D\"\r\nx;y;z\r\n",
                           IMP_CSV_SEP_SNIFF) == 3);
    CHECK(first_row_fields("a\tb\tc,d\n", IMP_CSV_SEP_SNIFF) == 3);
    CHECK(first_row_fields("a,b;c\n", IMP_CSV_SEP_SNIFF) == 2); /* a tie is ',' */
    CHECK(first_row_fields("abc\n", IMP_CSV_SEP_SNIFF) == 1);
    CHECK(first_row_fields("", IMP_CSV_SEP_SNIFF) == 0);

    /* The sniffed separator holds for every row, quotes as usual. */
    FILE *f;
    tm_err err = {0};
    imp_csv *c = csv_sep("t;i\n\"x;y\";\"a\"\"b\"\n", &f, IMP_CSV_SEP_SNIFF);
    CHECK(imp_csv_next(c, &err) == IMP_CSV_ROW);
    CHECK(imp_csv_next(c, &err) == IMP_CSV_ROW && imp_csv_nfields(c) == 2);
    CHECK_STR(imp_csv_field(c, 0).p, "x;y");
    CHECK_STR(imp_csv_field(c, 1).p, "a\"b");
    imp_csv_free(c);
    fclose(f);
}

TM_TEST(tsv_and_tab_files_are_a_format)
{
    imp_format fmt;
    tm_err err = {0};
    CHECK(imp_format_of("x/list.tsv", &fmt, &err) == TM_OK && fmt == IMP_FMT_TSV);
    CHECK(imp_format_of("LIST.TAB", &fmt, &err) == TM_OK && fmt == IMP_FMT_TSV);
    CHECK(imp_format_of("list.txt", &fmt, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, ".tsv") != NULL);
}

static tm_str *cells_of(const char *const *v, size_t n)
{
    tm_str *c = calloc(n, sizeof *c);
    for (size_t i = 0; i < n; i++)
        c[i] = tm_str_from(v[i]);
    return c;
}

static char *row_json(const imp_rec_cols *cols, const char *const *v, size_t n)
{
    tm_str *c = cells_of(v, n);
    json_t *o = NULL;
    tm_err err = {0};
    char *s = NULL;
    if (imp_rec_from_row(cols, c, n, &o, &err) == TM_OK)
        s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    free(c);
    return s;
}

TM_TEST(a_kipris_header_maps_and_spilled_text_is_joined_back)
{
    static const char *const head[] = {"특허명 TEXT",
                                       "출원인  NGRAM",
                                       "출원번호 NUMERIC",
                                       "공개번호 NUMERIC",
                                       "설명",
                                       " STORED",
                                       "",
                                       ""};
    tm_str *h = cells_of(head, 8);
    imp_rec_cols cols;
    tm_err err = {0};
    tm_buf w = {0};
    CHECK(imp_rec_cols_map(&cols, h, 8, NULL, false, &err) == TM_OK);
    cols.notes = (imp_map_notes){.warn = collect, .arg = &w};
    CHECK(cols.lenient);
    CHECK_STR(cols.ignored, "공개번호 NUMERIC");
    CHECK(cols.spill_into == 4 && cols.spill_from == 5);
    CHECK(imp_rec_cols_width_ok(&cols, 8) && imp_rec_cols_width_ok(&cols, 10));
    CHECK(!imp_rec_cols_width_ok(&cols, 4));

    static const char *const r1[] = {"제목(A TITLE IN ENGLISH)",
                                     "인천대학교 산학협력단 (주)가",
                                     "1020160138184",
                                     " ",
                                     "본 발명은 A",
                                     " B",
                                     "",
                                     " C"};
    char *s = row_json(&cols, r1, 8);
    CHECK_STR(s, "{\"institution\":\"인천대학교 산학협력단\",\"patents\":[{\"number\":"
                 "\"1020160138184\"}],\"summary\":\"본 발명은 A, B,, C\",\"title\":\"제목\","
                 "\"title_en\":\"A TITLE IN ENGLISH\"}");
    CHECK(strstr(tm_buf_cstr(&w), "설명: the text ran on into the unnamed columns") != NULL);
    free(s);
    tm_buf_reset(&w);
    static const char *const r2[] = {"T", "I", "", "", "S", "", "", ""};
    s = row_json(&cols, r2, 8);
    CHECK_STR(s, "{\"institution\":\"I\",\"summary\":\"S\",\"title\":\"T\"}");
    CHECK_STR(tm_buf_cstr(&w), "");
    free(s);
    imp_rec_cols_free(&cols);
    free(h);
    tm_buf_free(&w);
}

TM_TEST(a_canonical_header_reads_as_before_and_the_exact_name_wins)
{
    static const char *const head[] = {"title", "institution", "keywords", "status", "field"};
    tm_str *h = cells_of(head, 5);
    imp_rec_cols cols;
    tm_err err = {0};
    CHECK(imp_rec_cols_map(&cols, h, 5, NULL, false, &err) == TM_OK);
    CHECK(!cols.lenient && !cols.ignored && cols.spill_from == 5);
    /* Strict: only ';' splits, and values go to the validator as written. */
    static const char *const r[] = {"T", "I", "a|b;c", "등록", "biology"};
    char *s = row_json(&cols, r, 5);
    CHECK_STR(s, "{\"field\":\"biology\",\"institution\":\"I\",\"keywords\":[\"a|b\",\"c\"],"
                 "\"status\":\"등록\",\"title\":\"T\"}");
    free(s);
    imp_rec_cols_free(&cols);
    free(h);

    /* 출원인 before institution: the institution column still wins. */
    static const char *const head2[] = {"기술명", "출원인", "institution"};
    h = cells_of(head2, 3);
    CHECK(imp_rec_cols_map(&cols, h, 3, NULL, false, &err) == TM_OK);
    static const char *const r2[] = {"T", "A대학교;B", "C"};
    s = row_json(&cols, r2, 3);
    CHECK_STR(s, "{\"institution\":\"C\",\"title\":\"T\"}");
    free(s);
    static const char *const r3[] = {"T", "(주)A;B대학교", "nan"};
    s = row_json(&cols, r3, 3);
    CHECK_STR(s, "{\"institution\":\"B대학교\",\"title\":\"T\"}");
    free(s);
    imp_rec_cols_free(&cols);
    free(h);
}

TM_TEST(a_header_without_a_title_names_its_columns)
{
    static const char *const head[] = {"name", "name_key", "type", "records", "sources"};
    tm_str *h = cells_of(head, 5);
    imp_rec_cols cols;
    tm_err err = {0};
    CHECK(imp_rec_cols_map(&cols, h, 5, NULL, false, &err) == TM_EINVAL);
    CHECK_STR(err.field, "header");
    CHECK_STR(err.msg, "there is no \"title\" column: none of name, name_key, type, records, "
                       "sources is a title (title, 기술명, 발명의명칭, 특허명, 성과명, ...)");
    CHECK(cols.n == 0);
    /* A --map rule makes one. */
    imp_map m = {0};
    CHECK(imp_map_rule_add(&m, "name=title", &err) == TM_OK);
    CHECK(imp_map_rule_add(&m, "sources=ignore", &err) == TM_OK);
    CHECK(imp_rec_cols_map(&cols, h, 5, &m, true, &err) == TM_OK);
    CHECK_STR(cols.ignored, "sources");
    imp_rec_cols_free(&cols);
    CHECK(imp_rec_cols_map(&cols, h, 5, &m, false, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "there is no \"institution\" column") != NULL);
    imp_map_free(&m);
    free(h);
}

TM_TEST_MAIN()
