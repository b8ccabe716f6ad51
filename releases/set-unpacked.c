/* set-unpacked: record a release whose files were placed by other means. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "relman/archive.h"
#include "relman/manifest.h"
#include "relman/store.h"
#include "releases-internal.h"

int rm_release_set_unpacked(const char *root, const char *vsn, struct rm_error *err)
{
    if (rm_name_check(vsn, "release version", err) < 0)
        return -1;
    struct rm_store *store = rm_store_open(root, RM_STORE_LOCK, err);
    if (!store)
        return -1;
    int rc = 0;
    if (rm_store_find(store, vsn))
        rc = rm_error_set(err, RM_EEXIST, "release '%s' is already known", vsn);
    struct rm_release rel = {0};
    if (rc == 0 && (rm__release_check(root, vsn, &rel, err) < 0 ||
                    rm__release_config_check(root, &rel, root, err) < 0))
        rc = rm_error_prefix(err, "set-unpacked '%s' in '%s'", vsn, root);
    struct rm_store_app *apps = NULL;
    if (rc == 0 && !(apps = calloc(rel.n_apps + 1, sizeof *apps)))
        rc = rm_error_nomem(err);
    for (size_t i = 0; rc == 0 && i < rel.n_apps; i++) {
        apps[i].name = (char *)rel.apps[i].name;
        apps[i].version = (char *)rel.apps[i].version;
    }
    if (rc == 0)
        rc = rm_store_add(store, rel.name, rel.version, apps, rel.n_apps, err);
    free(apps);
    rm_release_free(&rel);
    rm_store_close(store);
    return rc;
}
