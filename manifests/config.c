/*
 * Configuration: the typed `config:` and `config_schema:` of an
 * application manifest, the node's override file (ROOT/config.yaml), and
 * the effective configuration that merges the two.
 *
 * A type is declared as `string`, `integer`, `boolean`, `[TYPE]` (a list)
 * or `{KEY: TYPE, ...}` (a map with those keys; `{"*": TYPE}` allows any
 * key). A key without a declaration takes the type of its default.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relman/fsutil.h"
#include "ytree.h"

/* What one conversion has used of the limits. */
struct budget {
    const char *app; /* names the application in messages */
    const char *who; /* put before a type error: "application 'a': ", or "" */
    int skip_unknown; /* leave out keys the application does not declare */
    size_t values, bytes;
};

static const char *type_name(enum rm_config_type t)
{
    switch (t) {
    case RM_CONFIG_STRING:
        return "a string";
    case RM_CONFIG_INTEGER:
        return "an integer";
    case RM_CONFIG_BOOLEAN:
        return "a boolean";
    case RM_CONFIG_LIST:
        return "a list";
    case RM_CONFIG_MAP:
        return "a map";
    case RM_CONFIG_NONE:
        break;
    }
    return "nothing";
}

/* "not 'abc'", "not the string \"80\"", "not a list" for a message. */
static void what_it_is(const struct rm__ynode *n, char *buf, size_t size)
{
    if (n->kind == RM__Y_SEQ)
        snprintf(buf, size, "not a list");
    else if (n->kind == RM__Y_MAP)
        snprintf(buf, size, "not a map");
    else if (rm__yis_null(n))
        snprintf(buf, size, "not null");
    else if (!n->plain)
        snprintf(buf, size, "not the string \"%.60s%s\"", n->str, n->len > 60 ? "..." : "");
    else
        snprintf(buf, size, "not '%.60s%s'", n->str, n->len > 60 ? "..." : "");
}

static int is_int(const struct rm__ynode *n, int64_t *v)
{
    if (n->kind != RM__Y_SCALAR || !n->plain || n->len == 0 || n->len > 20)
        return 0;
    const char *p = n->str + (n->str[0] == '-' || n->str[0] == '+');
    if (!*p)
        return 0;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return 0;
    errno = 0;
    char *end;
    long long x = strtoll(n->str, &end, 10);
    if (errno == ERANGE || *end)
        return 0;
    *v = x;
    return 1;
}

static int is_bool(const struct rm__ynode *n, int64_t *v)
{
    static const char *const t[] = {"true", "True", "TRUE"}, *const f[] = {"false", "False", "FALSE"};
    if (n->kind != RM__Y_SCALAR || !n->plain)
        return 0;
    for (int k = 0; k < 3; k++) {
        if (strcmp(n->str, t[k]) == 0)
            return *v = 1, 1;
        if (strcmp(n->str, f[k]) == 0)
            return *v = 0, 1;
    }
    return 0;
}

/* The path of item `k` of `parent` ("peers.0", "db.host") in `buf`. */
static const char *sub_path(char *buf, size_t size, const char *parent, const char *key)
{
    snprintf(buf, size, "%s%s%s", parent, *parent ? "." : "", key);
    return buf;
}

static int count(struct rm__yctx *c, struct budget *b, const struct rm__ynode *n, size_t bytes)
{
    if (++b->values > RM_CONFIG_MAX_VALUES) {
        rm__yerr(c->doc, n, c->err,
                 "configuration of application '%s' has more than %d values "
                 "(RM_CONFIG_MAX_VALUES)",
                 b->app, RM_CONFIG_MAX_VALUES);
        c->err->code = RM_ELIMIT;
        return -1;
    }
    if ((b->bytes += bytes) > RM_CONFIG_MAX_BYTES) {
        rm__yerr(c->doc, n, c->err,
                 "configuration of application '%s' holds more than %d bytes of keys and "
                 "strings (RM_CONFIG_MAX_BYTES)",
                 b->app, RM_CONFIG_MAX_BYTES);
        c->err->code = RM_ELIMIT;
        return -1;
    }
    return 0;
}

static int too_deep(struct rm__yctx *c, const struct rm__ynode *n, struct budget *b)
{
    rm__yerr(c->doc, n, c->err,
             "configuration of application '%s' nests lists and maps deeper than %d levels "
             "(RM_CONFIG_MAX_DEPTH)",
             b->app, RM_CONFIG_MAX_DEPTH);
    c->err->code = RM_ELIMIT;
    return -1;
}

static int check_key(struct rm__yctx *c, const struct rm__ynode *k, const char *path)
{
    if (k->kind != RM__Y_SCALAR || !rm_cfg_key_ok(k->str))
        return rm__yerr(c->doc, k, c->err,
                        "a configuration key%s%s must be 1 to %d letters, digits, '_' or '-'%s%.64s%s",
                        *path ? " in " : "", path, RM_CONFIG_KEY_MAX,
                        k->kind == RM__Y_SCALAR ? ", not '" : "",
                        k->kind == RM__Y_SCALAR ? k->str : "", k->kind == RM__Y_SCALAR ? "'" : "");
    return 0;
}

/* Checks the keys of mapping `n` (valid, each once). The map is bounded
   first: finding a key twice costs the square of their number. */
static int check_keys(struct rm__yctx *c, const struct rm__ynode *n, const char *path)
{
    if (n->n / 2 > RM_CONFIG_MAX_VALUES) {
        rm__yerr(c->doc, n, c->err, "'%s' has more than %d keys (RM_CONFIG_MAX_VALUES)",
                 *path ? path : "config", RM_CONFIG_MAX_VALUES);
        c->err->code = RM_ELIMIT;
        return -1;
    }
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        if (check_key(c, n->items[i], path) < 0)
            return -1;
        for (size_t j = 0; j < i; j += 2)
            if (strcmp(n->items[j]->str, n->items[i]->str) == 0)
                return rm__yerr(c->doc, n->items[i], c->err, "duplicate key '%s'",
                                n->items[i]->str);
    }
    return 0;
}

/* ---- types -------------------------------------------------------------- */

/* How the type of one node is read: declared (parse_type) or taken from
   a default (infer_type). */
typedef int (*type_fn)(struct rm__yctx *c, const struct rm__ynode *n, const char *path, int depth,
                       struct budget *b, struct rm_config_spec *out);

/* The fields of a map node, each typed by `each`, into out (keys, fields,
   n); the keys are checked first. */
static int map_fields(struct rm__yctx *c, const struct rm__ynode *n, const char *path, int depth,
                      struct budget *b, struct rm_config_spec *out, type_fn each)
{
    char sub[512];
    if (check_keys(c, n, path) < 0)
        return -1;
    size_t nk = n->n / 2;
    const char **keys = rm__arena_array(c->arena, nk ? nk : 1, sizeof *keys);
    struct rm_config_spec *fields = rm__arena_array(c->arena, nk ? nk : 1, sizeof *fields);
    if (!keys || !fields)
        return rm_error_nomem(c->err);
    for (size_t k = 0; k < nk; k++) {
        keys[k] = n->items[2 * k]->str;
        if (each(c, n->items[2 * k + 1], sub_path(sub, sizeof sub, path, keys[k]), depth + 1, b,
                 &fields[k]) < 0)
            return -1;
    }
    out->keys = keys;
    out->fields = fields;
    out->n = nk;
    return 0;
}

/* Parses a declared type (config_schema) at `n`. */
static int parse_type(struct rm__yctx *c, const struct rm__ynode *n, const char *path, int depth,
                      struct budget *b, struct rm_config_spec *out)
{
    char sub[512];
    if (depth > RM_CONFIG_MAX_DEPTH)
        return too_deep(c, n, b);
    if (count(c, b, n, 0) < 0)
        return -1;
    rm__yloc(n, &out->loc);
    if (n->kind == RM__Y_SCALAR) {
        static const char *const names[] = {"string", "integer", "boolean"};
        static const enum rm_config_type types[] = {RM_CONFIG_STRING, RM_CONFIG_INTEGER,
                                                    RM_CONFIG_BOOLEAN};
        for (int k = 0; k < 3; k++)
            if (strcmp(n->str, names[k]) == 0) {
                out->type = types[k];
                return 0;
            }
        return rm__yerr(c->doc, n, c->err,
                        "type of '%s' must be string, integer, boolean, [TYPE] or "
                        "{KEY: TYPE, ...}, not '%.64s'",
                        path, n->str);
    }
    if (n->kind == RM__Y_SEQ) {
        if (n->n != 1)
            return rm__yerr(c->doc, n, c->err,
                            "type of '%s': a list type is written [TYPE], with one type", path);
        struct rm_config_spec *item = rm__arena_alloc(c->arena, sizeof *item);
        if (!item)
            return rm_error_nomem(c->err);
        out->type = RM_CONFIG_LIST;
        out->item = item;
        return parse_type(c, n->items[0], sub_path(sub, sizeof sub, path, "0"), depth + 1, b,
                          item);
    }
    out->type = RM_CONFIG_MAP;
    if (n->n == 2 && n->items[0]->kind == RM__Y_SCALAR && strcmp(n->items[0]->str, "*") == 0) {
        struct rm_config_spec *item = rm__arena_alloc(c->arena, sizeof *item);
        if (!item)
            return rm_error_nomem(c->err);
        out->any_key = 1;
        out->item = item;
        return parse_type(c, n->items[1], sub_path(sub, sizeof sub, path, "*"), depth + 1, b,
                          item);
    }
    return map_fields(c, n, path, depth, b, out, parse_type);
}

/* The type of a default without a declaration. */
static int infer_type(struct rm__yctx *c, const struct rm__ynode *n, const char *path, int depth,
                      struct budget *b, struct rm_config_spec *out)
{
    char sub[512];
    int64_t v;
    if (depth > RM_CONFIG_MAX_DEPTH)
        return too_deep(c, n, b);
    rm__yloc(n, &out->loc);
    if (n->kind == RM__Y_SCALAR) {
        out->type = is_int(n, &v) ? RM_CONFIG_INTEGER
                    : is_bool(n, &v) ? RM_CONFIG_BOOLEAN
                                     : RM_CONFIG_STRING;
        return 0;
    }
    if (n->kind == RM__Y_SEQ) {
        if (n->n == 0)
            return rm__yerr(c->doc, n, c->err,
                            "'%s' is an empty list: declare its type in config_schema "
                            "(such as '%s: [string]')",
                            path, path);
        struct rm_config_spec *item = rm__arena_alloc(c->arena, sizeof *item);
        if (!item)
            return rm_error_nomem(c->err);
        out->type = RM_CONFIG_LIST;
        out->item = item;
        return infer_type(c, n->items[0], sub_path(sub, sizeof sub, path, "0"), depth + 1, b,
                          item);
    }
    out->type = RM_CONFIG_MAP;
    return map_fields(c, n, path, depth, b, out, infer_type);
}

/* ---- values --------------------------------------------------------------- */

static const struct rm_config_spec *field_of(const struct rm_config_spec *map, const char *key)
{
    if (map->any_key)
        return map->item;
    for (size_t k = 0; k < map->n; k++)
        if (strcmp(map->keys[k], key) == 0)
            return &map->fields[k];
    return NULL;
}

/* "unknown key 'x' in 'db'" or, at the top, "... in the configuration of
   application 'a' version 'v'". */
static int unknown_key(struct rm__yctx *c, const struct rm__ynode *k, const char *path,
                       const struct rm_config_spec *map, const char *where)
{
    char known[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < map->n && used + 4 < sizeof known; i++) {
        int w = snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", map->keys[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    if (used >= sizeof known)
        snprintf(known + sizeof known - 5, 5, "...");
    if (*path)
        return rm__yerr(c->doc, k, c->err, "unknown key '%s' in '%s' (%s%s)", k->str, path,
                        map->n ? "its keys: " : "it has none", known);
    return rm__yerr(c->doc, k, c->err, "unknown key '%s' in the configuration of %s (%s%s)",
                    k->str, where, map->n ? "its keys: " : "it declares none", known);
}

/* Converts the value `n` of type `spec` into `out`. `where` names the
   application for a top-level unknown key. */
static int convert(struct rm__yctx *c, const struct rm_config_spec *spec,
                   const struct rm__ynode *n, const char *path, int depth, struct budget *b,
                   const char *where, struct rm_cfg *out)
{
    char sub[512], what[96];
    if (depth > RM_CONFIG_MAX_DEPTH)
        return too_deep(c, n, b);
    if (count(c, b, n, n->kind == RM__Y_SCALAR ? n->len + 1 : 0) < 0)
        return -1;
    out->type = spec->type;
    switch (spec->type) {
    case RM_CONFIG_STRING:
        if (n->kind == RM__Y_SCALAR) {
            out->s = rm__yis_null(n) ? "" : n->str;
            return 0;
        }
        break;
    case RM_CONFIG_INTEGER:
        if (is_int(n, &out->i))
            return 0;
        if (n->kind == RM__Y_SCALAR && n->plain && !rm__yis_null(n) && n->len <= 21 &&
            strspn(n->str + (n->str[0] == '-'), "0123456789") == n->len - (n->str[0] == '-'))
            return rm__yerr(c->doc, n, c->err, "%s'%s' is out of range for an integer: %s",
                            b->who, path, n->str);
        break;
    case RM_CONFIG_BOOLEAN:
        if (is_bool(n, &out->i))
            return 0;
        break;
    case RM_CONFIG_LIST:
        if (n->kind != RM__Y_SEQ)
            break;
        out->n = n->n;
        out->items = rm__arena_array(c->arena, n->n ? n->n : 1, sizeof *out->items);
        if (!out->items)
            return rm_error_nomem(c->err);
        for (size_t k = 0; k < n->n; k++) {
            char idx[24];
            snprintf(idx, sizeof idx, "%zu", k);
            if (convert(c, spec->item, n->items[k], sub_path(sub, sizeof sub, path, idx),
                        depth + 1, b, where, &out->items[k]) < 0)
                return -1;
        }
        return 0;
    case RM_CONFIG_MAP: {
        if (n->kind != RM__Y_MAP)
            break;
        if (check_keys(c, n, path) < 0)
            return -1;
        size_t nk = n->n / 2;
        out->items = rm__arena_array(c->arena, nk ? nk : 1, sizeof *out->items);
        out->keys = rm__arena_array(c->arena, nk ? nk : 1, sizeof *out->keys);
        if (!out->items || !out->keys)
            return rm_error_nomem(c->err);
        for (size_t k = 0; k < nk; k++) {
            const struct rm__ynode *key = n->items[2 * k];
            const struct rm_config_spec *f = field_of(spec, key->str);
            if (!f && b->skip_unknown)
                continue;
            if (!f)
                return unknown_key(c, key, path, spec, where);
            if (count(c, b, key, key->len + 1) < 0)
                return -1;
            out->keys[out->n] = key->str;
            if (convert(c, f, n->items[2 * k + 1], sub_path(sub, sizeof sub, path, key->str),
                        depth + 1, b, where, &out->items[out->n++]) < 0)
                return -1;
        }
        return 0;
    }
    case RM_CONFIG_NONE:
        break;
    }
    what_it_is(n, what, sizeof what);
    return rm__yerr(c->doc, n, c->err, "%s'%s' must be %s, %s", b->who, path,
                    type_name(spec->type), what);
}

/* `over` merged into `base` (either may be NULL) into *out: maps key by
   key, anything else replaced. */
static int merge(struct rm__yctx *c, const struct rm_cfg *base, const struct rm_cfg *over,
                 struct rm_cfg *out)
{
    if (!over || !base || over->type != RM_CONFIG_MAP || base->type != RM_CONFIG_MAP) {
        *out = over ? *over : *base;
        return 0;
    }
    size_t most = base->n + over->n;
    *out = (struct rm_cfg){.type = RM_CONFIG_MAP};
    out->items = rm__arena_array(c->arena, most ? most : 1, sizeof *out->items);
    out->keys = rm__arena_array(c->arena, most ? most : 1, sizeof *out->keys);
    if (!out->items || !out->keys)
        return rm_error_nomem(c->err);
    for (size_t k = 0; k < base->n; k++) {
        out->keys[out->n] = base->keys[k];
        if (merge(c, &base->items[k], rm_cfg_get(over, base->keys[k]), &out->items[out->n++]) < 0)
            return -1;
    }
    for (size_t k = 0; k < over->n; k++)
        if (!rm_cfg_get(base, over->keys[k])) {
            out->keys[out->n] = over->keys[k];
            out->items[out->n++] = over->items[k];
        }
    return 0;
}

/* ---- the application manifest ----------------------------------------- */

int rm__yconfig(struct rm__yctx *c, struct rm_app *app, const struct rm__ynode *config,
                const struct rm__ynode *schema)
{
    struct budget b = {.app = app->name, .who = ""};
    char where[200];
    snprintf(where, sizeof where, "application '%s' version '%s'", app->name, app->version);
    struct rm_config_spec *spec = rm__arena_alloc(c->arena, sizeof *spec);
    struct rm_cfg *defaults = rm__arena_alloc(c->arena, sizeof *defaults);
    if (!spec || !defaults)
        return rm_error_nomem(c->err);
    spec->type = RM_CONFIG_MAP;
    defaults->type = RM_CONFIG_MAP;
    app->config_spec = spec;
    app->config_defaults = defaults;
    if (schema && check_keys(c, schema, "") < 0)
        return -1;
    if (config && check_keys(c, config, "") < 0)
        return -1;
    size_t ns = schema ? schema->n / 2 : 0, nc = config ? config->n / 2 : 0;
    const char **keys = rm__arena_array(c->arena, ns + nc + 1, sizeof *keys);
    struct rm_config_spec *fields = rm__arena_array(c->arena, ns + nc + 1, sizeof *fields);
    struct rm_kv *kv = rm__arena_array(c->arena, nc + 1, sizeof *kv);
    defaults->keys = rm__arena_array(c->arena, nc + 1, sizeof *defaults->keys);
    defaults->items = rm__arena_array(c->arena, nc + 1, sizeof *defaults->items);
    if (!keys || !fields || !kv || !defaults->keys || !defaults->items)
        return rm_error_nomem(c->err);
    spec->keys = keys;
    spec->fields = fields;
    if (schema)
        rm__yloc(schema, &spec->loc);
    else if (config)
        rm__yloc(config, &spec->loc);
    for (size_t k = 0; k < ns; k++) {
        keys[k] = schema->items[2 * k]->str;
        if (parse_type(c, schema->items[2 * k + 1], keys[k], 1, &b, &fields[k]) < 0)
            return -1;
    }
    spec->n = ns;
    for (size_t k = 0; k < nc; k++) {
        const struct rm__ynode *key = config->items[2 * k], *val = config->items[2 * k + 1];
        const struct rm_config_spec *f = field_of(spec, key->str);
        if (!f) {
            if (infer_type(c, val, key->str, 1, &b, &fields[spec->n]) < 0)
                return -1;
            keys[spec->n] = key->str;
            f = &fields[spec->n++];
        }
        kv[k].key = key->str;
        kv[k].value = val->kind != RM__Y_SCALAR ? NULL : rm__yis_null(val) ? "" : val->str;
        defaults->keys[k] = key->str;
        if (count(c, &b, key, key->len + 1) < 0 ||
            convert(c, f, val, key->str, 1, &b, where, &defaults->items[k]) < 0)
            return -1;
    }
    defaults->n = nc;
    app->config.v = kv;
    app->config.n = nc;
    return 0;
}

/* ---- the override file ------------------------------------------------- */

static int convert_override(struct rm__yctx *c, const struct rm__ynode *root, void *out)
{
    struct rm_config_override *ov = out;
    if (root->kind != RM__Y_MAP)
        return rm__yerr(c->doc, root, c->err,
                        "the override file must be a mapping from application names to their "
                        "configuration");
    size_t n = root->n / 2;
    if (n > RM_CONFIG_MAX_VALUES) {
        rm__yerr(c->doc, root, c->err,
                 "the override file names more than %d applications (RM_CONFIG_MAX_VALUES)",
                 RM_CONFIG_MAX_VALUES);
        c->err->code = RM_ELIMIT;
        return -1;
    }
    ov->apps = rm__arena_array(c->arena, n ? n : 1, sizeof *ov->apps);
    ov->values = rm__arena_array(c->arena, n ? n : 1, sizeof *ov->values);
    if (!ov->apps || !ov->values)
        return rm_error_nomem(c->err);
    for (size_t k = 0; k < n; k++) {
        const struct rm__ynode *key = root->items[2 * k], *val = root->items[2 * k + 1];
        if (rm__yvalue(c, key, "application", RM__F_NAME, NULL, &ov->apps[k]) < 0)
            return -1;
        for (size_t j = 0; j < k; j++)
            if (strcmp(ov->apps[j], key->str) == 0)
                return rm__yerr(c->doc, key, c->err,
                                "application '%s' is listed twice (first at line %u)", key->str,
                                root->items[2 * j]->line);
        if (val->kind != RM__Y_MAP && !rm__yis_null(val))
            return rm__yerr(c->doc, val, c->err,
                            "the configuration of application '%s' must be a mapping of keys",
                            key->str);
        ov->values[k] = val->kind == RM__Y_MAP ? val : NULL;
    }
    ov->n_apps = n;
    ov->file = c->doc->file;
    return 0;
}

int rm_config_override_parse(const char *file, const char *data, size_t len,
                             struct rm_config_override *out, struct rm_error *err)
{
    struct rm_config_override tmp = {0};
    if (rm__yload(file, data ? data : "", data ? len : 0, convert_override, &tmp, &tmp.arena,
                  err) < 0)
        return -1;
    *out = tmp;
    return 0;
}

int rm_config_override_load(const char *path, struct rm_config_override *out,
                            struct rm_error *err)
{
    struct rm_config_override tmp = {0};
    if (!rm_fs_exists(path)) {
        *out = tmp;
        return 0;
    }
    if (rm__yload(path, NULL, 0, convert_override, &tmp, &tmp.arena, err) < 0)
        return -1;
    *out = tmp;
    return 0;
}

void rm_config_override_free(struct rm_config_override *ov)
{
    if (!ov)
        return;
    rm__arena_free(ov->arena);
    memset(ov, 0, sizeof *ov);
}

int rm_config_effective(const struct rm_app *app, const struct rm_config_override *ov, int flags,
                        struct rm_cfg **out, struct rm_error *err)
{
    static const struct rm_config_spec no_spec = {.type = RM_CONFIG_MAP};
    static const struct rm_cfg no_cfg = {.type = RM_CONFIG_MAP};
    const struct rm_config_spec *spec = app->config_spec ? app->config_spec : &no_spec;
    const struct rm_cfg *defaults = app->config_defaults ? app->config_defaults : &no_cfg;
    const struct rm__ynode *set = NULL;
    for (size_t k = 0; ov && k < ov->n_apps; k++)
        if (strcmp(ov->apps[k], app->name) == 0)
            set = ov->values[k];
    if (!set) {
        struct rm_cfg *copy = rm_cfg_copy(defaults);
        if (!copy)
            return rm_error_nomem(err);
        *out = copy;
        return 0;
    }
    struct rm__arena *a = rm__arena_new();
    if (!a)
        return rm_error_nomem(err);
    struct rm__ydoc doc = {.file = ov->file, .arena = a};
    struct rm__yctx c = {.doc = &doc, .arena = a, .err = err};
    char where[200], who[120];
    snprintf(where, sizeof where, "application '%s' version '%s'", app->name, app->version);
    snprintf(who, sizeof who, "application '%s': ", app->name);
    struct budget b = {.app = app->name,
                       .who = who,
                       .skip_unknown = (flags & RM_CONFIG_SKIP_UNKNOWN) != 0};
    struct rm_cfg over = {0}, merged;
    int rc = convert(&c, spec, set, "", 0, &b, where, &over);
    if (rc == 0)
        rc = merge(&c, defaults, &over, &merged);
    if (rc == 0 && !(*out = rm_cfg_copy(&merged)))
        rc = rm_error_nomem(err);
    rm__arena_free(a);
    return rc;
}
