/*
 * sup.h - the supervisor layer: OTP's supervisor as a process of the
 * module "supervisor", built into the node (sup.c), and the table of
 * supervisor specs it starts from (what rm_sup_define records).
 *
 * A supervisor runs like any process: its callbacks run on a worker, one
 * message at a time. It traps exits, so its children's exits arrive as
 * EXIT events; stopping a child is an exit signal ("shutdown", or "killed"
 * for brutal_kill) followed by a wait for the child's death bounded by its
 * shutdown (the worker steps aside for the wait, as for a call).
 */
#ifndef RELMAN_SUP_H
#define RELMAN_SUP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "life.h"

/* The built-in module's name. */
#define RM__SUP_MODULE "supervisor"
/* After a kill, how long a supervisor waits for the child to go before it
   logs the child as stuck and goes on (a child suspended by an upgrade
   takes its kill only when resumed). */
#define RM__SUP_KILL_MS 5000
/* How long rm_sup_children and rm_sup_change wait for the supervisor. */
#define RM__SUP_CALL_MS 5000

struct rm__sup_def; /* one recorded spec (sup.c) */

struct rm__sup_node {
    struct rm__config_node config;
    pthread_mutex_t sup_lock; /* a leaf: the specs and the hook */
    struct rm__sup_def *defs;
    rm_sup_exit_fn hook;
    void *hook_ud;
    _Atomic bool stopping; /* the node is being freed: no restarts, no hook */
};

static inline struct rm__sup_node *rm__sup_of(struct rm_node *node)
{
    return (struct rm__sup_node *)node;
}

/* ---- specs (sup-spec.c) ----------------------------------------------- */

/* A spec with its own copies of every string; children[] is spec.children. */
struct rm__sup_copy {
    struct rm_sup_spec spec;
    struct rm_sup_child *children;
};

/* Copies supervisor `name`'s recorded spec into *out (clear it with
   rm__sup_copy_clear). 0, or -1 with err (RM_ENOENT: not defined). */
int rm__sup_lookup(struct rm_node *node, const char *name, struct rm__sup_copy *out,
                   struct rm_error *err);
void rm__sup_copy_clear(struct rm__sup_copy *c);
/* Copies a child spec (with init argument `arg` instead of src->arg when
   not NULL). 0, or -1 when out of memory (dst zeroed). */
int rm__sup_child_copy(struct rm_sup_child *dst, const struct rm_sup_child *src, const char *arg);
void rm__sup_child_clear(struct rm_sup_child *c);
/* Calls the exit hook, unless the node is stopping. */
void rm__sup_report(struct rm_node *node, const char *sup, const char *app, const char *reason);
bool rm__sup_is_stopping(struct rm_node *node);

/* ---- the supervisor (sup.c) -------------------------------------------- */

/* Registers the built-in module and sets up the table (node creation).
   0, or -1 with RM_ENOMEM. */
int rm__sup_init(struct rm_node *node, struct rm_error *err);
/* From now on supervisors neither restart nor report (node teardown). */
void rm__sup_stopping(struct rm_node *node);
/* Frees the table (no process left). */
void rm__sup_free(struct rm_node *node);

#endif
