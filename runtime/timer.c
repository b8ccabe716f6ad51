/*
 * timer.c - send_after timers: one thread, a binary heap ordered by due
 * time, and a hash of references for cancellation that grows with the
 * number of pending timers (chains stay short). A due timer is
 * delivered as an info message; one to a process that is gone is dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "relman/array.h"
#include "timer.h"

struct rm__timer {
    uint64_t due;
    rm_tref ref;
    rm_pid to;
    size_t heap_i;
    struct rm__timer *bnext; /* bucket chain */
    struct rm_msg *msg;
};

static bool before(const struct rm__timer *a, const struct rm__timer *b)
{
    return a->due < b->due || (a->due == b->due && a->ref < b->ref);
}

static void heap_set(struct rm__timer_table *t, size_t i, struct rm__timer *x)
{
    t->heap[i] = x;
    x->heap_i = i;
}

static void sift_up(struct rm__timer_table *t, size_t i)
{
    struct rm__timer *x = t->heap[i];
    while (i > 0 && before(x, t->heap[(i - 1) / 2])) {
        heap_set(t, i, t->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(t, i, x);
}

static void sift_down(struct rm__timer_table *t, size_t i)
{
    struct rm__timer *x = t->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= t->n)
            break;
        if (c + 1 < t->n && before(t->heap[c + 1], t->heap[c]))
            c++;
        if (!before(t->heap[c], x))
            break;
        heap_set(t, i, t->heap[c]);
        i = c;
    }
    heap_set(t, i, x);
}

static void heap_remove(struct rm__timer_table *t, size_t i)
{
    t->n--;
    if (i == t->n)
        return;
    struct rm__timer *x = t->heap[t->n];
    heap_set(t, i, x);
    sift_down(t, i);
    sift_up(t, x->heap_i);
}

static struct rm__timer **bucket(struct rm__timer_table *t, rm_tref ref)
{
    return &t->buckets[ref & (t->nbuckets - 1)];
}

/* Keeps at most two pending timers per bucket on average: quadruples the
   buckets when there are more (lock held). Out of memory keeps the table
   as it is: only chains get longer. */
static void buckets_grow(struct rm__timer_table *t)
{
    if (t->n <= 2 * t->nbuckets)
        return;
    size_t nb = t->nbuckets * 4;
    struct rm__timer **b = calloc(nb, sizeof *b);
    if (!b)
        return;
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = nb;
    for (size_t i = 0; i < t->n; i++) {
        struct rm__timer **head = bucket(t, t->heap[i]->ref);
        t->heap[i]->bnext = *head;
        *head = t->heap[i];
    }
}

static void bucket_remove(struct rm__timer_table *t, struct rm__timer *x)
{
    struct rm__timer **pp = bucket(t, x->ref);
    while (*pp != x)
        pp = &(*pp)->bnext;
    *pp = x->bnext;
}

static void *timer_main(void *arg)
{
    struct rm_node *node = arg;
    struct rm__timer_table *t = &rm__timer_of(node)->timers;
    pthread_mutex_lock(&t->lock);
    while (!t->stop) {
        if (t->n == 0) {
            pthread_cond_wait(&t->cv, &t->lock);
            continue;
        }
        struct rm__timer *x = t->heap[0];
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t nowns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
        if (x->due > nowns) {
            struct timespec ts = {(time_t)(x->due / 1000000000u), (long)(x->due % 1000000000u)};
            pthread_cond_timedwait(&t->cv, &t->lock, &ts);
            continue;
        }
        heap_remove(t, 0);
        bucket_remove(t, x);
        pthread_mutex_unlock(&t->lock);
        if (rm__proc_deliver(node, x->to, x->msg) < 0)
            free(x->msg);
        free(x);
        pthread_mutex_lock(&t->lock);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

int rm__timer_start(struct rm_node *node, struct rm_error *err)
{
    struct rm__timer_table *t = &rm__timer_of(node)->timers;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&t->lock, NULL);
    t->nbuckets = 256;
    t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
    t->next_ref = 1;
    if (!t->buckets)
        return rm_error_nomem(err);
    int e = pthread_create(&t->thread, NULL, timer_main, node);
    if (e != 0)
        return rm_error_set(err, RM_ENOMEM, "cannot start timer thread: %s", strerror(e));
    t->started = true;
    return 0;
}

void rm__timer_stop(struct rm_node *node)
{
    struct rm__timer_table *t = &rm__timer_of(node)->timers;
    if (t->started) {
        pthread_mutex_lock(&t->lock);
        t->stop = true;
        pthread_cond_signal(&t->cv);
        pthread_mutex_unlock(&t->lock);
        pthread_join(t->thread, NULL);
        t->started = false;
    }
    for (size_t i = 0; i < t->n; i++) {
        free(t->heap[i]->msg);
        free(t->heap[i]);
    }
    free(t->heap);
    free(t->buckets);
    t->heap = NULL;
    t->buckets = NULL;
    t->n = t->cap = 0;
}

rm_tref rm__timer_add(struct rm_node *node, rm_pid to, uint32_t ms, const void *data, size_t len)
{
    struct rm__timer_table *t = &rm__timer_of(node)->timers;
    struct rm__timer *x = malloc(sizeof *x);
    struct rm_msg *m = rm__mbox_msg_new(RM__MBOX_INFO, data, len);
    if (!x || !m) {
        free(x);
        free(m);
        return 0;
    }
    x->msg = m;
    x->to = to;
    x->due = rm__rt_now_ns() + (uint64_t)ms * 1000000u;
    pthread_mutex_lock(&t->lock);
    if (rm_array_grow(&t->heap, &t->cap, t->n, sizeof *t->heap, 64, NULL) < 0) {
        pthread_mutex_unlock(&t->lock);
        free(x);
        free(m);
        return 0;
    }
    x->ref = t->next_ref++;
    t->heap[t->n++] = x;
    sift_up(t, t->n - 1);
    struct rm__timer **b = bucket(t, x->ref);
    x->bnext = *b;
    *b = x;
    buckets_grow(t);
    if (t->heap[0] == x)
        pthread_cond_signal(&t->cv);
    rm_tref ref = x->ref;
    pthread_mutex_unlock(&t->lock);
    return ref;
}

int rm__timer_cancel(struct rm_node *node, rm_pid owner, rm_tref tref)
{
    struct rm__timer_table *t = &rm__timer_of(node)->timers;
    pthread_mutex_lock(&t->lock);
    struct rm__timer *x = *bucket(t, tref);
    while (x && x->ref != tref)
        x = x->bnext;
    if (!x || x->to != owner) {
        pthread_mutex_unlock(&t->lock);
        return -1;
    }
    heap_remove(t, x->heap_i);
    bucket_remove(t, x);
    pthread_mutex_unlock(&t->lock);
    free(x->msg);
    free(x);
    return 0;
}
