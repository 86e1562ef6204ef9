#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../server/srv_static.h"
#include "../tm_test.h"

/* A scratch tree:
 *   base/secret.txt            outside the web root
 *   base/web/index.html
 *   base/web/app.js
 *   base/web/.env              a dotfile
 *   base/web/docs/index.html
 *   base/web/escape.txt ->  ../secret.txt   (symlink out)
 *   base/web/hidden.txt ->  .env            (symlink to a dotfile)
 *   base/web/inside.js  ->  app.js          (symlink inside)  */
static char base[64], root[PATH_MAX];

static void put(const char *rel, const char *text)
{
    char p[PATH_MAX];
    (void)snprintf(p, sizeof p, "%s/%s", base, rel);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void link_at(const char *target, const char *rel)
{
    char p[PATH_MAX];
    (void)snprintf(p, sizeof p, "%s/%s", base, rel);
    if (symlink(target, p) != 0) perror("symlink");
}

static void setup(void)
{
    if (base[0]) return;
    (void)snprintf(base, sizeof base, "/tmp/tm_static_XXXXXX");
    if (!mkdtemp(base)) abort();
    char p[PATH_MAX];
    (void)snprintf(p, sizeof p, "%s/web", base);
    mkdir(p, 0755);
    (void)snprintf(p, sizeof p, "%s/web/docs", base);
    mkdir(p, 0755);
    put("secret.txt", "secret");
    put("web/index.html", "<p>hi</p>");
    put("web/app.js", "1;");
    put("web/.env", "KEY=1");
    put("web/docs/index.html", "docs");
    link_at("../secret.txt", "web/escape.txt");
    link_at(".env", "web/hidden.txt");
    link_at("app.js", "web/inside.js");
    (void)snprintf(p, sizeof p, "%s/web", base);
    if (!realpath(p, root)) abort();
}

/* The resolved path relative to the root, or NULL when not found. */
static char *resolve(const char *path)
{
    setup();
    char *out = NULL;
    tm_err err = {0};
    if (srv_static_resolve(root, path, &out, &err) != TM_OK) {
        CHECK(out == NULL);
        CHECK(err.code == TM_ENOTFOUND || err.code == TM_EINVAL);
        return NULL;
    }
    size_t n = strlen(root);
    char *rel = strdup(out + n);
    free(out);
    return rel;
}

#define CHECK_RESOLVES(path, want)                                                                 \
    do {                                                                                           \
        char *got_ = resolve(path);                                                                \
        CHECK_STR(got_, want);                                                                     \
        free(got_);                                                                                \
    } while (0)

#define CHECK_NOT_FOUND(path)                                                                      \
    do {                                                                                           \
        char *got_ = resolve(path);                                                                \
        CHECK(got_ == NULL);                                                                       \
        free(got_);                                                                                \
    } while (0)

TM_TEST(root_and_directories_mean_index_html)
{
    CHECK_RESOLVES("/", "/index.html");
    CHECK_RESOLVES("/docs/", "/docs/index.html");
}

TM_TEST(plain_files_resolve_under_the_root)
{
    CHECK_RESOLVES("/app.js", "/app.js");
    CHECK_RESOLVES("/docs/index.html", "/docs/index.html");
}

TM_TEST(symlink_inside_the_root_is_followed)
{
    CHECK_RESOLVES("/inside.js", "/app.js");
}

TM_TEST(dot_segments_never_resolve)
{
    CHECK_NOT_FOUND("/../secret.txt");
    CHECK_NOT_FOUND("/docs/../app.js");
    CHECK_NOT_FOUND("/./app.js");
    CHECK_NOT_FOUND("/..");
}

TM_TEST(dotfiles_are_not_served)
{
    CHECK_NOT_FOUND("/.env");
    CHECK_NOT_FOUND("/hidden.txt");
}

TM_TEST(symlink_out_of_the_root_is_not_followed)
{
    CHECK_NOT_FOUND("/escape.txt");
}

TM_TEST(missing_files_and_directories_are_not_found)
{
    CHECK_NOT_FOUND("/nope.html");
    CHECK_NOT_FOUND("/docs");
    CHECK_NOT_FOUND("//etc/passwd");
    CHECK_NOT_FOUND("/app.js/x");
}

TM_TEST(relative_path_is_invalid)
{
    setup();
    char *out = NULL;
    tm_err err = {0};
    CHECK(srv_static_resolve(root, "app.js", &out, &err) == TM_EINVAL);
    CHECK(out == NULL);
}

TM_TEST(content_type_follows_the_extension)
{
    CHECK_STR(srv_static_type("/w/index.html"), "text/html; charset=utf-8");
    CHECK_STR(srv_static_type("/w/app.js"), "text/javascript; charset=utf-8");
    CHECK_STR(srv_static_type("/w/style.CSS"), "text/css; charset=utf-8");
    CHECK_STR(srv_static_type("/w/logo.svg"), "image/svg+xml");
    CHECK_STR(srv_static_type("/w/logo.png"), "image/png");
    CHECK_STR(srv_static_type("/w/favicon.ico"), "image/x-icon");
    CHECK_STR(srv_static_type("/w/a.json"), "application/json; charset=utf-8");
    CHECK_STR(srv_static_type("/w/robots.txt"), "text/plain; charset=utf-8");
    CHECK_STR(srv_static_type("/w/f.woff2"), "font/woff2");
}

TM_TEST(unknown_or_missing_extension_is_octet_stream)
{
    CHECK_STR(srv_static_type("/w/x.bin"), "application/octet-stream");
    CHECK_STR(srv_static_type("/w.d/README"), "application/octet-stream");
}

TM_TEST(cleanup_scratch_tree)
{
    setup();
    char cmd[128];
    (void)snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    CHECK(system(cmd) == 0);
}

TM_TEST_MAIN()
