/* Changes to the release store, after OTP's release_handler state table:
   add (unpacked, or permanent for a root's first release), make permanent
   (the previous permanent becomes old), remove. Each is written at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relman/fsutil.h"
#include "relman/manifest.h"
#include "relman/store.h"
#include "releases-internal.h"

/* Checks that `text`, the store formatted, is what rm_store_open() reads
   back: within RM_STORE_MAX_FILE and parsing to as many releases. Nothing
   the store's own reader would refuse is ever written. */
static int written_back_ok(const struct rm_store *store, const char *text, size_t len,
                           struct rm_error *err)
{
    if (len > RM_STORE_MAX_FILE)
        return rm_error_set(err, RM_ELIMIT,
                            "RELEASES would be %zu bytes, more than the limit of %u bytes "
                            "(remove old releases first)",
                            len, RM_STORE_MAX_FILE);
    struct rm_store back = {.lock_fd = -1};
    struct rm_error perr;
    int rc = store->nrels == 0 ? 0 : rm_store_parse(&back, text, len, "RELEASES", &perr);
    RM_ASSERT(rc < 0 || back.nrels == store->nrels);
    for (size_t i = 0; i < back.nrels; i++) {
        free(back.rels[i].name);
        free(back.rels[i].version);
        for (size_t j = 0; j < back.rels[i].napps; j++) {
            free(back.rels[i].apps[j].name);
            free(back.rels[i].apps[j].version);
        }
        free(back.rels[i].apps);
    }
    free(back.rels);
    if (rc < 0)
        return rm_error_set(err, perr.code == RM_ENOMEM ? RM_ENOMEM : RM_EINVAL,
                            "RELEASES would not read back: %s", perr.msg);
    return 0;
}

/* Writes the store to ROOT/releases/RELEASES atomically. Returns 0 when
   the file holds the store (a failed flush of the directory after the
   rename is then recorded in store->warning), or -1 with `err` set and the
   file unchanged: only then may the caller roll the store back. */
static int store_save(struct rm_store *store, struct rm_error *err)
{
    RM_ASSERT(store->lock_fd >= 0);
    rm_error_clear(&store->warning);
    char *text, *path;
    size_t len;
    if (rm_store_format(store, &text, &len, err) < 0)
        return -1;
    if (written_back_ok(store, text, len, err) < 0) {
        free(text);
        return -1;
    }
    path = rm_fs_join(store->root, "releases/RELEASES", err);
    rm__crash_point("store-write");
    int rc = path ? rm_fs_replace(path, text, len, 0644, &store->warning) : -1;
    if (rc >= 0)
        rm__crash_point("store-written");
    if (rc < 0 && path)
        rm_error_copy(err, &store->warning);
    if (rc < 0)
        rm_error_clear(&store->warning);
    free(path);
    free(text);
    return rc < 0 ? -1 : 0;
}

int rm_store_set_current(struct rm_store *store, const char *vsn, struct rm_error *err)
{
    if (!rm_store_find(store, vsn))
        return rm_error_set(err, RM_ENOENT, "release '%s' is not known", vsn);
    char *copy = strdup(vsn);
    if (!copy)
        return rm_error_nomem(err);
    free(store->current);
    store->current = copy;
    return 0;
}

int rm_store_set_installed(struct rm_store *store, const char *vsn, struct rm_error *err)
{
    struct rm_store_rel *rel = (struct rm_store_rel *)rm_store_find(store, vsn);
    if (!rel)
        return rm_error_set(err, RM_ENOENT, "release '%s' is not known", vsn);
    char *copy = strdup(vsn);
    if (!copy)
        return rm_error_nomem(err);
    if (rel->state == RM_REL_OLD) {
        rel->state = RM_REL_UNPACKED;
        if (store_save(store, err) < 0) {
            rel->state = RM_REL_OLD;
            free(copy);
            return -1;
        }
    }
    free(store->current);
    store->current = copy;
    return 0;
}

static void free_apps(struct rm_store_app *apps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(apps[i].name);
        free(apps[i].version);
    }
    free(apps);
}

int rm_store_add(struct rm_store *store, const char *name, const char *vsn,
                 const struct rm_store_app *apps, size_t napps, struct rm_error *err)
{
    if (!rm__token_ok(name) || !rm__token_ok(vsn))
        return rm_error_set(err, RM_EINVAL,
                            "release '%s' '%s': name and version must be non-empty, without "
                            "spaces, '=', '/' or control characters",
                            name, vsn);
    for (size_t i = 0; i < napps; i++)
        if (!rm__token_ok(apps[i].name) || !rm__token_ok(apps[i].version))
            return rm_error_set(err, RM_EINVAL, "release '%s': bad application '%s' '%s'", vsn,
                                apps[i].name, apps[i].version);
    if (napps > RM_RELEASE_MAX_APPS)
        return rm_error_set(err, RM_ELIMIT,
                            "release '%s': %zu applications, more than the limit of %d "
                            "applications",
                            vsn, napps, RM_RELEASE_MAX_APPS);
    if (rm_store_find(store, vsn))
        return rm_error_set(err, RM_EEXIST, "release '%s' is already known", vsn);
    struct rm_store_rel rel = {.state = store->nrels == 0 ? RM_REL_PERMANENT : RM_REL_UNPACKED,
                               .napps = napps};
    rel.name = strdup(name);
    rel.version = strdup(vsn);
    rel.apps = calloc(napps + 1, sizeof *rel.apps);
    int ok = rel.name && rel.version && rel.apps;
    for (size_t i = 0; ok && i < napps; i++) {
        rel.apps[i].name = strdup(apps[i].name);
        rel.apps[i].version = strdup(apps[i].version);
        ok = rel.apps[i].name && rel.apps[i].version;
    }
    struct rm_store_rel *rels = ok ? realloc(store->rels, (store->nrels + 1) * sizeof *rels) : NULL;
    if (!rels) {
        free(rel.name);
        free(rel.version);
        if (rel.apps)
            free_apps(rel.apps, napps);
        return rm_error_nomem(err);
    }
    store->rels = rels;
    store->rels[store->nrels++] = rel;
    if (store_save(store, err) < 0) {
        store->nrels--;
        free(rel.name);
        free(rel.version);
        free_apps(rel.apps, napps);
        return -1;
    }
    return 0;
}

int rm_store_make_permanent(struct rm_store *store, const char *vsn, struct rm_error *err)
{
    struct rm_store_rel *rel = (struct rm_store_rel *)rm_store_find(store, vsn);
    if (!rel)
        return rm_error_set(err, RM_ENOENT, "release '%s' is not known", vsn);
    enum rm_rel_state shown = rm_store_state(store, rel);
    if (shown == RM_REL_PERMANENT)
        return 0;
    if (shown == RM_REL_UNPACKED)
        return rm_error_set(err, RM_ESTATE,
                            "release '%s' is unpacked, not installed: install it first", vsn);
    struct rm_store_rel *perm = (struct rm_store_rel *)rm_store_permanent(store);
    RM_ASSERT(perm != NULL);
    enum rm_rel_state was = rel->state;
    perm->state = RM_REL_OLD;
    rel->state = RM_REL_PERMANENT;
    if (store_save(store, err) < 0) {
        perm->state = RM_REL_PERMANENT;
        rel->state = was;
        return -1;
    }
    return 0;
}

int rm__store_app_used(const struct rm_store *store, const struct rm_store_app *app)
{
    for (size_t i = 0; i < store->nrels; i++) {
        const struct rm_store_rel *rel = &store->rels[i];
        for (size_t j = 0; j < rel->napps; j++)
            if (strcmp(rel->apps[j].name, app->name) == 0 &&
                strcmp(rel->apps[j].version, app->version) == 0)
                return 1;
    }
    return 0;
}

/* Deletes ROOT/<dir>/<a>[-<b>] (one tree). */
static int remove_dir(const char *root, const char *dir, const char *a, const char *b,
                      struct rm_error *err)
{
    size_t len = strlen(root) + strlen(dir) + strlen(a) + (b ? strlen(b) : 0) + 4;
    char *path = malloc(len);
    if (!path)
        return rm_error_nomem(err);
    if (b)
        snprintf(path, len, "%s/%s/%s-%s", root, dir, a, b);
    else
        snprintf(path, len, "%s/%s/%s", root, dir, a);
    int rc = rm_fs_remove_tree(path, err);
    free(path);
    return rc;
}

int rm_store_remove(struct rm_store *store, const char *vsn, struct rm_error *err)
{
    const struct rm_store_rel *found = rm_store_find(store, vsn);
    if (!found)
        return rm_error_set(err, RM_ENOENT, "release '%s' is not known", vsn);
    enum rm_rel_state shown = rm_store_state(store, found);
    if (shown == RM_REL_PERMANENT || shown == RM_REL_CURRENT)
        return rm_error_set(err, RM_ESTATE, "release '%s' is %s and cannot be removed", vsn,
                            rm_rel_state_name(shown));
    size_t idx = (size_t)(found - store->rels);
    struct rm_store_rel rel = store->rels[idx];
    memmove(&store->rels[idx], &store->rels[idx + 1],
            (store->nrels - idx - 1) * sizeof *store->rels);
    store->nrels--;
    /* The directories only this release uses, named in the intent file
       before RELEASES changes, so that a crash at any step is finished by
       the next holder of the lock (store-intent.c). */
    struct rm_store_app *own = calloc(rel.napps + 1, sizeof *own);
    size_t nown = 0;
    int rc = own ? 0 : rm_error_nomem(err);
    for (size_t i = 0; rc == 0 && i < rel.napps; i++)
        if (!rm__store_app_used(store, &rel.apps[i]))
            own[nown++] = rel.apps[i];
    if (rc == 0)
        rc = rm__intent_write(store->root, "remove", vsn, own, nown, err);
    if (rc == 0)
        rm__crash_point("remove-intent");
    if (rc == 0 && store_save(store, err) < 0) {
        rm__intent_clear(store->root, NULL);
        rc = -1;
    }
    if (rc < 0) {
        memmove(&store->rels[idx + 1], &store->rels[idx],
                (store->nrels - idx) * sizeof *store->rels);
        store->rels[idx] = rel;
        store->nrels++;
        free(own);
        return -1;
    }
    for (size_t i = 0; i < nown && rc == 0; i++) {
        rc = remove_dir(store->root, "lib", own[i].name, own[i].version, err);
        if (rc == 0)
            rm__crash_point("remove-deleted");
    }
    if (rc == 0 && (rc = remove_dir(store->root, "releases", rel.version, NULL, err)) == 0)
        rm__crash_point("remove-deleted");
    if (rc == 0)
        rc = rm__intent_clear(store->root, err);
    if (rc < 0)
        rm_error_prefix(err,
                        "release '%s' is gone from RELEASES but its files remain (the next "
                        "change of the store deletes them)",
                        vsn);
    free(own);
    free(rel.name);
    free(rel.version);
    free_apps(rel.apps, rel.napps);
    return rc;
}
