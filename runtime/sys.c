/*
 * sys.c - OTP's sys for relman processes: suspend, resume, change_code,
 * status, format_state, trace and stop; and the one suspend engine every
 * control operation uses (sys itself, pins, purges, transactions).
 *
 * Suspension puts a hold on every process first and then waits, with one
 * deadline for all, only for those a worker is running at that moment: a
 * worker looks at the holds before each message, so a held process is one
 * whose state no worker touches. Control operations hold Y->sys_lock, so
 * a pinned (temporarily held) process is never seen by another one.
 */
#include <stdlib.h>
#include <string.h>

#include "sys.h"

/* ---- the suspend engine ----------------------------------------------- */

/* Above this many candidates the holds are put on in parallel. */
#define RM__SYS_PAR_PROCS 32768
#define RM__SYS_RANGE     8192
#define RM__SYS_FEW       16 /* this many candidates need no allocation */

struct susp_work {
    struct rm_node *node;
    struct rm__sys_susp *rq;
    struct rm__proc_ptable *pids; /* table mode */
    size_t ncand;                 /* candidates (array length or table slots) */
    _Atomic size_t next;
    char *out; /* the processes held: one pointer every `stride` bytes */
    size_t stride;
    _Atomic size_t nheld;
    struct rm_proc **busy;
    _Atomic size_t nbusy;
};

static struct rm_proc **held_at(struct susp_work *w, size_t i)
{
    return (struct rm_proc **)(w->out + i * w->stride);
}

static void susp_flush(struct susp_work *w, struct rm_proc **buf, size_t n)
{
    size_t base = atomic_fetch_add(&w->nheld, n);
    for (size_t k = 0; k < n; k++)
        *held_at(w, base + k) = buf[k];
}

static bool of_modules(const struct rm__sys_susp *rq, const struct rm_module *m)
{
    for (size_t i = 0; i < rq->nmodules; i++)
        if (strcmp(m->name, rq->modules[i]) == 0)
            return true;
    return false;
}

static void susp_run(void *arg)
{
    struct susp_work *w = arg;
    struct rm__sys_susp *rq = w->rq;
    struct rm_proc *buf[256];
    size_t n = 0;
    const struct rm_module *last = NULL; /* the module that matched last */
    for (;;) {
        size_t i = atomic_fetch_add(&w->next, RM__SYS_RANGE);
        if (i >= w->ncand)
            break;
        size_t end = i + RM__SYS_RANGE < w->ncand ? i + RM__SYS_RANGE : w->ncand;
        for (; i < end; i++) {
            struct rm_proc *p;
            if (w->pids) {
                p = w->pids->slots[i];
                if (!RM__PROC_SLOT_LIVE(p))
                    continue;
                if (p->module != last) {
                    if (!of_modules(rq, p->module))
                        continue;
                    last = p->module;
                }
            } else {
                p = rq->procs[i];
            }
            bool busy;
            if (rm__proc_hold(w->node, p, rq->why, &busy) < 0)
                continue;
            if (w->pids)
                rm__proc_ref(p);
            if (busy)
                w->busy[atomic_fetch_add(&w->nbusy, 1)] = p;
            buf[n++] = p;
            if (n == 256) {
                susp_flush(w, buf, n);
                n = 0;
            }
        }
    }
    susp_flush(w, buf, n);
}

int rm__sys_suspend(struct rm_node *node, struct rm__sys_susp *rq, struct rm_error *err)
{
    struct rm__proc_node *P = rm__proc_of(node);
    char label[RM_NAME_MAX + 24];
    rq->nheld = 0;
    if (rq->strict) {
        for (size_t i = 0; i < rq->n; i++) {
            if (rm__proc_suspended(rq->procs[i])) {
                rm__proc_label_of(rq->procs[i], label, sizeof label);
                return rm_error_about(err, RM_ESTATE, RM_XNONE, rq->procs[i]->pid, "suspend", label,
                                      ": already suspended");
            }
        }
    }
    uint64_t deadline = rm__rt_deadline(rq->timeout_ms);
    struct susp_work w = {.node = node, .rq = rq};
    bool table = rq->procs == NULL;
    if (table) {
        pthread_rwlock_rdlock(&P->tab_lock);
        w.pids = &P->pids;
        w.ncand = P->pids.cap;
    } else {
        w.ncand = rq->n;
    }
    /* sized under tab_lock: no process can join the table meanwhile; a
       few processes (a pin) need no allocation */
    size_t most = table ? P->pids.n : rq->n;
    struct rm_proc *busy_few[RM__SYS_FEW], *held_few[RM__SYS_FEW];
    bool few = most <= RM__SYS_FEW;
    w.busy = few ? busy_few : malloc((most + 1) * sizeof *w.busy);
    struct rm_proc **held = NULL;
    if (table) {
        w.out = rq->room(rq->ud, most);
        w.stride = rq->stride;
    } else {
        held = few ? held_few : malloc((most + 1) * sizeof *held);
        w.out = (char *)held;
        w.stride = sizeof *held;
    }
    if (w.busy && w.out) {
        if (w.ncand >= RM__SYS_PAR_PROCS && rm__rt_of(node)->nworkers > 1)
            rm__sched_parallel(node, susp_run, &w);
        else
            susp_run(&w);
    }
    if (table)
        pthread_rwlock_unlock(&P->tab_lock);
    int r = 0;
    if (!w.busy || !w.out) {
        r = rm_error_nomem(err);
    } else {
        rq->nheld = atomic_load(&w.nheld);
        size_t nbusy = rm__proc_wait_idle(node, w.busy, atomic_load(&w.nbusy), deadline);
        if (nbusy > 0) {
            rm__proc_label_of(w.busy[0], label, sizeof label);
            r = rm_error_about(err, RM_ETIMEOUT, RM_XNONE, w.busy[0]->pid,
                               rq->what ? rq->what : "suspend", label,
                               ": still in a callback after %d ms", rq->timeout_ms);
            for (size_t i = 0; i < rq->nheld; i++) {
                struct rm_proc *p = *held_at(&w, i);
                rm__proc_release(node, p, rq->why, 0);
                if (table)
                    rm__proc_put(p);
            }
            rq->nheld = 0;
        }
    }
    if (!few)
        free(w.busy);
    if (held != held_few)
        free(held);
    return r;
}

int rm__sys_pin(struct rm_node *node, struct rm_proc *p, int timeout_ms, const char *what,
                struct rm_error *err)
{
    struct rm__sys_susp rq = {
        .why = RM__PROC_HOLD_PIN, .procs = &p, .n = 1, .timeout_ms = timeout_ms, .what = what};
    return rm__sys_suspend(node, &rq, err);
}

void rm__sys_unpin(struct rm_node *node, struct rm_proc *p)
{
    rm__proc_release(node, p, RM__PROC_HOLD_PIN, 0);
}

static int cmp_proc_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (struct rm_proc *const *)a;
    uintptr_t y = (uintptr_t) * (struct rm_proc *const *)b;
    return x < y ? -1 : x > y;
}

/* Takes references on the processes of pids[0..n-1]; all or none. A
   process named twice (by the same pid, or by name and pid) is refused:
   `what` ("suspend", "resume") starts the message. */
static struct rm_proc **get_all(struct rm_node *node, const rm_pid *pids, size_t n,
                                const char *what, struct rm_error *err)
{
    struct rm_proc **v = calloc(2 * n + 1, sizeof *v), **sorted = v + n;
    if (!v) {
        rm_error_nomem(err);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] = rm__proc_get(node, pids[i], err))) {
            rm__proc_release_all(v, i);
            return NULL;
        }
    }
    memcpy(sorted, v, n * sizeof *v);
    qsort(sorted, n, sizeof *v, cmp_proc_ptr);
    for (size_t i = 1; i < n; i++) {
        if (sorted[i] == sorted[i - 1]) {
            char label[RM_NAME_MAX + 24];
            rm__proc_label_of(sorted[i], label, sizeof label);
            rm_error_set(err, RM_EINVAL, "%s: process '%s' named twice", what, label);
            rm__proc_release_all(v, n);
            return NULL;
        }
    }
    return v;
}

int rm_proc_suspend(struct rm_node *node, const rm_pid *pids, size_t n, int timeout_ms,
                    struct rm_error *err)
{
    struct rm__sys_node *Y = rm__sys_of(node);
    pthread_mutex_lock(&Y->sys_lock);
    struct rm_proc **v = get_all(node, pids, n, "suspend", err);
    int r = -1;
    if (v) {
        struct rm__sys_susp rq = {.why = RM__PROC_HOLD_USER,
                                  .strict = true,
                                  .procs = v,
                                  .n = n,
                                  .timeout_ms = timeout_ms};
        r = rm__sys_suspend(node, &rq, err);
        rm__proc_release_all(v, n);
    }
    pthread_mutex_unlock(&Y->sys_lock);
    return r;
}

/* Refuses to resume a process whose state waits for an older version that
   is not loaded yet: its code would read a state of another layout. */
static int check_down(struct rm_node *node, struct rm_proc *p, const char *label,
                      struct rm_error *err)
{
    struct rm__code_node *C = rm__code_of(node);
    int r = 0;
    pthread_mutex_lock(&C->code_lock);
    if (p->down_vsn)
        r = rm_error_about(err, RM_ESTATE, RM_XNONE, p->pid, "resume", label,
                           ": its state was changed down to version '%s' of '%s'; load "
                           "that version first",
                           p->down_vsn, p->module->name);
    pthread_mutex_unlock(&C->code_lock);
    return r;
}

int rm_proc_resume(struct rm_node *node, const rm_pid *pids, size_t n, struct rm_error *err)
{
    struct rm__sys_node *Y = rm__sys_of(node);
    pthread_mutex_lock(&Y->sys_lock);
    struct rm_proc **v = get_all(node, pids, n, "resume", err);
    int r = v ? 0 : -1;
    char label[RM_NAME_MAX + 24];
    for (size_t i = 0; r == 0 && i < n; i++) {
        rm__proc_label_of(v[i], label, sizeof label);
        switch (rm__proc_state(v[i])) {
        case RM__PROC_SUSP_USER:
            break;
        case RM__PROC_SUSP_TXN:
            r = rm_error_about(err, RM_EBUSY, RM_XUPGRADING, v[i]->pid, "resume", label,
                               ": held by the upgrade in progress");
            break;
        case RM__PROC_WAITING:
            r = check_down(node, v[i], label, err);
            break;
        default: /* runnable, running; pinned, exiting, dead: not here (sys_lock) */
            r = rm_error_about(err, RM_ESTATE, RM_XNONE, v[i]->pid, "resume", label,
                               ": not suspended");
        }
    }
    for (size_t i = 0; r == 0 && i < n; i++)
        rm__proc_release(node, v[i], RM__PROC_HOLD_USER, 0);
    if (v)
        rm__proc_release_all(v, n);
    pthread_mutex_unlock(&Y->sys_lock);
    return r;
}

int rm__sys_code_change(struct rm_node *node, struct rm_proc *p, struct rm_code *in,
                        enum rm_direction dir, const char *vsn, const char *extra, void **new_state,
                        char *reason, size_t rsize)
{
    if (!in->desc->code_change) {
        *new_state = p->state;
        return 0;
    }
    struct rm__host_ctx c;
    rm__host_ctx_init(&c, node, p);
    void *ns = NULL;
    int rc = in->desc->code_change(&c.pub, dir, vsn, p->state, extra ? extra : "", &ns);
    if (rc != RM_CONTINUE) {
        snprintf(reason, rsize, "%s", rm__host_ctx_reason(&c));
        rm__host_ctx_done(&c);
        return -1;
    }
    rm__host_ctx_done(&c);
    *new_state = ns;
    return 0;
}

int rm_proc_change_code(struct rm_node *node, rm_pid pid, const char *module, const char *old_vsn,
                        const char *extra, struct rm_error *err)
{
    return rm_proc_change_code_dir(node, pid, module, RM_UP, old_vsn, extra, err);
}

/* Checks a change_code request (code_lock held). 0 or -1. */
static int change_check(struct rm_proc *p, const char *label, const char *module,
                        enum rm_direction dir, const char *vsn, struct rm_error *err)
{
    switch (rm__proc_state(p)) {
    case RM__PROC_SUSP_USER:
        break;
    case RM__PROC_SUSP_TXN:
        return rm_error_about(err, RM_EBUSY, RM_XUPGRADING, p->pid, "change code of", label,
                              ": held by the upgrade in progress");
    case RM__PROC_WAITING:
        return rm_error_about(err, RM_ESTATE, RM_XNONE, p->pid, "change code of", label,
                              ": its state was changed down to version '%s'; "
                              "load that version first",
                              p->down_vsn);
    default: /* runnable, running; pinned, exiting, dead: not here (sys_lock) */
        return rm_error_about(err, RM_ESTATE, RM_XNONE, p->pid, "change code of", label,
                              ": process not suspended");
    }
    if (!module || strcmp(p->module->name, module) != 0)
        return rm_error_about(err, RM_EINVAL, RM_XNONE, p->pid, "change code of", label,
                              ": process runs module '%s', not '%s'", p->module->name,
                              module ? module : "");
    if (dir == RM_UP && vsn && strcmp(p->code->desc->version, vsn) != 0)
        return rm_error_about(err, RM_ESTATE, RM_XNONE, p->pid, "change code of", label,
                              " (module '%s'): process runs version '%s', not '%s'", module,
                              p->code->desc->version, vsn);
    if (dir == RM_DOWN && (!vsn || !*vsn))
        return rm_error_about(err, RM_EINVAL, RM_XNONE, p->pid, "change code of", label,
                              " (module '%s') down: no version to go back to", module);
    if (dir != RM_UP && dir != RM_DOWN)
        return rm_error_about(err, RM_EINVAL, RM_XNONE, p->pid, "change code of", label,
                              ": invalid direction %d", (int)dir);
    if (!atomic_load(&p->module->current))
        return rm_error_about(err, RM_ESTATE, RM_XNONE, p->pid, "change code of", label,
                              ": module '%s' has no current code", module);
    return 0;
}

int rm_proc_change_code_dir(struct rm_node *node, rm_pid pid, const char *module,
                            enum rm_direction dir, const char *vsn, const char *extra,
                            struct rm_error *err)
{
    struct rm__code_node *C = rm__code_of(node);
    struct rm__sys_node *Y = rm__sys_of(node);
    pthread_mutex_lock(&Y->sys_lock);
    struct rm_proc *p = rm__proc_get(node, pid, err);
    if (!p) {
        pthread_mutex_unlock(&Y->sys_lock);
        return -1;
    }
    char label[RM_NAME_MAX + 24];
    rm__proc_label_of(p, label, sizeof label);
    struct rm_code *cur = NULL, *old = NULL;
    pthread_mutex_lock(&C->code_lock);
    int r = change_check(p, label, module, dir, vsn, err);
    if (r == 0) {
        cur = atomic_load(&p->module->current);
        old = p->code;
        rm__code_ref(cur);
        rm__code_ref(old);
    }
    pthread_mutex_unlock(&C->code_lock);
    /* Down before the older code is loaded: the process stays on its code
       with a state for version `vsn` and moves when that version loads. */
    bool wait_down = r == 0 && dir == RM_DOWN && strcmp(cur->desc->version, vsn) != 0;
    char *down = wait_down ? strdup(vsn) : NULL;
    if (wait_down && !down) {
        r = rm_error_nomem(err);
        rm__code_unref(node, cur, false);
        rm__code_unref(node, old, false);
    } else if (r == 0) {
        /* Up runs in the current (new) code with the old version; down runs
           in the process's (newer) code with the version gone back to. */
        struct rm_code *in = dir == RM_UP ? cur : old;
        const char *arg = dir == RM_UP ? old->desc->version : vsn;
        const char *to = dir == RM_UP ? cur->desc->version : vsn;
        void *ns;
        char why[256];
        if (rm__sys_code_change(node, p, in, dir, arg, extra, &ns, why, sizeof why) < 0) {
            r = rm_error_about(err, RM_ECODECHANGE, RM_XNONE, p->pid, "change code of", label,
                               " (module '%s', version '%s' to '%s'): %s", module,
                               old->desc->version, to, why);
        } else {
            void *os = p->state;
            p->state = ns;
            pthread_mutex_lock(&C->code_lock);
            free(p->down_vsn);
            p->down_vsn = down;
            down = NULL;
            if (!wait_down)
                p->state_gen = cur->gen; /* up, or down to the current code */
            pthread_mutex_unlock(&C->code_lock);
            if (!wait_down)
                rm__proc_to_current(node, p);
            if (os != ns)
                rm__code_state_free(old, os);
        }
        rm__code_unref(node, cur, false);
        rm__code_unref(node, old, false);
    }
    free(down);
    rm__proc_put(p);
    pthread_mutex_unlock(&Y->sys_lock);
    return r;
}

struct list_ctx {
    struct rm_node *node;
    const char *module;
    struct rm_proc_info *v;
    size_t n;
};

static int list_one(struct rm_proc *p, void *ud)
{
    struct list_ctx *lc = ud;
    if (lc->module && strcmp(p->module->name, lc->module) != 0)
        return 0;
    struct rm_proc_info *x = &lc->v[lc->n++];
    x->pid = p->pid;
    snprintf(x->name, sizeof x->name, "%s", p->ext && p->ext->name ? p->ext->name : "");
    snprintf(x->module, sizeof x->module, "%s", p->module->name);
    struct rm_code *code = __atomic_load_n(&p->code, __ATOMIC_ACQUIRE);
    snprintf(x->version, sizeof x->version, "%s", code ? code->desc->version : "");
    x->suspended = rm__proc_suspended(p);
    x->tracing = rm__proc_tracing(p);
    rm__mbox_lock(&p->mbox);
    x->queue_len = p->mbox.qlen;
    rm__mbox_unlock(&p->mbox);
    struct rm__rel_info ri;
    rm__rel_info(lc->node, p, &ri); /* rel's lock is a leaf */
    x->fds = ri.nfds;
    x->links = ri.nlinks;
    x->monitors = ri.nmonitors;
    return 0;
}

static int cmp_pid(const void *a, const void *b)
{
    rm_pid x = ((const struct rm_proc_info *)a)->pid, y = ((const struct rm_proc_info *)b)->pid;
    return x < y ? -1 : x > y;
}

int rm_proc_list(struct rm_node *node, const char *module, struct rm_proc_info **out, size_t *n,
                 struct rm_error *err)
{
    struct rm__proc_node *P = rm__proc_of(node);
    struct rm__code_node *C = rm__code_of(node);
    pthread_mutex_lock(&C->code_lock);
    pthread_rwlock_rdlock(&P->tab_lock);
    struct list_ctx lc = {node, module, calloc(P->pids.n + 1, sizeof *lc.v), 0};
    if (lc.v)
        rm__proc_foreach(node, list_one, &lc);
    pthread_rwlock_unlock(&P->tab_lock);
    pthread_mutex_unlock(&C->code_lock);
    if (!lc.v)
        return rm_error_nomem(err);
    qsort(lc.v, lc.n, sizeof *lc.v, cmp_pid);
    *out = lc.v;
    *n = lc.n;
    return 0;
}

int rm_proc_format_state(struct rm_node *node, rm_pid pid, char *buf, size_t size,
                         struct rm_error *err)
{
    struct rm__sys_node *Y = rm__sys_of(node);
    pthread_mutex_lock(&Y->sys_lock);
    struct rm_proc *p = rm__proc_get(node, pid, err);
    int r = -1;
    if (p && rm__sys_pin(node, p, RM__SYS_PIN_MS, "format state of", err) == 0) {
        if (rm__proc_dead(p)) {
            rm__proc_no_such(err, pid);
        } else {
            /* a process the open transaction changed is shown as it stood
               before it: its state may already be for another version's
               layout while it still runs the code of the one it left */
            void *state = p->state;
            struct rm_code *code = p->code;
            if (Y->state_before)
                Y->state_before(node, p, &state, &code);
            if (code->desc->format_state)
                code->desc->format_state(state, buf, size);
            else
                snprintf(buf, size, "<state of '%s'>", p->module->name);
            r = 0;
        }
        rm__sys_unpin(node, p);
    }
    if (p)
        rm__proc_put(p);
    pthread_mutex_unlock(&Y->sys_lock);
    return r;
}

int rm_proc_trace(struct rm_node *node, rm_pid pid, int on, struct rm_error *err)
{
    struct rm_proc *p = rm__proc_get(node, pid, err);
    if (!p)
        return -1;
    rm__proc_set_trace(p, on);
    rm__proc_put(p);
    return 0;
}

int rm_proc_stop(struct rm_node *node, rm_pid pid, const char *reason, struct rm_error *err)
{
    struct rm__sys_node *Y = rm__sys_of(node);
    pthread_mutex_lock(&Y->sys_lock);
    struct rm_proc *p = rm__proc_get(node, pid, err);
    if (!p) {
        pthread_mutex_unlock(&Y->sys_lock);
        return -1;
    }
    int r = rm__sys_pin(node, p, RM__SYS_PIN_MS, "stop", err);
    /* r < 0: still in a callback after RM__SYS_PIN_MS, nothing changed */
    if (r == 0 && rm__proc_dead(p))
        r = rm__proc_no_such(err, pid);
    else if (r == 0)
        rm__life_exit(node, p, reason ? reason : "shutdown", false, 0);
    rm__proc_put(p);
    pthread_mutex_unlock(&Y->sys_lock);
    return r;
}
