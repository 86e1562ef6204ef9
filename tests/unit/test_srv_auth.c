/* The one authorization function and the secrets: public actions for
 * everyone, actions about oneself for any signed-in user, a token revoked
 * only by its owner whatever the role, the listing rules (who creates,
 * edits, withdraws, imports and sees which technology) and the audit log
 * for staff and admins, as tables; a new secret hashes to its hash. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../../server/srv_auth.h"
#include "../tm_test.h"

static srv_actor actor(int64_t id, srv_role role, int64_t inst)
{
    srv_actor a;
    memset(&a, 0, sizeof a);
    a.user_id = id;
    a.role = role;
    a.institution_id = inst;
    return a;
}

TM_TEST(public_actions_are_allowed_to_anonymous_and_every_role)
{
    static const srv_action pub[] = {SRV_ACT_HEALTH, SRV_ACT_SEARCH, SRV_ACT_TECH_READ,
                                     SRV_ACT_INST_LIST, SRV_ACT_LOGIN};
    srv_actor anon = actor(0, SRV_ROLE_NONE, 0), company = actor(3, SRV_ROLE_COMPANY, 7);
    for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++) {
        CHECK(srv_auth_allow(&anon, pub[i], NULL));
        CHECK(srv_auth_allow(NULL, pub[i], NULL));
        CHECK(srv_auth_allow(&company, pub[i], NULL));
    }
}

TM_TEST(actions_about_oneself_need_a_signed_in_user_of_a_known_role)
{
    static const srv_action own[] = {SRV_ACT_LOGOUT, SRV_ACT_ME, SRV_ACT_TOKEN_CREATE,
                                     SRV_ACT_TOKEN_LIST, SRV_ACT_TOKEN_REVOKE};
    srv_actor anon = actor(0, SRV_ROLE_NONE, 0), norole = actor(5, SRV_ROLE_NONE, 0);
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        CHECK(!srv_auth_allow(&anon, own[i], NULL));
        CHECK(!srv_auth_allow(&norole, own[i], NULL));
        for (srv_role r = SRV_ROLE_COMPANY; r <= SRV_ROLE_ADMIN; r++) {
            srv_actor a = actor(9, r, r <= SRV_ROLE_TTO ? 1 : 0);
            CHECK(srv_auth_allow(&a, own[i], NULL));
        }
    }
    CHECK(!srv_auth_allow(&anon, SRV_ACT__COUNT, NULL));
}

TM_TEST(a_token_is_revoked_by_its_owner_only_even_against_admins_and_colleagues)
{
    srv_object tok = {.kind = SRV_OBJ_TOKEN, .owner_user_id = 10, .institution_id = 1};
    srv_actor owner = actor(10, SRV_ROLE_TTO, 1), colleague = actor(11, SRV_ROLE_TTO, 1);
    srv_actor other = actor(12, SRV_ROLE_TTO, 2), staff = actor(13, SRV_ROLE_STAFF, 0);
    srv_actor admin = actor(14, SRV_ROLE_ADMIN, 0), anon = actor(0, SRV_ROLE_NONE, 0);
    CHECK(srv_auth_allow(&owner, SRV_ACT_TOKEN_REVOKE, &tok));
    CHECK(!srv_auth_allow(&colleague, SRV_ACT_TOKEN_REVOKE, &tok));
    CHECK(!srv_auth_allow(&other, SRV_ACT_TOKEN_REVOKE, &tok));
    CHECK(!srv_auth_allow(&staff, SRV_ACT_TOKEN_REVOKE, &tok));
    CHECK(!srv_auth_allow(&admin, SRV_ACT_TOKEN_REVOKE, &tok));
    CHECK(!srv_auth_allow(&anon, SRV_ACT_TOKEN_REVOKE, &tok));
}

/* ---- the listing rules, as one table: every listing action x every kind of
 * caller x every kind of object. A disabled user is not a case of its own
 * here: srv_auth_identify() makes its requests anonymous (user_id 0), so
 * srv_auth_allow() sees it as the anonymous column. */

enum { INST_OWN = 1, INST_OTHER = 2 };

enum who_kind {
    W_ANON,       /* no credential, or a disabled user's */
    W_NOROLE,     /* a user id with a role the server does not know */
    W_COMPANY,    /* a company user of the listing's own institution */
    W_TTO_OWN,    /* a TTO of the listing's institution */
    W_TTO_OTHER,  /* a TTO of another institution */
    W_TTO_NOINST, /* a TTO without an institution (never stored; must not match 0) */
    W_STAFF,
    W_ADMIN,
    W__COUNT
};

static const char *const who_name[W__COUNT] = {"anonymous", "no role",     "company", "tto own",
                                               "tto other", "tto no inst", "staff",   "admin"};

static srv_actor who_of(enum who_kind w)
{
    switch (w) {
    case W_ANON:
        return actor(0, SRV_ROLE_NONE, 0);
    case W_NOROLE:
        return actor(20, SRV_ROLE_NONE, INST_OWN);
    case W_COMPANY:
        return actor(21, SRV_ROLE_COMPANY, INST_OWN);
    case W_TTO_OWN:
        return actor(22, SRV_ROLE_TTO, INST_OWN);
    case W_TTO_OTHER:
        return actor(23, SRV_ROLE_TTO, INST_OTHER);
    case W_TTO_NOINST:
        return actor(24, SRV_ROLE_TTO, 0);
    case W_STAFF:
        return actor(25, SRV_ROLE_STAFF, 0);
    case W_ADMIN:
    case W__COUNT:
        break;
    }
    return actor(26, SRV_ROLE_ADMIN, 0);
}

enum obj_kind {
    O_NONE,      /* the route-level question: obj NULL */
    O_LISTED,    /* an available technology of INST_OWN, owned by the company user */
    O_WITHDRAWN, /* a withdrawn technology of INST_OWN */
    O_NO_INST,   /* a technology of no institution (institution_id 0) */
    O_TOKEN,     /* not a technology at all: a token of INST_OWN's TTO */
    O__COUNT
};

static const char *const obj_name[O__COUNT] = {"no object", "listed", "withdrawn", "no institution",
                                               "a token"};

static const srv_object objects[O__COUNT] = {
    [O_LISTED] = {.kind = SRV_OBJ_TECH, .owner_user_id = 21, .institution_id = INST_OWN},
    [O_WITHDRAWN] = {.kind = SRV_OBJ_TECH, .institution_id = INST_OWN, .withdrawn = true},
    [O_NO_INST] = {.kind = SRV_OBJ_TECH, .institution_id = 0},
    [O_TOKEN] = {.kind = SRV_OBJ_TOKEN, .owner_user_id = 22, .institution_id = INST_OWN},
};

struct rule {
    srv_action act;
    const char *act_name;
    enum obj_kind obj;
    bool want[W__COUNT];
};

#define ACT(a) SRV_ACT_##a, #a
/* Columns: anon, norole, company, tto_own, tto_other, tto_noinst, staff, admin. */
#define EDITORS_ONLY                                                                               \
    {                                                                                              \
        0, 0, 0, 1, 1, 1, 1, 1                                                                     \
    } /* any TTO, staff, admin */
#define OWNERS_ONLY                                                                                \
    {                                                                                              \
        0, 0, 0, 1, 0, 0, 1, 1                                                                     \
    } /* its institution's TTOs, staff, admin */
#define STAFF_ONLY                                                                                 \
    {                                                                                              \
        0, 0, 0, 0, 0, 0, 1, 1                                                                     \
    }
#define NOBODY                                                                                     \
    {                                                                                              \
        0, 0, 0, 0, 0, 0, 0, 0                                                                     \
    }
#define EVERYONE                                                                                   \
    {                                                                                              \
        1, 1, 1, 1, 1, 1, 1, 1                                                                     \
    }

static const struct rule rules[] = {
    /* Creating, editing (re-listing too), withdrawing and importing: the
     * route lets in any TTO, staff and admins; the object decides which
     * TTO. Withdrawn or not makes no difference to who may change it. */
    {ACT(TECH_CREATE), O_NONE, EDITORS_ONLY},
    {ACT(TECH_CREATE), O_LISTED, OWNERS_ONLY},
    {ACT(TECH_CREATE), O_NO_INST, STAFF_ONLY},
    {ACT(TECH_CREATE), O_TOKEN, NOBODY},
    {ACT(TECH_EDIT), O_NONE, EDITORS_ONLY},
    {ACT(TECH_EDIT), O_LISTED, OWNERS_ONLY},
    {ACT(TECH_EDIT), O_WITHDRAWN, OWNERS_ONLY},
    {ACT(TECH_EDIT), O_NO_INST, STAFF_ONLY},
    {ACT(TECH_EDIT), O_TOKEN, NOBODY},
    {ACT(TECH_WITHDRAW), O_NONE, EDITORS_ONLY},
    {ACT(TECH_WITHDRAW), O_LISTED, OWNERS_ONLY},
    {ACT(TECH_WITHDRAW), O_WITHDRAWN, OWNERS_ONLY},
    {ACT(TECH_WITHDRAW), O_NO_INST, STAFF_ONLY},
    {ACT(TECH_WITHDRAW), O_TOKEN, NOBODY},
    {ACT(TECH_IMPORT), O_NONE, EDITORS_ONLY},
    {ACT(TECH_IMPORT), O_LISTED, OWNERS_ONLY},
    {ACT(TECH_IMPORT), O_NO_INST, STAFF_ONLY},
    {ACT(TECH_IMPORT), O_TOKEN, NOBODY},
    /* Reading: a listed technology is public; a withdrawn one is seen only
     * by those who may edit it (404 for the others). */
    {ACT(TECH_READ), O_NONE, EVERYONE},
    {ACT(TECH_READ), O_LISTED, EVERYONE},
    {ACT(TECH_READ), O_NO_INST, EVERYONE},
    {ACT(TECH_READ), O_WITHDRAWN, OWNERS_ONLY},
    {ACT(TECH_READ), O_TOKEN, NOBODY},
    /* The audit log names every user and address. */
    {ACT(AUDIT_READ), O_NONE, STAFF_ONLY},
};

TM_TEST(listing_actions_follow_the_table_for_every_caller_and_object)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const struct rule *ru = &rules[i];
        const srv_object *obj = ru->obj == O_NONE ? NULL : &objects[ru->obj];
        for (int w = 0; w < W__COUNT; w++) {
            srv_actor a = who_of((enum who_kind)w);
            bool got = srv_auth_allow(&a, ru->act, obj);
            if (got != ru->want[w])
                fprintf(stderr, "  %s by %s on %s: %s, want %s\n", ru->act_name, who_name[w],
                        obj_name[ru->obj], got ? "allowed" : "refused",
                        ru->want[w] ? "allowed" : "refused");
            CHECK(got == ru->want[w]);
        }
    }
}

TM_TEST(the_table_covers_every_listing_action_for_every_object)
{
    static const srv_action listing[] = {SRV_ACT_TECH_CREATE, SRV_ACT_TECH_EDIT,
                                         SRV_ACT_TECH_WITHDRAW, SRV_ACT_TECH_IMPORT,
                                         SRV_ACT_TECH_READ};
    for (size_t k = 0; k < sizeof listing / sizeof listing[0]; k++) {
        bool seen[O__COUNT] = {0};
        for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
            if (rules[i].act == listing[k]) seen[rules[i].obj] = true;
        CHECK(seen[O_NONE] && seen[O_LISTED] && seen[O_NO_INST] && seen[O_TOKEN]);
        /* Creating and importing have no existing (withdrawn) object. */
        CHECK(seen[O_WITHDRAWN] || listing[k] == SRV_ACT_TECH_CREATE ||
              listing[k] == SRV_ACT_TECH_IMPORT);
    }
}

TM_TEST(a_null_caller_is_anonymous_for_every_listing_action)
{
    static const srv_action acts[] = {SRV_ACT_TECH_CREATE, SRV_ACT_TECH_EDIT, SRV_ACT_TECH_WITHDRAW,
                                      SRV_ACT_TECH_IMPORT, SRV_ACT_AUDIT_READ};
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        CHECK(!srv_auth_allow(NULL, acts[i], NULL));
        CHECK(!srv_auth_allow(NULL, acts[i], &objects[O_LISTED]));
    }
    CHECK(srv_auth_allow(NULL, SRV_ACT_TECH_READ, &objects[O_LISTED]));
    CHECK(!srv_auth_allow(NULL, SRV_ACT_TECH_READ, &objects[O_WITHDRAWN]));
}

TM_TEST(role_names_map_to_roles_and_anything_else_to_none)
{
    CHECK(srv_role_of("company") == SRV_ROLE_COMPANY && srv_role_of("tto") == SRV_ROLE_TTO);
    CHECK(srv_role_of("staff") == SRV_ROLE_STAFF && srv_role_of("admin") == SRV_ROLE_ADMIN);
    CHECK(srv_role_of("Admin") == SRV_ROLE_NONE && srv_role_of("") == SRV_ROLE_NONE);
    CHECK(srv_role_of(NULL) == SRV_ROLE_NONE);
}

TM_TEST(a_new_secret_is_43_base64url_characters_hashing_to_its_hash)
{
    char a[SRV_AUTH_TOKEN_B64], b[SRV_AUTH_TOKEN_B64];
    uint8_t ha[SRV_AUTH_HASH], hb[SRV_AUTH_HASH], h[SRV_AUTH_HASH];
    srv_auth_secret_new(a, ha);
    srv_auth_secret_new(b, hb);
    CHECK(strlen(a) == 43 && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789-_") == 43);
    CHECK(strcmp(a, b) != 0 && memcmp(ha, hb, sizeof ha) != 0);
    CHECK(srv_auth_secret_hash(a, h) && !memcmp(h, ha, sizeof h));
    CHECK(!srv_auth_secret_hash("short", h));
    CHECK(!srv_auth_secret_hash(NULL, h));
    char bad[SRV_AUTH_TOKEN_B64];
    memcpy(bad, a, sizeof bad);
    bad[0] = '*';
    CHECK(!srv_auth_secret_hash(bad, h));
}

TM_TEST_MAIN()
