/* Plans from files: one appup, or two releases and their applications. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan-internal.h"
#include "relman/fsutil.h"

int rm_plan_appup(const struct rm_appup *doc, enum rm_direction dir, const char *vsn,
                  const struct rm_app *newer, const struct rm_app *older, struct rm_plan *out,
                  struct rm_error *err)
{
    const struct rm_appup_entry *e = rm_appup_find(doc, dir, vsn);
    const char *name = doc->application ? doc->application : "release";
    if (!e)
        return rm_error_set(
            err, RM_ENOPATH, "'%s': no upgrade path from '%s' to '%s' (%s has no %s entry %s '%s')",
            name, dir == RM_UP ? vsn : doc->version, dir == RM_UP ? doc->version : vsn,
            doc->file, dir == RM_UP ? "up" : "down", dir == RM_UP ? "from" : "to", vsn);
    struct rm_plan_app hi = {name, doc->version, newer, RM_START_PERMANENT};
    struct rm_plan_app lo = {name, vsn, older, RM_START_PERMANENT};
    if (dir == RM_UP)
        return rm_plan_translate(dir, &e->script, 1, &hi, 1, &lo, 1, out, err);
    return rm_plan_translate(dir, &e->script, 1, &lo, 1, &hi, 1, out, err);
}

/* Loads the appup beside application manifest `app` (<dir>/<app>.appup.yaml),
   checking its name and version; 1 when there is none. */
static int load_appup(const struct rm_app *app, struct rm_appup *doc, struct rm_error *err)
{
    char path[4096];
    const char *slash = strrchr(app->file, '/');
    int dir = slash ? (int)(slash - app->file) : 1;
    if (rm_fs_path(path, sizeof path, err, "%.*s/%s%s", dir, slash ? app->file : ".", app->name,
                   RM_APPUP_FILE_SUFFIX) < 0)
        return -1;
    if (!rm_fs_exists(path))
        return 1;
    if (rm_appup_load(path, doc, err) < 0)
        return -1;
    if (strcmp(doc->application, app->name) != 0 || strcmp(doc->version, app->version) != 0) {
        rm_error_set(err, RM_EPARSE,
                     "%s:%u:%u: appup is for application '%s' version '%s', but the application "
                     "is '%s' version '%s'",
                     path, doc->loc.line, doc->loc.col, doc->application, doc->version, app->name,
                     app->version);
        rm_appup_free(doc);
        return -1;
    }
    return 0;
}

/* Finds the script of a changed application: the up entry of the target's
   appup, else the down entry of the current one's. */
static int changed_script(const struct rm_app *from, const struct rm_app *to, struct rm_appup *docs,
                          size_t *n_docs, enum rm_direction *dir, const struct rm_appup_entry **entry,
                          struct rm_error *err)
{
    struct rm_appup *doc = &docs[*n_docs];
    int rc = load_appup(to, doc, err);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        ++*n_docs;
        if ((*entry = rm_appup_find(doc, RM_UP, from->version))) {
            *dir = RM_UP;
            return 0;
        }
    }
    doc = &docs[*n_docs];
    rc = load_appup(from, doc, err);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        ++*n_docs;
        if ((*entry = rm_appup_find(doc, RM_DOWN, to->version))) {
            *dir = RM_DOWN;
            return 0;
        }
    }
    return rm_error_set(err, RM_ENOPATH,
                        "application '%s': no upgrade path from '%s' to '%s' (no up entry from "
                        "'%s' in the appup of '%s', no down entry to '%s' in the appup of '%s')",
                        to->name, from->version, to->version, from->version, to->version,
                        to->version, from->version);
}

/* Refuses a plan from a release to itself. */
static int check_not_same(const struct rm_release *from, const struct rm_release *to,
                          struct rm_error *err)
{
    if (strcmp(from->version, to->version) == 0)
        return rm_error_set(err, RM_EINVAL, "release '%s' to itself: nothing to plan",
                            from->version);
    return 0;
}

/* The applications of `rel` as translation sees them (new array). */
static struct rm_plan_app *plan_apps(const struct rm_release *rel, const struct rm_app *apps)
{
    struct rm_plan_app *v = calloc(rel->n_apps + 1, sizeof *v);
    for (size_t i = 0; v && i < rel->n_apps; i++)
        v[i] = (struct rm_plan_app){rel->apps[i].name, rel->apps[i].version, &apps[i],
                                    rel->apps[i].start};
    return v;
}

int rm_plan_release_apps(const struct rm_release *from, const struct rm_app *from_apps,
                         const struct rm_release *to, const struct rm_app *to_apps,
                         struct rm_plan *out, struct rm_error *err)
{
    if (check_not_same(from, to, err) < 0)
        return -1;
    size_t cap = from->n_apps + to->n_apps + 2, n_docs = 0, n_scripts = 0;
    struct rm_appup *docs = calloc(2 * cap, sizeof *docs);
    struct rm_script *scripts = calloc(cap, sizeof *scripts);
    struct rm_instr *apps_instrs = calloc(cap, sizeof *apps_instrs);
    struct rm_plan_app *pre = plan_apps(from, from_apps), *post = plan_apps(to, to_apps);
    int rc = docs && scripts && apps_instrs && pre && post ? 0 : rm_error_nomem(err);
    /* One script per removed, then per added application, then the
       appup scripts in the target's order, as systools_relup. */
    size_t k = 0;
    for (size_t i = 0; rc == 0 && i < from->n_apps; i++)
        if (!rm_release_find(to, from->apps[i].name)) {
            apps_instrs[k] = (struct rm_instr){.kind = RM_I_REMOVE_APPLICATION,
                                               .application = from->apps[i].name,
                                               .loc = from->apps[i].loc};
            scripts[n_scripts++] = (struct rm_script){from->file, &apps_instrs[k++], 1};
        }
    for (size_t i = 0; rc == 0 && i < to->n_apps; i++)
        if (!rm_release_find(from, to->apps[i].name)) {
            apps_instrs[k] = (struct rm_instr){.kind = RM_I_ADD_APPLICATION,
                                               .application = to->apps[i].name,
                                               .start = to->apps[i].start,
                                               .loc = to->apps[i].loc};
            scripts[n_scripts++] = (struct rm_script){to->file, &apps_instrs[k++], 1};
        }
    enum rm_direction dir = RM_UP;
    const char *first_changed = NULL;
    for (size_t i = 0; rc == 0 && i < to->n_apps; i++) {
        const struct rm_release_app *t = &to->apps[i], *f = rm_release_find(from, t->name);
        if (!f || strcmp(f->version, t->version) == 0)
            continue;
        enum rm_direction d = RM_UP;
        const struct rm_appup_entry *e;
        rc = changed_script(&from_apps[f - from->apps], &to_apps[i], docs, &n_docs, &d, &e, err);
        if (rc == 0 && first_changed && d != dir)
            rc = rm_error_set(err, RM_ENOPATH,
                              "no upgrade path from release '%s' to '%s': application '%s' goes "
                              "%s but '%s' goes %s",
                              from->version, to->version, first_changed,
                              dir == RM_UP ? "up" : "down", t->name,
                              d == RM_UP ? "up" : "down");
        if (rc == 0) {
            dir = d;
            first_changed = first_changed ? first_changed : t->name;
            scripts[n_scripts++] = e->script;
        }
    }
    if (rc == 0)
        rc = rm_plan_translate(dir, scripts, n_scripts, post, to->n_apps, pre, from->n_apps, out,
                               err);
    for (size_t i = 0; i < n_docs; i++)
        rm_appup_free(&docs[i]);
    free(docs);
    free(scripts);
    free(apps_instrs);
    free(pre);
    free(post);
    return rc;
}

int rm_plan_releases(const struct rm_release *from, const char *from_lib,
                     const struct rm_release *to, const char *to_lib, struct rm_plan *out,
                     struct rm_error *err)
{
    if (check_not_same(from, to, err) < 0)
        return -1;
    struct rm_app *pre = NULL, *post = NULL;
    int rc = rm_release_load_apps(from, &from_lib, 1, &pre, err);
    if (rc == 0)
        rc = rm_release_load_apps(to, &to_lib, 1, &post, err);
    if (rc == 0)
        rc = rm_plan_release_apps(from, pre, to, post, out, err);
    rm_release_apps_free(pre, pre ? from->n_apps : 0);
    rm_release_apps_free(post, post ? to->n_apps : 0);
    return rc;
}
