#include "srv_static.h"

#include <errno.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/tm_buf.h"
#include "../common/tm_log.h"
#include "api.h"
#include "srv_reply.h"

/* True when some '/'-separated segment of s[0..n) starts with '.'. */
static bool has_dot_segment(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '.' && (i == 0 || s[i - 1] == '/')) return true;
    return false;
}

int srv_static_resolve(const char *root, const char *path, char **out, tm_err *err)
{
    *out = NULL;
    if (path[0] != '/') return tm_err_set(err, TM_EINVAL, NULL, "the path must start with '/'");
    const char *rel = path + 1;
    size_t rellen = strlen(rel);
    if (has_dot_segment(rel, rellen) || memchr(rel, '\0', rellen))
        return tm_err_set(err, TM_ENOTFOUND, NULL, "no such file");

    size_t rootlen = strlen(root);
    while (rootlen > 0 && root[rootlen - 1] == '/')
        rootlen--;
    tm_buf b = {0};
    tm_buf_append(&b, root, rootlen);
    tm_buf_putc(&b, '/');
    tm_buf_append(&b, rel, rellen);
    if (rellen == 0 || rel[rellen - 1] == '/') tm_buf_puts(&b, "index.html");
    char *real = realpath(tm_buf_cstr(&b), NULL);
    tm_buf_free(&b);

    int rc = TM_OK;
    struct stat st;
    if (!real || strncmp(real, root, rootlen) != 0 || real[rootlen] != '/' ||
        has_dot_segment(real + rootlen + 1, strlen(real + rootlen + 1)) || stat(real, &st) != 0 ||
        !S_ISREG(st.st_mode)) {
        /* Missing, a symlink out of the root or to a dotfile, or no file. */
        free(real);
        real = NULL;
        rc = tm_err_set(err, TM_ENOTFOUND, NULL, "no such file");
    }
    *out = real;
    return rc;
}

const char *srv_static_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {"html", "text/html; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"ico", "image/x-icon"},
        {"json", "application/json; charset=utf-8"},
        {"txt", "text/plain; charset=utf-8"},
        {"woff2", "font/woff2"},
    };
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash : name, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot + 1, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}

/* True when the If-None-Match header value lists etag (or is "*"). The
 * quoted part is compared, so W/ on either side does not matter. */
static bool etag_matches(const char *inm, const char *etag)
{
    if (!inm) return false;
    if (strcmp(inm, "*") == 0) return true;
    const char *quoted = strchr(etag, '"');
    return quoted && strstr(inm, quoted) != NULL;
}

static void add_cache_headers(srv_req *r, const char *etag)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    if (evhttp_add_header(h, "ETag", etag) != 0 ||
        evhttp_add_header(h, "Cache-Control", "no-cache") != 0)
        tm_log_error("cannot set the cache headers of %s", r->path);
}

void srv_static_serve(srv_req *r)
{
    tm_err err = {0};
    char *file = NULL;
    int fd = -1;
    struct stat st;

    if (!r->web_root || !r->path ||
        srv_static_resolve(r->web_root, r->path, &file, &err) != TM_OK) {
        srv_reply_errorf(r, TM_ENOTFOUND, NULL, "no such file");
        goto out;
    }
    fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        /* Gone since it was resolved, or unreadable: either way not here. */
        srv_reply_errorf(r, TM_ENOTFOUND, NULL, "no such file");
        goto out;
    }

    char etag[80];
    (void)snprintf(etag, sizeof etag, "W/\"%llx-%llx-%lx\"", (unsigned long long)st.st_size,
                   (unsigned long long)st.st_mtim.tv_sec, (unsigned long)st.st_mtim.tv_nsec);
    const char *inm = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "If-None-Match");
    if (etag_matches(inm, etag)) {
        add_cache_headers(r, etag);
        srv_reply_send(r, 304, NULL);
        goto out;
    }

    struct evbuffer *body = evhttp_request_get_output_buffer(r->ev);
    if (st.st_size > 0) {
        /* evbuffer_add_file owns fd from here on (closed once sent), except
         * when it fails before taking it. */
        if (evbuffer_add_file(body, fd, 0, st.st_size) != 0) {
            srv_reply_errorf(r, TM_EINTERNAL, NULL, "cannot queue %s: %s", file, strerror(errno));
            goto out;
        }
        fd = -1;
    }
    add_cache_headers(r, etag);
    srv_reply_send(r, 200, srv_static_type(file));
out:
    if (fd >= 0) close(fd);
    free(file);
}
