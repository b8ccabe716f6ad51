/* Unpack: stage an untrusted release archive inside ROOT, verify it, then
   rename it into place and record it, all under the store's lock. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "relman/array.h"
#include "relman/fsutil.h"
#include "relman/manifest.h"
#include "relman/store.h"
#include "unpack.h"

_Static_assert(sizeof ((struct rm_unpack_result *)0)->name > RM_NAME_MAX &&
                   sizeof ((struct rm_unpack_result *)0)->version > RM_NAME_MAX,
               "rm_unpack_result holds any name the manifests accept");

/* Directories of ROOT this unpack created, removed again on refusal. */
struct created {
    char *paths[3];
    size_t n;
};

/* Creates `path` when missing and remembers it. */
static int make_dir(struct created *c, const char *path, struct rm_error *err)
{
    if (mkdir(path, 0755) == 0) {
        c->paths[c->n] = strdup(path);
        if (!c->paths[c->n])
            return rm_error_nomem(err);
        c->n++;
        return 0;
    }
    if (errno == EEXIST)
        return 0;
    return rm_error_set(err, RM_EIO, "cannot create directory '%s': %s", path, strerror(errno));
}

static void undo_created(struct created *c, int undo)
{
    while (c->n > 0) {
        char *p = c->paths[--c->n];
        if (undo)
            rmdir(p);
        free(p);
    }
}

/* Tells whether ROOT/lib/<dir> (already present) holds the same files as the
   archive lists under lib/<dir>/. */
static int same_as_listed(struct rm__unpack *u, const char *dir, struct rm_error *err)
{
    char prefix[PATH_MAX];
    if (rm_fs_path(prefix, sizeof prefix, err, "lib/%s/", dir) < 0)
        return -1;
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < u->sums.n; i++) {
        const struct rm__sum *s = &u->sums.items[i];
        if (strncmp(s->path, prefix, pl) != 0)
            continue;
        char hex[RM__SHA256_HEX + 1];
        struct rm_error herr;
        if (rm__sha256_in_root(u->root, s->path, hex, &herr) < 0 || strcmp(hex, s->hex) != 0)
            return rm_error_set(err, RM_EEXIST,
                                "'lib/%s' already exists in '%s' with other contents ('%s' "
                                "differs); it is never overwritten",
                                dir, u->root, s->path);
    }
    return 0;
}

/* What has been renamed into ROOT so far, to put back on failure. */
struct placed {
    struct {
        char *from, *to;
    } * v;
    size_t n, cap;
};

static int place(struct placed *pl, const char *from, const char *to, struct rm_error *err)
{
    if (rm_array_grow(&pl->v, &pl->cap, pl->n, sizeof *pl->v, 8, err) < 0)
        return -1;
    char *f = strdup(from), *t = strdup(to);
    if (!f || !t) {
        free(f);
        free(t);
        return rm_error_nomem(err);
    }
    if (rename(from, to) < 0) {
        free(f);
        free(t);
        return rm_error_set(err, RM_EIO, "cannot rename '%s' to '%s': %s", from, to,
                            strerror(errno));
    }
    pl->v[pl->n].from = f;
    pl->v[pl->n].to = t;
    pl->n++;
    return 0;
}

static void unplace(struct placed *pl, int undo)
{
    while (pl->n > 0) {
        pl->n--;
        if (undo)
            rename(pl->v[pl->n].to, pl->v[pl->n].from);
        free(pl->v[pl->n].from);
        free(pl->v[pl->n].to);
    }
    free(pl->v);
}

/* Checks that staging/lib holds exactly the release's application dirs. */
static int check_lib_dirs(struct rm__unpack *u, const struct rm_release *rel, struct rm_error *err)
{
    char path[PATH_MAX];
    if (rm_fs_path(path, sizeof path, err, "%s/lib", u->staging) < 0)
        return -1;
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT && rel->n_apps == 0
                   ? 0
                   : rm_error_set(err, RM_EPARSE, "archive '%s': no 'lib/' directory", u->file);
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        int found = 0;
        for (size_t i = 0; i < rel->n_apps && !found; i++) {
            const struct rm_release_app *a = &rel->apps[i];
            size_t nl = strlen(a->name);
            found = strncmp(e->d_name, a->name, nl) == 0 && e->d_name[nl] == '-' &&
                    strcmp(e->d_name + nl + 1, a->version) == 0;
        }
        if (!found)
            rc = rm_error_set(err, RM_EUNSAFE, "entry 'lib/%s': not an application of release '%s'",
                              e->d_name, rel->version);
    }
    closedir(d);
    return rc;
}

/* Renames the staged release into ROOT and records it. The directories
   it adds are named in the intent file first, so that a crash at any step
   is settled by the next holder of the store's lock (store-intent.c). */
static int land(struct rm__unpack *u, struct rm_store *store, const struct rm_release *rel,
                struct rm_unpack_result *res, struct rm_error *err)
{
    struct placed pl = {0};
    struct rm_store_app *apps = calloc(rel->n_apps + 1, sizeof *apps);
    struct rm_store_app *fresh = calloc(rel->n_apps + 1, sizeof *fresh);
    if (!apps || !fresh) {
        free(apps);
        free(fresh);
        return rm_error_nomem(err);
    }
    size_t nfresh = 0;
    int rc = 0, intent = 0;
    char from[PATH_MAX], to[PATH_MAX];
    for (size_t i = 0; rc == 0 && i < rel->n_apps; i++) {
        const struct rm_release_app *a = &rel->apps[i];
        apps[i].name = (char *)a->name;
        apps[i].version = (char *)a->version;
        char dir[2 * RM_NAME_MAX + 2];
        snprintf(dir, sizeof dir, "%s-%s", a->name, a->version); /* names are checked short */
        if (rm_fs_path(to, sizeof to, err, "%s/lib/%s", u->root, dir) < 0)
            rc = -1;
        else if (rm_fs_exists(to))
            rc = same_as_listed(u, dir, err);
        else
            fresh[nfresh++] = apps[i];
    }
    if (rc == 0 && (rc = rm__intent_write(u->root, "unpack", u->vsn, fresh, nfresh, err)) == 0) {
        intent = 1;
        rm__crash_point("unpack-intent");
    }
    for (size_t i = 0; rc == 0 && i < nfresh; i++) {
        if (rm_fs_path(from, sizeof from, err, "%s/lib/%s-%s", u->staging, fresh[i].name,
                       fresh[i].version) < 0 ||
            rm_fs_path(to, sizeof to, err, "%s/lib/%s-%s", u->root, fresh[i].name,
                       fresh[i].version) < 0)
            rc = -1;
        else if ((rc = place(&pl, from, to, err)) == 0)
            rm__crash_point("unpack-placed");
    }
    if (rc == 0 && (rm_fs_path(from, sizeof from, err, "%s/releases/%s", u->staging, u->vsn) < 0 ||
                    rm_fs_path(to, sizeof to, err, "%s/releases/%s", u->root, u->vsn) < 0))
        rc = -1;
    if (rc == 0 && (rc = place(&pl, from, to, err)) == 0)
        rm__crash_point("unpack-placed");
    /* ROOT fits in PATH_MAX with room: it holds the staging directory. */
    if (rc == 0 && rel->n_apps > 0 && rm_fs_path(to, sizeof to, err, "%s/lib", u->root) < 0)
        rc = -1;
    if (rc == 0 && rel->n_apps > 0)
        rc = rm_fs_sync_dir(to, err);
    if (rc == 0 && rm_fs_path(to, sizeof to, err, "%s/releases", u->root) < 0)
        rc = -1;
    if (rc == 0)
        rc = rm_fs_sync_dir(to, err);
    if (rc == 0)
        rc = rm_store_add(store, rel->name, rel->version, apps, rel->n_apps, err);
    if (rc == 0 && res) {
        snprintf(res->name, sizeof res->name, "%s", rel->name);
        snprintf(res->version, sizeof res->version, "%s", rel->version);
        res->permanent = rm_store_find(store, rel->version)->state == RM_REL_PERMANENT;
        snprintf(res->warning, sizeof res->warning, "%s", store->warning.msg);
    }
    unplace(&pl, rc < 0);
    /* Recorded, or put back: either way the intent is fulfilled (should
       deleting it fail, the next holder of the lock settles it alike). */
    if (intent)
        rm__intent_clear(u->root, NULL);
    free(apps);
    free(fresh);
    return rc;
}

/* Flushes every staged file to disk before anything is renamed. */
static int sync_staging(struct rm__unpack *u, struct rm_error *err)
{
    int fd = open(u->staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || syncfs(fd) < 0) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        return rm_error_set(err, RM_EIO, "cannot flush '%s': %s", u->staging, strerror(saved));
    }
    close(fd);
    return 0;
}

/* Extracts, verifies and lands the archive; the caller holds the lock. */
static int run(struct rm__unpack *u, struct rm_store *store, struct rm_unpack_result *res,
               struct rm_error *err)
{
    u->ar = archive_read_new();
    u->disk = archive_write_disk_new();
    u->hash = rm__sha256_new(err);
    if (!u->ar || !u->disk || !u->hash)
        return u->hash ? rm_error_nomem(err) : -1;
    archive_read_support_filter_gzip(u->ar);
    archive_read_support_format_tar(u->ar);
    archive_write_disk_set_options(u->disk, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                ARCHIVE_EXTRACT_NO_OVERWRITE);
    if (archive_read_open_filename(u->ar, u->file, 1 << 20) != ARCHIVE_OK)
        return rm_error_set(err, RM_EPARSE, "archive '%s': corrupt or truncated: %s", u->file,
                            archive_error_string(u->ar));
    if (rm__unpack_entries(u, err) < 0)
        return -1;
    struct rm_release rel = {0};
    if (rm__release_check(u->staging, u->vsn, &rel, err) < 0)
        return rm_error_prefix(err, "archive '%s'", u->file);
    int rc = check_lib_dirs(u, &rel, err);
    /* The node's own configuration must suit the release (its types). */
    if (rc == 0)
        rc = rm__release_config_check(u->staging, &rel, u->root, err);
    if (rc == 0 && !u->opts->no_sync)
        rc = sync_staging(u, err);
    if (rc == 0)
        rm__crash_point("unpack-staged");
    if (rc == 0)
        rc = rm__unpack_cancelled(u, err); /* the last moment to stop: landing is quick */
    if (rc == 0)
        rc = land(u, store, &rel, res, err);
    rm_release_free(&rel);
    return rc;
}

static void unpack_free(struct rm__unpack *u)
{
    if (u->ar)
        archive_read_free(u->ar);
    if (u->disk)
        archive_write_free(u->disk);
    rm__sha256_free(u->hash);
    rm__sums_free(&u->sums);
    for (size_t i = 0; i < u->nlinks; i++) {
        free(u->links[i].path);
        free(u->links[i].target);
    }
    free(u->links);
    free(u->linkset);
    free(u->vsn);
    free(u->sums_name);
    if (u->staging)
        rm_fs_remove_tree(u->staging, NULL);
    free(u->staging);
}

int rm_release_unpack(const char *file, const char *root, const struct rm_unpack_opts *opts,
                      struct rm_unpack_result *res, struct rm_error *err)
{
    static const struct rm_unpack_opts defaults;
    struct rm__unpack u = {.file = file, .opts = opts ? opts : &defaults};
    u.max_file = u.opts->max_file_size ? u.opts->max_file_size : RM_UNPACK_MAX_FILE_SIZE;
    u.max_ratio = u.opts->max_ratio > 0 ? u.opts->max_ratio : RM_UNPACK_MAX_RATIO;
    u.max_entries = u.opts->max_entries ? u.opts->max_entries : RM_UNPACK_MAX_ENTRIES;
    struct stat st;
    if (stat(file, &st) < 0)
        return rm_error_set(err, errno == ENOENT ? RM_ENOENT : RM_EIO, "archive '%s': %s", file,
                            strerror(errno));
    if (!S_ISREG(st.st_mode))
        return rm_error_set(err, RM_EINVAL, "archive '%s': not a regular file", file);
    u.file_size = (uint64_t)st.st_size;

    struct created created = {0};
    char real[PATH_MAX], sub[PATH_MAX];
    if (make_dir(&created, root, err) < 0)
        return -1;
    if (!realpath(root, real)) {
        rm_error_set(err, RM_EIO, "node root '%s': %s", root, strerror(errno));
        undo_created(&created, 1);
        return -1;
    }
    u.root = real;
    int rc = rm_fs_path(sub, sizeof sub, err, "%s/releases", real);
    if (rc == 0)
        rc = make_dir(&created, sub, err);
    if (rc == 0)
        rc = rm_fs_path(sub, sizeof sub, err, "%s/lib", real);
    if (rc == 0)
        rc = make_dir(&created, sub, err);
    struct rm_store *store = rc == 0 ? rm_store_open(real, RM_STORE_LOCK, err) : NULL;
    if (store) {
        u.store = store; /* opening it locked removed what a crash left */
        rc = rm_fs_path(sub, sizeof sub, err, "%s/" RM__STAGING_PREFIX "XXXXXX", real);
        if (rc == 0 && !mkdtemp(sub))
            rc = rm_error_set(err, RM_EIO, "cannot create a staging directory in '%s': %s", real,
                              strerror(errno));
        else if (rc == 0 && !(u.staging = strdup(sub)))
            rc = rm_error_nomem(err);
        if (rc == 0)
            rc = run(&u, store, res, err);
    } else {
        rc = -1;
    }
    unpack_free(&u);
    rm_store_close(store);
    undo_created(&created, rc < 0);
    return rc;
}
