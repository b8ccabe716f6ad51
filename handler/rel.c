/* A release of ROOT with its applications' manifests, and starting or
   stopping one application's processes on a node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler-internal.h"

int rm__rel_module_path(const char *root, const char *app, const char *vsn, const char *module,
                        char *buf, size_t size, struct rm_error *err)
{
    int k = snprintf(buf, size, "%s/lib/%s-%s/%s.so", root, app, vsn, module);
    if (k < 0 || (size_t)k >= size)
        return rm_error_set(err, RM_ELIMIT, "path of module '%s' of '%s-%s' is too long", module,
                            app, vsn);
    return 0;
}

int rm_handler_rel_load(const char *root, const char *vsn, struct rm_handler_rel *out,
                        struct rm_error *err)
{
    char path[4096], lib[4096];
    struct rm_handler_rel r = {0};
    int k = snprintf(path, sizeof path, "%s/releases/%s/" RM_RELEASE_FILE, root, vsn);
    int l = snprintf(lib, sizeof lib, "%s/lib", root);
    if (k < 0 || (size_t)k >= sizeof path || l < 0 || (size_t)l >= sizeof lib)
        return rm_error_set(err, RM_ELIMIT, "release '%s': path too long", vsn);
    if (rm_release_load(path, &r.rel, err) < 0)
        return -1;
    const char *dirs[1] = {lib};
    if (rm_release_load_apps(&r.rel, dirs, 1, &r.apps, err) < 0) {
        rm_release_free(&r.rel);
        return -1;
    }
    *out = r;
    return 0;
}

void rm_handler_rel_free(struct rm_handler_rel *r)
{
    if (!r)
        return;
    rm_release_apps_free(r->apps, r->rel.n_apps);
    rm_release_free(&r->rel);
    memset(r, 0, sizeof *r);
}

const struct rm_app *rm__rel_app(const struct rm_handler_rel *r, const char *name)
{
    for (size_t i = 0; r->apps && i < r->rel.n_apps; i++)
        if (strcmp(r->rel.apps[i].name, name) == 0)
            return &r->apps[i];
    return NULL;
}

const struct rm_app_module *rm__rel_module(const struct rm_handler_rel *r, const char *name,
                                           const struct rm_app **app)
{
    for (size_t i = 0; r->apps && i < r->rel.n_apps; i++) {
        const struct rm_app_module *m = rm_app_find_module(&r->apps[i], name);
        if (m) {
            if (app)
                *app = &r->apps[i];
            return m;
        }
    }
    return NULL;
}

/* Loads the modules of `app` that the node does not run yet. */
static int load_modules(struct rm_node *node, const char *root, const struct rm_app *app,
                        struct rm_error *err)
{
    struct rm_module_info *mods = NULL;
    size_t nmods = 0;
    if (rm_module_list(node, &mods, &nmods, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < app->n_modules; i++) {
        const struct rm_app_module *m = &app->modules[i];
        int loaded = 0;
        for (size_t j = 0; j < nmods; j++)
            if (strcmp(mods[j].name, m->name) == 0 && mods[j].current_vsn[0])
                loaded = strcmp(mods[j].current_vsn, m->version) == 0 ? 1 : -1;
        if (loaded < 0) {
            rc = rm_error_set(err, RM_ESTATE,
                              "application '%s': module '%s' runs another version than '%s'",
                              app->name, m->name, m->version);
            break;
        }
        if (loaded)
            continue;
        char path[4096];
        rc = rm__rel_module_path(root, app->name, app->version, m->name, path, sizeof path, err);
        if (rc == 0 && rm_module_load(node, path, m->name, m->version, NULL, err) < 0)
            rc = rm_error_prefix(err, "application '%s'", app->name);
    }
    free(mods);
    return rc;
}

int rm__rel_app_start(struct rm_node *node, const char *root, const struct rm_handler_rel *r,
                      const struct rm_release_app *ra, struct rm_error *err)
{
    const struct rm_app *app = rm__rel_app(r, ra->name);
    if (!app)
        return rm_error_set(err, RM_ENOENT, "application '%s' is not in release '%s'", ra->name,
                            r->rel.version);
    if (ra->start == RM_START_NONE)
        return 0;
    if (load_modules(node, root, app, err) < 0)
        return -1;
    if (ra->start == RM_START_LOAD)
        return 0;
    for (size_t i = 0; i < app->n_processes; i++) {
        const struct rm_proc_spec *ps = &app->processes[i];
        struct rm_spawn_opts so = {.module = ps->module,
                                   .name = ps->name,
                                   .arg = ps->arg,
                                   .restart = ps->restart};
        if (rm_proc_spawn(node, &so, NULL, err) < 0)
            return rm_error_prefix(err, "application '%s': process '%s'", app->name, ps->name);
    }
    return 0;
}

int rm__rel_app_stop(struct rm_node *node, const struct rm_app *app, size_t *count,
                     struct rm_error *err)
{
    size_t n = 0;
    /* In reverse start order, as a supervisor stops its children. */
    for (size_t i = app->n_processes; i-- > 0;) {
        rm_pid pid;
        if (rm_proc_resolve(node, app->processes[i].name, &pid, NULL) < 0)
            continue;
        if (rm_proc_stop(node, pid, "shutdown", err) < 0) {
            if (err && err->code == RM_ENOENT)
                continue;
            return rm_error_prefix(err, "application '%s'", app->name);
        }
        n++;
    }
    if (count)
        *count = n;
    return 0;
}
