/* Helpers shared by the manifests suites. */
#include "manifests-helpers.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char buf[1 << 16];
static size_t len;

static void add(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + len, sizeof buf - len, fmt, ap);
    va_end(ap);
    if (n > 0)
        len += (size_t)n < sizeof buf - len ? (size_t)n : sizeof buf - len - 1;
}

static void items(const struct rm_instr *in)
{
    add(" [");
    for (size_t i = 0; i < in->n_items; i++) {
        const struct rm_mod_item *it = &in->items[i];
        add("%s%s", i ? ", " : "", it->module);
        if (it->timeout == RM_TIMEOUT_INFINITY)
            add(" infinity");
        else if (it->timeout != RM_TIMEOUT_DEFAULT)
            add(" %ld", it->timeout);
        if (it->extra)
            add(" \"%s\"", it->extra);
    }
    add("]");
}

const char *plan_str(const struct rm_plan *plan)
{
    len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < plan->n; i++) {
        const struct rm_instr *in = &plan->v[i];
        add("%s%s", i ? "; " : "", rm_instr_name(in->kind));
        switch (in->kind) {
        case RM_I_LOAD_OBJECT_CODE:
            add(" %s", in->application);
            items(in);
            break;
        case RM_I_LOAD:
        case RM_I_REMOVE:
            add(" %s", in->module);
            if (in->pre_purge != RM_PURGE_BRUTAL || in->post_purge != RM_PURGE_BRUTAL)
                add(" %s %s", in->pre_purge == RM_PURGE_SOFT ? "soft" : "brutal",
                    in->post_purge == RM_PURGE_SOFT ? "soft" : "brutal");
            break;
        case RM_I_CODE_CHANGE:
            add(" %s", in->dir == RM_UP ? "up" : "down");
            items(in);
            break;
        case RM_I_APPLY:
            add(" %s:%s [", in->apply_module, in->function);
            for (size_t k = 0; k < in->args.n; k++)
                add("%s%s", k ? ", " : "", in->args.v[k]);
            add("]");
            break;
        case RM_I_POINT_OF_NO_RETURN:
        case RM_I_RESTART_NODE:
            break;
        default:
            items(in);
        }
    }
    return buf;
}

char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    size_t got;
    while (s && (got = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 2) {
            char *t = realloc(s, cap * 2);
            if (!t) {
                free(s);
                s = NULL;
                break;
            }
            s = t;
            cap *= 2;
        }
    }
    fclose(f);
    if (s)
        s[n] = '\0';
    return s;
}
