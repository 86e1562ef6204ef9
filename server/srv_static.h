/* srv_static: the static files of the web UI (srv_static_serve in api.h).
 * A URL path names a file under the web root only if no segment starts with
 * '.' (no "..", no dotfiles) and the file's real path, symlinks resolved,
 * is still under the root's real path; anything else is "not found". Files
 * are revalidated on every use (Cache-Control: no-cache plus an ETag), so
 * an update of web/ is seen at once. Any thread. */
#ifndef SRV_STATIC_H
#define SRV_STATIC_H

#include "../common/tm_err.h"

/* Maps the decoded URL path ("/" and ".../" mean index.html) to the real
 * path of a regular file under root (itself a real path, as from
 * realpath()); *out is to free(). TM_ENOTFOUND with *out NULL when there is
 * no such file or the path may not name one; TM_EINVAL for a path not
 * starting with '/'. */
int srv_static_resolve(const char *root, const char *path, char **out, tm_err *err) TM_MUST_CHECK;

/* Content-Type for a file name, by extension (case-insensitive);
 * application/octet-stream when unknown. */
const char *srv_static_type(const char *name);

#endif
