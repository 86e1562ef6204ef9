/* The one authorization function and the secrets: public actions for
 * everyone, actions about oneself for any signed-in user, a token revoked
 * only by its owner whatever the role; a new secret hashes to its hash. */
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
