/*
 * proc.c - the process record and its lifecycle: every state a process
 * goes through and every transition between them is here; other files ask
 * for a transition by its event and never look at the bits below.
 *
 * A process is visible (in the pid table) only once its init succeeded; it
 * leaves the table before its queued calls are failed, so that no message
 * can arrive after that.
 */
#include <stdlib.h>
#include <string.h>

#include "proc.h"

/* The state word: a run part (queued, running), the holds, the exit, and
   marks that are not states (keep, migrated, trace). Private to this
   file: the named state is derived from it by state_of(). */
enum {
    F_QUEUED = 1u << 0,  /* on the run queue or with a worker */
    F_RUNNING = 1u << 1, /* a worker is inside (or between) its callbacks */
    F_HOLD_SHIFT = 2,    /* holds: enum rm__proc_hold << F_HOLD_SHIFT */
    F_USER = RM__PROC_HOLD_USER << F_HOLD_SHIFT,
    F_TXN = RM__PROC_HOLD_TXN << F_HOLD_SHIFT,
    F_PIN = RM__PROC_HOLD_PIN << F_HOLD_SHIFT,
    F_EXITING = 1u << 5,         /* leaving the tables */
    F_DEAD = 1u << 6,            /* gone from the tables, calls failed */
    F_KEEP = 1u << 7,            /* stays on its code when the current code changes */
    F_MIGRATED = 1u << 8,        /* its state was changed by the open transaction */
    F_TRACE = RM__PROC_TRACE_BIT /* trace lines for every message */
};
#define F_HOLDS (F_USER | F_TXN | F_PIN)

static enum rm__proc_state state_of(const struct rm_proc *p, uint32_t f)
{
    if (f & F_DEAD)
        return RM__PROC_DEAD;
    if (f & F_EXITING)
        return RM__PROC_EXITING;
    if (f & F_TXN)
        return RM__PROC_SUSP_TXN;
    if (f & F_HOLDS) {
        if (p->down_vsn)
            return RM__PROC_WAITING;
        return (f & F_USER) ? RM__PROC_SUSP_USER : RM__PROC_PINNED;
    }
    return (f & F_RUNNING) ? RM__PROC_RUNNING : RM__PROC_RUNNABLE;
}

/* ---- the state x event table ------------------------------------------

   Events and what they do in each state (s6-supervise's actions[state]
   [event], spelled out). "-" is "cannot happen" (an invariant), "ignore"
   leaves everything as it is.

   state        message   run      next/yield         hold (user/txn/pin)          release exit
   RUNNABLE     queue(*)  RUNNING  -                  take/take/take               ignore EXITING
   RUNNING      queue     -        RUNNABLE or again  take(wait)/take(wait)/take(w) ignore EXITING
   SUSP_USER    queue     -        off the run queue  refuse/join/join             RUNNABLE(**)
   EXITING SUSP_TXN     queue     -        off the run queue  refuse/refuse/join RUNNABLE(**)
   EXITING PINNED       queue     -        off the run queue  refuse/refuse/join RUNNABLE(**)
   EXITING WAITING      queue     -        off the run queue  refuse/refuse/join RUNNABLE(**)
   EXITING EXITING      queue     -        -                  take(wait)/take(w)/take(w)   ignore -
   DEAD         refuse    -        off the run queue  refuse/refuse/refuse         ignore         -

   (*) a runnable process with messages is put on the run queue once.
   (**) when the last hold goes; it then follows the module's current code
   again when it is on it, and goes on the run queue when messages wait.
   A hold on a process whose worker is inside a callback takes effect at
   once (no message is taken any more) and the holder waits for the worker
   to leave (rm__proc_wait_idle). The holds are the only part decided from
   the table at run time: message, run, next and yield are the hot path
   and are the few atomic steps below. */

enum hold_action { REFUSE, TAKE, JOIN };

static const unsigned char hold_table[RM__PROC_NSTATES][3] = {
    /*                       user    txn     pin */
    [RM__PROC_RUNNABLE] = {TAKE, TAKE, TAKE},    [RM__PROC_RUNNING] = {TAKE, TAKE, TAKE},
    [RM__PROC_SUSP_USER] = {REFUSE, JOIN, JOIN}, [RM__PROC_SUSP_TXN] = {REFUSE, REFUSE, JOIN},
    [RM__PROC_PINNED] = {REFUSE, REFUSE, JOIN},  [RM__PROC_WAITING] = {REFUSE, REFUSE, JOIN},
    [RM__PROC_EXITING] = {TAKE, TAKE, TAKE},     [RM__PROC_DEAD] = {REFUSE, REFUSE, REFUSE},
};
_Static_assert(sizeof hold_table / sizeof hold_table[0] == RM__PROC_NSTATES,
               "a row for every state");

static unsigned hold_col(enum rm__proc_hold why)
{
    return why == RM__PROC_HOLD_USER ? 0 : why == RM__PROC_HOLD_TXN ? 1 : 2;
}

enum rm__proc_state rm__proc_state(struct rm_proc *p)
{
    return state_of(p, atomic_load(&p->st));
}

bool rm__proc_dead(struct rm_proc *p)
{
    return atomic_load(&p->st) & F_DEAD;
}

bool rm__proc_suspended(struct rm_proc *p)
{
    return atomic_load(&p->st) & F_HOLDS;
}

bool rm__proc_held(struct rm_proc *p, enum rm__proc_hold why)
{
    return atomic_load(&p->st) & ((uint32_t)why << F_HOLD_SHIFT);
}

bool rm__proc_busy(struct rm_proc *p)
{
    uint32_t f = atomic_load(&p->st);
    return (f & F_RUNNING) && !(f & F_DEAD);
}

static void set_mark(struct rm_proc *p, uint32_t bit, bool on)
{
    if (on)
        atomic_fetch_or(&p->st, bit);
    else
        atomic_fetch_and(&p->st, ~bit);
}

void rm__proc_set_trace(struct rm_proc *p, bool on)
{
    set_mark(p, F_TRACE, on);
}

bool rm__proc_keeps(struct rm_proc *p)
{
    return atomic_load(&p->st) & F_KEEP;
}

void rm__proc_set_keep(struct rm_proc *p, bool on)
{
    set_mark(p, F_KEEP, on);
}

bool rm__proc_migrated(struct rm_proc *p)
{
    return atomic_load(&p->st) & F_MIGRATED;
}

void rm__proc_set_migrated(struct rm_proc *p, bool on)
{
    set_mark(p, F_MIGRATED, on);
}

void rm__proc_born(struct rm_proc *p)
{
    /* not shared yet: the table's lock publishes it */
    atomic_store_explicit(&p->st, 0, memory_order_relaxed);
    atomic_store_explicit(&p->refs, 1, memory_order_relaxed);
}

/* ---- message, run, next, yield (the hot path) ------------------------- */

/* Puts p on the run queue's books if it has messages and is neither
   queued, held nor dead (mbox lock held): sets QUEUED and takes the run
   queue's reference. True when the caller must push it. */
static bool want_run(struct rm_proc *p)
{
    uint32_t f = atomic_load(&p->st);
    if (!p->mbox.head || (f & (F_QUEUED | F_HOLDS | F_DEAD)))
        return false;
    atomic_fetch_or(&p->st, F_QUEUED);
    atomic_fetch_add(&p->refs, 1);
    return true;
}

int rm__proc_post(struct rm_node *node, struct rm_proc *p, struct rm_msg *m)
{
    rm__mbox_lock(&p->mbox);
    if (atomic_load(&p->st) & F_DEAD) {
        rm__mbox_unlock(&p->mbox);
        return -1;
    }
    rm__mbox_put(&p->mbox, m);
    bool push = want_run(p);
    rm__mbox_unlock(&p->mbox);
    if (push)
        rm__sched_push(node, &p->rq);
    return 0;
}

int rm__proc_deliver(struct rm_node *node, rm_pid pid, struct rm_msg *m)
{
    struct rm__proc_node *P = rm__proc_of(node);
    pthread_rwlock_rdlock(&P->tab_lock);
    struct rm_proc *p = rm__proc_ptable_get(&P->pids, pid);
    int r = p ? rm__proc_post(node, p, m) : -1;
    pthread_rwlock_unlock(&P->tab_lock);
    return r;
}

static void notify_idle(struct rm_node *node)
{
    struct rm__proc_node *P = rm__proc_of(node);
    if (atomic_load(&P->susp_waiters) == 0)
        return;
    pthread_mutex_lock(&P->susp_lock);
    pthread_cond_broadcast(&P->susp_cv);
    pthread_mutex_unlock(&P->susp_lock);
}

void rm__proc_run(struct rm_proc *p)
{
    atomic_fetch_or(&p->st, F_RUNNING);
}

/* Takes p off the run queue (mbox lock held, released here) and drops the
   run queue's reference. Whether to wake a holder is decided from the
   state as it was when RUNNING was cleared: a hold that arrived after the
   last look must be told. */
static void leave_queue(struct rm_node *node, struct rm_proc *p)
{
    uint32_t old = atomic_fetch_and(&p->st, ~(uint32_t)(F_QUEUED | F_RUNNING));
    rm__mbox_unlock(&p->mbox);
    rm__proc_put(p);
    if (old & F_HOLDS)
        notify_idle(node);
}

struct rm_msg *rm__proc_next(struct rm_node *node, struct rm_proc *p)
{
    rm__mbox_lock(&p->mbox);
    uint32_t f = atomic_load(&p->st);
    if ((f & (F_HOLDS | F_DEAD)) || !p->mbox.head) {
        leave_queue(node, p);
        return NULL;
    }
    struct rm_msg *m = rm__mbox_get(&p->mbox);
    rm__mbox_unlock(&p->mbox);
    return m;
}

void rm__proc_yield(struct rm_node *node, struct rm_proc *p)
{
    rm__mbox_lock(&p->mbox);
    if (p->mbox.head && !(atomic_load(&p->st) & F_HOLDS)) {
        uint32_t old = atomic_fetch_and(&p->st, ~(uint32_t)F_RUNNING);
        rm__mbox_unlock(&p->mbox);
        rm__sched_push(node, &p->rq); /* keeps QUEUED and its reference */
        if (old & F_HOLDS)
            notify_idle(node);
        return;
    }
    leave_queue(node, p);
}

/* ---- hold and release ------------------------------------------------- */

int rm__proc_hold(struct rm_node *node, struct rm_proc *p, enum rm__proc_hold why, bool *busy)
{
    uint32_t bit = (uint32_t)why << F_HOLD_SHIFT;
    uint32_t f = atomic_load(&p->st);
    enum hold_action a;
    do {
        /* runnable or running (no hold, no exit): every hold takes it, as
           the table's first two rows say; the upgrade's pass over 100,000
           processes goes this way */
        if (!(f & (F_HOLDS | F_EXITING | F_DEAD)))
            a = TAKE;
        else
            a = hold_table[state_of(p, f)][hold_col(why)];
        if (a == REFUSE || (f & bit))
            return -1;
    } while (!atomic_compare_exchange_weak(&p->st, &f, f | bit));
    if (why == RM__PROC_HOLD_USER)
        atomic_fetch_add(&rm__proc_of(node)->nuser_susp, 1);
    *busy = a == TAKE && (f & F_RUNNING) && !(f & F_DEAD);
    return a == TAKE ? 1 : 0;
}

void rm__proc_release(struct rm_node *node, struct rm_proc *p, unsigned why, unsigned also)
{
    uint32_t bits = (uint32_t)why << F_HOLD_SHIFT;
    if (also & RM__PROC_ALSO_KEEP)
        bits |= F_KEEP;
    if (also & RM__PROC_ALSO_MIGRATED)
        bits |= F_MIGRATED;
    uint32_t f = atomic_load(&p->st);
    if (f & F_DEAD)
        return;
    /* The last hold going: the process follows the current code again
       when it is on it (nothing to keep any more). */
    if (!(f & F_HOLDS & ~bits) &&
        __atomic_load_n(&p->code, __ATOMIC_ACQUIRE) == atomic_load(&p->module->current))
        bits |= F_KEEP; /* (a worker may be moving it right now: read atomically) */
    rm__mbox_lock(&p->mbox);
    uint32_t old = atomic_fetch_and(&p->st, ~bits);
    bool push = !(old & F_HOLDS & ~bits) && want_run(p);
    rm__mbox_unlock(&p->mbox);
    if (old & bits & F_USER)
        atomic_fetch_sub(&rm__proc_of(node)->nuser_susp, 1);
    if (push)
        rm__sched_push(node, &p->rq);
}

/* Waits until still() is false for every process of v[0..n-1] or the
   deadline passes (woken by every callback's end and every death);
   compacts v to the ones it is still true of and returns how many. */
static size_t wait_until(struct rm_node *node, struct rm_proc **v, size_t n, uint64_t deadline,
                         bool (*still)(struct rm_proc *p))
{
    struct rm__proc_node *P = rm__proc_of(node);
    if (n == 0)
        return 0;
    atomic_fetch_add(&P->susp_waiters, 1);
    pthread_mutex_lock(&P->susp_lock);
    for (;;) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (still(v[i]))
                v[k++] = v[i];
        n = k;
        if (n == 0 || rm__rt_now_ns() >= deadline)
            break;
        if (deadline == UINT64_MAX) {
            pthread_cond_wait(&P->susp_cv, &P->susp_lock);
        } else {
            struct timespec ts = {(time_t)(deadline / 1000000000u), (long)(deadline % 1000000000u)};
            pthread_cond_timedwait(&P->susp_cv, &P->susp_lock, &ts);
        }
    }
    pthread_mutex_unlock(&P->susp_lock);
    atomic_fetch_sub(&P->susp_waiters, 1);
    return n;
}

size_t rm__proc_wait_idle(struct rm_node *node, struct rm_proc **v, size_t n, uint64_t deadline)
{
    return wait_until(node, v, n, deadline, rm__proc_busy);
}

static bool alive(struct rm_proc *p)
{
    return !rm__proc_dead(p);
}

bool rm__proc_wait_dead(struct rm_node *node, struct rm_proc *p, uint64_t deadline)
{
    return wait_until(node, &p, 1, deadline, alive) == 0;
}

/* ---- exit ------------------------------------------------------------- */

void rm__proc_unregister(struct rm_node *node, struct rm_proc *p)
{
    struct rm__proc_node *P = rm__proc_of(node);
    uint32_t f = atomic_fetch_or(&p->st, F_EXITING);
    RM_ASSERT(!(f & (F_EXITING | F_DEAD))); /* exit: "-" in EXITING and DEAD */
    pthread_rwlock_wrlock(&P->tab_lock);
    rm__proc_ptable_del(&P->pids, p->pid);
    if (p->ext && p->ext->name)
        rm__proc_ntable_del(&P->names, p->ext->name);
    pthread_rwlock_unlock(&P->tab_lock);
}

struct rm_msg *rm__proc_die(struct rm_node *node, struct rm_proc *p)
{
    rm__mbox_lock(&p->mbox);
    if (atomic_fetch_or(&p->st, F_DEAD) & F_USER)
        atomic_fetch_sub(&rm__proc_of(node)->nuser_susp, 1);
    struct rm_msg *m = rm__mbox_take_all(&p->mbox);
    rm__mbox_unlock(&p->mbox);
    notify_idle(node);
    return m;
}

/* ---- versions --------------------------------------------------------- */

void rm__proc_to_current(struct rm_node *node, struct rm_proc *p)
{
    struct rm__code_node *C = rm__code_of(node);
    pthread_mutex_lock(&C->code_lock);
    struct rm_code *cur = atomic_load(&p->module->current);
    struct rm_code *old = p->code;
    if (p->down_vsn && (!cur || strcmp(cur->desc->version, p->down_vsn) != 0)) {
        /* its state is for another version: it waits for that one */
        pthread_mutex_unlock(&C->code_lock);
        return;
    }
    if (p->down_vsn && cur)
        p->state_gen = cur->gen;
    free(p->down_vsn);
    p->down_vsn = NULL;
    atomic_fetch_and(&p->st, ~(uint32_t)F_KEEP);
    if (cur && cur != old) {
        rm__code_ref(cur);
        atomic_fetch_add(&cur->nprocs, 1);
        __atomic_store_n(&p->code, cur, __ATOMIC_RELEASE);
        atomic_fetch_sub(&old->nprocs, 1);
        rm__code_unref(node, old, true);
    }
    pthread_mutex_unlock(&C->code_lock);
}

/* ---- references and lookups ------------------------------------------- */

static rm_pid parse_pid(const char *s)
{
    if (s[0] != '<' || s[1] < '1' || s[1] > '9')
        return 0;
    rm_pid v = 0;
    const char *q = s + 1;
    for (; *q >= '0' && *q <= '9'; q++) {
        if (v > (UINT64_MAX - 9) / 10)
            return 0;
        v = v * 10 + (rm_pid)(*q - '0');
    }
    return q[0] == '>' && q[1] == '\0' ? v : 0;
}

rm_pid rm__proc_resolve_locked(struct rm_node *node, const char *name)
{
    struct rm__proc_node *P = rm__proc_of(node);
    if (!name)
        return 0;
    struct rm_proc *p;
    if (name[0] == '<') {
        rm_pid pid = parse_pid(name);
        p = pid ? rm__proc_ptable_get(&P->pids, pid) : NULL;
    } else {
        p = rm__proc_ntable_get(&P->names, name);
    }
    return p ? p->pid : 0;
}

rm_pid rm__proc_resolve(struct rm_node *node, const char *name)
{
    struct rm__proc_node *P = rm__proc_of(node);
    pthread_rwlock_rdlock(&P->tab_lock);
    rm_pid pid = rm__proc_resolve_locked(node, name);
    pthread_rwlock_unlock(&P->tab_lock);
    return pid;
}

void rm__proc_label(struct rm_node *node, rm_pid pid, char *buf, size_t size)
{
    struct rm__proc_node *P = rm__proc_of(node);
    if (pid == 0) {
        snprintf(buf, size, "<client>");
        return;
    }
    pthread_rwlock_rdlock(&P->tab_lock);
    struct rm_proc *p = rm__proc_ptable_get(&P->pids, pid);
    rm_label(p && p->ext ? p->ext->name : NULL, pid, buf, size);
    pthread_rwlock_unlock(&P->tab_lock);
}

void rm__proc_label_of(struct rm_proc *p, char *buf, size_t size)
{
    rm_label(p->ext ? p->ext->name : NULL, p->pid, buf, size);
}

struct rm_proc *rm__proc_get(struct rm_node *node, rm_pid pid, struct rm_error *err)
{
    struct rm__proc_node *P = rm__proc_of(node);
    pthread_rwlock_rdlock(&P->tab_lock);
    struct rm_proc *p = rm__proc_ptable_get(&P->pids, pid);
    if (p)
        atomic_fetch_add(&p->refs, 1);
    pthread_rwlock_unlock(&P->tab_lock);
    if (!p)
        rm__proc_no_such(err, pid);
    return p;
}

void rm__proc_put(struct rm_proc *p)
{
    if (atomic_fetch_sub(&p->refs, 1) == 1) {
        free(p->down_vsn);
        free(p);
    }
}

void rm__proc_foreach(struct rm_node *node, int (*fn)(struct rm_proc *p, void *ud), void *ud)
{
    struct rm__proc_node *P = rm__proc_of(node);
    for (size_t i = 0; i < P->pids.cap; i++)
        if (RM__PROC_SLOT_LIVE(P->pids.slots[i]) && fn(P->pids.slots[i], ud))
            return;
}

int rm__proc_collect(struct rm_node *node, bool (*pred)(struct rm_proc *p, void *ud), void *ud,
                     struct rm_proc ***out, size_t *n, struct rm_error *err)
{
    struct rm__proc_node *P = rm__proc_of(node);
    pthread_rwlock_rdlock(&P->tab_lock);
    struct rm_proc **v = malloc((P->pids.n + 1) * sizeof *v);
    if (!v) {
        pthread_rwlock_unlock(&P->tab_lock);
        return rm_error_nomem(err);
    }
    size_t k = 0;
    for (size_t i = 0; i < P->pids.cap; i++) {
        struct rm_proc *p = P->pids.slots[i];
        if (RM__PROC_SLOT_LIVE(p) && pred(p, ud)) {
            atomic_fetch_add(&p->refs, 1);
            v[k++] = p;
        }
    }
    pthread_rwlock_unlock(&P->tab_lock);
    *out = v;
    *n = k;
    return 0;
}

void rm__proc_release_all(struct rm_proc **procs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (procs[i])
            rm__proc_put(procs[i]);
    free(procs);
}

/* ---- the layer's part of the node ------------------------------------- */

int rm__proc_init(struct rm_node *node, struct rm_error *err)
{
    struct rm__proc_node *P = rm__proc_of(node);
    P->next_pid = 1;
    pthread_rwlock_init(&P->tab_lock, NULL);
    pthread_mutex_init(&P->susp_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&P->susp_cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rm__proc_ptable_reserve(&P->pids, 64) < 0 || rm__proc_ntable_reserve(&P->names, 16) < 0)
        return rm_error_nomem(err);
    return 0;
}

void rm__proc_free(struct rm_node *node)
{
    struct rm__proc_node *P = rm__proc_of(node);
    rm__proc_ptable_free(&P->pids);
    rm__proc_ntable_free(&P->names);
    pthread_rwlock_destroy(&P->tab_lock);
    pthread_mutex_destroy(&P->susp_lock);
    pthread_cond_destroy(&P->susp_cv);
}

int rm__proc_no_such(struct rm_error *err, rm_pid pid)
{
    char label[32];
    rm_label(NULL, pid, label, sizeof label);
    return rm_error_naming(err, RM_ENOENT, RM_XNO_PROCESS, pid, "no process", label, "%s", "");
}
