/*
 * proc.h - the process layer: the process record, its lifecycle as named
 * states with the transitions between them (all in proc.c), the pid and
 * name tables, delivery of messages, and the wait for processes to leave
 * their callbacks.
 *
 * The lifecycle (proc.c has the state x event table):
 *
 *   RUNNABLE   takes messages: idle, or on the run queue with some
 *   RUNNING    a worker is inside (or between) its callbacks
 *   SUSP_USER  suspended by rm_proc_suspend
 *   SUSP_TXN   suspended by the open upgrade transaction
 *   PINNED     held between callbacks by a control operation
 *   WAITING    suspended with a state changed down to a version that is
 *              not loaded yet: it waits for that version
 *   EXITING    terminating: leaving the tables, failing its calls
 *   DEAD       gone; the record lives on while references remain
 *
 * Holds (user, transaction, pin) add up: a process is suspended while any
 * hold remains, and the named state reports the strongest. A process that
 * must stay on its code when its module's current code changes (suspended
 * at a load, it waits for a change_code) is marked as keeping its code;
 * that mark is orthogonal to the states above.
 */
#ifndef RELMAN_PROC_H
#define RELMAN_PROC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "code.h"
#include "mbox.h"
#include "sched-int.h"

enum rm__proc_state {
    RM__PROC_RUNNABLE,
    RM__PROC_RUNNING,
    RM__PROC_SUSP_USER,
    RM__PROC_SUSP_TXN,
    RM__PROC_PINNED,
    RM__PROC_WAITING,
    RM__PROC_EXITING,
    RM__PROC_DEAD,
    RM__PROC_NSTATES
};

/* Why a process is held between callbacks. */
enum rm__proc_hold {
    RM__PROC_HOLD_USER = 1, /* rm_proc_suspend: strict, refused when held already */
    RM__PROC_HOLD_TXN = 2,  /* the upgrade transaction */
    RM__PROC_HOLD_PIN = 4   /* a control operation, for its duration */
};

/* What only named or restartable processes need. */
struct rm__proc_rel; /* defined by the relations layer (rel.h) */

struct rm__proc_ext {
    char *name; /* registered name or NULL */
    char *arg;  /* init argument or NULL */
    enum rm_restart restart;
    unsigned max_restarts, max_seconds;
    unsigned nhist;  /* restarts recorded in hist */
    uint64_t hist[]; /* times of the latest max_restarts restarts */
};

/* A process: 104 bytes plus its state and messages; what a message
   touches comes first. `st` is private to proc.c: read it through the
   functions below. */
struct rm_proc {
    _Atomic uint32_t st;
    _Atomic uint32_t refs; /* the table, the run queue, each control holder */
    struct rm__mbox mbox;  /* its lock also guards the run state */
    struct rm__sched_link rq;
    void *state;
    struct rm_code *code;
    rm_pid pid;
    /* second line: what messages do not need */
    struct rm_module *module;
    struct rm__proc_ext *ext;
    /* the version its state was changed down to by a change_code by hand
       before that version was loaded, or NULL (written under code_lock) */
    char *down_vsn;
    /* gen of the code whose init or code_change built its state (a move
       without code change keeps it): tells an aborted upgrade which
       processes it moved and which started on its code */
    uint64_t state_gen;
    /* its links, monitors and descriptors: the relations layer's (rel.h),
       under that layer's lock; NULL while there are none */
    struct rm__proc_rel *rel;
};

/* ---- pid and name tables ---------------------------------------------- */

/* A slot of a table: NULL (never used), RM__PROC_SLOT_DEAD (a deleted
   entry) or a live process. Scans of the slots must skip the first two. */
#define RM__PROC_SLOT_DEAD    ((struct rm_proc *)1)
#define RM__PROC_SLOT_LIVE(p) ((uintptr_t)(p) > 1)

/* Open addressing, linear probing, tombstones; slots hold process
   pointers, the key is p->pid. */
struct rm__proc_ptable {
    struct rm_proc **slots;
    size_t cap, n, ndead;
};
int rm__proc_ptable_reserve(struct rm__proc_ptable *t, size_t more);
void rm__proc_ptable_put(struct rm__proc_ptable *t, struct rm_proc *p); /* after reserve */
struct rm_proc *rm__proc_ptable_get(const struct rm__proc_ptable *t, rm_pid pid);
void rm__proc_ptable_del(struct rm__proc_ptable *t, rm_pid pid);
void rm__proc_ptable_free(struct rm__proc_ptable *t);

/* The same, keyed by the registered name (p->ext->name). */
struct rm__proc_ntable {
    struct rm_proc **slots;
    size_t cap, n, ndead;
};
int rm__proc_ntable_reserve(struct rm__proc_ntable *t, size_t more);
void rm__proc_ntable_put(struct rm__proc_ntable *t, struct rm_proc *p);
struct rm_proc *rm__proc_ntable_get(const struct rm__proc_ntable *t, const char *name);
void rm__proc_ntable_del(struct rm__proc_ntable *t, const char *name);
void rm__proc_ntable_free(struct rm__proc_ntable *t);

struct rm__proc_node {
    struct rm__code_node code;
    pthread_rwlock_t tab_lock;
    struct rm__proc_ptable pids;
    struct rm__proc_ntable names;
    rm_pid next_pid;
    /* waits for processes to leave their callbacks */
    pthread_mutex_t susp_lock;
    pthread_cond_t susp_cv;
    _Atomic uint32_t susp_waiters;
    _Atomic uint32_t nuser_susp; /* processes held by rm_proc_suspend */
};

static inline struct rm__proc_node *rm__proc_of(struct rm_node *node)
{
    return (struct rm__proc_node *)node;
}

/* 0, or -1 with RM_ENOMEM. */
int rm__proc_init(struct rm_node *node, struct rm_error *err);
void rm__proc_free(struct rm_node *node);

/* ---- the lifecycle: states and transitions ---------------------------- */

/* The named state of p at this moment. */
enum rm__proc_state rm__proc_state(struct rm_proc *p);

bool rm__proc_dead(struct rm_proc *p);
/* Held by anything (user, transaction, pin). */
bool rm__proc_suspended(struct rm_proc *p);
/* Held for `why` (among others, maybe). */
bool rm__proc_held(struct rm_proc *p, enum rm__proc_hold why);
/* Inside a callback, or between two on its worker, and not dead. */
bool rm__proc_busy(struct rm_proc *p);
/* Read on every message, so inline: the one bit of the state word known
   outside proc.c (a mark, not a state). */
#define RM__PROC_TRACE_BIT (1u << 9)
static inline bool rm__proc_tracing(struct rm_proc *p)
{
    return atomic_load_explicit(&p->st, memory_order_relaxed) & RM__PROC_TRACE_BIT;
}
void rm__proc_set_trace(struct rm_proc *p, bool on);
/* Whether p stays on its code when the module's current code changes. */
bool rm__proc_keeps(struct rm_proc *p);
void rm__proc_set_keep(struct rm_proc *p, bool on);
/* Whether the open transaction changed p's state. */
bool rm__proc_migrated(struct rm_proc *p);
void rm__proc_set_migrated(struct rm_proc *p, bool on);

/* A new process (refs 1, RUNNABLE), not in the tables yet. */
void rm__proc_born(struct rm_proc *p);

/* Event "message": appends m to p's mailbox and schedules p when it is
   runnable. -1 (m not taken) when p is dead. */
int rm__proc_post(struct rm_node *node, struct rm_proc *p, struct rm_msg *m);
/* Fills err with "no process '<N>'" (RM_ENOENT, extended RM_XNO_PROCESS,
   about pid: rm_error_about). Returns -1. */
int rm__proc_no_such(struct rm_error *err, rm_pid pid);

/* The same to a pid (tab_lock read inside); -1 when no process. */
int rm__proc_deliver(struct rm_node *node, rm_pid pid, struct rm_msg *m);

/* Events of a worker, from the run queue's entry: "run" (RUNNABLE to
   RUNNING), then "next" for each message (NULL when p is held, dead or
   has none: the batch ends), then "yield" (the batch is over: back to the
   run queue when more messages wait and nothing holds p, else off it; a
   holder waiting for p to leave its callbacks is told). After "yield" the
   worker no longer owns the run queue's reference. */
static inline struct rm_proc *rm__proc_of_link(struct rm__sched_link *l)
{
    return (struct rm_proc *)((char *)l - offsetof(struct rm_proc, rq));
}
void rm__proc_run(struct rm_proc *p);
struct rm_msg *rm__proc_next(struct rm_node *node, struct rm_proc *p);
void rm__proc_yield(struct rm_node *node, struct rm_proc *p);

/* Event "hold": puts a hold on p. Returns 1 when p was free and is held
   now (and *busy tells whether a worker is inside it: wait for it), 0
   when p was held already and this hold joins (pin), or -1 when refused:
   p is dead, or `why` cannot join the holds it has (user: any hold;
   transaction: a transaction hold, a pin, or a state waiting for a
   version; a user hold is joined, as the process is between callbacks).
   A joined hold must be dropped like a new one. */
int rm__proc_hold(struct rm_node *node, struct rm_proc *p, enum rm__proc_hold why, bool *busy);
/* Event "release": the one resume path. Drops the holds in `why` (and,
   with them, the marks in `also`: keep, migrated); when no hold remains p
   becomes runnable: it follows its module's current code again if it is
   on it, and is scheduled when messages wait. */
#define RM__PROC_ALSO_KEEP     1u
#define RM__PROC_ALSO_MIGRATED 2u
void rm__proc_release(struct rm_node *node, struct rm_proc *p, unsigned why, unsigned also);
/* Waits until no process of v[0..n-1] is inside a callback or the deadline
   passes; compacts v to the ones still busy and returns how many are left. */
size_t rm__proc_wait_idle(struct rm_node *node, struct rm_proc **v, size_t n, uint64_t deadline);
/* Waits until p (referenced) is dead or the deadline passes (UINT64_MAX:
   none); whether it is dead. */
bool rm__proc_wait_dead(struct rm_node *node, struct rm_proc *p, uint64_t deadline);

/* Event "exit", first half: p leaves the tables (EXITING); no message can
   reach it from then on. */
void rm__proc_unregister(struct rm_node *node, struct rm_proc *p);
/* Event "exit", second half: p is DEAD; returns the messages it had
   queued (the caller fails their calls and frees them) and tells waiters. */
struct rm_msg *rm__proc_die(struct rm_node *node, struct rm_proc *p);

/* Moves p (held, or on its worker) to its module's current code and
   clears its keep mark; a process whose state was changed down
   (down_vsn) moves only onto that version, and down_vsn is then cleared. */
void rm__proc_to_current(struct rm_node *node, struct rm_proc *p);
/* Before a message: moves p to the current code unless it keeps its own. */
static inline void rm__proc_follow(struct rm_node *node, struct rm_proc *p)
{
    struct rm_code *cur = atomic_load_explicit(&p->module->current, memory_order_acquire);
    if (cur && cur != p->code && !rm__proc_keeps(p))
        rm__proc_to_current(node, p);
}

/* ---- references and lookups ------------------------------------------- */

/* Finds a live process and takes a reference on it; NULL with RM_ENOENT. */
struct rm_proc *rm__proc_get(struct rm_node *node, rm_pid pid, struct rm_error *err);
/* Takes one more reference on a process already referenced or in a table. */
static inline void rm__proc_ref(struct rm_proc *p)
{
    atomic_fetch_add(&p->refs, 1);
}
/* Drops a reference. */
void rm__proc_put(struct rm_proc *p);
/* Resolves "name" or "<N>" (tab_lock read held by the caller or not). */
rm_pid rm__proc_resolve_locked(struct rm_node *node, const char *name);
rm_pid rm__proc_resolve(struct rm_node *node, const char *name);
/* Writes the display name of a process ("name" or "<N>") into buf. */
void rm__proc_label(struct rm_node *node, rm_pid pid, char *buf, size_t size);
/* Writes "name" or "<N>" for a process whose pointer is held. */
void rm__proc_label_of(struct rm_proc *p, char *buf, size_t size);
/* Iterates live processes (tab_lock read held); fn returns nonzero to stop. */
void rm__proc_foreach(struct rm_node *node, int (*fn)(struct rm_proc *p, void *ud), void *ud);
/* Collects referenced live processes matching pred into a new array. */
int rm__proc_collect(struct rm_node *node, bool (*pred)(struct rm_proc *p, void *ud), void *ud,
                     struct rm_proc ***out, size_t *n, struct rm_error *err);
void rm__proc_release_all(struct rm_proc **procs, size_t n);

#endif
