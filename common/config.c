/* Configuration trees: copy, compare, look up, diff and print. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relman/config.h"
#include "relman/strbuf.h"

int rm_cfg_key_ok(const char *key)
{
    size_t len = strlen(key);
    if (len == 0 || len > RM_CONFIG_KEY_MAX)
        return 0;
    for (const char *p = key; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/* ---- copy ----------------------------------------------------------------- */

/* The sizes a copy of `v` needs: nodes, key pointers, string bytes. */
static void measure(const struct rm_cfg *v, size_t *nodes, size_t *keys, size_t *bytes)
{
    if (v->type == RM_CONFIG_STRING)
        *bytes += strlen(v->s) + 1;
    if (v->type != RM_CONFIG_LIST && v->type != RM_CONFIG_MAP)
        return;
    *nodes += v->n;
    for (size_t k = 0; k < v->n; k++) {
        if (v->type == RM_CONFIG_MAP) {
            *keys += 1;
            *bytes += strlen(v->keys[k]) + 1;
        }
        measure(&v->items[k], nodes, keys, bytes);
    }
}

struct copier {
    struct rm_cfg *nodes;
    const char **keys;
    char *bytes;
};

static const char *copy_str(struct copier *c, const char *s)
{
    size_t len = strlen(s) + 1;
    char *d = c->bytes;
    memcpy(d, s, len);
    c->bytes += len;
    return d;
}

static void copy_into(struct copier *c, struct rm_cfg *dst, const struct rm_cfg *src)
{
    *dst = (struct rm_cfg){.type = src->type, .i = src->i};
    if (src->type == RM_CONFIG_STRING)
        dst->s = copy_str(c, src->s);
    if (src->type != RM_CONFIG_LIST && src->type != RM_CONFIG_MAP)
        return;
    dst->n = src->n;
    dst->items = c->nodes;
    c->nodes += src->n;
    if (src->type == RM_CONFIG_MAP) {
        dst->keys = c->keys;
        c->keys += src->n;
    }
    for (size_t k = 0; k < src->n; k++) {
        if (src->type == RM_CONFIG_MAP)
            dst->keys[k] = copy_str(c, src->keys[k]);
        copy_into(c, &dst->items[k], &src->items[k]);
    }
}

struct rm_cfg *rm_cfg_copy(const struct rm_cfg *v)
{
    size_t nodes = 1, keys = 0, bytes = 0;
    measure(v, &nodes, &keys, &bytes);
    size_t size = nodes * sizeof(struct rm_cfg) + keys * sizeof(char *) + bytes;
    struct rm_cfg *block = malloc(size ? size : 1);
    if (!block)
        return NULL;
    struct copier c = {.nodes = block + 1,
                       .keys = (const char **)(void *)(block + nodes),
                       .bytes = (char *)(block + nodes) + keys * sizeof(char *)};
    copy_into(&c, block, v);
    return block;
}

/* ---- compare and look up ---------------------------------------------- */

const struct rm_cfg *rm_cfg_get(const struct rm_cfg *map, const char *key)
{
    if (!map || map->type != RM_CONFIG_MAP)
        return NULL;
    for (size_t k = 0; k < map->n; k++)
        if (strcmp(map->keys[k], key) == 0)
            return &map->items[k];
    return NULL;
}

int rm_cfg_equal(const struct rm_cfg *a, const struct rm_cfg *b)
{
    if (!a || !b)
        return a == b;
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case RM_CONFIG_STRING:
        return strcmp(a->s, b->s) == 0;
    case RM_CONFIG_INTEGER:
    case RM_CONFIG_BOOLEAN:
        return a->i == b->i;
    case RM_CONFIG_LIST:
        if (a->n != b->n)
            return 0;
        for (size_t k = 0; k < a->n; k++)
            if (!rm_cfg_equal(&a->items[k], &b->items[k]))
                return 0;
        return 1;
    case RM_CONFIG_MAP:
        if (a->n != b->n)
            return 0;
        for (size_t k = 0; k < a->n; k++)
            if (!rm_cfg_equal(&a->items[k], rm_cfg_get(b, a->keys[k])))
                return 0;
        return 1;
    case RM_CONFIG_NONE:
        return 1;
    }
    return 0;
}

const struct rm_cfg *rm_cfg_lookup(const struct rm_cfg *root, const char *path)
{
    const struct rm_cfg *v = root;
    const char *p = path;
    while (v && *p) {
        size_t len = strcspn(p, ".");
        char seg[RM_CONFIG_KEY_MAX + 1];
        if (len == 0 || len > RM_CONFIG_KEY_MAX)
            return NULL;
        memcpy(seg, p, len);
        seg[len] = '\0';
        if (v->type == RM_CONFIG_MAP) {
            v = rm_cfg_get(v, seg);
        } else if (v->type == RM_CONFIG_LIST) {
            char *end;
            if (seg[0] < '0' || seg[0] > '9')
                return NULL;
            unsigned long long k = strtoull(seg, &end, 10);
            v = *end == '\0' && k < v->n ? &v->items[k] : NULL;
        } else {
            return NULL;
        }
        p += len;
        if (*p == '.' && *++p == '\0')
            return NULL; /* a trailing dot */
    }
    return v;
}

/* ---- diff --------------------------------------------------------------- */

int rm_cfg_diff(const struct rm_cfg *old, const struct rm_cfg *new_, struct rm_cfg_diff *out,
                struct rm_error *err)
{
    size_t nold = old && old->type == RM_CONFIG_MAP ? old->n : 0;
    size_t nnew = new_ && new_->type == RM_CONFIG_MAP ? new_->n : 0;
    struct rm_cfg_diff d = {0};
    d.changed = malloc((nnew ? nnew : 1) * sizeof *d.changed);
    d.added = malloc((nnew ? nnew : 1) * sizeof *d.added);
    d.removed = malloc((nold ? nold : 1) * sizeof *d.removed);
    if (!d.changed || !d.added || !d.removed) {
        rm_cfg_diff_free(&d);
        return rm_error_nomem(err);
    }
    for (size_t k = 0; k < nnew; k++) {
        const struct rm_cfg *was = rm_cfg_get(old, new_->keys[k]);
        if (!was)
            d.added[d.n_added++] = new_->keys[k];
        else if (!rm_cfg_equal(was, &new_->items[k]))
            d.changed[d.n_changed++] = new_->keys[k];
    }
    for (size_t k = 0; k < nold; k++)
        if (!rm_cfg_get(new_, old->keys[k]))
            d.removed[d.n_removed++] = old->keys[k];
    *out = d;
    return 0;
}

void rm_cfg_diff_free(struct rm_cfg_diff *d)
{
    free(d->changed);
    free(d->added);
    free(d->removed);
    memset(d, 0, sizeof *d);
}

/* ---- print -------------------------------------------------------------- */

/* Whether YAML would read the plain scalar `s` as the string it is. */
static int yaml_plain_ok(const char *s)
{
    if (!*s || strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) || s[strlen(s) - 1] == ' ')
        return 0;
    static const char *const reserved[] = {"true", "false", "True", "False", "TRUE", "FALSE",
                                           "null", "Null", "NULL", "~", "yes", "no", "on", "off",
                                           NULL};
    for (int k = 0; reserved[k]; k++)
        if (strcmp(s, reserved[k]) == 0)
            return 0;
    if (strpbrk(s, ":#,[]{}\n\t\\\"'"))
        return 0;
    const char *p = s + (*s == '-' || *s == '+');
    int digits = 1;
    for (; *p; p++)
        if ((*p < '0' || *p > '9') && *p != '.' && *p != 'e' && *p != 'E' && *p != '_')
            digits = 0;
    return !digits;
}

static void put_quoted(struct rm_strbuf *o, const char *s)
{
    rm_strbuf_add(o, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            rm_strbuf_add(o, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            rm_strbuf_puts(o, esc);
        } else {
            rm_strbuf_add(o, (const char *)p, 1);
        }
    }
    rm_strbuf_add(o, "\"", 1);
}

static void format_into(struct rm_strbuf *o, const struct rm_cfg *v, int json)
{
    char num[32];
    switch (v->type) {
    case RM_CONFIG_NONE:
        rm_strbuf_puts(o, "null");
        return;
    case RM_CONFIG_STRING:
        if (!json && yaml_plain_ok(v->s))
            rm_strbuf_puts(o, v->s);
        else
            put_quoted(o, v->s);
        return;
    case RM_CONFIG_INTEGER:
        snprintf(num, sizeof num, "%lld", (long long)v->i);
        rm_strbuf_puts(o, num);
        return;
    case RM_CONFIG_BOOLEAN:
        rm_strbuf_puts(o, v->i ? "true" : "false");
        return;
    case RM_CONFIG_LIST:
    case RM_CONFIG_MAP:
        rm_strbuf_add(o, v->type == RM_CONFIG_LIST ? "[" : "{", 1);
        for (size_t k = 0; k < v->n; k++) {
            if (k)
                rm_strbuf_puts(o, ", ");
            if (v->type == RM_CONFIG_MAP) {
                if (json)
                    put_quoted(o, v->keys[k]);
                else
                    rm_strbuf_puts(o, v->keys[k]);
                rm_strbuf_puts(o, ": ");
            }
            format_into(o, &v->items[k], json);
        }
        rm_strbuf_add(o, v->type == RM_CONFIG_LIST ? "]" : "}", 1);
        return;
    }
}

char *rm_cfg_format(const struct rm_cfg *v, int json)
{
    struct rm_strbuf o = {0};
    rm_strbuf_add(&o, "", 0);
    format_into(&o, v, json);
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    return o.buf;
}
