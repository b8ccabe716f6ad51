/*
 * call.c - synchronous calls: the table of waiting callers and the wait.
 *
 * A caller registers a waiter (on its own stack) under a fresh token, sends
 * the message and spins briefly before sleeping on a futex. Whoever answers
 * (the callee's rm_reply_to, or the exit of the callee failing its queued
 * calls) removes the waiter from the table under its shard lock first, so
 * a caller that times out and finds its waiter gone knows an answer is on
 * its way and waits for it; a stale token finds nothing and is refused.
 */
#include <stdlib.h>
#include <string.h>

#include "call.h"

/* A caller spins this long for its answer, then yields the CPU between
   checks for as long again (the callee's worker may need this core), and
   only then sleeps on the futex. */
#define RM__CALL_SPIN_NS  3000
#define RM__CALL_YIELD_NS 30000

static struct rm__call_shard *shard_of(struct rm_node *node, rm_from id)
{
    return &rm__call_of(node)->shards[id & (RM__CALL_SHARDS - 1)];
}

void rm__call_register(struct rm_node *node, struct rm__call_waiter *w)
{
    w->id = atomic_fetch_add(&rm__call_of(node)->next_from, 1);
    atomic_store(&w->state, 0);
    struct rm__call_shard *s = shard_of(node, w->id);
    rm__rt_spin_lock(&s->lock);
    w->next = s->head;
    s->head = w;
    rm__rt_spin_unlock(&s->lock);
}

/* Removes the waiter of `id` from its shard; NULL when absent. */
static struct rm__call_waiter *withdraw(struct rm_node *node, rm_from id)
{
    struct rm__call_shard *s = shard_of(node, id);
    rm__rt_spin_lock(&s->lock);
    struct rm__call_waiter **pp = &s->head, *w;
    while ((w = *pp) && w->id != id)
        pp = &w->next;
    if (w)
        *pp = w->next;
    rm__rt_spin_unlock(&s->lock);
    return w;
}

int rm__call_complete(struct rm_node *node, rm_from from, const void *data, size_t len, int status,
                      const char *reason, rm_pid *to)
{
    if (from == 0)
        return -1;
    struct rm__call_waiter *w = withdraw(node, from);
    if (!w)
        return -1;
    /* The caller waits for state 2 from now on, so w stays valid. A short
       answer goes into the waiter itself: no allocation on this thread to
       be freed on the caller's. */
    char *copy = NULL;
    if (status == 0 && len >= sizeof w->small) {
        copy = malloc(len + 1);
        if (!copy) {
            status = RM_ENOMEM;
            reason = "out of memory for the answer";
        } else {
            memcpy(copy, data, len);
            copy[len] = '\0';
        }
    } else if (status == 0 && len) {
        memcpy(w->small, data, len);
    }
    if (to)
        *to = w->sender;
    w->status = status;
    w->reply = copy;
    w->len = len;
    if (status)
        snprintf(w->reason, sizeof w->reason, "%s", reason ? reason : "");
    if (atomic_exchange(&w->state, 2) == 1)
        rm__rt_futex_wake(&w->state, 1);
    return 0;
}

/* Waits until the waiter is answered or the deadline passes; true when
   answered. */
static bool wait_answer(_Atomic uint32_t *state, uint64_t deadline)
{
    uint64_t start = rm__rt_now_ns();
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(state, memory_order_acquire) == 2)
            return true;
        if ((i & 15) == 0) {
            uint64_t spent = rm__rt_now_ns() - start;
            if (spent > RM__CALL_SPIN_NS + RM__CALL_YIELD_NS || rm__rt_now_ns() >= deadline)
                break;
            if (spent > RM__CALL_SPIN_NS)
                sched_yield();
        }
        rm__rt_cpu_relax();
    }
    for (;;) {
        uint32_t v = 0;
        if (!atomic_compare_exchange_strong(state, &v, 1) && v == 2)
            return true;
        uint64_t now = rm__rt_now_ns();
        if (now >= deadline)
            return atomic_load(state) == 2;
        rm__rt_futex_wait(state, 1, deadline == UINT64_MAX ? -1 : (int64_t)(deadline - now));
        if (atomic_load(state) == 2)
            return true;
        v = 1;
        atomic_compare_exchange_strong(state, &v, 0);
    }
}

int rm__call_wait(struct rm_node *node, struct rm__call_waiter *w, uint64_t deadline)
{
    if (wait_answer(&w->state, deadline))
        return 0;
    if (withdraw(node, w->id))
        return -1;                      /* nobody can answer any more */
    wait_answer(&w->state, UINT64_MAX); /* an answer is being written */
    return 0;
}

/* "<N>" for pid, into buf (RM_NAME_MAX + 24 bytes). */
static const char *plabel(rm_pid pid, char *buf)
{
    return rm_label(NULL, pid, buf, RM_NAME_MAX + 24);
}

int rm__call_call(struct rm_node *node, rm_pid sender, rm_pid pid, const void *msg, size_t len,
                  int timeout_ms, char **reply, size_t *reply_len, struct rm_error *err)
{
    struct rm__call_waiter w;
    w.reply = NULL;
    w.status = 0;
    w.sender = sender;
    struct rm_msg *m = rm__mbox_msg_new(RM__MBOX_CALL, msg, len);
    if (!m)
        return rm_error_nomem(err);
    uint64_t deadline = rm__rt_deadline(timeout_ms);
    rm__call_register(node, &w);
    m->from = w.id;
    m->sender = sender;
    if (rm__proc_deliver(node, pid, m) < 0) {
        withdraw(node, w.id);
        free(m);
        return rm__proc_no_such(err, pid);
    }
    rm__sched_block(node);
    int r = rm__call_wait(node, &w, deadline);
    rm__sched_unblock(node);
    char label[RM_NAME_MAX + 24];
    if (r < 0) {
        rm__proc_label(node, pid, label, sizeof label);
        return rm_error_about(err, RM_ETIMEOUT, RM_XNONE, pid, "call to", label,
                              " timed out after %d ms", timeout_ms);
    }
    if (w.status == RM_ENOMEM)
        return rm_error_about(err, RM_ENOMEM, RM_XNONE, pid, "call to", plabel(pid, label), ": %s",
                              w.reason);
    if (w.status) {
        return rm_error_naming(err, RM_ESTATE, RM_XNONE, pid, "process", plabel(pid, label),
                               " exited before answering: %s", w.reason);
    }
    if (!w.reply) {
        if (!(w.reply = malloc(w.len + 1)))
            return rm_error_nomem(err);
        memcpy(w.reply, w.small, w.len);
        w.reply[w.len] = '\0';
    }
    *reply = w.reply;
    if (reply_len)
        *reply_len = w.len;
    return 0;
}
