/* A release's application manifests: found in search directories, checked
   against the release, and ordered so that dependencies start first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "relman/fsutil.h"
#include "relman/manifest.h"

/* Index of application `name` in `rel`, or -1. */
static long app_index(const struct rm_release *rel, const char *name)
{
    const struct rm_release_app *a = rm_release_find(rel, name);
    return a ? (long)(a - rel->apps) : -1;
}

/* The first of `dirs` holding <app>-<vsn>/, or NULL. */
static const char *find_dir(const struct rm_release_app *a, const char *const *dirs, size_t n_dirs)
{
    for (size_t i = 0; i < n_dirs; i++) {
        char path[4096];
        struct stat st;
        if (rm_fs_path(path, sizeof path, NULL, "%s/%s-%s", dirs[i], a->name, a->version) == 0 &&
            stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return dirs[i];
    }
    return NULL;
}

/* Sets `err` to "release.yaml:L:C: application 'a' version 'v' is in none of
   'd1', 'd2' (no a-v/ in them)". */
static int not_found(const struct rm_release *rel, const struct rm_release_app *a,
                     const char *const *dirs, size_t n_dirs, struct rm_error *err)
{
    char list[512] = "";
    size_t len = 0;
    for (size_t i = 0; i < n_dirs && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s'%s'", i ? ", " : "", dirs[i]);
    return rm_error_set(err, RM_ENOENT,
                        "%s:%u:%u: application '%s' version '%s' is in none of the directories "
                        "searched (no %s-%s/ in %s)",
                        rel->file, a->loc.line, a->loc.col, a->name, a->version, a->name,
                        a->version, n_dirs ? list : "no directory");
}

/* Loads and checks the manifest of `a`, which must name `a` itself. */
static int load_one(const struct rm_release *rel, const struct rm_release_app *a,
                    const char *const *dirs, size_t n_dirs, struct rm_app *app,
                    struct rm_error *err)
{
    const char *dir = find_dir(a, dirs, n_dirs);
    if (!dir)
        return not_found(rel, a, dirs, n_dirs, err);
    char path[4096];
    if (rm_fs_path(path, sizeof path, err, "%s/%s-%s/%s%s", dir, a->name, a->version, a->name,
                   RM_APP_FILE_SUFFIX) < 0 ||
        rm_app_load(path, app, err) < 0)
        return rm_error_prefix(err, "release '%s'", rel->version);
    if (strcmp(app->name, a->name) == 0 && strcmp(app->version, a->version) == 0)
        return 0;
    rm_error_set(err, RM_EPARSE,
                 "%s:%u:%u: application '%s' version '%s' does not match release '%s', which "
                 "names '%s' version '%s'",
                 app->file, app->loc.line, app->loc.col, app->name, app->version, rel->version,
                 a->name, a->version);
    rm_app_free(app);
    return -1;
}

/* Refuses a dependency of `app` that `rel` does not hold. */
static int check_deps(const struct rm_release *rel, const struct rm_app *app, struct rm_error *err)
{
    for (size_t i = 0; i < app->applications.n; i++)
        if (app_index(rel, app->applications.v[i]) < 0)
            return rm_error_set(err, RM_EPARSE,
                                "%s:%u:%u: application '%s' depends on '%s', which release '%s' "
                                "does not hold",
                                app->file, app->loc.line, app->loc.col, app->name,
                                app->applications.v[i], rel->version);
    return 0;
}

int rm_release_load_apps(const struct rm_release *rel, const char *const *dirs, size_t n_dirs,
                         struct rm_app **apps, struct rm_error *err)
{
    struct rm_app *v = calloc(rel->n_apps + 1, sizeof *v);
    size_t *order = calloc(rel->n_apps + 1, sizeof *order);
    size_t n = 0;
    int rc = v && order ? 0 : rm_error_nomem(err);
    for (; rc == 0 && n < rel->n_apps; n++)
        if ((rc = load_one(rel, &rel->apps[n], dirs, n_dirs, &v[n], err)) < 0)
            break;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = check_deps(rel, &v[i], err);
    if (rc == 0)
        rc = rm_release_start_order(rel, v, order, err);
    free(order);
    if (rc < 0) {
        rm_release_apps_free(v, n);
        return -1;
    }
    *apps = v;
    return 0;
}

void rm_release_apps_free(struct rm_app *apps, size_t n)
{
    for (size_t i = 0; apps && i < n; i++)
        rm_app_free(&apps[i]);
    free(apps);
}

/* Depth-first walk state: 0 unseen, 1 on the current path, 2 placed. */
struct walk {
    const struct rm_release *rel;
    const struct rm_app *apps;
    unsigned char *state;
    size_t *path; /* the current path, for the cycle's message */
    size_t depth;
    size_t *order;
    size_t n_order;
    struct rm_error *err;
};

static int cycle(struct walk *w, size_t at)
{
    char chain[512] = "";
    size_t len = 0, k = 0;
    while (w->path[k] != at)
        k++;
    for (size_t i = k; i < w->depth && len < sizeof chain; i++)
        len += (size_t)snprintf(chain + len, sizeof chain - len, "'%s' -> ",
                                w->rel->apps[w->path[i]].name);
    if (len < sizeof chain)
        snprintf(chain + len, sizeof chain - len, "'%s'", w->rel->apps[at].name);
    const struct rm_app *app = &w->apps[at];
    return rm_error_set(w->err, RM_EPARSE,
                        "%s:%u:%u: applications of release '%s' depend on each other: %s",
                        app->file, app->loc.line, app->loc.col, w->rel->version, chain);
}

static int visit(struct walk *w, size_t i)
{
    if (w->state[i] == 2)
        return 0;
    if (w->state[i] == 1)
        return cycle(w, i);
    w->state[i] = 1;
    w->path[w->depth++] = i;
    const struct rm_app *app = &w->apps[i];
    for (size_t d = 0; d < app->applications.n; d++) {
        long j = app_index(w->rel, app->applications.v[d]);
        if (j < 0)
            return check_deps(w->rel, app, w->err);
        if (visit(w, (size_t)j) < 0)
            return -1;
    }
    w->depth--;
    w->state[i] = 2;
    w->order[w->n_order++] = i;
    return 0;
}

int rm_release_start_order(const struct rm_release *rel, const struct rm_app *apps, size_t *order,
                           struct rm_error *err)
{
    struct walk w = {.rel = rel, .apps = apps, .order = order, .err = err};
    w.state = calloc(rel->n_apps + 1, 1);
    w.path = calloc(rel->n_apps + 1, sizeof *w.path);
    int rc = w.state && w.path ? 0 : rm_error_nomem(err);
    for (size_t i = 0; rc == 0 && i < rel->n_apps; i++)
        rc = visit(&w, i);
    free(w.state);
    free(w.path);
    return rc;
}
