/*
 * rt-sync.h - the small synchronisation tools the runtime is built from: a
 * one-byte-class spinlock for per-process data, futex waits with a bounded
 * spin first, a monotonic clock and the invariant check.
 */
#ifndef RELMAN_RT_SYNC_H
#define RELMAN_RT_SYNC_H

#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Aborts with file:line when an invariant of the runtime does not hold. */
#define RM__CHECK(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "relman runtime: %s:%d: invariant '%s' broken\n", __FILE__, __LINE__,  \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static inline void rm__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* A spinlock that yields the CPU after a short spin, so that a preempted
   holder gets to run on a busy machine. */
static inline void rm__spin_lock(_Atomic uint32_t *l)
{
    unsigned n = 0;
    for (;;) {
        if (!atomic_exchange_explicit(l, 1, memory_order_acquire))
            return;
        while (atomic_load_explicit(l, memory_order_relaxed)) {
            if (++n < 64)
                rm__cpu_relax();
            else
                sched_yield();
        }
    }
}

static inline void rm__spin_unlock(_Atomic uint32_t *l)
{
    atomic_store_explicit(l, 0, memory_order_release);
}

/* Sleeps while *addr == val, at most timeout_ns (negative: no limit). */
static inline void rm__futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t timeout_ns)
{
    struct timespec ts, *tp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000;
        ts.tv_nsec = timeout_ns % 1000000000;
        tp = &ts;
    }
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, val, tp, NULL, 0);
}

static inline void rm__futex_wake(_Atomic uint32_t *addr, int n)
{
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

/* Monotonic time in nanoseconds. */
static inline uint64_t rm__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The deadline of a timeout in ms (negative: none, UINT64_MAX). */
static inline uint64_t rm__deadline(int timeout_ms)
{
    return timeout_ms < 0 ? UINT64_MAX : rm__now_ns() + (uint64_t)timeout_ms * 1000000u;
}

#endif
