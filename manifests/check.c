/* The rules systools_rc checks before and after translating: where
   point_of_no_return may be and what may precede it, loads with object
   code, suspend/resume and stop/start pairs, restart_node last. */
#include <string.h>

#include "check.h"
#include "strset.h"

/* Appends `src` to `dst`. */
static int append(struct rm__wlist *dst, const struct rm__wlist *src, struct rm_error *err)
{
    for (size_t i = 0; i < src->n; i++)
        if (rm__wlist_push(dst, &src->v[i].in, src->v[i].file, err) < 0)
            return -1;
    return 0;
}

int rm__split(const struct rm__wi *v, size_t n, struct rm__wlist *before, struct rm__wlist *after,
              struct rm_error *err)
{
    size_t ponr = n;
    for (size_t i = 0; i < n; i++) {
        if (v[i].in.kind != RM_I_POINT_OF_NO_RETURN)
            continue;
        if (ponr < n)
            return rm__wi_err(err, &v[i], "second point_of_no_return (the first is at %s:%u:%u)",
                              v[ponr].file, v[ponr].in.loc.line, v[ponr].in.loc.col);
        ponr = i;
    }
    struct rm__wlist found = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && ponr < n && i < ponr; i++) {
        if (!rm_instr_pre_commit(v[i].in.kind))
            rc = rm__wi_err(err, &v[i],
                            "'%s' before point_of_no_return (only load_object_code and apply may "
                            "come before it)",
                            rm_instr_name(v[i].in.kind));
        else
            rc = rm__wlist_push(before, &v[i].in, v[i].file, err);
    }
    for (size_t i = ponr < n ? ponr + 1 : 0; rc == 0 && i < n; i++)
        rc = rm__wlist_push(v[i].in.kind == RM_I_LOAD_OBJECT_CODE ? &found : after, &v[i].in,
                            v[i].file, err);
    if (rc == 0)
        rc = append(before, &found, err);
    rm__wlist_free(&found);
    return rc;
}

/* Collects the modules of every `kind` instruction's items into `set`
   (value: the index of the first instruction naming it). */
static int collect(const struct rm__wlist *l, enum rm_instr_kind kind, struct rm__strset *set,
                   struct rm_error *err)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].in.kind != kind)
            continue;
        for (size_t k = 0; k < l->v[i].in.n_items; k++) {
            const char *m = l->v[i].in.items[k].module;
            if (rm__strset_get(set, m) == (size_t)-1 && rm__strset_put(set, m, i) < 0)
                return rm_error_nomem(err);
        }
    }
    return 0;
}

/* Refuses the first module of a `kind` instruction that is not in `other`. */
static int difference(const struct rm__wlist *l, enum rm_instr_kind kind,
                      const struct rm__strset *other, const char *why, struct rm_error *err)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].in.kind != kind)
            continue;
        for (size_t k = 0; k < l->v[i].in.n_items; k++)
            if (rm__strset_get(other, l->v[i].in.items[k].module) == (size_t)-1)
                return rm__wi_err(err, &l->v[i], "module '%s' %s", l->v[i].in.items[k].module, why);
    }
    return 0;
}

static int check_pairs(const struct rm__wlist *after, struct rm_error *err)
{
    struct rm__strset susp = {0}, res = {0}, start = {0}, stop = {0};
    int rc = collect(after, RM_I_SUSPEND, &susp, err);
    if (rc == 0)
        rc = collect(after, RM_I_RESUME, &res, err);
    if (rc == 0)
        rc = collect(after, RM_I_START, &start, err);
    if (rc == 0)
        rc = collect(after, RM_I_STOP, &stop, err);
    if (rc == 0)
        rc = difference(after, RM_I_SUSPEND, &res, "is suspended but not resumed", err);
    if (rc == 0)
        rc = difference(after, RM_I_RESUME, &susp, "is resumed but not suspended", err);
    if (rc == 0)
        rc = difference(after, RM_I_CODE_CHANGE, &susp, "has a code_change but is not suspended",
                        err);
    if (rc == 0)
        rc = difference(after, RM_I_START, &stop, "is started but not stopped", err);
    if (rc == 0)
        rc = difference(after, RM_I_STOP, &start, "is stopped but not started", err);
    rm__strset_free(&susp);
    rm__strset_free(&res);
    rm__strset_free(&start);
    rm__strset_free(&stop);
    return rc;
}

static int check_loads(const struct rm__wlist *before, const struct rm__wlist *after,
                       struct rm_error *err)
{
    struct rm__strset code = {0};
    int rc = collect(before, RM_I_LOAD_OBJECT_CODE, &code, err);
    for (size_t i = 0; rc == 0 && i < after->n; i++)
        if (after->v[i].in.kind == RM_I_LOAD &&
            rm__strset_get(&code, after->v[i].in.module) == (size_t)-1)
            rc = rm__wi_err(err, &after->v[i], "load of module '%s' has no load_object_code",
                            after->v[i].in.module);
    rm__strset_free(&code);
    return rc;
}

int rm__check_script(const struct rm__wlist *before, const struct rm__wlist *after,
                     struct rm_error *err)
{
    if (check_loads(before, after, err) < 0)
        return -1;
    return check_pairs(after, err);
}

int rm_plan_check(const struct rm_script *script, struct rm_error *err)
{
    struct rm__wlist all = {0}, before = {0}, after = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < script->n; i++) {
        const struct rm_instr *in = &script->v[i];
        rc = rm__wlist_push(&all, in, script->file, err);
        if (rc == 0 && !rm_instr_is_low_level(in->kind))
            rc = rm__instr_err(err, script->file, in,
                               "high-level instruction '%s' in a low-level plan",
                               rm_instr_name(in->kind));
        if (rc == 0 && in->kind == RM_I_RESTART_NODE && i + 1 < script->n)
            rc = rm__instr_err(err, script->file, in, "restart_node must be the last instruction");
    }
    if (rc == 0)
        rc = rm__split(all.v, all.n, &before, &after, err);
    if (rc == 0)
        rc = rm__check_script(&before, &after, err);
    rm__wlist_free(&all);
    rm__wlist_free(&before);
    rm__wlist_free(&after);
    return rc;
}
