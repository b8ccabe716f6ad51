/*
 * sys.c - OTP's sys for relman processes: suspend, resume, change_code,
 * status, format_state and trace.
 *
 * Suspension sets a flag on every process first and then waits, with one
 * deadline for all, only for those a worker is running at that moment: a
 * worker checks the flag before each message, so a suspended process is one
 * whose state no worker touches. Control operations hold node->sys_lock, so
 * a pinned (temporarily suspended) process is never seen by another one.
 */
#include <stdlib.h>
#include <string.h>

#include "rt-internal.h"

void rm__label_of(struct rm_proc *p, char *buf, size_t size)
{
    if (p->ext && p->ext->name)
        snprintf(buf, size, "%s", p->ext->name);
    else
        snprintf(buf, size, "<%llu>", (unsigned long long)p->pid);
}

void rm__resume_one(struct rm_node *node, struct rm_proc *p, uint32_t flags)
{
    if (p->code == atomic_load(&p->module->current))
        flags |= RM__F_KEEP; /* nothing to keep any more */
    rm__spin_lock(&p->mlock);
    atomic_fetch_and(&p->flags, ~(uint32_t)(RM__F_SUSPENDED | flags));
    bool push = rm__proc_want_run(p);
    rm__spin_unlock(&p->mlock);
    if (push)
        rm__runq_push(node, p);
}

static bool busy(struct rm_proc *p)
{
    uint32_t f = atomic_load(&p->flags);
    return (f & RM__F_RUNNING) && !(f & RM__F_DEAD);
}

size_t rm__wait_idle(struct rm_node *node, struct rm_proc **v, size_t n, uint64_t deadline)
{
    atomic_fetch_add(&node->susp_waiters, 1);
    pthread_mutex_lock(&node->susp_lock);
    for (;;) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (busy(v[i]))
                v[k++] = v[i];
        n = k;
        if (n == 0 || rm__now_ns() >= deadline)
            break;
        if (deadline == UINT64_MAX) {
            pthread_cond_wait(&node->susp_cv, &node->susp_lock);
        } else {
            struct timespec ts = {(time_t)(deadline / 1000000000u), (long)(deadline % 1000000000u)};
            pthread_cond_timedwait(&node->susp_cv, &node->susp_lock, &ts);
        }
    }
    pthread_mutex_unlock(&node->susp_lock);
    atomic_fetch_sub(&node->susp_waiters, 1);
    return n;
}

int rm__suspend(struct rm_node *node, struct rm_proc **procs, size_t n, uint32_t flag, bool strict,
                int timeout_ms, bool *mine, struct rm_error *err)
{
    char label[RM_NAME_MAX + 24];
    if (strict) {
        for (size_t i = 0; i < n; i++) {
            if (atomic_load(&procs[i]->flags) & RM__F_SUSPENDED) {
                rm__label_of(procs[i], label, sizeof label);
                return rm_error_set(err, RM_ESTATE, "suspend '%s': already suspended", label);
            }
        }
    }
    uint64_t deadline = rm__deadline(timeout_ms);
    struct rm_proc **wait = malloc((n + 1) * sizeof *wait);
    bool *own = mine ? mine : malloc(n + 1);
    if (!wait || !own) {
        free(wait);
        if (own != mine)
            free(own);
        return rm_error_nomem(err);
    }
    size_t nw = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t old = atomic_fetch_or(&procs[i]->flags, RM__F_SUSPENDED | flag);
        own[i] = !(old & RM__F_SUSPENDED);
        if (!own[i]) {
            /* suspended before (possible only when not strict): not ours */
            if (!(old & flag))
                atomic_fetch_and(&procs[i]->flags, ~flag);
            continue;
        }
        if (busy(procs[i]))
            wait[nw++] = procs[i];
    }
    nw = rm__wait_idle(node, wait, nw, deadline);
    int r = 0;
    if (nw > 0) {
        rm__label_of(wait[0], label, sizeof label);
        r = rm_error_set(err, RM_ETIMEOUT, "suspend '%s': still in a callback after %d ms", label,
                         timeout_ms);
        for (size_t i = 0; i < n; i++) {
            if (own[i])
                rm__resume_one(node, procs[i], flag);
            own[i] = false;
        }
    }
    free(wait);
    if (own != mine)
        free(own);
    return r;
}

int rm__pin(struct rm_node *node, struct rm_proc *p, int timeout_ms, const char *what, bool *resume,
            struct rm_error *err)
{
    *resume = false;
    uint32_t f = atomic_load(&p->flags);
    if (f & RM__F_DEAD)
        return 0;
    struct rm_proc *one = p;
    int r;
    if (f & RM__F_SUSPENDED) {
        r = rm__wait_idle(node, &one, 1, rm__deadline(timeout_ms)) == 0 ? 0 : -1;
    } else {
        r = rm__suspend(node, &one, 1, 0, false, timeout_ms, NULL, NULL);
        *resume = r == 0;
    }
    if (r < 0) {
        char label[RM_NAME_MAX + 24];
        rm__label_of(p, label, sizeof label);
        rm_error_set(err, RM_ETIMEOUT, "%s '%s': still in a callback after %d ms", what, label,
                     timeout_ms);
    }
    return r;
}

void rm__unpin(struct rm_node *node, struct rm_proc *p, bool resume)
{
    if (resume && !(atomic_load(&p->flags) & RM__F_DEAD))
        rm__resume_one(node, p, 0);
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
            rm__release_all(v, i);
            return NULL;
        }
    }
    memcpy(sorted, v, n * sizeof *v);
    qsort(sorted, n, sizeof *v, cmp_proc_ptr);
    for (size_t i = 1; i < n; i++) {
        if (sorted[i] == sorted[i - 1]) {
            char label[RM_NAME_MAX + 24];
            rm__label_of(sorted[i], label, sizeof label);
            rm_error_set(err, RM_EINVAL, "%s: process '%s' named twice", what, label);
            rm__release_all(v, n);
            return NULL;
        }
    }
    return v;
}

int rm_proc_suspend(struct rm_node *node, const rm_pid *pids, size_t n, int timeout_ms,
                    struct rm_error *err)
{
    pthread_mutex_lock(&node->sys_lock);
    struct rm_proc **v = get_all(node, pids, n, "suspend", err);
    int r = -1;
    if (v) {
        struct rm_proc **work = malloc((n + 1) * sizeof *work);
        if (!work) {
            rm_error_nomem(err);
        } else {
            memcpy(work, v, n * sizeof *work);
            r = rm__suspend(node, work, n, RM__F_USER, true, timeout_ms, NULL, err);
            if (r == 0)
                atomic_fetch_add(&node->nuser_susp, (uint32_t)n);
            free(work);
        }
        rm__release_all(v, n);
    }
    pthread_mutex_unlock(&node->sys_lock);
    return r;
}

/* Refuses to resume a process whose state waits for an older version that
   is not loaded yet: its code would read a state of another layout. */
static int check_down(struct rm_node *node, struct rm_proc *p, const char *label,
                      struct rm_error *err)
{
    int r = 0;
    pthread_mutex_lock(&node->code_lock);
    if (p->down_vsn)
        r = rm_error_set(err, RM_ESTATE,
                         "resume '%s': its state was changed down to version '%s' of '%s'; load "
                         "that version first",
                         label, p->down_vsn, p->module->name);
    pthread_mutex_unlock(&node->code_lock);
    return r;
}

int rm_proc_resume(struct rm_node *node, const rm_pid *pids, size_t n, struct rm_error *err)
{
    pthread_mutex_lock(&node->sys_lock);
    struct rm_proc **v = get_all(node, pids, n, "resume", err);
    int r = v ? 0 : -1;
    char label[RM_NAME_MAX + 24];
    for (size_t i = 0; r == 0 && i < n; i++) {
        uint32_t f = atomic_load(&v[i]->flags);
        rm__label_of(v[i], label, sizeof label);
        if (!(f & RM__F_SUSPENDED))
            r = rm_error_set(err, RM_ESTATE, "resume '%s': not suspended", label);
        else if (f & RM__F_TXN)
            r = rm_error_set(err, RM_EBUSY, "resume '%s': held by the upgrade in progress", label);
        else
            r = check_down(node, v[i], label, err);
    }
    for (size_t i = 0; r == 0 && i < n; i++) {
        if (atomic_load(&v[i]->flags) & RM__F_USER)
            atomic_fetch_sub(&node->nuser_susp, 1);
        rm__resume_one(node, v[i], RM__F_USER);
    }
    if (v)
        rm__release_all(v, n);
    pthread_mutex_unlock(&node->sys_lock);
    return r;
}

int rm__code_change_run(struct rm_node *node, struct rm_proc *p, struct rm_code *in,
                        enum rm_direction dir, const char *vsn, const char *extra, void **new_state,
                        char *reason, size_t rsize)
{
    if (!in->desc->code_change) {
        *new_state = p->state;
        return 0;
    }
    struct rm__ctx c;
    rm__ctx_init(&c, node, p);
    void *ns = NULL;
    int rc = in->desc->code_change(&c.pub, dir, vsn, p->state, extra ? extra : "", &ns);
    if (rc != RM_CONTINUE) {
        snprintf(reason, rsize, "%s", rm__ctx_reason(&c));
        rm__ctx_done(&c);
        return -1;
    }
    rm__ctx_done(&c);
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
    uint32_t f = atomic_load(&p->flags);
    if (!(f & RM__F_SUSPENDED) || (f & RM__F_DEAD))
        return rm_error_set(err, RM_ESTATE, "change code of '%s': process not suspended", label);
    if (f & RM__F_TXN)
        return rm_error_set(err, RM_EBUSY, "change code of '%s': held by the upgrade in progress",
                            label);
    if (p->down_vsn)
        return rm_error_set(err, RM_ESTATE,
                            "change code of '%s': its state was changed down to version '%s'; "
                            "load that version first",
                            label, p->down_vsn);
    if (!module || strcmp(p->module->name, module) != 0)
        return rm_error_set(err, RM_EINVAL,
                            "change code of '%s': process runs module '%s', not '%s'", label,
                            p->module->name, module ? module : "");
    if (dir == RM_UP && vsn && strcmp(p->code->desc->version, vsn) != 0)
        return rm_error_set(
            err, RM_ESTATE,
            "change code of '%s' (module '%s'): process runs version '%s', not '%s'", label, module,
            p->code->desc->version, vsn);
    if (dir == RM_DOWN && (!vsn || !*vsn))
        return rm_error_set(err, RM_EINVAL,
                            "change code of '%s' (module '%s') down: no version to go back to",
                            label, module);
    if (dir != RM_UP && dir != RM_DOWN)
        return rm_error_set(err, RM_EINVAL, "change code of '%s': invalid direction %d", label,
                            (int)dir);
    if (!atomic_load(&p->module->current))
        return rm_error_set(err, RM_ESTATE, "change code of '%s': module '%s' has no current code",
                            label, module);
    return 0;
}

int rm_proc_change_code_dir(struct rm_node *node, rm_pid pid, const char *module,
                            enum rm_direction dir, const char *vsn, const char *extra,
                            struct rm_error *err)
{
    pthread_mutex_lock(&node->sys_lock);
    struct rm_proc *p = rm__proc_get(node, pid, err);
    if (!p) {
        pthread_mutex_unlock(&node->sys_lock);
        return -1;
    }
    char label[RM_NAME_MAX + 24];
    rm__label_of(p, label, sizeof label);
    struct rm_code *cur = NULL, *old = NULL;
    pthread_mutex_lock(&node->code_lock);
    int r = change_check(p, label, module, dir, vsn, err);
    if (r == 0) {
        cur = atomic_load(&p->module->current);
        old = p->code;
        rm__code_ref(cur);
        rm__code_ref(old);
    }
    pthread_mutex_unlock(&node->code_lock);
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
        if (rm__code_change_run(node, p, in, dir, arg, extra, &ns, why, sizeof why) < 0) {
            r = rm_error_set(err, RM_ECODECHANGE,
                             "change code of '%s' (module '%s', version '%s' to '%s'): %s", label,
                             module, old->desc->version, to, why);
        } else {
            void *os = p->state;
            p->state = ns;
            pthread_mutex_lock(&node->code_lock);
            free(p->down_vsn);
            p->down_vsn = down;
            down = NULL;
            if (!wait_down)
                p->state_gen = cur->gen; /* up, or down to the current code */
            pthread_mutex_unlock(&node->code_lock);
            if (!wait_down)
                rm__proc_to_current(node, p);
            if (os != ns)
                rm__state_free(old, os);
        }
        rm__code_unref(node, cur, false);
        rm__code_unref(node, old, false);
    }
    free(down);
    rm__proc_put(p);
    pthread_mutex_unlock(&node->sys_lock);
    return r;
}

struct list_ctx {
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
    uint32_t f = atomic_load(&p->flags);
    x->pid = p->pid;
    snprintf(x->name, sizeof x->name, "%s", p->ext && p->ext->name ? p->ext->name : "");
    snprintf(x->module, sizeof x->module, "%s", p->module->name);
    struct rm_code *code = __atomic_load_n(&p->code, __ATOMIC_ACQUIRE);
    snprintf(x->version, sizeof x->version, "%s", code ? code->desc->version : "");
    x->suspended = (f & RM__F_SUSPENDED) != 0;
    x->tracing = (f & RM__F_TRACE) != 0;
    rm__spin_lock(&p->mlock);
    x->queue_len = p->qlen;
    rm__spin_unlock(&p->mlock);
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
    pthread_mutex_lock(&node->code_lock);
    pthread_rwlock_rdlock(&node->tab_lock);
    struct list_ctx lc = {module, calloc(node->pids.n + 1, sizeof *lc.v), 0};
    if (lc.v)
        rm__proc_foreach(node, list_one, &lc);
    pthread_rwlock_unlock(&node->tab_lock);
    pthread_mutex_unlock(&node->code_lock);
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
    pthread_mutex_lock(&node->sys_lock);
    struct rm_proc *p = rm__proc_get(node, pid, err);
    int r = -1;
    bool resume;
    if (p && rm__pin(node, p, RM__PIN_MS, "format state of", &resume, err) == 0) {
        if (atomic_load(&p->flags) & RM__F_DEAD) {
            rm_error_set(err, RM_ENOENT, "no process '<%llu>'", (unsigned long long)pid);
        } else {
            if (p->code->desc->format_state)
                p->code->desc->format_state(p->state, buf, size);
            else
                snprintf(buf, size, "<state of '%s'>", p->module->name);
            r = 0;
        }
        rm__unpin(node, p, resume);
    }
    if (p)
        rm__proc_put(p);
    pthread_mutex_unlock(&node->sys_lock);
    return r;
}

int rm_proc_trace(struct rm_node *node, rm_pid pid, int on, struct rm_error *err)
{
    struct rm_proc *p = rm__proc_get(node, pid, err);
    if (!p)
        return -1;
    if (on)
        atomic_fetch_or(&p->flags, RM__F_TRACE);
    else
        atomic_fetch_and(&p->flags, ~(uint32_t)RM__F_TRACE);
    rm__proc_put(p);
    return 0;
}
