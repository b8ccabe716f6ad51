/* The boot file: the modules a node loads and the processes it starts
   before any release replaces them. */
#include <stddef.h>
#include <string.h>

#include "ytree.h"

static const struct rm__field boot_fields[] = {
    {"modules", RM__F_SEQ, RM__REQUIRED, 0, NULL},
    {"processes", RM__F_SEQ, 0, 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static const struct rm__field module_fields[] = {
    {"name", RM__F_NAME, RM__REQUIRED, offsetof(struct rm_boot_module, name), NULL},
    {"version", RM__F_NAME, RM__REQUIRED, offsetof(struct rm_boot_module, version), NULL},
    {"path", RM__F_STR, RM__REQUIRED, offsetof(struct rm_boot_module, path), NULL},
    {NULL, 0, 0, 0, NULL},
};

/* Joins a relative module path to the directory of the boot file. */
static int resolve_path(struct rm__yctx *c, const struct rm__ynode *n, const char **path)
{
    if (**path == '\0')
        return rm__yerr(c->doc, n, c->err, "'path' must not be empty");
    const char *slash = strrchr(c->doc->file, '/');
    if (**path == '/' || !slash)
        return 0;
    size_t dir = (size_t)(slash - c->doc->file), len = strlen(*path);
    char *full = rm__arena_alloc(c->arena, dir + 1 + len + 1);
    if (!full)
        return rm_error_nomem(c->err);
    memcpy(full, c->doc->file, dir);
    full[dir] = '/';
    memcpy(full + dir + 1, *path, len + 1);
    *path = full;
    return 0;
}

static int has_module(const void *owner, const char *name)
{
    const struct rm_boot *boot = owner;
    for (size_t i = 0; i < boot->n_modules; i++)
        if (strcmp(boot->modules[i].name, name) == 0)
            return 1;
    return 0;
}

static int convert_boot(struct rm__yctx *c, const struct rm__ynode *root, void *out)
{
    struct rm_boot *boot = out;
    const struct rm__ynode *found[3];
    if (rm__yfill(c, root, "boot file", boot_fields, boot, found) < 0)
        return -1;
    boot->file = c->doc->file;
    const struct rm__ynode *mods = found[0];
    boot->modules = rm__arena_array(c->arena, mods->n ? mods->n : 1, sizeof *boot->modules);
    if (!boot->modules)
        return rm_error_nomem(c->err);
    for (size_t i = 0; i < mods->n; i++) {
        struct rm_boot_module *m = &boot->modules[i];
        const struct rm__ynode *mf[4];
        if (rm__yfill(c, mods->items[i], "module entry", module_fields, m, mf) < 0 ||
            resolve_path(c, mf[2], &m->path) < 0)
            return -1;
        rm__yloc(mods->items[i], &m->loc);
        if (has_module(boot, m->name))
            return rm__yerr(c->doc, mods->items[i], c->err, "module '%s' is listed twice", m->name);
        boot->n_modules = i + 1;
    }
    if (found[1] &&
        rm__yprocs(c, found[1], has_module, boot, &boot->processes, &boot->n_processes) < 0)
        return -1;
    return 0;
}

int rm_boot_parse(const char *file, const char *data, size_t len, struct rm_boot *out,
                  struct rm_error *err)
{
    struct rm_boot tmp = {0};
    if (rm__yload(file, data ? data : "", data ? len : 0, convert_boot, &tmp, &tmp.arena, err) < 0)
        return -1;
    *out = tmp;
    return 0;
}

int rm_boot_load(const char *path, struct rm_boot *out, struct rm_error *err)
{
    struct rm_boot tmp = {0};
    if (rm__yload(path, NULL, 0, convert_boot, &tmp, &tmp.arena, err) < 0)
        return -1;
    *out = tmp;
    return 0;
}

void rm_boot_free(struct rm_boot *boot)
{
    if (!boot)
        return;
    rm__arena_free(boot->arena);
    memset(boot, 0, sizeof *boot);
}
