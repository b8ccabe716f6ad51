/*
 * load.c - code switching: loading a module version (every check is made
 * before anything switches), purging the old one, and moving processes
 * between versions.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

struct keep_ctx {
    struct rm_module *m;
};

static int keep_one(struct rm_proc *p, void *ud)
{
    struct keep_ctx *k = ud;
    if (p->module != k->m)
        return 0;
    rm__proc_set_keep(p, rm__proc_suspended(p) && !rm__proc_migrated(p));
    return 0;
}

void rm__load_mark_keep(struct rm_node *node, struct rm_module *m)
{
    struct rm__proc_node *P = rm__proc_of(node);
    struct keep_ctx k = {m};
    pthread_rwlock_rdlock(&P->tab_lock);
    rm__proc_foreach(node, keep_one, &k);
    pthread_rwlock_unlock(&P->tab_lock);
}

int rm_module_load(struct rm_node *node, const char *path, const char *expect_name,
                   const char *expect_vsn, char *name_out, struct rm_error *err)
{
    struct rm__sys_node *Y = rm__sys_of(node);
    struct rm__code_node *C = rm__code_of(node);
    pthread_mutex_lock(&Y->sys_lock);
    struct rm_code *code = rm__code_open(node, path, expect_name, expect_vsn, err);
    if (!code) {
        pthread_mutex_unlock(&Y->sys_lock);
        return -1;
    }
    const char *name = code->desc->name;
    int r = 0;
    pthread_mutex_lock(&C->code_lock);
    struct rm_module *m = rm__code_module_find(node, name);
    struct rm_code *cur = m ? atomic_load(&m->current) : NULL;
    if (m && m->old)
        r = rm_error_about(err, 0, RM_XOLD_CODE, 0, "load", path, ": old code of '%s' not purged",
                           name);
    else if (cur && strcmp(cur->desc->version, code->desc->version) == 0)
        r = rm_error_about(err, RM_EEXIST, RM_XNONE, 0, "load", path,
                           ": version '%s' of '%s' is already current", code->desc->version, name);
    else if (!(m = rm__code_module_get(node, name)) || rm__code_path_add(node, code->path, err) < 0)
        r = rm_error_nomem(err);
    if (r == 0) {
        code->module = m;
        m->old = cur;
        atomic_store(&m->current, code);
        if (name_out)
            snprintf(name_out, RM_NAME_MAX + 1, "%s", name);
    }
    pthread_mutex_unlock(&C->code_lock);
    if (r < 0) {
        rm__code_drop(node, code);
    } else {
        rm__load_mark_keep(node, m);
        rm__load_move_downgraded(node, m);
    }
    pthread_mutex_unlock(&Y->sys_lock);
    return r;
}

struct purge_match {
    struct rm_module *m;
    struct rm_code *code;
};

static bool runs_code(struct rm_proc *p, void *ud)
{
    struct purge_match *pm = ud;
    return p->module == pm->m && p->code == pm->code;
}

static bool waits_for_current(struct rm_proc *p, void *ud)
{
    struct rm_module *m = ud;
    struct rm_code *cur = atomic_load(&m->current);
    return p->module == m && p->down_vsn && cur && strcmp(cur->desc->version, p->down_vsn) == 0;
}

/* Pins each process of v[0..n-1], moves it to its module's current code
   and releases it; drops the references. A process inside a callback is
   not waited for (sys_lock is held): not held and not kept, it moves at its
   next message, and its own reference keeps its code loaded until then. */
static void move_each(struct rm_node *node, struct rm_proc **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (rm__sys_pin(node, v[i], 0, "move", NULL) < 0)
            continue;
        if (!rm__proc_dead(v[i]))
            rm__proc_to_current(node, v[i]);
        rm__sys_unpin(node, v[i]);
    }
    rm__proc_release_all(v, n);
}

void rm__load_move_downgraded(struct rm_node *node, struct rm_module *m)
{
    struct rm__code_node *C = rm__code_of(node);
    struct rm_proc **v;
    size_t n;
    pthread_mutex_lock(&C->code_lock);
    int r = rm__proc_collect(node, waits_for_current, m, &v, &n, NULL);
    pthread_mutex_unlock(&C->code_lock);
    if (r == 0)
        move_each(node, v, n);
    /* out of memory: they stay suspended, refused a resume until moved */
}

size_t rm__load_move_all(struct rm_node *node, struct rm_module *m, struct rm_code *code,
                         uint64_t keep_gen)
{
    struct rm__code_node *C = rm__code_of(node);
    struct purge_match pm = {m, code};
    struct rm_proc **v;
    size_t n, kept = 0;
    pthread_mutex_lock(&C->code_lock);
    int r = rm__proc_collect(node, runs_code, &pm, &v, &n, NULL);
    pthread_mutex_unlock(&C->code_lock);
    if (r < 0)
        return 0; /* out of memory: they move at their next message */
    for (size_t i = 0, k = 0; i < n; i++) {
        if (keep_gen && v[i]->state_gen == keep_gen) {
            rm__proc_set_keep(v[i], true);
            rm__proc_put(v[i]);
            kept++;
        } else {
            v[k++] = v[i];
        }
    }
    move_each(node, v, n - kept);
    return kept;
}

/* Whether a process on the old code only waits for its next message to
   move to the current one (a load without code change): neither suspended
   nor kept on its code. */
static bool will_move(struct rm_proc *p)
{
    return !rm__proc_suspended(p) && !rm__proc_keeps(p) && !p->down_vsn;
}

/* Purges the old code `old` of m (sys_lock held): collects its processes,
   pins them all (at most RM__SYS_PIN_MS, else nothing changes), then moves
   those that would move at their next message and, for a brutal purge,
   kills the others. */
static int purge_old(struct rm_node *node, struct rm_module *m, struct rm_code *old,
                     enum rm_purge_mode mode, size_t *nkilled, struct rm_error *err)
{
    struct rm__code_node *C = rm__code_of(node);
    struct purge_match pm = {m, old};
    struct rm_proc **v;
    size_t n, users = 0;
    pthread_mutex_lock(&C->code_lock);
    int r = rm__proc_collect(node, runs_code, &pm, &v, &n, err);
    pthread_mutex_unlock(&C->code_lock);
    if (r < 0)
        return -1;
    /* move[i]: v[i] moves, not killed (decided before pinning holds it) */
    bool *move = malloc(n + 1);
    if (move) {
        pthread_mutex_lock(&C->code_lock);
        for (size_t i = 0; i < n; i++)
            users += !(move[i] = will_move(v[i]));
        pthread_mutex_unlock(&C->code_lock);
    }
    struct rm__sys_susp rq = {
        .why = RM__PROC_HOLD_PIN, .procs = v, .n = n, .timeout_ms = RM__SYS_PIN_MS};
    if (!move) {
        r = rm_error_nomem(err);
    } else if (users > 0 && mode == RM_PURGE_SOFT) {
        r = rm_error_about(err, 0, RM_XIN_USE, 0, "purge", m->name,
                           ": %zu process%s still run%s the old code (version '%s')", users,
                           users == 1 ? "" : "es", users == 1 ? "s" : "", old->desc->version);
    } else if (rm__sys_suspend(node, &rq, err) < 0) {
        r = rm_error_lead(err, "purge '%s'", m->name);
    }
    for (size_t i = 0; r == 0 && i < n; i++) {
        struct rm_proc *p = v[i];
        bool dead = rm__proc_dead(p);
        if (!dead && p->code == old && move[i]) {
            rm__proc_to_current(node, p);
        } else if (!dead && p->code == old) {
            rm__life_exit(node, p, "killed", true, 0);
            (*nkilled)++;
            continue;
        }
        rm__sys_unpin(node, p);
    }
    free(move);
    rm__proc_release_all(v, n);
    if (r == 0) {
        pthread_mutex_lock(&C->code_lock);
        m->old = NULL;
        pthread_mutex_unlock(&C->code_lock);
        rm__code_unref(node, old, false);
    }
    return r;
}

int rm_module_purge(struct rm_node *node, const char *name, enum rm_purge_mode mode, size_t *killed,
                    struct rm_error *err)
{
    struct rm__sys_node *Y = rm__sys_of(node);
    struct rm__code_node *C = rm__code_of(node);
    struct rm__load_node *L = rm__load_of(node);
    size_t nkilled = 0;
    pthread_mutex_lock(&Y->sys_lock);
    pthread_mutex_lock(&C->code_lock);
    struct rm_module *m = name ? rm__code_module_find(node, name) : NULL;
    struct rm_code *old = m ? m->old : NULL;
    pthread_mutex_unlock(&C->code_lock);
    int r = 0;
    if (!m)
        r = rm_error_about(err, RM_ENOENT, RM_XNONE, 0, "purge", name ? name : "",
                           ": module not loaded");
    else if (old && L->in_upgrade && L->in_upgrade(node, m))
        r = rm_error_about(err, 0, RM_XUPGRADING, 0, "purge", name,
                           ": the module is part of an upgrade in progress");
    else if (old)
        r = purge_old(node, m, old, mode, &nkilled, err);
    pthread_mutex_unlock(&Y->sys_lock);
    if (r == 0 && killed)
        *killed = nkilled;
    return r;
}
