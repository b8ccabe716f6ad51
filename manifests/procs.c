/* The list of processes an application or a boot file starts. */
#include <stddef.h>
#include <string.h>

#include "ytree.h"

_Static_assert(sizeof(enum rm_restart) == sizeof(int), "enum fields are stored as int");
_Static_assert(sizeof(enum rm_start_type) == sizeof(int), "enum fields are stored as int");

static const struct rm__field proc_fields[] = {
    {"name", RM__F_NAME, RM__REQUIRED, offsetof(struct rm_proc_spec, name), NULL},
    {"module", RM__F_NAME, RM__REQUIRED, offsetof(struct rm_proc_spec, module), NULL},
    {"arg", RM__F_STR, 0, offsetof(struct rm_proc_spec, arg), NULL},
    {"restart", RM__F_ENUM, 0, offsetof(struct rm_proc_spec, restart), rm__policy_names},
    {NULL, 0, 0, 0, NULL},
};

int rm__yprocs(struct rm__yctx *c, const struct rm__ynode *seq, rm__has_module_fn has_module,
               const void *owner, struct rm_proc_spec **out, size_t *n)
{
    struct rm_proc_spec *procs = rm__arena_array(c->arena, seq->n ? seq->n : 1, sizeof *procs);
    if (!procs)
        return rm_error_nomem(c->err);
    for (size_t i = 0; i < seq->n; i++) {
        struct rm_proc_spec *p = &procs[i];
        const struct rm__ynode *found[4];
        p->arg = "";
        p->restart = RM_RESTART_PERMANENT;
        if (rm__yfill(c, seq->items[i], "process entry", proc_fields, p, found) < 0)
            return -1;
        rm__yloc(seq->items[i], &p->loc);
        for (size_t j = 0; j < i; j++)
            if (strcmp(procs[j].name, p->name) == 0)
                return rm__yerr(c->doc, seq->items[i], c->err,
                                "process '%s' is listed twice (first at line %u)", p->name,
                                procs[j].loc.line);
        if (!has_module(owner, p->module))
            return rm__yerr(c->doc, found[1], c->err,
                            "process '%s' runs module '%s', which is not in 'modules'", p->name,
                            p->module);
    }
    *out = procs;
    *n = seq->n;
    return 0;
}
