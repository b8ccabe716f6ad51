/* The release manifest: ROOT/releases/<vsn>/release.yaml. */
#include <stddef.h>
#include <string.h>

#include "ytree.h"

static const struct rm__field release_fields[] = {
    {"release", RM__F_NAME, RM__REQUIRED, offsetof(struct rm_release, name), NULL},
    {"version", RM__F_NAME, RM__REQUIRED, offsetof(struct rm_release, version), NULL},
    {"applications", RM__F_SEQ, RM__REQUIRED, 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static const struct rm__field app_fields[] = {
    {"name", RM__F_NAME, RM__REQUIRED, offsetof(struct rm_release_app, name), NULL},
    {"version", RM__F_NAME, RM__REQUIRED, offsetof(struct rm_release_app, version), NULL},
    {"start", RM__F_ENUM, 0, offsetof(struct rm_release_app, start), rm__start_type_names},
    {NULL, 0, 0, 0, NULL},
};

static int convert_release(struct rm__yctx *c, const struct rm__ynode *root, void *out)
{
    struct rm_release *rel = out;
    const struct rm__ynode *found[4];
    if (rm__yfill(c, root, "release", release_fields, rel, found) < 0)
        return -1;
    rm__yloc(root, &rel->loc);
    rel->file = c->doc->file;
    const struct rm__ynode *apps = found[2];
    if (apps->kind == RM__Y_SEQ && apps->n > RM_RELEASE_MAX_APPS) {
        rm__yerr(c->doc, apps->items[RM_RELEASE_MAX_APPS], c->err,
                 "more than the limit of %d applications in a release", RM_RELEASE_MAX_APPS);
        if (c->err)
            c->err->code = RM_ELIMIT;
        return -1;
    }
    rel->apps = rm__arena_array(c->arena, apps->n ? apps->n : 1, sizeof *rel->apps);
    if (!rel->apps)
        return rm_error_nomem(c->err);
    for (size_t i = 0; i < apps->n; i++) {
        struct rm_release_app *a = &rel->apps[i];
        a->start = RM_START_PERMANENT;
        if (rm__yfill(c, apps->items[i], "application entry", app_fields, a, NULL) < 0)
            return -1;
        rm__yloc(apps->items[i], &a->loc);
        for (size_t j = 0; j < i; j++)
            if (strcmp(rel->apps[j].name, a->name) == 0)
                return rm__yerr(c->doc, apps->items[i], c->err,
                                "application '%s' is listed twice (first at line %u)", a->name,
                                rel->apps[j].loc.line);
    }
    rel->n_apps = apps->n;
    return 0;
}

int rm_release_parse(const char *file, const char *data, size_t len, struct rm_release *out,
                     struct rm_error *err)
{
    struct rm_release tmp = {0};
    if (rm__yload(file, data ? data : "", data ? len : 0, convert_release, &tmp, &tmp.arena, err) <
        0)
        return -1;
    *out = tmp;
    return 0;
}

int rm_release_load(const char *path, struct rm_release *out, struct rm_error *err)
{
    struct rm_release tmp = {0};
    if (rm__yload(path, NULL, 0, convert_release, &tmp, &tmp.arena, err) < 0)
        return -1;
    *out = tmp;
    return 0;
}

const struct rm_release_app *rm_release_find(const struct rm_release *rel, const char *name)
{
    for (size_t i = 0; i < rel->n_apps; i++)
        if (strcmp(rel->apps[i].name, name) == 0)
            return &rel->apps[i];
    return NULL;
}

void rm_release_free(struct rm_release *rel)
{
    if (!rel)
        return;
    rm__arena_free(rel->arena);
    memset(rel, 0, sizeof *rel);
}
