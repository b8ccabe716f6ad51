/*
 * life.h - the life layer: what happens to a process around its callbacks
 * (spawn and init, the worker's batch of messages, terminate, exit and
 * restart). The transitions themselves are the process layer's.
 */
#ifndef RELMAN_LIFE_H
#define RELMAN_LIFE_H

#include "host.h"

/* The scheduler's run hook: runs a batch of messages of the process whose
   run queue link is l, then puts it back on the run queue or takes it off
   (the run queue's reference goes with it). */
void rm__life_run(struct rm_node *node, struct rm__sched_link *l);
/* Starts a process for a module's rm_spawn (the relations layer's spawn
   hook): init runs on this thread; with spec->link it is linked to parent
   before it can run. 0 with *pid, or -1 with err. */
int rm__life_spawn(struct rm_node *node, struct rm_proc *parent, const struct rm_spawn_spec *spec,
                   rm_pid *pid, struct rm_error *err);
/* Ends a pinned process or one on its worker: terminate, free the state,
   leave the tables, fail the call being handled (`current`, 0 for none) and
   the queued ones, then restart it when `may_restart` and its policy say
   so. Callers learn of the exit only once the process is gone from the
   tables. The proc memory is released with its last ref. */
void rm__life_exit(struct rm_node *node, struct rm_proc *p, const char *reason, bool may_restart,
                   rm_from current);

#endif
