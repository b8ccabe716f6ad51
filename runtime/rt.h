/*
 * rt.h - the bottom layer of the runtime: the small synchronisation tools
 * every layer is built from (a spinlock for per-process data, futex waits,
 * a monotonic clock, the invariant check), the node's log sink, and the
 * way each layer finds its part of the node.
 *
 * The layers (runtime/LAYERS) stack up from here; a file calls only its own
 * layer and those below, and an upper layer that a lower one must reach
 * registers a hook when the node is created (see node.c).
 *
 * struct rm_node is assembled from per-layer parts: each layer's part
 * starts with the part of the layer below it, and node.c defines struct
 * rm_node as the top part. A layer reaches its part (and only the parts
 * below it) with rm__<layer>_of(node), a cast to the first member: a lower
 * layer has no name for an upper layer's data.
 *
 * Locks, outermost first (never taken in another order), by layer:
 *   sys    node->sys_lock   serialises control operations (suspend, load, txn ...)
 *   code   node->code_lock  the module table and the lifetime of code versions
 *   proc   node->tab_lock   the pid and name tables (read: lookups and sends)
 *   proc   p->mbox.lock     one process's mailbox, and whether it is queued (spinlock)
 *   sched  node->rq_lock    the run queue and the job queue
 * Leaves: proc's susp_lock (waits for processes to leave their callbacks),
 * call's shard locks, the timer lock, sched's pool_lock, config's
 * config_lock, rel's lock (links, monitors, descriptors; rm_proc_list takes
 * it under tab_lock), sup's sup_lock.
 */
#ifndef RELMAN_RT_H
#define RELMAN_RT_H

#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "relman/runtime.h"

static inline void rm__rt_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* A spinlock that yields the CPU after a short spin, so that a preempted
   holder gets to run on a busy machine. */
static inline void rm__rt_spin_lock(_Atomic uint32_t *l)
{
    unsigned n = 0;
    for (;;) {
        if (!atomic_exchange_explicit(l, 1, memory_order_acquire))
            return;
        while (atomic_load_explicit(l, memory_order_relaxed)) {
            if (++n < 64)
                rm__rt_cpu_relax();
            else
                sched_yield();
        }
    }
}

static inline void rm__rt_spin_unlock(_Atomic uint32_t *l)
{
    atomic_store_explicit(l, 0, memory_order_release);
}

/* Sleeps while *addr == val, at most timeout_ns (negative: no limit). */
static inline void rm__rt_futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t timeout_ns)
{
    struct timespec ts, *tp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000;
        ts.tv_nsec = timeout_ns % 1000000000;
        tp = &ts;
    }
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, val, tp, NULL, 0);
}

static inline void rm__rt_futex_wake(_Atomic uint32_t *addr, int n)
{
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

/* Monotonic time in nanoseconds. */
static inline uint64_t rm__rt_now_ns(void)
{
    return rm_clock_ns(); /* the one clock (relman/vocab.h) */
}

/* The deadline of a timeout in ms (negative: none, UINT64_MAX). */
static inline uint64_t rm__rt_deadline(int timeout_ms)
{
    return timeout_ms < 0 ? UINT64_MAX : rm__rt_now_ns() + (uint64_t)timeout_ms * 1000000u;
}

/* The bottom part of the node: its size and its log sink. */
struct rm__rt_node {
    unsigned nworkers;
    rm_log_fn log;
    rm_log_about_fn log_about;
    void *log_ud;
};

static inline struct rm__rt_node *rm__rt_of(struct rm_node *node)
{
    return (struct rm__rt_node *)node;
}

/* Logs one line through the node's sink. */
void rm__rt_log(struct rm_node *node, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Logs one line about a process (`about`, may be NULL). */
void rm__rt_log_about(struct rm_node *node, const struct rm_log_about *about, int level,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
