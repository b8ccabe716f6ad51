/*
 * life.c - a process's life around its callbacks: spawning (init), the
 * worker's batch of messages, exits (terminate) and restarts, and the
 * public calls that send to a process.
 *
 * Restarts give the process a new pid under the same registered name, as
 * an OTP supervisor does. The transitions themselves are the process
 * layer's (proc.c).
 */
#include <stdlib.h>
#include <string.h>

#include "life.h"

/* ---- spawning --------------------------------------------------------- */

static int check_name(const char *name, struct rm_error *err)
{
    size_t len = strlen(name);
    if (len == 0 || len > RM_NAME_MAX || name[0] == '<')
        return rm_error_set(err, RM_EINVAL,
                            "invalid process name '%s': 1 to %d characters, not starting with '<'",
                            name, RM_NAME_MAX);
    for (const char *q = name; *q; q++)
        if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 127)
            return rm_error_set(err, RM_EINVAL,
                                "invalid process name '%s': only printable characters, no spaces",
                                name);
    return 0;
}

static void ext_free(struct rm__proc_ext *x)
{
    if (!x)
        return;
    free(x->name);
    free(x->arg);
    free(x);
}

static struct rm__proc_ext *ext_new(const struct rm_spawn_opts *o)
{
    unsigned maxr = o->max_restarts, maxs = o->max_seconds;
    if (maxr == 0 && maxs == 0) {
        maxr = 3;
        maxs = 5;
    }
    struct rm__proc_ext *x = calloc(1, sizeof *x + maxr * sizeof x->hist[0]);
    if (!x)
        return NULL;
    x->restart = o->restart;
    x->max_restarts = maxr;
    x->max_seconds = maxs;
    if ((o->name && !(x->name = strdup(o->name))) || (o->arg && !(x->arg = strdup(o->arg)))) {
        ext_free(x);
        return NULL;
    }
    return x;
}

static struct rm_module *find_module(struct rm_node *node, const char *name, struct rm_error *err)
{
    struct rm__code_node *C = rm__code_of(node);
    pthread_mutex_lock(&C->code_lock);
    struct rm_module *m = rm__code_module_find(node, name);
    pthread_mutex_unlock(&C->code_lock);
    if (!m)
        rm_error_set(err, RM_ENOENT, "module '%s' is not loaded", name);
    return m;
}

/* Builds a process and runs its init on this thread. The proc owns one
   process reference of `code` from then on. */
static struct rm_proc *proc_init(struct rm_node *node, struct rm_code *code,
                                 struct rm__proc_ext *ext, const char *arg, rm_pid pid,
                                 struct rm_error *err)
{
    struct rm_proc *p = calloc(1, sizeof *p);
    if (!p) {
        rm_error_nomem(err);
        return NULL;
    }
    p->pid = pid;
    p->code = code;
    p->state_gen = code->gen;
    p->module = code->module;
    p->ext = ext;
    rm__proc_born(p);
    struct rm__host_ctx c;
    rm__host_ctx_init(&c, node, p);
    void *state = NULL;
    int rc = code->desc->init(&c.pub, arg ? arg : "", &state);
    if (rc != RM_CONTINUE) {
        rm_error_set(err, RM_ESTATE, "init of '%s' (module '%s' version '%s') failed: %s",
                     ext && ext->name ? ext->name : "process", code->module->name,
                     code->desc->version, rm__host_ctx_reason(&c));
        /* what init took (trap_exit, links, monitors, descriptors) goes
           with it, as at any exit */
        rm__rel_exit(node, p, rm__host_ctx_reason(&c));
        rm__host_ctx_done(&c);
        free(p);
        return NULL;
    }
    rm__host_ctx_done(&c);
    p->state = state;
    return p;
}

/* Undoes proc_init for a process that never became visible. */
static void proc_discard(struct rm_node *node, struct rm_proc *p)
{
    if (p->code->desc->terminate) {
        struct rm__host_ctx c;
        rm__host_ctx_init(&c, node, p);
        p->code->desc->terminate(&c.pub, "shutdown", p->state);
        rm__host_ctx_done(&c);
    }
    rm__code_state_free(p->code, p->state);
    rm__rel_exit(node, p, "shutdown");
    free(p);
}

static int upgrading_error(struct rm_module *m, struct rm_error *err)
{
    return rm_error_about(err, RM_EBUSY, RM_XUPGRADING, 0, "spawn", m->name,
                          ": the module is part of the upgrade in progress; try again when it "
                          "ends");
}

/* Starts one process of module m with `ext` (consumed on success) and
   init argument `arg`, linked to `parent` before it can run when that is
   not NULL. A start from a module (`from_module`) is refused when an
   upgrade has begun changing m's code by the time the process would join
   the tables: the upgrade's suspend collects the processes from the tables
   after marking the module, so a process either is collected (and
   migrated with the others) or is refused here. */
static int proc_start(struct rm_node *node, struct rm_module *m, struct rm__proc_ext *ext,
                      const char *arg, struct rm_proc *parent, bool from_module,
                      rm_pid *pid_out, struct rm_error *err)
{
    struct rm__proc_node *P = rm__proc_of(node);
    const char *name = ext ? ext->name : NULL;
    if (name && rm__proc_resolve(node, name))
        return rm_error_set(err, RM_EEXIST, "name '%s' is already registered", name);
    struct rm_code *code = rm__code_acquire_current(node, m, 1, err);
    if (!code)
        return -1;
    pthread_rwlock_wrlock(&P->tab_lock);
    rm_pid pid = P->next_pid++;
    pthread_rwlock_unlock(&P->tab_lock);
    struct rm_proc *p = proc_init(node, code, ext, arg, pid, err);
    if (!p) {
        rm__code_release(node, code, 1);
        return -1;
    }
    pthread_rwlock_wrlock(&P->tab_lock);
    bool taken = name && rm__proc_ntable_get(&P->names, name);
    bool upgrading = from_module && atomic_load(&m->upgrading);
    if (taken || upgrading || rm__proc_ptable_reserve(&P->pids, 1) < 0 ||
        (name && rm__proc_ntable_reserve(&P->names, 1) < 0) ||
        (parent && rm__rel_link_new(node, p, parent) < 0)) {
        pthread_rwlock_unlock(&P->tab_lock);
        p->ext = NULL;
        if (parent)
            rm__rel_unlink(node, parent, p->pid);
        proc_discard(node, p);
        rm__code_release(node, code, 1);
        if (taken)
            return rm_error_set(err, RM_EEXIST, "name '%s' is already registered", name);
        if (upgrading)
            return upgrading_error(m, err);
        return rm_error_nomem(err);
    }
    rm__proc_ptable_put(&P->pids, p);
    if (name)
        rm__proc_ntable_put(&P->names, p);
    pthread_rwlock_unlock(&P->tab_lock);
    if (pid_out)
        *pid_out = pid;
    return 0;
}

static int check_opts(const struct rm_spawn_opts *opts, struct rm_error *err)
{
    if (!opts || !opts->module)
        return rm_error_set(err, RM_EINVAL, "spawn: no module given");
    if (opts->restart != RM_RESTART_TEMPORARY && opts->restart != RM_RESTART_TRANSIENT &&
        opts->restart != RM_RESTART_PERMANENT)
        return rm_error_set(err, RM_EINVAL, "spawn: invalid restart type %d", (int)opts->restart);
    if (opts->name && check_name(opts->name, err) < 0)
        return -1;
    if (opts->max_restarts > 0 && opts->max_seconds == 0)
        return rm_error_set(err, RM_EINVAL,
                            "spawn: max_restarts %u needs max_seconds above 0 (a window of 0 s "
                            "never fills)",
                            opts->max_restarts);
    return 0;
}

int rm_proc_spawn(struct rm_node *node, const struct rm_spawn_opts *opts, rm_pid *pid,
                  struct rm_error *err)
{
    if (check_opts(opts, err) < 0)
        return -1;
    struct rm_module *m = find_module(node, opts->module, err);
    if (!m)
        return -1;
    struct rm__proc_ext *ext = ext_new(opts);
    if (!ext)
        return rm_error_nomem(err);
    if (proc_start(node, m, ext, ext->arg, NULL, false, pid, err) < 0) {
        ext_free(ext);
        return -1;
    }
    return 0;
}

int rm__life_spawn(struct rm_node *node, struct rm_proc *parent, const struct rm_spawn_spec *spec,
                   rm_pid *pid, struct rm_error *err)
{
    struct rm_spawn_opts o = {.module = spec->module,
                              .name = spec->name,
                              .arg = spec->arg,
                              .restart = (enum rm_restart)spec->restart};
    if (check_opts(&o, err) < 0)
        return -1;
    struct rm_module *m = find_module(node, o.module, err);
    if (!m)
        return -1;
    if (atomic_load(&m->upgrading)) /* checked again as it joins the tables */
        return upgrading_error(m, err);
    /* A temporary process without a name needs no extension record. */
    struct rm__proc_ext *ext = o.name || o.restart != RM_RESTART_TEMPORARY ? ext_new(&o) : NULL;
    if ((o.name || o.restart != RM_RESTART_TEMPORARY) && !ext)
        return rm_error_nomem(err);
    if (proc_start(node, m, ext, o.arg, spec->link ? parent : NULL, true, pid, err) < 0) {
        ext_free(ext);
        return -1;
    }
    return 0;
}

int rm_proc_spawn_many(struct rm_node *node, const struct rm_spawn_opts *opts, size_t n,
                       rm_pid *pids, struct rm_error *err)
{
    struct rm__proc_node *P = rm__proc_of(node);
    if (check_opts(opts, err) < 0)
        return -1;
    if (opts->name)
        return rm_error_set(err, RM_EINVAL, "spawn many: processes cannot share the name '%s'",
                            opts->name);
    if (n == 0)
        return 0;
    if (n > UINT32_MAX / 2)
        return rm_error_set(err, RM_ELIMIT, "spawn many: %zu processes is too many", n);
    struct rm_module *m = find_module(node, opts->module, err);
    if (!m)
        return -1;
    struct rm_proc **v = malloc(n * sizeof *v);
    if (!v)
        return rm_error_nomem(err);
    struct rm_code *code = rm__code_acquire_current(node, m, n, err);
    if (!code) {
        free(v);
        return -1;
    }
    bool need_ext = opts->restart != RM_RESTART_TEMPORARY;
    pthread_rwlock_wrlock(&P->tab_lock);
    rm_pid first = P->next_pid;
    P->next_pid += n;
    pthread_rwlock_unlock(&P->tab_lock);
    size_t k = 0;
    for (; k < n; k++) {
        struct rm__proc_ext *ext = need_ext ? ext_new(opts) : NULL;
        if (need_ext && !ext) {
            rm_error_nomem(err);
            break;
        }
        v[k] = proc_init(node, code, ext, opts->arg, first + k, err);
        if (!v[k]) {
            ext_free(ext);
            break;
        }
    }
    if (k == n) {
        pthread_rwlock_wrlock(&P->tab_lock);
        if (rm__proc_ptable_reserve(&P->pids, n) == 0) {
            for (size_t i = 0; i < n; i++) {
                rm__proc_ptable_put(&P->pids, v[i]);
                pids[i] = v[i]->pid;
            }
            pthread_rwlock_unlock(&P->tab_lock);
            free(v);
            return 0;
        }
        pthread_rwlock_unlock(&P->tab_lock);
        rm_error_nomem(err);
    }
    for (size_t i = 0; i < k; i++) {
        struct rm__proc_ext *ext = v[i]->ext;
        proc_discard(node, v[i]);
        ext_free(ext);
    }
    rm__code_release(node, code, n);
    free(v);
    return -1;
}

/* ---- exits and restarts ----------------------------------------------- */

static bool abnormal(const char *reason)
{
    return strcmp(reason, "normal") != 0 && strcmp(reason, "shutdown") != 0;
}

static void restart(struct rm_node *node, struct rm_module *m, struct rm__proc_ext *x,
                    const char *label)
{
    for (;;) {
        uint64_t now = rm__rt_now_ns(), window = (uint64_t)x->max_seconds * 1000000000u;
        unsigned k = 0;
        for (unsigned i = 0; i < x->nhist; i++)
            if (now - x->hist[i] < window)
                x->hist[k++] = x->hist[i];
        x->nhist = k;
        if (x->nhist >= x->max_restarts) {
            rm__rt_log(node, RM_LOG_ERROR,
                       "process '%s' (module '%s') reached its restart intensity (%u restarts in "
                       "%u s): not restarted",
                       label, m->name, x->max_restarts, x->max_seconds);
            ext_free(x);
            return;
        }
        x->hist[x->nhist++] = now;
        struct rm_error e;
        rm_pid pid;
        if (proc_start(node, m, x, x->arg, NULL, false, &pid, &e) == 0) {
            rm__rt_log(node, RM_LOG_INFO, "process '%s' (module '%s') restarted as <%llu>", label,
                       m->name, (unsigned long long)pid);
            return;
        }
        rm__rt_log(node, RM_LOG_ERROR, "restart of '%s' failed: %s", label, e.msg);
    }
}

void rm__life_exit(struct rm_node *node, struct rm_proc *p, const char *reason, bool may_restart,
                   rm_from current)
{
    char label[RM_NAME_MAX + 24];
    rm__proc_label_of(p, label, sizeof label);
    struct rm_code *code = p->code;
    if (code->desc->terminate) {
        struct rm__host_ctx c;
        rm__host_ctx_init(&c, node, p);
        code->desc->terminate(&c.pub, reason, p->state);
        rm__host_ctx_done(&c);
    }
    rm__code_state_free(code, p->state);
    p->state = NULL;

    rm__proc_unregister(node, p);
    struct rm_msg *m = rm__proc_die(node, p);
    rm__rel_exit(node, p, reason);
    if (current)
        rm__call_complete(node, current, NULL, 0, RM_ESTATE, reason, NULL);
    while (m) {
        struct rm_msg *next = m->next;
        if (m->kind == RM__MBOX_CALL)
            rm__call_complete(node, m->from, NULL, 0, RM_ESTATE, reason, NULL);
        free(m);
        m = next;
    }

    bool bad = abnormal(reason);
    if (bad) {
        struct rm_log_about about = {label, code->module->name, code->desc->version};
        rm__rt_log_about(node, &about, RM_LOG_ERROR,
                         "process '%s' (module '%s' version '%s') exited: %s", label,
                         code->module->name, code->desc->version, reason);
    }
    struct rm_module *mod = p->module;
    struct rm__proc_ext *x = p->ext;
    p->ext = NULL;
    p->code = NULL;
    rm__code_release(node, code, 1);
    rm__proc_put(p);
    if (!x)
        return;
    bool again = may_restart && (x->restart == RM_RESTART_PERMANENT ||
                                 (x->restart == RM_RESTART_TRANSIENT && bad));
    if (again)
        restart(node, mod, x, label);
    else
        ext_free(x);
}

/* ---- the worker's batch ---------------------------------------------- */

#define RM__LIFE_BATCH 64

void rm__life_run(struct rm_node *node, struct rm__sched_link *l)
{
    struct rm_proc *p = rm__proc_of_link(l);
    struct rm__host_ctx c;
    rm__proc_run(p);
    for (int i = 0; i < RM__LIFE_BATCH; i++) {
        struct rm_msg *m = rm__proc_next(node, p);
        if (!m)
            return; /* off the run queue */
        rm_from unanswered;
        char reason[sizeof c.reason];
        if (rm__host_dispatch(node, p, m, &c, reason, sizeof reason, &unanswered)) {
            rm__life_exit(node, p, reason, true, unanswered);
            rm__proc_put(p); /* the run queue's reference */
            return;
        }
    }
    rm__proc_yield(node, p);
}

/* ---- public API ------------------------------------------------------- */

int rm_proc_resolve(struct rm_node *node, const char *name, rm_pid *pid, struct rm_error *err)
{
    rm_pid r = rm__proc_resolve(node, name);
    if (!r)
        return rm_error_naming(err, RM_ENOENT, RM_XNO_PROCESS, 0, "no process", name ? name : "",
                               "%s", "");
    *pid = r;
    return 0;
}

int rm_proc_call(struct rm_node *node, rm_pid pid, const void *msg, size_t len, int timeout_ms,
                 char **reply, size_t *reply_len, struct rm_error *err)
{
    return rm__call_call(node, 0, pid, msg, len, timeout_ms, reply, reply_len, err);
}

static int post(struct rm_node *node, int kind, rm_pid pid, const void *msg, size_t len,
                struct rm_error *err)
{
    struct rm_msg *m = rm__mbox_msg_new(kind, msg, len);
    if (!m)
        return rm_error_nomem(err);
    if (rm__proc_deliver(node, pid, m) < 0) {
        free(m);
        return rm__proc_no_such(err, pid);
    }
    return 0;
}

int rm_proc_cast(struct rm_node *node, rm_pid pid, const void *msg, size_t len,
                 struct rm_error *err)
{
    return post(node, RM__MBOX_CAST, pid, msg, len, err);
}

int rm_proc_send(struct rm_node *node, rm_pid pid, const void *msg, size_t len,
                 struct rm_error *err)
{
    return post(node, RM__MBOX_INFO, pid, msg, len, err);
}
