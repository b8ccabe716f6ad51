/*
 * sched.c - the scheduler: the worker pool, the run queue and the job queue.
 *
 * Workers take entries from one run queue and hand each to the run hook
 * an upper layer registered (the process layer puts a process there only
 * when it has messages and is not suspended, and runs a batch of its
 * messages). An idle worker spins briefly (only one at a
 * time) and then sleeps: one of them in the event loop's poll (epoll_wait
 * on every descriptor processes own, so that readiness wakes a worker
 * directly), the others on a futex. Busy workers look for ready
 * descriptors without waiting at least every RM__SCHED_POLL_EVERY_NS, so a
 * node that never idles still hears its sockets. A worker that blocks in a call made from
 * inside a callback lets a parked or new thread take its place, so the node
 * never runs out of workers; extra threads park themselves again once the
 * blocked ones return.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched-int.h"

#define RM__SCHED_IDLE_SPIN_NS       50000 /* an idle worker spins this long before sleeping */
#define RM__SCHED_IDLE_SHORT_SPIN_NS 5000  /* ... or this long when another one spins */
#define RM__SCHED_WAKE_GRACE         48    /* pauses a pusher waits for a searching worker */
#define RM__SCHED_MAX_THREADS        256
#define RM__SCHED_POLL_EVERY_NS      1000000 /* a busy node polls descriptors this often */

static _Thread_local struct rm_node *tls_worker_node;

static void *worker_main(void *arg);

/* Whether a worker has anything to take. */
static bool has_work(struct rm_node *node)
{
    struct rm__sched_node *S = rm__sched_of(node);
    return atomic_load_explicit(&S->handoff, memory_order_relaxed) ||
           atomic_load_explicit(&S->rq_nonempty, memory_order_relaxed);
}

void rm__sched_push(struct rm_node *node, struct rm__sched_link *p)
{
    struct rm__sched_node *S = rm__sched_of(node);
    /* With a worker spinning, one process goes straight to it through the
       hand-off slot: one cache line instead of the queue's lock and list. */
    struct rm__sched_link *none = NULL;
    if (!atomic_load_explicit(&S->spinning, memory_order_relaxed) ||
        !atomic_compare_exchange_strong(&S->handoff, &none, p)) {
        p->next = NULL;
        pthread_mutex_lock(&S->rq_lock);
        if (S->rq_tail)
            S->rq_tail->next = p;
        else
            S->rq_head = p;
        S->rq_tail = p;
        atomic_store(&S->rq_nonempty, 1);
        pthread_mutex_unlock(&S->rq_lock);
    }
    /* A searching worker (awake, outside any callback) looks for work again
       before it sleeps, so a sleeper is woken only when none is. A worker
       that has just answered a call becomes searching a moment after its
       caller sees the answer: the pusher watches briefly for that (or for
       the work being taken) before paying for a wake. */
    if (atomic_load(&S->searching) <= 0 && atomic_load(&S->idle) > 0) {
        for (int i = 0;
             i < RM__SCHED_WAKE_GRACE && atomic_load(&S->searching) <= 0 && has_work(node); i++)
            rm__rt_cpu_relax();
        if (atomic_load(&S->searching) <= 0 && has_work(node) && atomic_load(&S->idle) > 0) {
            atomic_fetch_add(&S->rq_seq, 1);
            rm__rt_futex_wake(&S->rq_seq, 1);
            return;
        }
    }
    /* No worker asleep on the futex or awake: the one waiting in the event
       loop takes it. */
    if (atomic_load(&S->searching) <= 0 && atomic_load(&S->idle) <= 0 &&
        atomic_load(&S->poll_blocked) && has_work(node))
        S->poller.wake(node);
}

void rm__sched_set_poller(struct rm_node *node, const struct rm__sched_poller *poller)
{
    rm__sched_of(node)->poller = *poller;
}

void rm__sched_poll_returned(struct rm_node *node)
{
    struct rm__sched_node *S = rm__sched_of(node);
    if (atomic_exchange(&S->poll_blocked, 0))
        atomic_fetch_add(&S->searching, 1);
}

/* Waits for work in the event loop instead of on the futex, when no other
   worker does. Called counted out of `searching`; returns counted in.
   false (nothing done, still counted out) when another worker polls. */
static bool poll_idle(struct rm_node *node)
{
    struct rm__sched_node *S = rm__sched_of(node);
    int zero = 0;
    if (!S->poller.poll || !atomic_compare_exchange_strong(&S->poll_blocked, &zero, 1))
        return false;
    /* A push that came before poll_blocked was seen finds it here. The hook
       gives the flag back itself (rm__sched_poll_returned) the moment its
       wait ends: giving it back here as well, later, could take it from
       another worker that has started polling meanwhile. */
    if (!has_work(node) && !atomic_load(&S->stopping)) {
        atomic_store(&S->last_poll_ns, rm__rt_now_ns());
        S->poller.poll(node, -1);
    } else {
        rm__sched_poll_returned(node);
    }
    return true;
}

/* A busy worker's look at the descriptors, at most every
   RM__SCHED_POLL_EVERY_NS across the node; never waits. */
static void poll_busy(struct rm_node *node)
{
    struct rm__sched_node *S = rm__sched_of(node);
    if (!S->poller.poll)
        return;
    uint64_t now = rm__rt_now_ns();
    uint64_t last = atomic_load_explicit(&S->last_poll_ns, memory_order_relaxed);
    if (now - last < RM__SCHED_POLL_EVERY_NS ||
        !atomic_compare_exchange_strong(&S->last_poll_ns, &last, now))
        return;
    S->poller.poll(node, 0);
}

static void job_push(struct rm_node *node, struct rm__sched_job *j)
{
    struct rm__sched_node *S = rm__sched_of(node);
    j->next = NULL;
    pthread_mutex_lock(&S->rq_lock);
    if (S->job_tail)
        S->job_tail->next = j;
    else
        S->job_head = j;
    S->job_tail = j;
    atomic_store(&S->rq_nonempty, 1);
    pthread_mutex_unlock(&S->rq_lock);
    atomic_fetch_add(&S->rq_seq, 1);
    if (atomic_load(&S->idle) > 0)
        rm__rt_futex_wake(&S->rq_seq, INT32_MAX);
}

/* Takes a job or a process; NULL for both when the queue is empty. */
static void take_once(struct rm_node *node, struct rm__sched_job **job,
                      struct rm__sched_link **proc)
{
    struct rm__sched_node *S = rm__sched_of(node);
    *job = NULL;
    *proc = NULL;
    if (atomic_load_explicit(&S->handoff, memory_order_relaxed) &&
        (*proc = atomic_exchange(&S->handoff, NULL)))
        return;
    if (!atomic_load_explicit(&S->rq_nonempty, memory_order_acquire))
        return;
    pthread_mutex_lock(&S->rq_lock);
    if (S->job_head) {
        *job = S->job_head;
        S->job_head = (*job)->next;
        if (!S->job_head)
            S->job_tail = NULL;
    } else if (S->rq_head) {
        *proc = S->rq_head;
        S->rq_head = (*proc)->next;
        if (!S->rq_head)
            S->rq_tail = NULL;
    }
    if (!S->job_head && !S->rq_head)
        atomic_store(&S->rq_nonempty, 0);
    pthread_mutex_unlock(&S->rq_lock);
}

/* Waits for work; returns false when the node stops. The caller counts in
   S->searching on entry; this returns with it counted out. */
static bool take(struct rm_node *node, struct rm__sched_job **job, struct rm__sched_link **proc)
{
    struct rm__sched_node *S = rm__sched_of(node);
    for (;;) {
        take_once(node, job, proc);
        if (*job || *proc) {
            atomic_fetch_sub(&S->searching, 1);
            return true;
        }
        if (atomic_load(&S->stopping)) {
            atomic_fetch_sub(&S->searching, 1);
            return false;
        }
        /* One worker at a time spins long; the others spin briefly, long
           enough to catch the next call of a client they just answered. */
        uint32_t zero = 0;
        bool token = atomic_compare_exchange_strong(&S->spinning, &zero, 1);
        uint64_t limit = token ? RM__SCHED_IDLE_SPIN_NS : RM__SCHED_IDLE_SHORT_SPIN_NS;
        uint64_t start = rm__rt_now_ns();
        for (unsigned i = 1; !has_work(node); i++) {
            if ((i & 31) == 0 && rm__rt_now_ns() - start > limit)
                break;
            /* the spinner also hears descriptors, or a reply the client is
               waiting for would wait for the spin to end */
            if (token && (i & 127) == 0 && S->poller.poll)
                S->poller.poll(node, 0);
            rm__rt_cpu_relax();
        }
        if (token)
            atomic_store(&S->spinning, 0);
        take_once(node, job, proc);
        if (*job || *proc) {
            atomic_fetch_sub(&S->searching, 1);
            return true;
        }
        atomic_fetch_sub(&S->searching, 1);
        if (poll_idle(node))
            continue;
        uint32_t seq = atomic_load(&S->rq_seq);
        atomic_fetch_add(&S->idle, 1);
        if (!atomic_load(&S->handoff) && !atomic_load(&S->rq_nonempty) &&
            !atomic_load(&S->stopping))
            rm__rt_futex_wait(&S->rq_seq, seq, -1);
        atomic_fetch_sub(&S->idle, 1);
        atomic_fetch_add(&S->searching, 1);
    }
}

/* Parks this thread while more threads run than the node wants. */
static void maybe_park(struct rm_node *node)
{
    struct rm__sched_node *S = rm__sched_of(node);
    if (atomic_load(&S->running) <= (int)S->rt.nworkers)
        return;
    pthread_mutex_lock(&S->pool_lock);
    if (atomic_load(&S->running) > (int)S->rt.nworkers && !atomic_load(&S->stopping)) {
        atomic_fetch_sub(&S->running, 1);
        S->parked++;
        while (!S->park_tokens && !atomic_load(&S->stopping))
            pthread_cond_wait(&S->park_cv, &S->pool_lock);
        S->parked--;
        if (S->park_tokens) {
            S->park_tokens--;
            S->pending--;
        }
        atomic_fetch_add(&S->running, 1);
    }
    pthread_mutex_unlock(&S->pool_lock);
}

static void *worker_main(void *arg)
{
    struct rm_node *node = arg;
    struct rm__sched_node *S = rm__sched_of(node);
    tls_worker_node = node;
    for (unsigned round = 1;; round++) {
        maybe_park(node);
        if ((round & 15) == 0)
            poll_busy(node);
        struct rm__sched_job *job;
        struct rm__sched_link *p;
        atomic_fetch_add(&S->searching, 1);
        if (!take(node, &job, &p))
            break;
        if (job)
            job->fn(job->arg);
        else
            S->run(node, p);
    }
    return NULL;
}

/* Starts one more thread (pool_lock held). 0 or -1. */
static int thread_add(struct rm_node *node)
{
    struct rm__sched_node *S = rm__sched_of(node);
    struct rm__sched_thread *t = malloc(sizeof *t);
    if (!t)
        return -1;
    if (pthread_create(&t->tid, NULL, worker_main, node) != 0) {
        free(t);
        return -1;
    }
    t->next = S->threads;
    S->threads = t;
    S->nthreads++;
    return 0;
}

void rm__sched_block(struct rm_node *node)
{
    struct rm__sched_node *S = rm__sched_of(node);
    if (tls_worker_node != node)
        return;
    pthread_mutex_lock(&S->pool_lock);
    int now = atomic_fetch_sub(&S->running, 1) - 1;
    if (now + (int)S->pending < (int)S->rt.nworkers && !atomic_load(&S->stopping)) {
        if (S->parked > S->park_tokens) {
            S->park_tokens++;
            S->pending++;
            pthread_cond_signal(&S->park_cv);
        } else if (S->nthreads < RM__SCHED_MAX_THREADS && thread_add(node) == 0) {
            atomic_fetch_add(&S->running, 1);
        }
    }
    pthread_mutex_unlock(&S->pool_lock);
}

void rm__sched_unblock(struct rm_node *node)
{
    struct rm__sched_node *S = rm__sched_of(node);
    if (tls_worker_node != node)
        return;
    atomic_fetch_add(&S->running, 1);
}

/* ---- parallel work ---------------------------------------------------- */

struct par {
    struct rm__sched_job job;
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
        rm__rt_futex_wake(left, 1);
}

/* Takes back the jobs of `jobs` no worker has started; returns how many. */
static unsigned par_withdraw(struct rm_node *node, struct par *jobs, unsigned n)
{
    struct rm__sched_node *S = rm__sched_of(node);
    unsigned k = 0;
    pthread_mutex_lock(&S->rq_lock);
    struct rm__sched_job **pp = &S->job_head, *last = NULL;
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
    S->job_tail = last;
    if (!S->job_head && !S->rq_head)
        atomic_store(&S->rq_nonempty, 0);
    pthread_mutex_unlock(&S->rq_lock);
    return k;
}

void rm__sched_parallel(struct rm_node *node, void (*fn)(void *arg), void *arg)
{
    struct rm__sched_node *S = rm__sched_of(node);
    unsigned n = S->rt.nworkers - 1; /* the calling thread is the last one */
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
        rm__rt_futex_wait(&left, v, -1);
    free(jobs);
}

/* ---- start and stop --------------------------------------------------- */

void rm__sched_init(struct rm_node *node)
{
    struct rm__sched_node *S = rm__sched_of(node);
    pthread_mutex_init(&S->rq_lock, NULL);
    pthread_mutex_init(&S->pool_lock, NULL);
    pthread_cond_init(&S->park_cv, NULL);
}

int rm__sched_start(struct rm_node *node, rm__sched_run_fn run, struct rm_error *err)
{
    struct rm__sched_node *S = rm__sched_of(node);
    S->run = run;
    pthread_mutex_lock(&S->pool_lock);
    for (unsigned i = 0; i < S->rt.nworkers; i++) {
        if (thread_add(node) < 0) {
            pthread_mutex_unlock(&S->pool_lock);
            return rm_error_set(err, RM_ENOMEM, "cannot start worker thread: %s", strerror(errno));
        }
        atomic_fetch_add(&S->running, 1);
    }
    pthread_mutex_unlock(&S->pool_lock);
    return 0;
}

void rm__sched_stop(struct rm_node *node)
{
    struct rm__sched_node *S = rm__sched_of(node);
    pthread_mutex_lock(&S->pool_lock);
    atomic_store(&S->stopping, 1);
    pthread_cond_broadcast(&S->park_cv);
    pthread_mutex_unlock(&S->pool_lock);
    atomic_fetch_add(&S->rq_seq, 1);
    rm__rt_futex_wake(&S->rq_seq, INT32_MAX);
    if (S->poller.wake)
        S->poller.wake(node);
    for (;;) {
        pthread_mutex_lock(&S->pool_lock);
        struct rm__sched_thread *t = S->threads;
        if (t)
            S->threads = t->next;
        pthread_mutex_unlock(&S->pool_lock);
        if (!t)
            break;
        pthread_join(t->tid, NULL);
        free(t);
    }
}

void rm__sched_free(struct rm_node *node)
{
    struct rm__sched_node *S = rm__sched_of(node);
    pthread_mutex_destroy(&S->rq_lock);
    pthread_mutex_destroy(&S->pool_lock);
    pthread_cond_destroy(&S->park_cv);
}
