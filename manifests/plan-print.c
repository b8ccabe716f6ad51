/*
 * Plans printed as relup documents, one instruction per line, in YAML (the
 * manifest spelling, which the relup loader reads back) or in JSON (the same
 * document; JSON is also YAML, so it loads back too).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "relman/plan.h"
#include "relman/strbuf.h"

struct out {
    struct rm_strbuf s;
    int json;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rm_strbuf_vprintf(&o->s, fmt, ap);
    va_end(ap);
}

/* A double-quoted string, escaped for both YAML and JSON. */
static void quoted(struct out *o, const char *s)
{
    put(o, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            put(o, "\\%c", *p);
        else if (*p == '\n')
            put(o, "\\n");
        else if (*p == '\t')
            put(o, "\\t");
        else if (*p < 0x20 || *p == 0x7f)
            put(o, "\\u%04x", *p);
        else
            put(o, "%c", *p);
    }
    put(o, "\"");
}

/* Whether a name can stand unquoted in YAML and still read as a string. */
static int plain_ok(const char *s)
{
    static const char *const words[] = {"null", "true", "false", "yes", "no",
                                        "on",   "off",  "y",     "n"};
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return 0;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strcasecmp(s, words[i]) == 0)
            return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
           strlen(s);
}

static void name(struct out *o, const char *s)
{
    if (!o->json && plain_ok(s))
        put(o, "%s", s);
    else
        quoted(o, s);
}

static void key(struct out *o, const char *k)
{
    put(o, o->json ? "\"%s\": " : "%s: ", k);
}

static void names_list(struct out *o, const struct rm_mod_item *v, size_t n)
{
    put(o, "[");
    for (size_t i = 0; i < n; i++) {
        put(o, i ? ", " : "");
        name(o, v[i].module);
    }
    put(o, "]");
}

static void timeout(struct out *o, long t)
{
    if (t == RM_TIMEOUT_INFINITY)
        name(o, "infinity");
    else
        put(o, "%ld", t);
}

/* A module list with per-module timeouts (suspend) or extras (code_change). */
static void items_list(struct out *o, const struct rm_mod_item *v, size_t n)
{
    put(o, "[");
    for (size_t i = 0; i < n; i++) {
        put(o, i ? ", " : "");
        if (v[i].timeout == RM_TIMEOUT_DEFAULT && !v[i].extra) {
            name(o, v[i].module);
            continue;
        }
        put(o, "{");
        key(o, "module");
        name(o, v[i].module);
        if (v[i].timeout != RM_TIMEOUT_DEFAULT) {
            put(o, ", ");
            key(o, "timeout");
            timeout(o, v[i].timeout);
        }
        if (v[i].extra) {
            put(o, ", ");
            key(o, "extra");
            quoted(o, v[i].extra);
        }
        put(o, "}");
    }
    put(o, "]");
}

static const char *purge_name(enum rm_purge_mode p)
{
    return p == RM_PURGE_SOFT ? "soft" : "brutal";
}

/* The value of an instruction's mapping. */
static void body(struct out *o, const struct rm_instr *in)
{
    switch (in->kind) {
    case RM_I_LOAD_OBJECT_CODE:
        put(o, "{");
        key(o, "application");
        name(o, in->application);
        put(o, ", ");
        key(o, "version");
        quoted(o, in->version);
        put(o, ", ");
        key(o, "modules");
        names_list(o, in->items, in->n_items);
        put(o, "}");
        break;
    case RM_I_LOAD:
    case RM_I_REMOVE:
        if (in->pre_purge == RM_PURGE_BRUTAL && in->post_purge == RM_PURGE_BRUTAL) {
            name(o, in->module);
            break;
        }
        put(o, "{");
        key(o, "module");
        name(o, in->module);
        put(o, ", ");
        key(o, "pre_purge");
        name(o, purge_name(in->pre_purge));
        put(o, ", ");
        key(o, "post_purge");
        name(o, purge_name(in->post_purge));
        put(o, "}");
        break;
    case RM_I_SUSPEND:
        items_list(o, in->items, in->n_items);
        break;
    case RM_I_CODE_CHANGE:
        put(o, "{");
        key(o, "direction");
        name(o, in->dir == RM_UP ? "up" : "down");
        put(o, ", ");
        key(o, "modules");
        items_list(o, in->items, in->n_items);
        put(o, "}");
        break;
    case RM_I_APPLY:
        put(o, "{");
        key(o, "module");
        name(o, in->apply_module);
        put(o, ", ");
        key(o, "function");
        name(o, in->function);
        put(o, ", ");
        key(o, "args");
        put(o, "[");
        for (size_t i = 0; i < in->args.n; i++) {
            put(o, i ? ", " : "");
            quoted(o, in->args.v[i]);
        }
        put(o, "]}");
        break;
    default: /* purge, resume, stop, start */
        names_list(o, in->items, in->n_items);
        break;
    }
}

static void instr(struct out *o, const struct rm_instr *in, int last)
{
    put(o, o->json ? "        " : "      - ");
    if (in->kind == RM_I_POINT_OF_NO_RETURN || in->kind == RM_I_RESTART_NODE) {
        name(o, rm_instr_name(in->kind));
    } else {
        put(o, o->json ? "{" : "");
        key(o, rm_instr_name(in->kind));
        body(o, in);
        put(o, o->json ? "}" : "");
    }
    put(o, "%s\n", o->json && !last ? "," : "");
}

static char *print(const struct rm_plan *plan, enum rm_direction dir, const char *from, const char *to,
                   int json, struct rm_error *err)
{
    for (size_t i = 0; i < plan->n; i++)
        if (!rm_instr_is_low_level(plan->v[i].kind)) {
            rm_error_set(err, RM_EINVAL, "plan has high-level instruction '%s'",
                         rm_instr_name(plan->v[i].kind));
            return NULL;
        }
    struct out o = {.json = json};
    /* A relup belongs to the newer release: up from the older one, or down
       to it. */
    const char *newer = dir == RM_UP ? to : from, *older = dir == RM_UP ? from : to;
    const char *list = dir == RM_UP ? "up" : "down", *which = dir == RM_UP ? "from" : "to";
    if (json) {
        put(&o, "{\n  \"version\": ");
        quoted(&o, newer);
        put(&o, ",\n  \"%s\": [\n    {\n      \"%s\": ", list, which);
        quoted(&o, older);
        put(&o, ",\n      \"instructions\": [\n");
    } else {
        put(&o, "version: ");
        quoted(&o, newer);
        put(&o, "\n%s:\n  - %s: ", list, which);
        quoted(&o, older);
        put(&o, "\n    instructions:\n");
    }
    for (size_t i = 0; i < plan->n; i++)
        instr(&o, &plan->v[i], i + 1 == plan->n);
    if (json)
        put(&o, "      ]\n    }\n  ]\n}\n");
    if (o.s.failed || !o.s.buf) {
        free(o.s.buf);
        rm_error_nomem(err);
        return NULL;
    }
    return o.s.buf;
}

char *rm_plan_to_yaml(const struct rm_plan *plan, enum rm_direction dir, const char *from, const char *to,
                      struct rm_error *err)
{
    return print(plan, dir, from, to, 0, err);
}

char *rm_plan_to_json(const struct rm_plan *plan, enum rm_direction dir, const char *from, const char *to,
                      struct rm_error *err)
{
    return print(plan, dir, from, to, 1, err);
}
