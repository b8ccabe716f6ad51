/*
 * Verifies an unpacked release against the checksum list unpack wrote:
 * every file in ROOT/releases/<vsn>/SHA256SUMS must still hash to its digest.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "relman/archive.h"
#include "relman/fsutil.h"
#include "releases-internal.h"

int rm__sha256_in_root(const char *root, const char *rel, char *hex, struct rm_error *err)
{
    char path[PATH_MAX];
    if (rm_fs_path(path, sizeof path, err, "%s/%s", root, rel) < 0)
        return -1;
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
        return rm__sha256_file(path, hex, err);
    /* A link stands for the file it points to, inside its own directory. */
    const char *slash = strchr(rel, '/');
    slash = slash ? strchr(slash + 1, '/') : NULL;
    char *real = realpath(path, NULL), *top = realpath(root, NULL);
    size_t tl = top ? strlen(top) : 0, dl = slash ? (size_t)(slash - rel) : 0;
    int inside = real && top && slash && strncmp(real, top, tl) == 0 && real[tl] == '/' &&
                 strncmp(real + tl + 1, rel, dl) == 0 && real[tl + 1 + dl] == '/' &&
                 stat(real, &st) == 0 && S_ISREG(st.st_mode);
    int rc = inside ? rm__sha256_file(real, hex, err)
                    : rm_error_set(err, RM_EUNSAFE, "symlink '%s' points to no file of '%.*s'", rel,
                                   (int)dl, rel);
    free(real);
    free(top);
    return rc;
}

int rm_release_verify(const char *root, const char *vsn, size_t *nfiles, struct rm_error *err)
{
    char list[4096];
    if (snprintf(list, sizeof list, "%s/releases/%s/%s", root, vsn, RM__SUMS_NAME) >=
        (int)sizeof list)
        return rm_error_set(err, RM_EINVAL, "release '%s': root path too long", vsn);
    *nfiles = 0;
    if (!rm_fs_exists(list))
        return 0; /* recorded with set-unpacked: nothing to verify against */
    char *text;
    size_t len;
    if (rm_fs_read_file(list, RM__SUMS_MAX, &text, &len, err) < 0)
        return rm_error_prefix(err, "release '%s'", vsn);
    struct rm__sums sums = {0};
    int rc = rm__sums_parse(&sums, text, len, list, err);
    free(text);
    for (size_t i = 0; rc == 0 && i < sums.n; i++) {
        const char *path = sums.items[i].path;
        char hex[RM__SHA256_HEX + 1];
        struct rm_error e;
        int r = rm__sha256_in_root(root, path, hex, &e);
        if (r < 0 && e.code == RM_ENOENT) {
            rc = rm_error_set(err, RM_ENOENT, "release '%s': file '%s' is missing", vsn, path);
        } else if (r < 0) {
            rm_error_copy(err, &e);
            rc = rm_error_prefix(err, "release '%s': checksum of '%s'", vsn, path);
        } else if (strcmp(hex, sums.items[i].hex) != 0) {
            rc = rm_error_set(err, RM_ECHECKSUM,
                              "release '%s': '%s' changed since unpack (its sha-256 is %s, "
                              "'%s' says %s)",
                              vsn, path, hex, list, sums.items[i].hex);
        }
    }
    if (rc == 0)
        *nfiles = sums.n;
    rm__sums_free(&sums);
    return rc;
}
