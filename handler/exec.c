/*
 * The plan executor: each low-level instruction onto the runtime's upgrade
 * transaction (relman/runtime.h).
 *
 *   load_object_code    rm_txn_prepare per module, after the pre-purge check;
 *                       rm_txn_prepare_deferred when an old version is in
 *                       the way (validated now, purged at its load)
 *   point_of_no_return  nothing (everything before it only checked)
 *   suspend             rm_txn_suspend, in parallel, per timeout group
 *   load                rm_txn_load (the replaced code stays until commit);
 *                       a deferred prepare first purges the old version
 *                       brutally (irreversible when processes run it: they
 *                       are killed)
 *   code_change         rm_txn_code_change, in parallel across the workers
 *   resume              rm_txn_resume (processes resume at commit)
 *   purge               the commit purges replaced code; listed modules are
 *                       purged once more after it (rm_txn_purge_at_commit)
 *   start               rm_txn_spawn: processes of the target release's
 *                       manifests
 *   add_application     its modules prepared and loaded, its processes started
 *   stop, remove, apply, remove_application, restart_application,
 *   restart_node        irreversible (rm_instr_irreversible)
 *
 * The transaction is the only undo log: the executor keeps no undo state of
 * its own. From the plan's first irreversible step on it marks the
 * transaction irreversible (rm_txn_mark_irreversible), as a deferred
 * pre-purge that kills processes does itself. On a failure, rm_txn_abort
 * stops the processes the plan started and puts every process back on its
 * old code with its old state and its queue; when rm_txn_irreversible says
 * a step that cannot be undone has run, the caller then restarts the node
 * into the permanent release.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "relman/apply.h"
#include "relman/fsutil.h"
#include "handler-internal.h"

/* One execution. */
struct exec {
    const struct rm_handler_exec_env *env;
    const struct rm_plan *plan;
    struct rm_txn *txn;
    struct rm_report *rep;
    int restart_node; /* the plan ends with restart_node */
};

uint64_t rm__exec_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The timeout of a step: the install's override, else the manifest's. */
static int step_timeout(const struct exec *x, long t)
{
    if (x->env->timeout_ms >= 0)
        return x->env->timeout_ms;
    if (t == RM_TIMEOUT_INFINITY)
        return -1;
    if (t == RM_TIMEOUT_DEFAULT || t < 0)
        return RM_HANDLER_DEFAULT_TIMEOUT_MS;
    return t > INT_MAX ? INT_MAX : (int)t;
}

/* The timeout of a module's code_change: its suspend item's in the plan. */
static int module_timeout(const struct exec *x, const char *module)
{
    for (size_t i = 0; i < x->plan->n; i++) {
        const struct rm_instr *in = &x->plan->v[i];
        for (size_t j = 0; in->kind == RM_I_SUSPEND && j < in->n_items; j++)
            if (strcmp(in->items[j].module, module) == 0)
                return step_timeout(x, in->items[j].timeout);
    }
    return step_timeout(x, RM_TIMEOUT_DEFAULT);
}

/* The pre-purge method of the plan's load of `module` (brutal when none). */
static enum rm_purge_mode pre_purge_of(const struct rm_plan *plan, const char *module)
{
    for (size_t i = 0; i < plan->n; i++)
        if (plan->v[i].kind == RM_I_LOAD && strcmp(plan->v[i].module, module) == 0)
            return plan->v[i].pre_purge;
    return RM_PURGE_BRUTAL;
}

/* Looks module `name` up in the node's module table. 1 found, 0 not, -1 error. */
static int module_info(struct rm_node *node, const char *name, struct rm_module_info *out,
                       struct rm_error *err)
{
    struct rm_module_info *mods;
    size_t n;
    if (rm_module_list(node, &mods, &n, err) < 0)
        return -1;
    int found = 0;
    for (size_t i = 0; i < n && !found; i++)
        if (strcmp(mods[i].name, name) == 0) {
            *out = mods[i];
            found = 1;
        }
    free(mods);
    return found;
}

/* The old version of `module` that processes still run: 1 with *mi
   filled when there is one, 0 when none, -1 on error. */
static int old_in_use(struct rm_node *node, const char *module, struct rm_module_info *mi,
                      struct rm_error *err)
{
    int r = module_info(node, module, mi, err);
    if (r <= 0 || !mi->old_vsn[0])
        return r < 0 ? -1 : 0;
    return mi->procs_old > 0;
}

long rm__exec_first_irreversible(struct rm_node *node, const struct rm_plan *plan)
{
    long first = rm_plan_first_irreversible(plan);
    for (size_t i = 0; i < plan->n && (first < 0 || (long)i < first); i++) {
        const struct rm_instr *in = &plan->v[i];
        struct rm_module_info mi;
        if (in->kind == RM_I_LOAD && in->pre_purge != RM_PURGE_SOFT &&
            old_in_use(node, in->module, &mi, NULL) > 0)
            return (long)i;
    }
    return first;
}

/*
 * OTP's old-code precondition before loading new code of `module`, checked
 * at load_object_code: an old version still in use refuses a soft pre-purge
 * ("old processes"); for a brutal one, returns 1: the load step purges it
 * (killing those processes) after point_of_no_return. An old version no
 * process runs is purged here (nothing is lost; not in a check). Returns 0
 * when nothing is in the way, 1, or -1 on refusal.
 */
static int pre_purge_check(struct exec *x, const char *module, struct rm_error *err)
{
    struct rm_module_info mi;
    int r = module_info(x->env->node, module, &mi, err);
    if (r <= 0 || !mi.old_vsn[0])
        return r < 0 ? -1 : 0;
    enum rm_purge_mode method = pre_purge_of(x->plan, module);
    if (mi.procs_old > 0 && method == RM_PURGE_SOFT)
        return rm_error_xset(err, RM_XIN_USE,
                             "old processes: module '%s' still has %zu process(es) on its old "
                             "version '%s'; soft_purge refuses to purge it (use brutal_purge or "
                             "let them finish)",
                             module, mi.procs_old, mi.old_vsn);
    if (mi.procs_old > 0 || x->env->check_only)
        return 1;
    if (rm_module_purge(x->env->node, module, RM_PURGE_SOFT, NULL, err) < 0)
        return rm_error_prefix(err, "pre-purge of module '%s'", module);
    return 0;
}

/* Prepares the object of `mod` from `path`. With an old version in the way
   (pre_purge_check returned 1) the prepare is deferred: the object is
   validated now, and the load step purges the old version and prepares it
   (rm_txn_prepare_deferred). */
static int prepare(struct exec *x, const char *path, const char *mod, const char *vsn, int old,
                   struct rm_error *err)
{
    if (old)
        return rm_txn_prepare_deferred(x->txn, path, mod, vsn, err);
    return rm_txn_prepare(x->txn, path, mod, vsn, err);
}

/* load: the prepared object becomes current. A module whose old version
   processes still ran at load_object_code is purged first (brutally: its
   processes are killed, which cannot be undone) and prepared then; the
   transaction does both and counts the processes killed. */
static int exec_load(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                     struct rm_error *err)
{
    size_t killed = rm_txn_killed(x->txn);
    int rc = rm_txn_load(x->txn, in->module, err);
    *procs += rm_txn_killed(x->txn) - killed;
    return rc;
}

/* The version of `module` that application `app` at `vsn` holds. */
static const char *module_version(const struct exec *x, const char *app, const char *vsn,
                                  const char *module, struct rm_error *err)
{
    const struct rm_handler_rel *rels[2] = {x->env->to, x->env->from};
    for (int i = 0; i < 2; i++) {
        const struct rm_app *a = rm__rel_app(rels[i], app);
        if (a && strcmp(a->version, vsn) == 0) {
            const struct rm_app_module *m = rm_app_find_module(a, module);
            if (!m) {
                rm_error_set(err, RM_ENOENT, "module '%s' is not in application '%s-%s' (%s)",
                             module, app, vsn, a->file);
                return NULL;
            }
            return m->version;
        }
    }
    rm_error_set(err, RM_ENOENT, "application '%s-%s' is in neither release", app, vsn);
    return NULL;
}

static int exec_load_object_code(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                                 struct rm_error *err)
{
    for (size_t i = 0; i < in->n_items; i++) {
        const char *mod = in->items[i].module;
        const char *vsn = module_version(x, in->application, in->version, mod, err);
        char path[4096];
        if (!vsn || rm__rel_module_path(x->env->root, in->application, in->version, mod, path,
                                        sizeof path, err) < 0)
            return -1;
        if (!rm_fs_exists(path))
            return rm_error_set(err, RM_ENOENT,
                                "module '%s' of application '%s-%s': file '%s' is missing", mod,
                                in->application, in->version, path);
        int old = pre_purge_check(x, mod, err);
        if (old < 0 || prepare(x, path, mod, vsn, old, err) < 0)
            return rm_error_prefix(err, "module '%s' of application '%s-%s'", mod, in->application,
                                   in->version);
    }
    return 0;
}

/* Collects the modules of an instruction's items, in order. */
static const char **item_modules(const struct rm_instr *in, size_t from, size_t to,
                                 struct rm_error *err)
{
    const char **v = calloc(to - from + 1, sizeof *v);
    if (!v) {
        rm_error_nomem(err);
        return NULL;
    }
    for (size_t i = from; i < to; i++)
        v[i - from] = in->items[i].module;
    return v;
}

static int exec_suspend(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                        struct rm_error *err)
{
    /* Consecutive items with the same timeout are suspended together. */
    for (size_t i = 0; i < in->n_items;) {
        int ms = step_timeout(x, in->items[i].timeout);
        size_t j = i + 1;
        while (j < in->n_items && step_timeout(x, in->items[j].timeout) == ms)
            j++;
        const char **mods = item_modules(in, i, j, err);
        size_t count = 0;
        if (!mods)
            return -1;
        int rc = rm_txn_suspend(x->txn, mods, j - i, ms, &count, err);
        free(mods);
        if (rc < 0)
            return -1;
        *procs += count;
        i = j;
    }
    return 0;
}

static int exec_code_change(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                            struct rm_error *err)
{
    for (size_t i = 0; i < in->n_items; i++) {
        const char *mod = in->items[i].module;
        const char *down_vsn = NULL;
        if (in->dir == RM_DOWN) {
            const struct rm_app_module *m = rm__rel_module(x->env->to, mod, NULL);
            if (!m)
                return rm_error_set(err, RM_ENOENT,
                                    "code_change down of module '%s': release '%s' has no such "
                                    "module to go back to",
                                    mod, x->env->to->rel.version);
            down_vsn = m->version;
        }
        size_t count = 0;
        const char *extra = in->items[i].extra ? in->items[i].extra : "";
        if (rm_txn_code_change(x->txn, mod, in->dir, down_vsn, extra, module_timeout(x, mod),
                               &count, err) < 0)
            return -1;
        *procs += count;
    }
    return 0;
}

static int exec_resume(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                       struct rm_error *err)
{
    const char **mods = item_modules(in, 0, in->n_items, err);
    size_t count = 0;
    if (!mods)
        return -1;
    int rc = rm_txn_resume(x->txn, mods, in->n_items, &count, err);
    free(mods);
    *procs += count;
    return rc;
}

/* Stops every process running `module`. */
static int stop_module(struct exec *x, const char *module, uint64_t *procs, struct rm_error *err)
{
    struct rm_proc_info *ps;
    size_t n;
    if (rm_proc_list(x->env->node, module, &ps, &n, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct rm_error e;
        if (rm_proc_stop(x->env->node, ps[i].pid, "shutdown", &e) == 0)
            (*procs)++;
        else if (e.code != RM_ENOENT)
            rc = rm_error_copy(err, &e);
    }
    free(ps);
    return rc;
}

/* Starts the target release's processes that run one of `mods` and do not
   run yet. */
static int start_modules(struct exec *x, const char *const *mods, size_t nmods, uint64_t *procs,
                         struct rm_error *err)
{
    const struct rm_handler_rel *to = x->env->to;
    for (size_t a = 0; a < to->rel.n_apps; a++) {
        const struct rm_app *app = &to->apps[a];
        enum rm_start_type st = to->rel.apps[a].start;
        if (st == RM_START_LOAD || st == RM_START_NONE)
            continue;
        for (size_t p = 0; p < app->n_processes; p++) {
            const struct rm_proc_spec *ps = &app->processes[p];
            int wanted = 0;
            for (size_t m = 0; m < nmods && !wanted; m++)
                wanted = strcmp(mods[m], ps->module) == 0;
            rm_pid pid;
            if (!wanted || rm_proc_resolve(x->env->node, ps->name, &pid, NULL) == 0)
                continue;
            struct rm_spawn_opts so = {
                .module = ps->module, .name = ps->name, .arg = ps->arg, .restart = ps->restart};
            if (rm_txn_spawn(x->txn, &so, &pid, err) < 0)
                return rm_error_prefix(err, "start process '%s' of application '%s'", ps->name,
                                       app->name);
            (*procs)++;
        }
    }
    return 0;
}

/* The start type of `app` in the target release (permanent when absent). */
static enum rm_start_type start_type_of(const struct exec *x, const char *app)
{
    const struct rm_release_app *ra = rm_release_find(&x->env->to->rel, app);
    return ra ? ra->start : RM_START_PERMANENT;
}

/* Starts (or with `stop`, stops) application `app`: the target release's
   manifest to start, the running release's to stop. */
static int app_control(struct exec *x, const char *app, int stop, enum rm_start_type st,
                       uint64_t *procs, struct rm_error *err)
{
    if (stop) {
        const struct rm_app *m = rm__rel_app(x->env->from, app);
        size_t n = 0;
        if (!m)
            return rm_error_set(err, RM_ENOENT, "application '%s' does not run", app);
        int rc = rm__rel_app_stop(x->env->node, m, &n, err);
        *procs += n;
        return rc;
    }
    const struct rm_app *m = rm__rel_app(x->env->to, app);
    if (!m)
        return rm_error_set(err, RM_ENOENT, "application '%s' is not in release '%s'", app,
                            x->env->to->rel.version);
    if (st == RM_START_LOAD || st == RM_START_NONE)
        return 0;
    const char **mods = calloc(m->n_modules + 1, sizeof *mods);
    if (!mods)
        return rm_error_nomem(err);
    for (size_t i = 0; i < m->n_modules; i++)
        mods[i] = m->modules[i].name;
    int rc = start_modules(x, mods, m->n_modules, procs, err);
    free(mods);
    return rc;
}

/* Deletes the modules of application `app` of the running release that the
   target release does not hold. */
static int delete_app_modules(struct exec *x, const char *app, struct rm_error *err)
{
    const struct rm_app *m = rm__rel_app(x->env->from, app);
    for (size_t i = 0; m && i < m->n_modules; i++)
        if (!rm__rel_module(x->env->to, m->modules[i].name, NULL) &&
            rm_module_delete(x->env->node, m->modules[i].name, RM_PURGE_BRUTAL, NULL, err) < 0)
            return -1;
    return 0;
}

/* Prepares and loads, within the transaction, the modules of application
   `app` of the target release that the node does not run at that version. */
static int add_app_modules(struct exec *x, const char *app, struct rm_error *err)
{
    const struct rm_app *m = rm__rel_app(x->env->to, app);
    if (!m)
        return rm_error_set(err, RM_ENOENT, "application '%s' is not in release '%s'", app,
                            x->env->to->rel.version);
    for (size_t i = 0; i < m->n_modules; i++) {
        const struct rm_app_module *am = &m->modules[i];
        struct rm_module_info mi;
        char path[4096];
        int r = module_info(x->env->node, am->name, &mi, err);
        if (r < 0)
            return -1;
        if (r > 0 && strcmp(mi.current_vsn, am->version) == 0)
            continue;
        if (rm__rel_module_path(x->env->root, m->name, m->version, am->name, path, sizeof path,
                                err) < 0 ||
            rm_txn_prepare(x->txn, path, am->name, am->version, err) < 0 ||
            rm_txn_load(x->txn, am->name, err) < 0)
            return rm_error_prefix(err, "application '%s'", app);
    }
    return 0;
}

/* apply: the application controller's functions, or a module's export. */
static int exec_apply(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                      struct rm_error *err)
{
    const char *const *args = in->args.v;
    if (strcmp(in->apply_module, "application") == 0 && in->args.n >= 1) {
        if (strcmp(in->function, "start") == 0)
            return app_control(x, args[0], 0, start_type_of(x, args[0]), procs, err);
        if (strcmp(in->function, "stop") == 0)
            return app_control(x, args[0], 1, RM_START_PERMANENT, procs, err);
        if (strcmp(in->function, "unload") == 0)
            return delete_app_modules(x, args[0], err);
        if (strcmp(in->function, "load") == 0)
            return add_app_modules(x, args[0], err);
    }
    return rm_module_apply(x->env->node, in->apply_module, in->function, args, in->args.n, err);
}

static int exec_point_of_no_return(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                                   struct rm_error *err)
{
    return 0; /* the executor's loop knows where it stands */
}

static int exec_purge(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                      struct rm_error *err)
{
    for (size_t i = 0; i < in->n_items; i++)
        if (rm_txn_purge_at_commit(x->txn, in->items[i].module, err) < 0)
            return -1;
    return 0;
}

static int exec_stop(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                     struct rm_error *err)
{
    for (size_t i = 0; i < in->n_items; i++)
        if (stop_module(x, in->items[i].module, procs, err) < 0)
            return -1;
    return 0;
}

static int exec_start(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                      struct rm_error *err)
{
    const char **mods = item_modules(in, 0, in->n_items, err);
    if (!mods)
        return -1;
    int rc = start_modules(x, mods, in->n_items, procs, err);
    free(mods);
    return rc;
}

static int exec_remove(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                       struct rm_error *err)
{
    size_t killed = 0;
    int rc = rm_module_delete(x->env->node, in->module, in->pre_purge, &killed, err);
    *procs += killed;
    return rc;
}

static int exec_restart_node(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                             struct rm_error *err)
{
    x->restart_node = 1;
    return 0;
}

static int exec_add_application(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                                struct rm_error *err)
{
    if (add_app_modules(x, in->application, err) < 0)
        return -1;
    return app_control(x, in->application, 0, in->start, procs, err);
}

static int exec_remove_application(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                                   struct rm_error *err)
{
    if (app_control(x, in->application, 1, RM_START_PERMANENT, procs, err) < 0)
        return -1;
    return delete_app_modules(x, in->application, err);
}

static int exec_restart_application(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                                    struct rm_error *err)
{
    if (app_control(x, in->application, 1, RM_START_PERMANENT, procs, err) < 0 ||
        add_app_modules(x, in->application, err) < 0)
        return -1;
    return app_control(x, in->application, 0, start_type_of(x, in->application), procs, err);
}

/* The high-level kinds that translation replaces: a plan holding one was
   not translated, which the plan sources never let through. */
static int exec_high_level(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                           struct rm_error *err)
{
    return rm_error_set(err, RM_EINVAL,
                        "instruction '%s' is high level: the plan must be translated first",
                        rm_instr_name(in->kind));
}
#define exec_update        exec_high_level
#define exec_load_module   exec_high_level
#define exec_add_module    exec_high_level
#define exec_delete_module exec_high_level

/* One executor per instruction kind, built from the kinds' rows
   (RM_INSTR_KINDS): a kind without its exec_<spelling> does not compile. */
typedef int (*exec_fn)(struct exec *x, const struct rm_instr *in, uint64_t *procs,
                       struct rm_error *err);
static const exec_fn executors[] = {
#define ROW(id, spelling, level, irreversible, pre) [RM_I_##id] = exec_##spelling,
    RM_INSTR_KINDS(ROW)
#undef ROW
};
_Static_assert(sizeof executors / sizeof executors[0] == RM_I__COUNT,
               "one executor per instruction kind");

int rm_handler_exec_plan(const struct rm_handler_exec_env *env, const struct rm_plan *plan,
                         struct rm_report *rep, enum rm_handler_fail *fail, struct rm_error *err)
{
    struct exec x = {.env = env, .plan = plan, .rep = rep};
    uint64_t t0 = rm__exec_now_ns();
    *fail = RM_HANDLER_FAIL_NONE;
    rep->plan_len = plan->n;
    rep->first_irreversible = rm__exec_first_irreversible(env->node, plan);
    x.txn = rm_txn_begin(env->node, err);
    if (!x.txn) {
        *fail = RM_HANDLER_FAIL_UNDONE;
        return -1;
    }
    long ponr = rm_plan_point_of_no_return(plan);
    for (size_t i = 0; i < plan->n; i++) {
        const struct rm_instr *in = &plan->v[i];
        char what[sizeof rep->steps[0].what];
        rm__describe_instr(in, what, sizeof what);
        /* A check runs what precedes point_of_no_return, as OTP's
           check_install_release does, and every load_object_code (it only
           validates and prepares). */
        if (env->check_only && (long)i > ponr && in->kind != RM_I_LOAD_OBJECT_CODE)
            continue;
        if (!env->check_only && rep->first_irreversible >= 0 && (long)i >= rep->first_irreversible)
            rm_txn_mark_irreversible(x.txn);
        uint64_t procs = 0, s0 = rm__exec_now_ns();
        int rc = executors[in->kind](&x, in, &procs, err);
        if (rc < 0)
            rm_error_prefix(err, "step %zu '%s'", i + 1, what);
        if (rc < 0 || rm_report_add(rep, what, procs, rm__exec_now_ns() - s0, err) < 0) {
            *fail = rm_txn_irreversible(x.txn) ? RM_HANDLER_FAIL_RESTART : RM_HANDLER_FAIL_UNDONE;
            rm_txn_abort(x.txn); /* stops the processes the plan started first */
            return -1;
        }
    }
    if (env->check_only) {
        rm_txn_abort(x.txn);
    } else {
        rm_txn_commit(x.txn, &rep->pause_ns); /* then purges what the plan's purge named */
    }
    rep->total_ns = rm__exec_now_ns() - t0;
    if (x.restart_node)
        *fail = RM_HANDLER_FAIL_RESTART;
    return 0;
}
