/*
 * sched-int.h - the scheduler layer: the worker pool, one run queue, a job
 * queue and parallel jobs. It knows nothing of processes: an entry of the
 * run queue is a link an upper layer embeds, and the workers hand each
 * entry they take to the run hook that layer registered.
 */
#ifndef RELMAN_SCHED_INT_H
#define RELMAN_SCHED_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "rt.h"

/* An entry of the run queue, embedded in what it schedules. */
struct rm__sched_link {
    struct rm__sched_link *next;
};

/* A piece of work for the pool (parallel code change and the like). */
struct rm__sched_job {
    struct rm__sched_job *next;
    void (*fn)(void *arg);
    void *arg;
};

struct rm__sched_thread {
    struct rm__sched_thread *next;
    pthread_t tid;
};

/* The hook a worker calls for each entry it takes off the run queue. */
typedef void (*rm__sched_run_fn)(struct rm_node *node, struct rm__sched_link *l);

/* The event loop's hooks (the relations layer's): `poll` waits up to
   timeout_ms (-1: until something happens) for descriptors to become ready
   and posts what it finds as messages; when timeout_ms is not 0 it calls
   rm__sched_poll_returned exactly once, as soon as its wait is over.
   `wake` makes a blocking `poll` return. */
struct rm__sched_poller {
    void (*poll)(struct rm_node *node, int timeout_ms);
    void (*wake)(struct rm_node *node);
};

struct rm__sched_node {
    struct rm__rt_node rt;

    /* run queue, jobs and idle workers; `handoff` passes one entry to
       the spinning worker without the queue's lock */
    struct rm__sched_link *_Atomic handoff __attribute__((aligned(64)));
    pthread_mutex_t rq_lock;
    struct rm__sched_link *rq_head, *rq_tail;
    struct rm__sched_job *job_head, *job_tail;
    _Atomic uint32_t rq_seq; /* bumped before a wake; idle workers sleep on it */
    _Atomic uint32_t rq_nonempty;
    _Atomic uint32_t idle;     /* workers asleep on rq_seq */
    _Atomic uint32_t spinning; /* workers spinning for work (at most one) */
    _Atomic int searching;     /* workers awake and about to look at the queue */
    _Atomic uint32_t stopping;
    rm__sched_run_fn run;
    struct rm__sched_poller poller;
    _Atomic int poll_blocked;      /* a worker waits in poller.poll instead of sleeping */
    _Atomic uint64_t last_poll_ns; /* when a worker last looked for ready descriptors */

    /* the pool: `running` threads take work; blocked ones are replaced */
    pthread_mutex_t pool_lock;
    struct rm__sched_thread *threads;
    unsigned nthreads;
    _Atomic int running;
    pthread_cond_t park_cv;
    unsigned parked;      /* threads parked on park_cv */
    unsigned park_tokens; /* wake-ups granted to parked threads */
    unsigned pending;     /* woken or new threads not yet counted in running */
};

static inline struct rm__sched_node *rm__sched_of(struct rm_node *node)
{
    return (struct rm__sched_node *)node;
}

/* Initialises the scheduler's part (node zeroed, rt part set). */
void rm__sched_init(struct rm_node *node);
/* Starts the workers, which hand what they take to `run`. 0, or -1 with
   RM_ENOMEM (the workers started are stopped by rm__sched_stop). */
int rm__sched_start(struct rm_node *node, rm__sched_run_fn run, struct rm_error *err);
/* Sets the event loop's hooks (before rm__sched_start). */
void rm__sched_set_poller(struct rm_node *node, const struct rm__sched_poller *poller);
/* Called by poller.poll once its wait is over, before it posts anything:
   the worker counts as looking for work again, so that what it posts is
   not woken for. */
void rm__sched_poll_returned(struct rm_node *node);
/* Stops and joins every worker; the run queue must be empty. */
void rm__sched_stop(struct rm_node *node);
/* Frees what rm__sched_init set up. */
void rm__sched_free(struct rm_node *node);
/* Pushes an entry to the run queue (the caller owns the decision that it
   belongs there). */
void rm__sched_push(struct rm_node *node, struct rm__sched_link *l);
/* Runs fn(arg) on every worker and on the calling thread, and returns when
   all have returned; fn shares the work out itself (an atomic index). */
void rm__sched_parallel(struct rm_node *node, void (*fn)(void *arg), void *arg);
/* Around a blocking wait on a worker thread: lets a spare thread take over
   so that the node keeps running (a no-op on other threads). */
void rm__sched_block(struct rm_node *node);
void rm__sched_unblock(struct rm_node *node);

#endif
