/*
 * node.c - the node: its worker pool, the run queue and the job queue.
 *
 * Workers take processes from one run queue (a process is on it only when it
 * has messages and is not suspended) and run up to RM__BATCH messages of one
 * process before putting it back. An idle worker spins briefly (only one at a
 * time) and then sleeps on a futex. A worker that blocks in a call made from
 * inside a callback lets a parked or new thread take its place, so the node
 * never runs out of workers; extra threads park themselves again once the
 * blocked ones return.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt-internal.h"

#define RM__BATCH              64
#define RM__IDLE_SPIN_NS       50000 /* an idle worker spins this long before sleeping */
#define RM__IDLE_SHORT_SPIN_NS 5000  /* ... or this long when another one spins */
#define RM__WAKE_GRACE         48    /* pauses a pusher waits for a searching worker */
#define RM__MAX_THREADS        256

static _Thread_local struct rm_node *tls_worker_node;

static void *worker_main(void *arg);

void rm__log(struct rm_node *node, int level, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (node->log)
        node->log(node->log_ud, level, line);
    else
        fprintf(stderr, "%s\n", line);
}

/* Whether a worker has anything to take. */
static bool has_work(struct rm_node *node)
{
    return atomic_load_explicit(&node->handoff, memory_order_relaxed) ||
           atomic_load_explicit(&node->rq_nonempty, memory_order_relaxed);
}

void rm__runq_push(struct rm_node *node, struct rm_proc *p)
{
    /* With a worker spinning, one process goes straight to it through the
       hand-off slot: one cache line instead of the queue's lock and list. */
    struct rm_proc *none = NULL;
    if (!atomic_load_explicit(&node->spinning, memory_order_relaxed) ||
        !atomic_compare_exchange_strong(&node->handoff, &none, p)) {
        p->rq_next = NULL;
        pthread_mutex_lock(&node->rq_lock);
        if (node->rq_tail)
            node->rq_tail->rq_next = p;
        else
            node->rq_head = p;
        node->rq_tail = p;
        atomic_store(&node->rq_nonempty, 1);
        pthread_mutex_unlock(&node->rq_lock);
    }
    /* A searching worker (awake, outside any callback) looks for work again
       before it sleeps, so a sleeper is woken only when none is. A worker
       that has just answered a call becomes searching a moment after its
       caller sees the answer: the pusher watches briefly for that (or for
       the work being taken) before paying for a wake. */
    if (atomic_load(&node->searching) <= 0 && atomic_load(&node->idle) > 0) {
        for (int i = 0; i < RM__WAKE_GRACE && atomic_load(&node->searching) <= 0 && has_work(node);
             i++)
            rm__cpu_relax();
        if (atomic_load(&node->searching) <= 0 && has_work(node) && atomic_load(&node->idle) > 0) {
            atomic_fetch_add(&node->rq_seq, 1);
            rm__futex_wake(&node->rq_seq, 1);
        }
    }
}

static void job_push(struct rm_node *node, struct rm__job *j)
{
    j->next = NULL;
    pthread_mutex_lock(&node->rq_lock);
    if (node->job_tail)
        node->job_tail->next = j;
    else
        node->job_head = j;
    node->job_tail = j;
    atomic_store(&node->rq_nonempty, 1);
    pthread_mutex_unlock(&node->rq_lock);
    atomic_fetch_add(&node->rq_seq, 1);
    if (atomic_load(&node->idle) > 0)
        rm__futex_wake(&node->rq_seq, INT32_MAX);
}

/* Takes a job or a process; NULL for both when the queue is empty. */
static void take_once(struct rm_node *node, struct rm__job **job, struct rm_proc **proc)
{
    *job = NULL;
    *proc = NULL;
    if (atomic_load_explicit(&node->handoff, memory_order_relaxed) &&
        (*proc = atomic_exchange(&node->handoff, NULL)))
        return;
    if (!atomic_load_explicit(&node->rq_nonempty, memory_order_acquire))
        return;
    pthread_mutex_lock(&node->rq_lock);
    if (node->job_head) {
        *job = node->job_head;
        node->job_head = (*job)->next;
        if (!node->job_head)
            node->job_tail = NULL;
    } else if (node->rq_head) {
        *proc = node->rq_head;
        node->rq_head = (*proc)->rq_next;
        if (!node->rq_head)
            node->rq_tail = NULL;
    }
    if (!node->job_head && !node->rq_head)
        atomic_store(&node->rq_nonempty, 0);
    pthread_mutex_unlock(&node->rq_lock);
}

/* Waits for work; returns false when the node stops. The caller counts in
   node->searching on entry; this returns with it counted out. */
static bool take(struct rm_node *node, struct rm__job **job, struct rm_proc **proc)
{
    for (;;) {
        take_once(node, job, proc);
        if (*job || *proc) {
            atomic_fetch_sub(&node->searching, 1);
            return true;
        }
        if (atomic_load(&node->stopping)) {
            atomic_fetch_sub(&node->searching, 1);
            return false;
        }
        /* One worker at a time spins long; the others spin briefly, long
           enough to catch the next call of a client they just answered. */
        uint32_t zero = 0;
        bool token = atomic_compare_exchange_strong(&node->spinning, &zero, 1);
        uint64_t limit = token ? RM__IDLE_SPIN_NS : RM__IDLE_SHORT_SPIN_NS;
        uint64_t start = rm__now_ns();
        for (unsigned i = 1; !has_work(node); i++) {
            if ((i & 31) == 0 && rm__now_ns() - start > limit)
                break;
            rm__cpu_relax();
        }
        if (token)
            atomic_store(&node->spinning, 0);
        take_once(node, job, proc);
        if (*job || *proc) {
            atomic_fetch_sub(&node->searching, 1);
            return true;
        }
        atomic_fetch_sub(&node->searching, 1);
        uint32_t seq = atomic_load(&node->rq_seq);
        atomic_fetch_add(&node->idle, 1);
        if (!atomic_load(&node->handoff) && !atomic_load(&node->rq_nonempty) &&
            !atomic_load(&node->stopping))
            rm__futex_wait(&node->rq_seq, seq, -1);
        atomic_fetch_sub(&node->idle, 1);
        atomic_fetch_add(&node->searching, 1);
    }
}

void rm__notify_suspend(struct rm_node *node)
{
    if (atomic_load(&node->susp_waiters) == 0)
        return;
    pthread_mutex_lock(&node->susp_lock);
    pthread_cond_broadcast(&node->susp_cv);
    pthread_mutex_unlock(&node->susp_lock);
}

/* Runs a batch of messages of p, then releases or requeues it. The run
   queue's reference on p is dropped once QUEUED is cleared. Whether to
   wake a suspender is decided from the flags as they were when RUNNING was
   cleared: a suspension that arrived after the last look must be told. */
static void run_proc(struct rm_node *node, struct rm_proc *p)
{
    struct rm__ctx c;
    uint32_t old;
    atomic_fetch_or(&p->flags, RM__F_RUNNING);
    for (int i = 0; i < RM__BATCH; i++) {
        rm__spin_lock(&p->mlock);
        uint32_t f = atomic_load(&p->flags);
        struct rm_msg *m = p->mhead;
        if ((f & (RM__F_SUSPENDED | RM__F_DEAD)) || !m)
            goto release;
        p->mhead = m->next;
        if (!p->mhead)
            p->mtail = NULL;
        p->qlen--;
        rm__spin_unlock(&p->mlock);
        if (rm__dispatch(node, p, m, &c)) {
            rm__proc_put(p); /* the process exited */
            return;
        }
    }
    rm__spin_lock(&p->mlock);
    if (p->mhead && !(atomic_load(&p->flags) & RM__F_SUSPENDED)) {
        old = atomic_fetch_and(&p->flags, ~(uint32_t)RM__F_RUNNING);
        rm__spin_unlock(&p->mlock);
        rm__runq_push(node, p); /* keeps QUEUED and its reference */
        if (old & RM__F_SUSPENDED)
            rm__notify_suspend(node);
        return;
    }
release:
    old = atomic_fetch_and(&p->flags, ~(uint32_t)(RM__F_QUEUED | RM__F_RUNNING));
    rm__spin_unlock(&p->mlock);
    rm__proc_put(p);
    if (old & RM__F_SUSPENDED)
        rm__notify_suspend(node);
}

/* Parks this thread while more threads run than the node wants. */
static void maybe_park(struct rm_node *node)
{
    if (atomic_load(&node->running) <= (int)node->nworkers)
        return;
    pthread_mutex_lock(&node->pool_lock);
    if (atomic_load(&node->running) > (int)node->nworkers && !atomic_load(&node->stopping)) {
        atomic_fetch_sub(&node->running, 1);
        node->parked++;
        while (!node->park_tokens && !atomic_load(&node->stopping))
            pthread_cond_wait(&node->park_cv, &node->pool_lock);
        node->parked--;
        if (node->park_tokens) {
            node->park_tokens--;
            node->pending--;
        }
        atomic_fetch_add(&node->running, 1);
    }
    pthread_mutex_unlock(&node->pool_lock);
}

static void *worker_main(void *arg)
{
    struct rm_node *node = arg;
    tls_worker_node = node;
    for (;;) {
        maybe_park(node);
        struct rm__job *job;
        struct rm_proc *p;
        atomic_fetch_add(&node->searching, 1);
        if (!take(node, &job, &p))
            break;
        if (job)
            job->fn(job->arg);
        else
            run_proc(node, p);
    }
    return NULL;
}

/* Starts one more thread (pool_lock held). 0 or -1. */
static int thread_add(struct rm_node *node)
{
    struct rm__thread *t = malloc(sizeof *t);
    if (!t)
        return -1;
    if (pthread_create(&t->tid, NULL, worker_main, node) != 0) {
        free(t);
        return -1;
    }
    t->next = node->threads;
    node->threads = t;
    node->nthreads++;
    return 0;
}

void rm__worker_block(struct rm_node *node)
{
    if (tls_worker_node != node)
        return;
    pthread_mutex_lock(&node->pool_lock);
    int now = atomic_fetch_sub(&node->running, 1) - 1;
    if (now + (int)node->pending < (int)node->nworkers && !atomic_load(&node->stopping)) {
        if (node->parked > node->park_tokens) {
            node->park_tokens++;
            node->pending++;
            pthread_cond_signal(&node->park_cv);
        } else if (node->nthreads < RM__MAX_THREADS && thread_add(node) == 0) {
            atomic_fetch_add(&node->running, 1);
        }
    }
    pthread_mutex_unlock(&node->pool_lock);
}

void rm__worker_unblock(struct rm_node *node)
{
    if (tls_worker_node != node)
        return;
    atomic_fetch_add(&node->running, 1);
}

/* ---- parallel work ---------------------------------------------------- */

struct par {
    struct rm__job job;
    void (*fn)(void *arg);
    void *arg;
    _Atomic uint32_t *left;
};

static void par_run(void *arg)
{
    struct par *pj = arg;
    _Atomic uint32_t *left = pj->left;
    pj->fn(pj->arg);
    if (atomic_fetch_sub(left, 1) == 1)
        rm__futex_wake(left, 1);
}

/* Takes back the jobs of `jobs` no worker has started; returns how many. */
static unsigned par_withdraw(struct rm_node *node, struct par *jobs, unsigned n)
{
    unsigned k = 0;
    pthread_mutex_lock(&node->rq_lock);
    struct rm__job **pp = &node->job_head, *last = NULL;
    while (*pp) {
        struct par *pj = (struct par *)*pp;
        if (pj >= jobs && pj < jobs + n) {
            *pp = (*pp)->next;
            k++;
        } else {
            last = *pp;
            pp = &(*pp)->next;
        }
    }
    node->job_tail = last;
    if (!node->job_head && !node->rq_head)
        atomic_store(&node->rq_nonempty, 0);
    pthread_mutex_unlock(&node->rq_lock);
    return k;
}

void rm__parallel(struct rm_node *node, void (*fn)(void *arg), void *arg)
{
    unsigned n = node->nworkers - 1; /* the calling thread is the last one */
    struct par *jobs = calloc(n, sizeof *jobs);
    _Atomic uint32_t left = 0;
    if (jobs) {
        atomic_store(&left, n);
        for (unsigned i = 0; i < n; i++) {
            jobs[i] = (struct par){{NULL, par_run, &jobs[i]}, fn, arg, &left};
            job_push(node, &jobs[i].job);
        }
    }
    fn(arg);
    /* The work is shared through fn's own index: jobs that no worker has
       picked up yet have nothing left to do, so they are taken back rather
       than waited for. */
    if (jobs) {
        unsigned k = par_withdraw(node, jobs, n);
        if (k)
            atomic_fetch_sub(&left, k);
    }
    uint32_t v;
    while ((v = atomic_load(&left)) != 0)
        rm__futex_wait(&left, v, -1);
    free(jobs);
}

/* ---- node lifecycle --------------------------------------------------- */

struct rm_node *rm_node_new(const struct rm_node_opts *opts, struct rm_error *err)
{
    struct rm_node *node = calloc(1, sizeof *node);
    if (!node) {
        rm_error_nomem(err);
        return NULL;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    node->nworkers = opts && opts->workers ? opts->workers : (cores > 0 ? (unsigned)cores : 1);
    if (node->nworkers > RM__MAX_THREADS)
        node->nworkers = RM__MAX_THREADS;
    node->log = opts ? opts->log : NULL;
    node->log_ud = opts ? opts->log_ud : NULL;
    node->next_pid = 1;
    atomic_store(&node->next_from, 1);
    pthread_mutex_init(&node->rq_lock, NULL);
    pthread_mutex_init(&node->pool_lock, NULL);
    pthread_rwlock_init(&node->tab_lock, NULL);
    pthread_mutex_init(&node->code_lock, NULL);
    pthread_mutex_init(&node->sys_lock, NULL);
    pthread_mutex_init(&node->susp_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&node->susp_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&node->park_cv, NULL);
    if (rm__ptable_reserve(&node->pids, 64) < 0 || rm__ntable_reserve(&node->names, 16) < 0) {
        rm_error_nomem(err);
        goto fail;
    }
    if (rm__timers_start(node, err) < 0)
        goto fail;
    pthread_mutex_lock(&node->pool_lock);
    for (unsigned i = 0; i < node->nworkers; i++) {
        if (thread_add(node) < 0) {
            pthread_mutex_unlock(&node->pool_lock);
            rm_error_set(err, RM_ENOMEM, "cannot start worker thread: %s", strerror(errno));
            rm_node_free(node);
            return NULL;
        }
        atomic_fetch_add(&node->running, 1);
    }
    pthread_mutex_unlock(&node->pool_lock);
    return node;
fail:
    rm__timers_stop(node);
    rm__ptable_free(&node->pids);
    rm__ntable_free(&node->names);
    free(node);
    return NULL;
}

static bool any_proc(struct rm_proc *p, void *ud)
{
    return true;
}

void rm_node_free(struct rm_node *node)
{
    if (!node)
        return;
    if (node->txn)
        rm_txn_abort(node->txn);
    rm__timers_stop(node);

    /* Stop every process, without restarts, until none is left. */
    pthread_mutex_lock(&node->sys_lock);
    for (;;) {
        struct rm_proc **procs = NULL;
        size_t n = 0;
        if (rm__collect(node, any_proc, NULL, &procs, &n, NULL) < 0 || n == 0) {
            free(procs);
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (!(atomic_load(&procs[i]->flags) & RM__F_DEAD)) {
                bool resume;
                rm__pin(node, procs[i], -1, "stop", &resume, NULL);
                if (!(atomic_load(&procs[i]->flags) & RM__F_DEAD))
                    rm__proc_exit(node, procs[i], "shutdown", false, 0);
            }
        }
        rm__release_all(procs, n);
    }
    pthread_mutex_unlock(&node->sys_lock);

    pthread_mutex_lock(&node->pool_lock);
    atomic_store(&node->stopping, 1);
    pthread_cond_broadcast(&node->park_cv);
    pthread_mutex_unlock(&node->pool_lock);
    atomic_fetch_add(&node->rq_seq, 1);
    rm__futex_wake(&node->rq_seq, INT32_MAX);
    for (;;) {
        pthread_mutex_lock(&node->pool_lock);
        struct rm__thread *t = node->threads;
        if (t)
            node->threads = t->next;
        pthread_mutex_unlock(&node->pool_lock);
        if (!t)
            break;
        pthread_join(t->tid, NULL);
        free(t);
    }

    pthread_mutex_lock(&node->code_lock);
    struct rm_module *m = node->modules;
    while (m) {
        struct rm_module *next = m->next;
        struct rm_code *cur = atomic_load(&m->current);
        if (m->old)
            rm__code_unref(node, m->old, true);
        if (cur)
            rm__code_unref(node, cur, true);
        free(m);
        m = next;
    }
    node->modules = NULL;
    for (size_t i = 0; i < node->npaths; i++)
        free(node->paths[i]);
    free(node->paths);
    pthread_mutex_unlock(&node->code_lock);

    rm__ptable_free(&node->pids);
    rm__ntable_free(&node->names);
    pthread_mutex_destroy(&node->rq_lock);
    pthread_mutex_destroy(&node->pool_lock);
    pthread_rwlock_destroy(&node->tab_lock);
    pthread_mutex_destroy(&node->code_lock);
    pthread_mutex_destroy(&node->sys_lock);
    pthread_mutex_destroy(&node->susp_lock);
    pthread_cond_destroy(&node->susp_cv);
    pthread_cond_destroy(&node->park_cv);
    free(node);
}
