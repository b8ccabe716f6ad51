/* The schema check: one place that reports unknown, duplicate and missing
   keys and values of the wrong type, for every manifest format. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ytree.h"

char *rm__ystrdup(struct rm__yctx *c, const char *s)
{
    char *p = rm__arena_strdup(c->arena, s);
    if (!p)
        rm_error_nomem(c->err);
    return p;
}

int rm__yseq(struct rm__yctx *c, const struct rm__ynode *n, const char *what)
{
    if (n->kind != RM__Y_SEQ)
        return rm__yerr(c->doc, n, c->err, "'%s' must be a list", what);
    return 0;
}

static int scalar_string(struct rm__yctx *c, const struct rm__ynode *n, const char *key)
{
    if (n->kind != RM__Y_SCALAR || rm__yis_null(n))
        return rm__yerr(c->doc, n, c->err, "'%s' must be a string", key);
    return 0;
}

static int name_value(struct rm__yctx *c, const struct rm__ynode *n, const char *key,
                      const char **dst)
{
    if (n->kind != RM__Y_SCALAR || rm__yis_null(n))
        return rm__yerr(c->doc, n, c->err, "'%s' must be a name", key);
    struct rm_error e;
    if (rm_name_check(n->str, key, &e) < 0)
        return rm__yerr(c->doc, n, c->err, "%s", e.msg);
    *dst = n->str;
    return 0;
}

static int number_value(struct rm__yctx *c, const struct rm__ynode *n, const char *key,
                        int positive, long *dst)
{
    const char *want = positive ? "a positive integer" : "an integer >= 0";
    if (n->kind != RM__Y_SCALAR || n->len == 0 || n->len > 12)
        return rm__yerr(c->doc, n, c->err, "'%s' must be %s", key, want);
    for (size_t i = 0; i < n->len; i++)
        if (n->str[i] < '0' || n->str[i] > '9')
            return rm__yerr(c->doc, n, c->err, "'%s' must be %s, not '%s'", key, want, n->str);
    long v = strtol(n->str, NULL, 10);
    if (v > INT_MAX)
        return rm__yerr(c->doc, n, c->err, "'%s' is too large: %s", key, n->str);
    if (positive && v == 0)
        return rm__yerr(c->doc, n, c->err, "'%s' must be %s, not '%s'", key, want, n->str);
    *dst = v;
    return 0;
}

static int enum_value(struct rm__yctx *c, const struct rm__ynode *n, const char *key,
                      const char *const *values, int *dst)
{
    char list[256] = "";
    for (int i = 0; values[i]; i++) {
        if (n->kind == RM__Y_SCALAR && strcmp(n->str, values[i]) == 0) {
            *dst = i;
            return 0;
        }
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", values[i]);
    }
    if (n->kind != RM__Y_SCALAR)
        return rm__yerr(c->doc, n, c->err, "'%s' must be one of %s", key, list);
    return rm__yerr(c->doc, n, c->err, "'%s' must be one of %s, not '%s'", key, list, n->str);
}

static int names_value(struct rm__yctx *c, const struct rm__ynode *n, const char *key,
                       struct rm_names *dst)
{
    if (n->kind != RM__Y_SEQ)
        return rm__yerr(c->doc, n, c->err, "'%s' must be a list of names", key);
    const char **v = rm__arena_array(c->arena, n->n ? n->n : 1, sizeof *v);
    if (!v)
        return rm_error_nomem(c->err);
    for (size_t i = 0; i < n->n; i++) {
        if (name_value(c, n->items[i], key, &v[i]) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(v[j], v[i]) == 0)
                return rm__yerr(c->doc, n->items[i], c->err, "'%s' lists '%s' twice", key, v[i]);
    }
    dst->v = v;
    dst->n = n->n;
    return 0;
}

static int strs_value(struct rm__yctx *c, const struct rm__ynode *n, const char *key,
                      struct rm_names *dst)
{
    if (n->kind != RM__Y_SEQ)
        return rm__yerr(c->doc, n, c->err, "'%s' must be a list of strings", key);
    const char **v = rm__arena_array(c->arena, n->n ? n->n : 1, sizeof *v);
    if (!v)
        return rm_error_nomem(c->err);
    for (size_t i = 0; i < n->n; i++) {
        if (scalar_string(c, n->items[i], key) < 0)
            return -1;
        v[i] = n->items[i]->str;
    }
    dst->v = v;
    dst->n = n->n;
    return 0;
}

static int config_value(struct rm__yctx *c, const struct rm__ynode *n, const char *key,
                        struct rm_config *dst)
{
    if (n->kind != RM__Y_MAP)
        return rm__yerr(c->doc, n, c->err, "'%s' must be a mapping of keys to strings", key);
    size_t count = n->n / 2;
    struct rm_kv *v = rm__arena_array(c->arena, count ? count : 1, sizeof *v);
    if (!v)
        return rm_error_nomem(c->err);
    for (size_t i = 0; i < count; i++) {
        const struct rm__ynode *k = n->items[2 * i], *val = n->items[2 * i + 1];
        if (scalar_string(c, k, key) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(v[j].key, k->str) == 0)
                return rm__yerr(c->doc, k, c->err, "duplicate key '%s'", k->str);
        if (val->kind != RM__Y_SCALAR)
            return rm__yerr(c->doc, val, c->err, "'%s' must be a string", k->str);
        v[i].key = k->str;
        v[i].value = rm__yis_null(val) ? "" : val->str;
    }
    dst->v = v;
    dst->n = count;
    return 0;
}

int rm__yvalue(struct rm__yctx *c, const struct rm__ynode *n, const char *key, enum rm__ftype type,
               const char *const *values, void *dst)
{
    switch (type) {
    case RM__F_STR:
        if (scalar_string(c, n, key) < 0)
            return -1;
        *(const char **)dst = n->str;
        return 0;
    case RM__F_NAME:
        return name_value(c, n, key, dst);
    case RM__F_UINT:
        return number_value(c, n, key, 0, dst);
    case RM__F_TIMEOUT:
        if (n->kind == RM__Y_SCALAR && strcmp(n->str, "infinity") == 0) {
            *(long *)dst = RM_TIMEOUT_INFINITY;
            return 0;
        }
        if (n->kind != RM__Y_SCALAR || n->len == 0 || n->str[0] < '0' || n->str[0] > '9')
            return rm__yerr(c->doc, n, c->err,
                            "'%s' must be a positive number of milliseconds or 'infinity'", key);
        return number_value(c, n, key, 1, dst);
    case RM__F_ENUM:
        return enum_value(c, n, key, values, dst);
    case RM__F_NAMES:
        return names_value(c, n, key, dst);
    case RM__F_STRS:
        return strs_value(c, n, key, dst);
    case RM__F_CONFIG:
        return config_value(c, n, key, dst);
    case RM__F_SEQ:
        return rm__yseq(c, n, key);
    case RM__F_MAP:
        if (n->kind != RM__Y_MAP)
            return rm__yerr(c->doc, n, c->err, "'%s' must be a mapping", key);
        return 0;
    case RM__F_ANY:
        return 0;
    }
    abort();
}

int rm__yfill(struct rm__yctx *c, const struct rm__ynode *map, const char *what,
              const struct rm__field *fields, void *out, const struct rm__ynode **found)
{
    if (map->kind != RM__Y_MAP)
        return rm__yerr(c->doc, map, c->err, "%s must be a mapping", what);
    const struct rm__ynode *seen[32] = {0};
    for (size_t f = 0; fields[f].key; f++)
        if (f >= 32)
            abort(); /* a schema table has at most 32 keys */
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const struct rm__ynode *k = map->items[i], *v = map->items[i + 1];
        if (k->kind != RM__Y_SCALAR)
            return rm__yerr(c->doc, k, c->err, "a key in %s must be a string", what);
        size_t f = 0;
        while (fields[f].key && strcmp(fields[f].key, k->str) != 0)
            f++;
        if (!fields[f].key)
            return rm__yerr(c->doc, k, c->err, "unknown key '%s' in %s", k->str, what);
        if (seen[f])
            return rm__yerr(c->doc, k, c->err, "duplicate key '%s'", k->str);
        seen[f] = v;
    }
    for (size_t f = 0; fields[f].key; f++) {
        if (found)
            found[f] = seen[f];
        if (!seen[f]) {
            if (fields[f].flags & RM__REQUIRED)
                return rm__yerr(c->doc, map, c->err, "missing key '%s' in %s", fields[f].key, what);
            continue;
        }
        if (rm__yvalue(c, seen[f], fields[f].key, fields[f].type, fields[f].values,
                       (char *)out + fields[f].off) < 0)
            return -1;
    }
    return 0;
}
