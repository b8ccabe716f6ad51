/* Work lists of instructions, and deep copies of instructions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan-internal.h"
#include "relman/array.h"

int rm__wlist_push(struct rm__wlist *l, const struct rm_instr *in, const char *file,
                   struct rm_error *err)
{
    if (rm_array_grow(&l->v, &l->cap, l->n, sizeof *l->v, 16, err) < 0)
        return -1;
    l->v[l->n].in = *in;
    l->v[l->n].file = file;
    l->n++;
    return 0;
}

void rm__wlist_free(struct rm__wlist *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

int rm__wi_err(struct rm_error *err, const struct rm__wi *w, const char *fmt, ...)
{
    char what[RM_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return rm_error_set(err, RM_EPARSE, "%s:%u:%u: %s", w->file, w->in.loc.line, w->in.loc.col,
                        what);
}

static int copy_str(struct rm__arena *a, const char **s)
{
    if (!*s)
        return 0;
    *s = rm__arena_strdup(a, *s);
    return *s ? 0 : -1;
}

static int copy_names(struct rm__arena *a, struct rm_names *names)
{
    if (!names->v)
        return 0;
    const char **v = rm__arena_array(a, names->n ? names->n : 1, sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < names->n; i++) {
        v[i] = names->v[i];
        if (copy_str(a, &v[i]) < 0)
            return -1;
    }
    names->v = v;
    return 0;
}

int rm__instr_copy(struct rm__arena *a, struct rm_instr *dst, const struct rm_instr *src)
{
    *dst = *src;
    if (copy_str(a, &dst->module) < 0 || copy_str(a, &dst->application) < 0 ||
        copy_str(a, &dst->version) < 0 || copy_str(a, &dst->extra) < 0 ||
        copy_str(a, &dst->apply_module) < 0 || copy_str(a, &dst->function) < 0 ||
        copy_names(a, &dst->deps) < 0 || copy_names(a, &dst->args) < 0)
        return -1;
    if (src->items) {
        dst->items = rm__arena_array(a, src->n_items ? src->n_items : 1, sizeof *dst->items);
        if (!dst->items)
            return -1;
        for (size_t i = 0; i < src->n_items; i++) {
            dst->items[i] = src->items[i];
            if (copy_str(a, &dst->items[i].module) < 0 || copy_str(a, &dst->items[i].extra) < 0)
                return -1;
        }
    }
    return 0;
}

void rm_plan_free(struct rm_plan *plan)
{
    if (!plan)
        return;
    rm__arena_free(plan->arena);
    memset(plan, 0, sizeof *plan);
}
