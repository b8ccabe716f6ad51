/* Reading instructions: one mapping with one key (the instruction) or a
   bare word (point_of_no_return, restart_node), each with OTP's defaults. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "script.h"

#define OFF(f) offsetof(struct rm_instr, f)

static const char *const change_names[] = {"soft", "advanced", NULL};
/* By enum rm_purge_mode value. */
static const char *const purge_names[] = {"soft", "brutal", NULL};
static const char *const type_names[] = {"dynamic", "static", NULL};
static const char *const dir_names[] = {"up", "down", NULL};

static const struct rm__field update_fields[] = {
    {"module", RM__F_NAME, RM__REQUIRED, OFF(module), NULL},
    {"change", RM__F_ENUM, 0, OFF(change), change_names},
    {"extra", RM__F_STR, 0, OFF(extra), NULL},
    {"type", RM__F_ENUM, 0, OFF(mod_type), type_names},
    {"timeout", RM__F_TIMEOUT, 0, OFF(timeout), NULL},
    {"pre_purge", RM__F_ENUM, 0, OFF(pre_purge), purge_names},
    {"post_purge", RM__F_ENUM, 0, OFF(post_purge), purge_names},
    {"deps", RM__F_NAMES, 0, OFF(deps), NULL},
    {NULL, 0, 0, 0, NULL},
};

static const struct rm__field load_module_fields[] = {
    {"module", RM__F_NAME, RM__REQUIRED, OFF(module), NULL},
    {"pre_purge", RM__F_ENUM, 0, OFF(pre_purge), purge_names},
    {"post_purge", RM__F_ENUM, 0, OFF(post_purge), purge_names},
    {"deps", RM__F_NAMES, 0, OFF(deps), NULL},
    {NULL, 0, 0, 0, NULL},
};

static const struct rm__field module_deps_fields[] = {
    {"module", RM__F_NAME, RM__REQUIRED, OFF(module), NULL},
    {"deps", RM__F_NAMES, 0, OFF(deps), NULL},
    {NULL, 0, 0, 0, NULL},
};

static const struct rm__field add_app_fields[] = {
    {"application", RM__F_NAME, RM__REQUIRED, OFF(application), NULL},
    {"start", RM__F_ENUM, 0, OFF(start), rm__start_type_names},
    {NULL, 0, 0, 0, NULL},
};

static const struct rm__field app_fields[] = {
    {"application", RM__F_NAME, RM__REQUIRED, OFF(application), NULL},
    {NULL, 0, 0, 0, NULL},
};

static const struct rm__field apply_fields[] = {
    {"module", RM__F_NAME, RM__REQUIRED, OFF(apply_module), NULL},
    {"function", RM__F_NAME, RM__REQUIRED, OFF(function), NULL},
    {"args", RM__F_STRS, 0, OFF(args), NULL},
    {NULL, 0, 0, 0, NULL},
};

static const struct rm__field loc_fields[] = {
    {"application", RM__F_NAME, RM__REQUIRED, OFF(application), NULL},
    {"version", RM__F_NAME, RM__REQUIRED, OFF(version), NULL},
    {"modules", RM__F_SEQ, RM__REQUIRED, 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static const struct rm__field load_fields[] = {
    {"module", RM__F_NAME, RM__REQUIRED, OFF(module), NULL},
    {"pre_purge", RM__F_ENUM, 0, OFF(pre_purge), purge_names},
    {"post_purge", RM__F_ENUM, 0, OFF(post_purge), purge_names},
    {NULL, 0, 0, 0, NULL},
};

static const struct rm__field code_change_fields[] = {
    {"direction", RM__F_ENUM, 0, OFF(dir), dir_names},
    {"modules", RM__F_SEQ, RM__REQUIRED, 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

#define IOFF(f) offsetof(struct rm_mod_item, f)
static const struct rm__field suspend_item_fields[] = {
    {"module", RM__F_NAME, RM__REQUIRED, IOFF(module), NULL},
    {"timeout", RM__F_TIMEOUT, 0, IOFF(timeout), NULL},
    {NULL, 0, 0, 0, NULL},
};
static const struct rm__field change_item_fields[] = {
    {"module", RM__F_NAME, RM__REQUIRED, IOFF(module), NULL},
    {"extra", RM__F_STR, 0, IOFF(extra), NULL},
    {NULL, 0, 0, 0, NULL},
};

/* How each kind is written: its mapping's fields, the field a bare word
   fills (module or application), and which item list it carries. */
enum items_form { NO_ITEMS, NAME_ITEMS, SUSPEND_ITEMS, CHANGE_ITEMS };
struct kind_syntax {
    const struct rm__field *fields; /* NULL: its value is not a mapping */
    size_t shorthand;               /* offset of the field a word fills; 0: none */
    enum items_form items;          /* the value (or its "modules") is an item list */
};

/* One syntax row per kind, named syntax_<spelling> (RM_INSTR_KINDS). */
static const struct kind_syntax syntax_update = {update_fields, OFF(module), NO_ITEMS};
static const struct kind_syntax syntax_load_module = {load_module_fields, OFF(module), NO_ITEMS};
static const struct kind_syntax syntax_add_module = {module_deps_fields, OFF(module), NO_ITEMS};
static const struct kind_syntax syntax_delete_module = {module_deps_fields, OFF(module), NO_ITEMS};
static const struct kind_syntax syntax_add_application = {add_app_fields, OFF(application),
                                                          NO_ITEMS};
static const struct kind_syntax syntax_remove_application = {app_fields, OFF(application),
                                                             NO_ITEMS};
static const struct kind_syntax syntax_restart_application = {app_fields, OFF(application),
                                                              NO_ITEMS};
static const struct kind_syntax syntax_apply = {apply_fields, 0, NO_ITEMS};
static const struct kind_syntax syntax_restart_node = {NULL, 0, NO_ITEMS}; /* a bare word */
static const struct kind_syntax syntax_load_object_code = {loc_fields, 0, NAME_ITEMS};
static const struct kind_syntax syntax_point_of_no_return = {NULL, 0, NO_ITEMS}; /* a bare word */
static const struct kind_syntax syntax_load = {load_fields, OFF(module), NO_ITEMS};
static const struct kind_syntax syntax_remove = {load_fields, OFF(module), NO_ITEMS};
static const struct kind_syntax syntax_purge = {NULL, 0, NAME_ITEMS};
static const struct kind_syntax syntax_suspend = {NULL, 0, SUSPEND_ITEMS};
static const struct kind_syntax syntax_resume = {NULL, 0, NAME_ITEMS};
static const struct kind_syntax syntax_code_change = {code_change_fields, 0, CHANGE_ITEMS};
static const struct kind_syntax syntax_stop = {NULL, 0, NAME_ITEMS};
static const struct kind_syntax syntax_start = {NULL, 0, NAME_ITEMS};

static const struct kind_syntax *const syntax[] = {
#define ROW(id, spelling, level, irreversible, pre) [RM_I_##id] = &syntax_##spelling,
    RM_INSTR_KINDS(ROW)
#undef ROW
};
_Static_assert(sizeof syntax / sizeof syntax[0] == RM_I__COUNT, "one syntax per instruction kind");

int rm__instr_err(struct rm_error *err, const char *file, const struct rm_instr *in,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rm__yerr_v(file, in->loc.line, in->loc.col, err, fmt, ap);
    va_end(ap);
    return -1;
}

/* Reads a list of modules, each a name or (suspend, code_change) a mapping. */
static int read_items(struct rm__yctx *c, const struct rm__ynode *seq, const char *key,
                      enum items_form form, struct rm_instr *in)
{
    if (seq->kind != RM__Y_SEQ)
        return rm__yerr(c->doc, seq, c->err, "'%s' must be a list of modules", key);
    in->items = rm__arena_array(c->arena, seq->n ? seq->n : 1, sizeof *in->items);
    if (!in->items)
        return rm_error_nomem(c->err);
    for (size_t i = 0; i < seq->n; i++) {
        const struct rm__ynode *n = seq->items[i];
        struct rm_mod_item *it = &in->items[i];
        it->timeout = RM_TIMEOUT_DEFAULT;
        if (n->kind == RM__Y_MAP && form != NAME_ITEMS) {
            const struct rm__field *f =
                form == SUSPEND_ITEMS ? suspend_item_fields : change_item_fields;
            if (rm__yfill(c, n, "module entry", f, it, NULL) < 0)
                return -1;
        } else if (rm__yvalue(c, n, key, RM__F_NAME, NULL, &it->module) < 0) {
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(in->items[j].module, it->module) == 0)
                return rm__yerr(c->doc, n, c->err, "'%s' lists module '%s' twice", key, it->module);
    }
    in->n_items = seq->n;
    return 0;
}

static int find_kind(const char *word)
{
    for (int k = 0; k < RM_I__COUNT; k++)
        if (strcmp(rm_instr_name(k), word) == 0)
            return k;
    return -1;
}

static int read_value(struct rm__yctx *c, const struct rm__ynode *key, const struct rm__ynode *v,
                      struct rm_instr *in)
{
    const struct kind_syntax *s = syntax[in->kind];
    if (!s->fields && !s->shorthand && s->items == NO_ITEMS)
        return rm__yerr(c->doc, key, c->err, "'%s' takes no value; write it as a bare word",
                        key->str);
    if (v->kind == RM__Y_SCALAR && s->shorthand)
        return rm__yvalue(c, v, key->str, RM__F_NAME, NULL, (char *)in + s->shorthand);
    if (!s->fields)
        return read_items(c, v, key->str, s->items, in);
    const struct rm__ynode *found[10] = {0};
    char what[64];
    snprintf(what, sizeof what, "'%s'", key->str);
    if (rm__yfill(c, v, what, s->fields, in, found) < 0)
        return -1;
    if (s->items != NO_ITEMS) {
        size_t m = 0;
        while (strcmp(s->fields[m].key, "modules") != 0)
            m++;
        if (read_items(c, found[m], "modules", s->items, in) < 0)
            return -1;
    }
    if (in->kind == RM_I_UPDATE && in->extra && in->change != RM_CHANGE_ADVANCED)
        return rm__yerr(c->doc, found[2], c->err, "'extra' needs 'change: advanced'");
    return 0;
}

static int read_instr(struct rm__yctx *c, const struct rm__ynode *n, int low_only,
                      struct rm_instr *in)
{
    rm__yloc(n, &in->loc);
    in->timeout = RM_TIMEOUT_DEFAULT;
    in->pre_purge = in->post_purge = RM_PURGE_BRUTAL; /* OTP's default */
    const struct rm__ynode *key = n, *v = NULL;
    if (n->kind == RM__Y_MAP) {
        if (n->n != 2)
            return rm__yerr(c->doc, n, c->err,
                            "an instruction is a mapping with exactly one key, the "
                            "instruction's name");
        key = n->items[0];
        v = n->items[1];
    }
    if (key->kind != RM__Y_SCALAR)
        return rm__yerr(c->doc, key, c->err, "an instruction must be a name or a mapping");
    int kind = find_kind(key->str);
    if (kind < 0)
        return rm__yerr(c->doc, key, c->err, "unknown instruction '%s'", key->str);
    in->kind = kind;
    if (low_only && !rm_instr_is_low_level(kind))
        return rm__yerr(c->doc, key, c->err,
                        "high-level instruction '%s' in a relup (only low-level ones are allowed)",
                        key->str);
    if (!v) {
        if (kind == RM_I_POINT_OF_NO_RETURN || kind == RM_I_RESTART_NODE)
            return 0;
        return rm__yerr(c->doc, key, c->err, "'%s' needs a value", key->str);
    }
    return read_value(c, key, v, in);
}

int rm__yscript(struct rm__yctx *c, const struct rm__ynode *seq, int low_only,
                struct rm_script *out)
{
    if (rm__yseq(c, seq, "instructions") < 0)
        return -1;
    out->file = c->doc->file;
    out->v = rm__arena_array(c->arena, seq->n ? seq->n : 1, sizeof *out->v);
    if (!out->v)
        return rm_error_nomem(c->err);
    for (size_t i = 0; i < seq->n; i++)
        if (read_instr(c, seq->items[i], low_only, &out->v[i]) < 0)
            return -1;
    out->n = seq->n;
    return 0;
}
