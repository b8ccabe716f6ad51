/*
 * High- to low-level translation, step by step as systools_rc's
 * translate_scripts: expand, split and merge the scripts at
 * point_of_no_return, check, expand application instructions, turn
 * add_module into load_module, translate the instructions with
 * dependencies group by group, merge load_object_code per application, and
 * move restart_node last.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "depgraph.h"
#include "strset.h"

/* Pushes a generated instruction (its position: its source's). */
static int gen(struct rm__wlist *l, const struct rm__wi *src, struct rm_instr in,
               struct rm_error *err)
{
    in.loc = src->in.loc;
    in.pre_purge = in.post_purge = RM_PURGE_BRUTAL; /* OTP's default, as the reader's */
    return rm__wlist_push(l, &in, src->file, err);
}

/* expand_script: delete_module without dependencies is remove and purge. */
static int expand(struct rm__translate *t, const struct rm_script *s, struct rm__wlist *out)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct rm_instr *in = &s->v[i];
        struct rm__wi src = {*in, s->file};
        if (in->kind == RM_I_DELETE_MODULE && !in->deps.v) {
            struct rm_mod_item *item = rm__arena_alloc(t->arena, sizeof *item);
            if (!item)
                return rm_error_nomem(t->err);
            item->module = in->module;
            item->timeout = RM_TIMEOUT_DEFAULT;
            if (gen(out, &src, (struct rm_instr){.kind = RM_I_REMOVE, .module = in->module},
                    t->err) < 0 ||
                gen(out, &src, (struct rm_instr){.kind = RM_I_PURGE, .items = item, .n_items = 1},
                    t->err) < 0)
                return -1;
        } else if (rm__wlist_push(out, in, s->file, t->err) < 0) {
            return -1;
        }
    }
    return 0;
}

static const struct rm_plan_app *find_app(const struct rm_plan_app *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return &v[i];
    return NULL;
}

/* The applications's module names as items. */
static int app_items(struct rm__translate *t, const struct rm__wi *src,
                     const struct rm_plan_app *app, struct rm_mod_item **items, size_t *n)
{
    if (!app->app)
        return rm__wi_err(t->err, src, "'%s' needs the manifest of application '%s'",
                          rm_instr_name(src->in.kind), app->name);
    *n = app->app->n_modules;
    *items = rm__arena_array(t->arena, *n ? *n : 1, sizeof **items);
    if (!*items)
        return rm_error_nomem(t->err);
    for (size_t i = 0; i < *n; i++) {
        (*items)[i].module = app->app->modules[i].name;
        (*items)[i].timeout = RM_TIMEOUT_DEFAULT;
    }
    return 0;
}

/* An apply of application:function(app[, type]). */
static int app_apply(struct rm__translate *t, struct rm__wlist *out, const struct rm__wi *src,
                     const char *function, const char *app, const char *type)
{
    const char **args = rm__arena_array(t->arena, 2, sizeof *args);
    if (!args)
        return rm_error_nomem(t->err);
    args[0] = app;
    args[1] = type;
    struct rm_instr in = {.kind = RM_I_APPLY, .apply_module = "application", .function = function};
    in.args.v = args;
    in.args.n = type ? 2 : 1;
    return gen(out, src, in, t->err);
}

/* The start of an application by its start type (none: nothing). */
static int app_start(struct rm__translate *t, struct rm__wlist *out, const struct rm__wi *src,
                     const char *app, enum rm_start_type type)
{
    if (type == RM_START_NONE)
        return 0;
    if (type == RM_START_LOAD)
        return app_apply(t, out, src, "load", app, NULL);
    return app_apply(t, out, src, "start", app, rm_start_type_name(type));
}

static int add_modules(struct rm__translate *t, struct rm__wlist *out, const struct rm__wi *src,
                       const struct rm_mod_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (gen(out, src, (struct rm_instr){.kind = RM_I_ADD_MODULE, .module = items[i].module},
                t->err) < 0)
            return -1;
    return 0;
}

static int remove_modules(struct rm__translate *t, struct rm__wlist *out, const struct rm__wi *src,
                          struct rm_mod_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (gen(out, src, (struct rm_instr){.kind = RM_I_REMOVE, .module = items[i].module},
                t->err) < 0)
            return -1;
    return gen(out, src, (struct rm_instr){.kind = RM_I_PURGE, .items = items, .n_items = n},
               t->err);
}

static int no_such_app(struct rm__translate *t, const struct rm__wi *w, const char *where)
{
    return rm__wi_err(t->err, w, "%s: no application '%s' in the %s release",
                      rm_instr_name(w->in.kind), w->in.application, where);
}

/* translate_application_instrs for one instruction. */
static int application_instr(struct rm__translate *t, const struct rm__wi *w, struct rm__wlist *out)
{
    const char *name = w->in.application;
    if (!name) /* not an application instruction */
        return rm__wlist_push(out, &w->in, w->file, t->err);
    const struct rm_plan_app *post = find_app(t->target, t->n_target, name);
    const struct rm_plan_app *pre = find_app(t->current, t->n_current, name);
    struct rm_mod_item *items, *pre_items;
    size_t n, pre_n;
    switch (w->in.kind) {
    case RM_I_ADD_APPLICATION:
        if (!post)
            return no_such_app(t, w, "target");
        if (app_items(t, w, post, &items, &n) < 0 || add_modules(t, out, w, items, n) < 0)
            return -1;
        return app_start(t, out, w, name, w->in.start);
    case RM_I_REMOVE_APPLICATION:
        if (post)
            return rm__wi_err(t->err, w,
                              "remove_application '%s', but the target release still has it", name);
        if (!pre)
            return no_such_app(t, w, "current");
        if (app_items(t, w, pre, &items, &n) < 0 || app_apply(t, out, w, "stop", name, NULL) < 0 ||
            remove_modules(t, out, w, items, n) < 0)
            return -1;
        return app_apply(t, out, w, "unload", name, NULL);
    case RM_I_RESTART_APPLICATION:
        if (!pre)
            return no_such_app(t, w, "current");
        if (!post)
            return no_such_app(t, w, "target");
        if (app_items(t, w, pre, &pre_items, &pre_n) < 0 || app_items(t, w, post, &items, &n) < 0 ||
            app_apply(t, out, w, "stop", name, NULL) < 0 ||
            remove_modules(t, out, w, pre_items, pre_n) < 0 || add_modules(t, out, w, items, n) < 0)
            return -1;
        return app_start(t, out, w, name, post->start);
    default:
        return rm__wlist_push(out, &w->in, w->file, t->err);
    }
}

/* translate_application_instrs, then translate_add_module_instrs. */
static int independent(struct rm__translate *t, const struct rm__wlist *after,
                       struct rm__wlist *out)
{
    struct rm__wlist apps = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < after->n; i++)
        rc = t->check_only ? rm__wlist_push(&apps, &after->v[i].in, after->v[i].file, t->err)
                           : application_instr(t, &after->v[i], &apps);
    for (size_t i = 0; rc == 0 && i < apps.n; i++) {
        struct rm_instr in = apps.v[i].in;
        if (in.kind == RM_I_ADD_MODULE) {
            in.kind = RM_I_LOAD_MODULE;
            in.pre_purge = in.post_purge = RM_PURGE_BRUTAL;
        }
        rc = rm__wlist_push(out, &in, apps.v[i].file, t->err);
    }
    rm__wlist_free(&apps);
    return rc;
}

/* merge_load_object_code: one load_object_code per application, the
   modules in order, a module named again later kept at its last place. */
static int merge_object_code(struct rm__translate *t, const struct rm__wlist *before,
                             struct rm__wlist *out)
{
    size_t n = before->n;
    char *done = calloc(n ? n : 1, 1);
    if (!done)
        return rm_error_nomem(t->err);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct rm__wi *w = &before->v[i];
        if (w->in.kind != RM_I_LOAD_OBJECT_CODE || done[i])
            continue;
        size_t total = 0;
        for (size_t j = i; rc == 0 && j < n; j++) {
            const struct rm__wi *o = &before->v[j];
            if (o->in.kind != RM_I_LOAD_OBJECT_CODE || done[j] ||
                strcmp(o->in.application, w->in.application) != 0)
                continue;
            if (strcmp(o->in.version, w->in.version) != 0)
                rc = rm__wi_err(t->err, o,
                                "conflicting versions for application '%s': '%s' and '%s'",
                                w->in.application, w->in.version, o->in.version);
            total += o->in.n_items;
        }
        struct rm_instr merged = w->in;
        merged.items = rm__arena_array(t->arena, total ? total : 1, sizeof *merged.items);
        if (rc == 0 && !merged.items)
            rc = rm_error_nomem(t->err);
        /* Walk from the last list back, keeping a module only where it is
           named last, then restore the order. */
        struct rm__strset seen = {0};
        size_t k = total;
        for (size_t j = n; rc == 0 && j-- > i;) {
            const struct rm__wi *o = &before->v[j];
            if (o->in.kind != RM_I_LOAD_OBJECT_CODE || done[j] ||
                strcmp(o->in.application, w->in.application) != 0)
                continue;
            size_t keep = 0;
            for (size_t m = 0; m < o->in.n_items; m++)
                keep += rm__strset_get(&seen, o->in.items[m].module) == (size_t)-1;
            k -= keep;
            for (size_t m = 0, at = k; m < o->in.n_items; m++)
                if (rm__strset_get(&seen, o->in.items[m].module) == (size_t)-1)
                    merged.items[at++] = o->in.items[m];
            for (size_t m = 0; rc == 0 && m < o->in.n_items; m++)
                if (rm__strset_put(&seen, o->in.items[m].module, 1) < 0)
                    rc = rm_error_nomem(t->err);
            done[j] = 1;
        }
        rm__strset_free(&seen);
        if (rc == 0) {
            memmove(merged.items, merged.items + k, (total - k) * sizeof *merged.items);
            merged.n_items = total - k;
            rc = rm__wlist_push(out, &merged, w->file, t->err);
        }
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (before->v[i].in.kind != RM_I_LOAD_OBJECT_CODE)
            rc = rm__wlist_push(out, &before->v[i].in, before->v[i].file, t->err);
    free(done);
    return rc;
}

/* The steps of translate_merged_script; out receives Before ++
   [point_of_no_return | After]. */
static int translate(struct rm__translate *t, const struct rm_script *scripts, size_t n_scripts,
                     struct rm__wlist *out)
{
    struct rm__wlist before = {0}, after = {0}, after1 = {0}, dep_before = {0}, after2 = {0},
                     before2 = {0};
    int rc = 0;
    for (size_t s = 0; rc == 0 && s < n_scripts; s++) {
        struct rm__wlist expanded = {0};
        rc = expand(t, &scripts[s], &expanded);
        if (rc == 0)
            rc = rm__split(expanded.v, expanded.n, &before, &after, t->err);
        rm__wlist_free(&expanded);
    }
    if (rc == 0)
        rc = rm__check_script(&before, &after, t->err);
    if (rc == 0)
        rc = independent(t, &after, &after1);
    if (rc == 0)
        rc = rm__translate_dependent(t, &after1, &dep_before, &after2);
    for (size_t i = 0; rc == 0 && i < dep_before.n; i++)
        rc = rm__wlist_push(&before, &dep_before.v[i].in, dep_before.v[i].file, t->err);
    if (rc == 0 && !t->check_only)
        rc = merge_object_code(t, &before, &before2);
    if (rc == 0 && !t->check_only) {
        for (size_t i = 0; rc == 0 && i < before2.n; i++)
            rc = rm__wlist_push(out, &before2.v[i].in, before2.v[i].file, t->err);
        struct rm_instr ponr = {.kind = RM_I_POINT_OF_NO_RETURN};
        if (rc == 0)
            rc = rm__wlist_push(out, &ponr, NULL, t->err);
        const struct rm__wi *restart = NULL;
        for (size_t i = 0; rc == 0 && i < after2.n; i++) {
            if (after2.v[i].in.kind == RM_I_RESTART_NODE)
                restart = restart ? restart : &after2.v[i];
            else
                rc = rm__wlist_push(out, &after2.v[i].in, after2.v[i].file, t->err);
        }
        if (rc == 0 && restart)
            rc = rm__wlist_push(out, &restart->in, restart->file, t->err);
    }
    rm__wlist_free(&before);
    rm__wlist_free(&after);
    rm__wlist_free(&after1);
    rm__wlist_free(&dep_before);
    rm__wlist_free(&after2);
    rm__wlist_free(&before2);
    return rc;
}

int rm_plan_translate(enum rm_direction dir, const struct rm_script *scripts, size_t n_scripts,
                      const struct rm_plan_app *target, size_t n_target,
                      const struct rm_plan_app *current, size_t n_current, struct rm_plan *out,
                      struct rm_error *err)
{
    struct rm__arena *arena = rm__arena_new();
    if (!arena)
        return rm_error_nomem(err);
    struct rm__translate t = {.dir = dir,
                              .target = target,
                              .n_target = n_target,
                              .current = current,
                              .n_current = n_current,
                              .arena = arena,
                              .err = err};
    struct rm__wlist result = {0};
    int rc = translate(&t, scripts, n_scripts, &result);
    /* The plan gets its own arena and copies of every string, so that it
       keeps nothing of its sources. */
    struct rm_plan plan = {.dir = dir, .n = result.n};
    if (rc == 0 && !(plan.arena = rm__arena_new()))
        rc = rm_error_nomem(err);
    if (rc == 0 && !(plan.v = rm__arena_array(plan.arena, plan.n ? plan.n : 1, sizeof *plan.v)))
        rc = rm_error_nomem(err);
    for (size_t i = 0; rc == 0 && i < result.n; i++)
        if (rm__instr_copy(plan.arena, &plan.v[i], &result.v[i].in) < 0)
            rc = rm_error_nomem(err);
    rm__wlist_free(&result);
    rm__arena_free(arena);
    if (rc < 0) {
        rm__arena_free(plan.arena);
        return -1;
    }
    *out = plan;
    return 0;
}

int rm__script_check_syntax(const struct rm_script *script, struct rm_error *err)
{
    struct rm__arena *arena = rm__arena_new();
    if (!arena)
        return rm_error_nomem(err);
    struct rm__translate t = {.check_only = 1, .arena = arena, .err = err};
    struct rm__wlist out = {0};
    int rc = translate(&t, script, 1, &out);
    rm__wlist_free(&out);
    rm__arena_free(arena);
    return rc;
}
