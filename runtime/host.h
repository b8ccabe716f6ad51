/*
 * host.h - the host layer: the context a callback runs with, the module
 * API's implementation behind it, and the handling of one message on a
 * worker.
 */
#ifndef RELMAN_HOST_H
#define RELMAN_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "relman/module.h"
#include "config.h"

/* The host side of a callback's context. */
struct rm__host_ctx {
    struct rm_ctx pub;
    struct rm_node *node;
    struct rm_proc *proc;
    rm_pid self_pid;
    rm_from caller;
    rm_pid caller_pid;
    bool failed;
    bool tracing;
    char *trace_reply; /* the answer to `caller`, kept for the trace line */
    struct rm__config_snap *cfg; /* the configuration read, until the callback returns */
    size_t trace_reply_len;
    char reason[256];
    char self[RM_NAME_MAX + 24];
};

/* The request rm_supervisor_start_child sends a supervisor (the init
   argument follows), and how long it waits for the answer: "ok <label>"
   or "error <reason>". */
#define RM__HOST_START_CHILD    "\001start_child "
#define RM__HOST_START_CHILD_MS 5000

/* Prepares a context for running a callback of process p. */
void rm__host_ctx_init(struct rm__host_ctx *c, struct rm_node *node, struct rm_proc *p);
void rm__host_ctx_done(struct rm__host_ctx *c);
/* The reason of a failed callback: the one given with rm_fail() or
   "callback failed". */
const char *rm__host_ctx_reason(const struct rm__host_ctx *c);
/* Handles one message m (freed here) of p on a worker: moves p to its
   module's current code first unless it keeps its own. Returns 0 when p
   goes on, or 1 when its callback ended it: the exit reason is then in
   reason (size bytes) and the call it left unanswered in *unanswered (0
   for none); the caller ends the process. */
int rm__host_dispatch(struct rm_node *node, struct rm_proc *p, struct rm_msg *m,
                      struct rm__host_ctx *c, char *reason, size_t size, rm_from *unanswered);
/* Writes a printable, escaped copy of data (at most size bytes). */
void rm__host_printable(const void *data, size_t len, char *buf, size_t size);

#endif
