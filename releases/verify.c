/*
 * Verifies an unpacked release against the checksum list unpack wrote:
 * every file in ROOT/releases/<vsn>/SHA256SUMS must still hash to its digest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relman/archive.h"
#include "relman/fsutil.h"
#include "releases-internal.h"

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
        char *path = rm__path_join(root, sums.items[i].path, err);
        char hex[RM__SHA256_HEX + 1];
        if (!path)
            rc = -1;
        else if (rm__sha256_file(path, hex, err) < 0)
            rc = rm_error_prefix(err, "release '%s': checksum of '%s'", vsn, sums.items[i].path);
        else if (strcmp(hex, sums.items[i].hex) != 0)
            rc = rm_error_set(err, RM_ECHECKSUM,
                              "release '%s': '%s' changed since unpack (its sha-256 is %s, "
                              "'%s' says %s)",
                              vsn, sums.items[i].path, hex, list, sums.items[i].hex);
        free(path);
    }
    if (rc == 0)
        *nfiles = sums.n;
    rm__sums_free(&sums);
    return rc;
}
