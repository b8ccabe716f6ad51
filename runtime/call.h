/*
 * call.h - the call layer: callers waiting for answers (a sharded table
 * of waiters under fresh tokens) and the whole synchronous call.
 */
#ifndef RELMAN_CALL_H
#define RELMAN_CALL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "proc.h"

/* A caller waiting for an answer; lives on the caller's stack. */
struct rm__call_waiter {
    struct rm__call_waiter *next;
    rm_from id;
    _Atomic uint32_t state; /* 0 waiting, 1 asleep on the futex, 2 answered */
    int status;             /* 0 answered, or RM_ESTATE: the process exited */
    rm_pid sender;          /* the calling process, 0 outside the node */
    char *reply;            /* a long answer, allocated by the answering thread */
    size_t len;
    char small[48];   /* a short answer, copied in place (reply NULL) */
    char reason[128]; /* the exit reason when status != 0 */
};

#define RM__CALL_SHARDS 64
struct rm__call_shard {
    _Atomic uint32_t lock;
    struct rm__call_waiter *head;
} __attribute__((aligned(64)));

struct rm__call_node {
    struct rm__proc_node proc;
    struct rm__call_shard shards[RM__CALL_SHARDS];
    _Atomic uint64_t next_from;
};

static inline struct rm__call_node *rm__call_of(struct rm_node *node)
{
    return (struct rm__call_node *)node;
}

/* Registers w under a new token (w->id). */
void rm__call_register(struct rm_node *node, struct rm__call_waiter *w);
/* Answers the call `from` with data (status 0) or with an exit error.
   Returns 0, or -1 when no one waits for that token any more. The caller's
   pid goes to *to when not NULL. */
int rm__call_complete(struct rm_node *node, rm_from from, const void *data, size_t len, int status,
                      const char *reason, rm_pid *to);
/* Waits for the answer until `deadline` (rm__rt_now_ns clock); on timeout
   the waiter is withdrawn and -1 is returned. */
int rm__call_wait(struct rm_node *node, struct rm__call_waiter *w, uint64_t deadline);
/* The whole call: message to pid, wait, reply buffer. `sender` is the
   calling process (0 outside). Errors as rm_proc_call documents. */
int rm__call_call(struct rm_node *node, rm_pid sender, rm_pid pid, const void *msg, size_t len,
                  int timeout_ms, char **reply, size_t *reply_len, struct rm_error *err);

#endif
