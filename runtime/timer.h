/*
 * timer.h - the timer layer: send_after timers on one thread, delivered
 * as info messages.
 */
#ifndef RELMAN_TIMER_H
#define RELMAN_TIMER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call.h"

struct rm__timer;
struct rm__timer_table {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cv;
    struct rm__timer **heap;
    size_t n, cap;
    struct rm__timer **buckets; /* by tref, for cancel */
    size_t nbuckets;
    uint64_t next_ref;
    bool stop, started;
};

struct rm__timer_node {
    struct rm__call_node call;
    struct rm__timer_table timers;
};

static inline struct rm__timer_node *rm__timer_of(struct rm_node *node)
{
    return (struct rm__timer_node *)node;
}

/* Starts the timer thread. 0, or -1 with RM_ENOMEM. */
int rm__timer_start(struct rm_node *node, struct rm_error *err);
/* Stops it and drops the pending timers (safe when never started). */
void rm__timer_stop(struct rm_node *node);
/* Sends data to `to` as an info message after ms; the reference, or 0
   when out of memory. */
rm_tref rm__timer_add(struct rm_node *node, rm_pid to, uint32_t ms, const void *data, size_t len);
/* Cancels a pending timer of `owner`; -1 when there is none. */
int rm__timer_cancel(struct rm_node *node, rm_pid owner, rm_tref tref);

#endif
