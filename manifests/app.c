/* The application manifest: ROOT/lib/<app>-<vsn>/<app>.app.yaml. */
#include <stddef.h>
#include <string.h>

#include "ytree.h"

static const struct rm__field app_fields[] = {
    {"application", RM__F_NAME, RM__REQUIRED, offsetof(struct rm_app, name), NULL},
    {"version", RM__F_NAME, RM__REQUIRED, offsetof(struct rm_app, version), NULL},
    {"description", RM__F_STR, 0, offsetof(struct rm_app, description), NULL},
    {"modules", RM__F_SEQ, RM__REQUIRED, 0, NULL},
    {"processes", RM__F_SEQ, 0, 0, NULL},
    {"applications", RM__F_NAMES, 0, offsetof(struct rm_app, applications), NULL},
    {"config", RM__F_MAP, 0, 0, NULL},
    {"config_schema", RM__F_MAP, 0, 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static const struct rm__field module_fields[] = {
    {"name", RM__F_NAME, RM__REQUIRED, offsetof(struct rm_app_module, name), NULL},
    {"version", RM__F_NAME, 0, offsetof(struct rm_app_module, version), NULL},
    {NULL, 0, 0, 0, NULL},
};

/* A module entry is a name, or a mapping with its own version. */
static int convert_module(struct rm__yctx *c, const struct rm__ynode *n, const char *app_vsn,
                          struct rm_app_module *m)
{
    m->version = app_vsn;
    if (n->kind == RM__Y_MAP) {
        if (rm__yfill(c, n, "module entry", module_fields, m, NULL) < 0)
            return -1;
    } else if (rm__yvalue(c, n, "modules", RM__F_NAME, NULL, &m->name) < 0) {
        return -1;
    }
    rm__yloc(n, &m->loc);
    return 0;
}

static int has_module(const void *owner, const char *name)
{
    return rm_app_find_module(owner, name) != NULL;
}

static int convert_app(struct rm__yctx *c, const struct rm__ynode *root, void *out)
{
    struct rm_app *app = out;
    const struct rm__ynode *found[9];
    app->description = "";
    if (rm__yfill(c, root, "application", app_fields, app, found) < 0)
        return -1;
    rm__yloc(root, &app->loc);
    app->file = c->doc->file;
    const struct rm__ynode *mods = found[3];
    app->modules = rm__arena_array(c->arena, mods->n ? mods->n : 1, sizeof *app->modules);
    if (!app->modules)
        return rm_error_nomem(c->err);
    for (size_t i = 0; i < mods->n; i++) {
        if (convert_module(c, mods->items[i], app->version, &app->modules[i]) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(app->modules[j].name, app->modules[i].name) == 0)
                return rm__yerr(c->doc, mods->items[i], c->err,
                                "module '%s' is listed twice (first at line %u)",
                                app->modules[i].name, app->modules[j].loc.line);
    }
    app->n_modules = mods->n;
    if (found[4] &&
        rm__yprocs(c, found[4], has_module, app, &app->processes, &app->n_processes) < 0)
        return -1;
    return rm__yconfig(c, app, found[6], found[7]);
}

int rm_app_parse(const char *file, const char *data, size_t len, struct rm_app *out,
                 struct rm_error *err)
{
    struct rm_app tmp = {0};
    if (rm__yload(file, data ? data : "", data ? len : 0, convert_app, &tmp, &tmp.arena, err) < 0)
        return -1;
    *out = tmp;
    return 0;
}

int rm_app_load(const char *path, struct rm_app *out, struct rm_error *err)
{
    struct rm_app tmp = {0};
    if (rm__yload(path, NULL, 0, convert_app, &tmp, &tmp.arena, err) < 0)
        return -1;
    *out = tmp;
    return 0;
}

const struct rm_app_module *rm_app_find_module(const struct rm_app *app, const char *name)
{
    for (size_t i = 0; i < app->n_modules; i++)
        if (strcmp(app->modules[i].name, name) == 0)
            return &app->modules[i];
    return NULL;
}

void rm_app_free(struct rm_app *app)
{
    if (!app)
        return;
    rm__arena_free(app->arena);
    memset(app, 0, sizeof *app);
}
