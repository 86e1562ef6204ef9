/* The word tables of imp_map (imp_map_int.h): header synonyms, ignored
 * columns, and the field words of imp_map_field_value(). */
#include <string.h>

#include "../common/tm_buf.h"
#include "../index/idx_enum.h"
#include "imp_map_int.h"

/* Header names of real files (data/README.md) and their usual variants,
 * normalised (lower case, no spaces, '_' or '-'). */
/* clang-format off */
const syn imp_map_synonyms[] = {
    {"기술명", "title"}, {"발명의명칭", "title"}, {"특허명", "title"}, {"성과명", "title"}, {"명칭", "title"},
    {"제목", "title"}, {"기술제목", "title"}, {"발명명칭", "title"}, {"inventiontitle", "title"},
    {"영문명", "title_en"}, {"발명의명칭(영문)", "title_en"}, {"영문제목", "title_en"}, {"영문기술명", "title_en"},
    {"성과명(영문)", "title_en"}, {"저널명or성과명(영문)등", "title_en"}, {"englishtitle", "title_en"},
    {"titleen", "title_en"},
    {"요약", "summary"}, {"초록", "summary"}, {"기술요약", "summary"}, {"설명", "summary"},
    {"초록(국문)", "summary"}, {"요약문", "summary"}, {"기술개요", "summary"}, {"abstract", "summary"},
    {"summary", "summary"},
    {"초록(영문)", "description"}, {"상세설명", "description"}, {"청구항", "description"},
    {"claims", "description"},
    {"키워드", "keywords"}, {"주요키워드", "keywords"}, {"keyword", "keywords"},
    {"기술분야", "field"}, {"분야", "field"}, {"기술분류", "field"}, {"과학기술표준분류", "field"},
    {"ipc", "ipc"}, {"ipc분류", "ipc"}, {"ipc넘버", "ipc"}, {"ipc코드", "ipc"}, {"ipccode", "ipc"},
    {"ipcor등록기관등", "ipc"},
    {"발명자", "inventors"}, {"발명가", "inventors"}, {"발명자명", "inventors"},
    {"inventor", "inventors"},
    {"기관명", "institution"}, {"보유기관", "institution"}, {"기관", "institution"},
    {"소유기관", "institution"}, {"center", "institution"},
    {"출원인", "applicants"}, {"출원인명", "applicants"}, {"특허권자", "applicants"},
    {"권리자", "applicants"}, {"applicant", "applicants"}, {"applicants", "applicants"},
    {"assignee", "applicants"}, {"저자or저작자등", "applicants"}, {"applicantsraw", "applicants"},
    {"출원번호", "patent_number"}, {"applicationnumber", "patent_number"},
    {"applicationno", "patent_number"}, {"applicationsn", "patent_number"},
    {"전담기관등록(기탁)번호", "patent_number"},
    {"출원일", "patent_filed"}, {"출원일자", "patent_filed"}, {"출원날짜", "patent_filed"},
    {"applicationdate", "patent_filed"}, {"filingdate", "patent_filed"},
    {"등록번호", "patent_registration_number"}, {"특허번호", "patent_registration_number"},
    {"registrationnumber", "patent_registration_number"},
    {"patentnumber", "patent_registration_number"},
    {"등록일", "patent_registered"}, {"등록일자", "patent_registered"}, {"등록날짜", "patent_registered"},
    {"registrationdate", "patent_registered"}, {"issuedate", "patent_registered"},
    {"상태", "status"},
    {"특허상태", "patent_status"}, {"법적상태", "patent_status"}, {"patentstatus", "patent_status"},
    {"legalstatus", "patent_status"},
    {"국내외구분", "patent_country"}, {"국내외구분or제조사등", "patent_country"}, {"국가", "patent_country"},
    {"출원국", "patent_country"}, {"country", "patent_country"},
    {"kind", "patent_kind"}, {"권리구분", "patent_kind"}, {"특허종류", "patent_kind"},
    {"id", "external_id"}, {"성과고유번호", "external_id"}, {"casenumber", "external_id"},
    {"관리번호", "external_id"}, {"기술번호", "external_id"},
    {"기술성숙도", "trl"},
    {"license", "licence"}, {"라이선스", "licence"}, {"이전유형", "licence"}, {"기술이전유형", "licence"},
    {"희망가격", "asking"}, {"기술료", "asking"},
    {"담당자", "contact"}, {"연락처", "contact"}, {"문의처", "contact"},
};
/* clang-format on */
const size_t imp_map_nsynonyms = sizeof imp_map_synonyms / sizeof imp_map_synonyms[0];

/* Known columns dropped on purpose (reported once per file as ignored). */
/* clang-format off */
const char *const imp_map_ignored[] = {
    "대표도면", "대리인", "공개번호", "공개일자", "공개일", "성과연도", "성과구분", "과제고유번호", "부처명", "과제수행기관", "연구수행주체",
    "6t분류", "유발과제명", "연구개발단계", "정부연구비", "총연구비", "당해연구시작일", "당해연구종료일", "피인용특허수", "키워드(영문)",
    "patentexpirationdate", "expirationdate", "expirationdateraw", "source", "agent",
    "publicationnumber", "publicationdate", "statusko", "institutiontype", "performinginstitution",
    "projecttitle", "projectid", "ministry", "year", "rndstage", "govfundingkrw", "totalfundingkrw",
    "citedbypatents", "numberraw", "outcomeid", "field6t", NULL};
/* clang-format on */

typedef struct field_word {
    const char *word;
    int field;
} field_word;

const char *imp_map_field_value(const char *s)
{
    /* In order: the first row whose word the value contains decides. */
    /* clang-format off */
    static const field_word words[] = {
        {"의료", IDX_FIELD_BIO_MEDICAL}, {"의학", IDX_FIELD_BIO_MEDICAL},
        {"의생명", IDX_FIELD_BIO_MEDICAL}, {"생명", IDX_FIELD_BIO_MEDICAL},
        {"생물", IDX_FIELD_BIO_MEDICAL}, {"바이오", IDX_FIELD_BIO_MEDICAL},
        {"의약", IDX_FIELD_BIO_MEDICAL}, {"약학", IDX_FIELD_BIO_MEDICAL}, {"유전", IDX_FIELD_BIO_MEDICAL},
        {"세포", IDX_FIELD_BIO_MEDICAL}, {"보건", IDX_FIELD_BIO_MEDICAL}, {"진단", IDX_FIELD_BIO_MEDICAL},
        {"치료", IDX_FIELD_BIO_MEDICAL}, {"임상", IDX_FIELD_BIO_MEDICAL}, {"신약", IDX_FIELD_BIO_MEDICAL},
        {"생화학", IDX_FIELD_BIO_MEDICAL}, {"신호전달", IDX_FIELD_BIO_MEDICAL},
        {"대사", IDX_FIELD_BIO_MEDICAL}, {"면역", IDX_FIELD_BIO_MEDICAL}, {"신경", IDX_FIELD_BIO_MEDICAL},
        {"생리", IDX_FIELD_BIO_MEDICAL}, {"재활", IDX_FIELD_BIO_MEDICAL},
        {"식품", IDX_FIELD_AGRI_FOOD}, {"식량", IDX_FIELD_AGRI_FOOD}, {"농", IDX_FIELD_AGRI_FOOD},
        {"작물", IDX_FIELD_AGRI_FOOD}, {"수산", IDX_FIELD_AGRI_FOOD}, {"축산", IDX_FIELD_AGRI_FOOD},
        {"임업", IDX_FIELD_AGRI_FOOD},
        {"정보", IDX_FIELD_ICT}, {"통신", IDX_FIELD_ICT}, {"소프트웨어", IDX_FIELD_ICT},
        {"컴퓨", IDX_FIELD_ICT}, {"네트워크", IDX_FIELD_ICT}, {"방송", IDX_FIELD_ICT},
        {"보안", IDX_FIELD_ICT}, {"인공지능", IDX_FIELD_ICT}, {"통합망", IDX_FIELD_ICT},
        {"RFID", IDX_FIELD_ICT}, {"U-", IDX_FIELD_ICT},
        {"전자", IDX_FIELD_ELECTRONICS}, {"전기", IDX_FIELD_ELECTRONICS},
        {"반도체", IDX_FIELD_ELECTRONICS}, {"디스플레이", IDX_FIELD_ELECTRONICS},
        {"소자", IDX_FIELD_ELECTRONICS}, {"SoC", IDX_FIELD_ELECTRONICS},
        {"광학", IDX_FIELD_ELECTRONICS}, {"센서", IDX_FIELD_ELECTRONICS},
        {"에너지", IDX_FIELD_ENERGY}, {"태양", IDX_FIELD_ENERGY}, {"전지", IDX_FIELD_ENERGY},
        {"연료", IDX_FIELD_ENERGY}, {"원자력", IDX_FIELD_ENERGY}, {"핵", IDX_FIELD_ENERGY},
        {"발전", IDX_FIELD_ENERGY}, {"자원", IDX_FIELD_ENERGY},
        {"기계", IDX_FIELD_MECHANICAL}, {"로봇", IDX_FIELD_MECHANICAL}, {"자동차", IDX_FIELD_MECHANICAL},
        {"철도", IDX_FIELD_MECHANICAL}, {"조선", IDX_FIELD_MECHANICAL}, {"항공", IDX_FIELD_MECHANICAL},
        {"우주", IDX_FIELD_MECHANICAL}, {"위성", IDX_FIELD_MECHANICAL},
        {"재료", IDX_FIELD_MATERIALS}, {"소재", IDX_FIELD_MATERIALS}, {"금속", IDX_FIELD_MATERIALS},
        {"세라믹", IDX_FIELD_MATERIALS}, {"고분자", IDX_FIELD_MATERIALS}, {"나노", IDX_FIELD_MATERIALS},
        {"결정", IDX_FIELD_MATERIALS},
        {"화학", IDX_FIELD_CHEMICAL}, {"화공", IDX_FIELD_CHEMICAL}, {"촉매", IDX_FIELD_CHEMICAL},
        {"분리", IDX_FIELD_CHEMICAL}, {"공정", IDX_FIELD_CHEMICAL},
        {"섬유", IDX_FIELD_MATERIALS}, {"의류", IDX_FIELD_MATERIALS},
        {"방사선", IDX_FIELD_ENERGY},
        {"광응용", IDX_FIELD_ELECTRONICS},
        {"환경", IDX_FIELD_ENVIRONMENT}, {"물관리", IDX_FIELD_ENVIRONMENT},
        {"수질", IDX_FIELD_ENVIRONMENT}, {"정수", IDX_FIELD_ENVIRONMENT},
        {"폐기물", IDX_FIELD_ENVIRONMENT}, {"대기", IDX_FIELD_ENVIRONMENT},
        {"기후", IDX_FIELD_ENVIRONMENT}, {"지구", IDX_FIELD_ENVIRONMENT}, {"지질", IDX_FIELD_ENVIRONMENT},
        {"산사태", IDX_FIELD_ENVIRONMENT}, {"해양", IDX_FIELD_ENVIRONMENT},
        {"건설", IDX_FIELD_CONSTRUCTION}, {"건축", IDX_FIELD_CONSTRUCTION},
        {"토목", IDX_FIELD_CONSTRUCTION}, {"시설물", IDX_FIELD_CONSTRUCTION},
        {"교통", IDX_FIELD_CONSTRUCTION}, {"도시", IDX_FIELD_CONSTRUCTION},
    };
    /* clang-format on */
    /* English words, ASCII case ignored, also by containment. */
    static const field_word en[] = {
        {"biomedical", IDX_FIELD_BIO_MEDICAL},
        {"medic", IDX_FIELD_BIO_MEDICAL},
        {"pharma", IDX_FIELD_BIO_MEDICAL},
        {"biotech", IDX_FIELD_BIO_MEDICAL},
        {"health", IDX_FIELD_BIO_MEDICAL},
        {"food", IDX_FIELD_AGRI_FOOD},
        {"agricult", IDX_FIELD_AGRI_FOOD},
        {"software", IDX_FIELD_ICT},
        {"information", IDX_FIELD_ICT},
        {"communication", IDX_FIELD_ICT},
        {"computer", IDX_FIELD_ICT},
        {"electronic", IDX_FIELD_ELECTRONICS},
        {"semiconductor", IDX_FIELD_ELECTRONICS},
        {"energy", IDX_FIELD_ENERGY},
        {"mechanic", IDX_FIELD_MECHANICAL},
        {"robot", IDX_FIELD_MECHANICAL},
        {"material", IDX_FIELD_MATERIALS},
        {"chemi", IDX_FIELD_CHEMICAL},
        {"environment", IDX_FIELD_ENVIRONMENT},
        {"construction", IDX_FIELD_CONSTRUCTION},
    };
    size_t n = strlen(s);
    tm_buf low = {0};
    const char *hit = NULL;
    for (size_t i = 0; i < n; i++)
        tm_buf_putc(&low, ascii_upper(s[i]) ? (char)(s[i] - 'A' + 'a') : s[i]);
    const char *l = tm_buf_cstr(&low);
    int canon = idx_field_parse(l);
    if (canon >= 0) hit = idx_field_name(canon);
    if (!hit && (strcmp(l, "it") == 0 || strcmp(l, "ict") == 0 || strcmp(l, "bt") == 0))
        hit = idx_field_name(l[0] == 'b' ? IDX_FIELD_BIO_MEDICAL : IDX_FIELD_ICT);
    for (size_t i = 0; !hit && i < sizeof words / sizeof words[0]; i++)
        if (strstr(s, words[i].word)) hit = idx_field_name(words[i].field);
    for (size_t i = 0; !hit && i < sizeof en / sizeof en[0]; i++)
        if (strstr(l, en[i].word)) hit = idx_field_name(en[i].field);
    tm_buf_free(&low);
    return hit;
}
