/* The store's intent file and crash recovery.

   An operation that places or deletes directories of a release (unpack,
   remove) first writes ROOT/releases/INTENT, naming the release and the
   directories that belong to it alone, then changes the directories and
   RELEASES, then deletes the file. A crash leaves the file behind; the next
   holder of the store's lock reads it and settles the release one way:

       the release is in RELEASES    its directories stay (an unpack that
                                     was recorded, a remove not yet
                                     recorded): the file is deleted
       the release is not in it      its directories are deleted (an unpack
                                     not recorded, a remove recorded),
                                     except lib/ directories another
                                     release uses

   The file:

       relman-intent 1
       unpack 3
       lib a 3
       lib c 1
       end 2
*/
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relman/fsutil.h"
#include "relman/manifest.h"
#include "relman/store.h"
#include "releases-internal.h"

#define INTENT_MAGIC "relman-intent 1"
/* Largest intent file read: an operation, RM_RELEASE_MAX_APPS lib lines. */
#define INTENT_MAX ((RM_RELEASE_MAX_APPS + 3) * (2 * RM_NAME_MAX + 16))

void rm__crash_point(const char *step)
{
    const char *want = getenv(RM__CRASH_ENV);
    if (!want || !*want)
        return;
    size_t sl = strlen(step);
    if (strncmp(want, step, sl) != 0 || (want[sl] != '\0' && want[sl] != ':'))
        return;
    static unsigned long hits;
    unsigned long n = want[sl] == ':' ? strtoul(want + sl + 1, NULL, 10) : 1;
    if (++hits == n)
        kill(getpid(), SIGKILL); /* as kill -9 would: nothing is flushed or undone */
}

int rm__intent_write(const char *root, const char *op, const char *vsn,
                     const struct rm_store_app *libs, size_t nlibs, struct rm_error *err)
{
    char *text = NULL, *path = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return rm_error_nomem(err);
    fprintf(f, "%s\n%s %s\n", INTENT_MAGIC, op, vsn);
    for (size_t i = 0; i < nlibs; i++)
        fprintf(f, "lib %s %s\n", libs[i].name, libs[i].version);
    fprintf(f, "end %zu\n", nlibs);
    int rc = fclose(f) == 0 ? 0 : rm_error_nomem(err);
    if (rc == 0 && !(path = rm_fs_join(root, RM__INTENT_FILE, err)))
        rc = -1;
    if (rc == 0)
        rc = rm_fs_write_atomic(path, text, len, 0644, err);
    free(path);
    free(text);
    return rc;
}

int rm__intent_clear(const char *root, struct rm_error *err)
{
    char *path = rm_fs_join(root, RM__INTENT_FILE, err);
    if (!path)
        return -1;
    int rc = 0;
    if (unlink(path) < 0 && errno != ENOENT)
        rc = rm_error_set(err, RM_EIO, "cannot delete '%s': %s", path, strerror(errno));
    free(path);
    char *dir = rc == 0 ? rm_fs_join(root, "releases", err) : NULL;
    if (rc == 0)
        rc = dir ? rm_fs_sync_dir(dir, err) : -1;
    free(dir);
    return rc;
}

/* Removes staging directories and a RELEASES.new that a crashed command
   left: under the lock, nobody else is writing them. */
static void remove_leftovers(const char *root)
{
    DIR *d = opendir(root);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strncmp(e->d_name, RM__STAGING_PREFIX, strlen(RM__STAGING_PREFIX)) != 0)
                continue;
            char *p = rm_fs_join(root, e->d_name, NULL);
            if (p)
                rm_fs_remove_tree(p, NULL);
            free(p);
        }
        closedir(d);
    }
    char *tmp = rm_fs_join(root, "releases/RELEASES.new", NULL);
    if (tmp)
        unlink(tmp);
    free(tmp);
}

/* Deletes ROOT/<a>/<b>[-<c>]. */
static int delete_dir(const char *root, const char *a, const char *b, const char *c,
                      struct rm_error *err)
{
    char *path = NULL;
    if ((c ? asprintf(&path, "%s/%s/%s-%s", root, a, b, c)
           : asprintf(&path, "%s/%s/%s", root, a, b)) < 0)
        return rm_error_nomem(err);
    int rc = rm_fs_remove_tree(path, err);
    free(path);
    return rc;
}

/* Settles the operation `text` (the intent file, NUL-terminated, modified)
   describes; see the top of this file. */
static int settle(struct rm_store *store, char *text, const char *path, struct rm_error *err)
{
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    size_t lineno = 1, nlibs = 0;
    if (!line || strcmp(line, INTENT_MAGIC) != 0)
        return rm_error_set(err, RM_EPARSE, "%s:1: expected '%s'", path, INTENT_MAGIC);
    char op[16], vsn[RM_NAME_MAX + 1];
    line = strtok_r(NULL, "\n", &save);
    lineno++;
    if (!line || sscanf(line, "%15s %63s", op, vsn) != 2 ||
        (strcmp(op, "unpack") != 0 && strcmp(op, "remove") != 0) ||
        rm_name_check(vsn, "version", NULL) < 0)
        return rm_error_set(err, RM_EPARSE, "%s:2: expected 'unpack VSN' or 'remove VSN'", path);
    int keep = rm_store_find(store, vsn) != NULL;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        lineno++;
        char name[RM_NAME_MAX + 1], ver[RM_NAME_MAX + 1];
        size_t count;
        if (sscanf(line, "end %zu", &count) == 1 && count == nlibs)
            return keep ? 0 : delete_dir(store->root, "releases", vsn, NULL, err);
        if (strncmp(line, "lib ", 4) != 0 || sscanf(line, "lib %63s %63s", name, ver) != 2 ||
            rm_name_check(name, "name", NULL) < 0 || rm_name_check(ver, "version", NULL) < 0)
            return rm_error_set(err, RM_EPARSE, "%s:%zu: expected 'lib NAME VERSION' or 'end N'",
                                path, lineno);
        nlibs++;
        struct rm_store_app app = {name, ver};
        if (!keep && !rm__store_app_used(store, &app) &&
            delete_dir(store->root, "lib", name, ver, err) < 0)
            return -1;
    }
    return rm_error_set(err, RM_EPARSE, "%s:%zu: truncated file (no 'end' line)", path, lineno);
}

int rm__store_recover(struct rm_store *store, struct rm_error *err)
{
    remove_leftovers(store->root);
    char *path = rm_fs_join(store->root, RM__INTENT_FILE, err);
    if (!path)
        return -1;
    char *text;
    size_t len;
    struct rm_error rerr;
    if (rm_fs_read_file(path, INTENT_MAX, &text, &len, &rerr) < 0) {
        free(path);
        if (rerr.code == RM_ENOENT)
            return 0;
        rm_error_copy(err, &rerr);
        return -1;
    }
    int rc = memchr(text, '\0', len) ? rm_error_set(err, RM_EPARSE, "%s: NUL byte", path)
                                     : settle(store, text, path, err);
    free(text);
    if (rc == 0)
        rc = rm__intent_clear(store->root, err);
    if (rc < 0)
        rm_error_prefix(err, "cannot finish the operation a crash interrupted");
    free(path);
    return rc;
}
