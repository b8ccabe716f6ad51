/*
 * rt-internal.h - the runtime's private types and cross-file functions.
 *
 * Locks, outermost first (never taken in another order):
 *   node->sys_lock   serialises control operations (suspend, load, txn ...)
 *   node->code_lock  the module table and the lifetime of code versions
 *   node->tab_lock   the pid and name tables (read: lookups and sends)
 *   proc->mlock      one process's mailbox and scheduling flags (spinlock)
 *   node->rq_lock    the run queue and the job queue
 * The call table's shard locks and the timer lock are leaves.
 */
#ifndef RELMAN_RT_INTERNAL_H
#define RELMAN_RT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relman/runtime.h"
#include "rt-sync.h"

struct rm_proc;

/* ---- messages --------------------------------------------------------- */

enum rm__msg_kind { RM__MSG_CALL = 0, RM__MSG_CAST = 1, RM__MSG_INFO = 2 };

/* One message in a mailbox: payload inline, NUL-terminated. */
struct rm_msg {
    struct rm_msg *next;
    rm_from from;  /* the call's token (calls only) */
    rm_pid sender; /* calling process; 0 for a client outside the node */
    size_t len;
    uint8_t kind;
    char data[];
};

/* Allocates a message holding a copy of data; NULL when out of memory. */
struct rm_msg *rm__msg_new(int kind, const void *data, size_t len);

/* ---- module versions -------------------------------------------------- */

/* One loaded version of a module (one dlopen handle). */
struct rm_code {
    _Atomic uint32_t refs;   /* table slots + processes + transient holders */
    _Atomic uint32_t nprocs; /* processes whose code this is */
    void *dl;
    const struct rm_module_desc *desc;
    struct rm_module *module; /* NULL until attached to the table */
    char *path;               /* canonical path */
    uint64_t gen;             /* unique in the node: which code built a state */
};

/* A module: its current and old versions. Never freed before the node. */
struct rm_module {
    struct rm_module *next;
    char name[RM_NAME_MAX + 1];
    struct rm_code *_Atomic current;
    struct rm_code *old;
};

/* Takes a reference on a code version (caller keeps it reachable). */
void rm__code_ref(struct rm_code *code);
/* Drops a reference; the last one closes the object. Takes code_lock
   unless `locked` says the caller holds it. */
void rm__code_unref(struct rm_node *node, struct rm_code *code, bool locked);
/* Opens and checks `path` without attaching it to a module. */
struct rm_code *rm__code_open(struct rm_node *node, const char *path, const char *expect_name,
                              const char *expect_vsn, struct rm_error *err);
/* Finds a module by name (code_lock held); NULL when unknown. */
struct rm_module *rm__module_find(struct rm_node *node, const char *name);
/* Finds or creates a module entry (code_lock held); NULL when out of memory. */
struct rm_module *rm__module_get(struct rm_node *node, const char *name);
/* Records `path` as loaded (code_lock held). 0 or -1 (out of memory). */
int rm__path_add(struct rm_node *node, const char *path, struct rm_error *err);
/* After a load of m: suspended processes not migrated yet keep their code
   (RM__F_KEEP), the others move to the new code at their next message. */
void rm__mark_keep(struct rm_node *node, struct rm_module *m);
/* Moves a process (pinned or on its worker) to its module's current code,
   clearing RM__F_KEEP; a process whose state was changed down (down_vsn)
   moves only onto that version, and down_vsn is then cleared. */
void rm__proc_to_current(struct rm_node *node, struct rm_proc *p);
/* After a load of m: moves the processes of m whose state was changed down
   to the version now current onto it (sys_lock held). */
void rm__move_downgraded(struct rm_node *node, struct rm_module *m);

/* ---- processes -------------------------------------------------------- */

enum {
    RM__F_QUEUED = 1u << 0,    /* on the run queue or being run by a worker */
    RM__F_SUSPENDED = 1u << 1, /* runs nothing; messages queue */
    RM__F_TRACE = 1u << 2,     /* trace lines for every message */
    RM__F_DEAD = 1u << 3,      /* exited; gone from the tables */
    RM__F_TXN = 1u << 4,       /* suspended by the open transaction */
    RM__F_USER = 1u << 5,      /* suspended by rm_proc_suspend */
    RM__F_RUNNING = 1u << 6,   /* a worker is inside (or between) its callbacks */
    RM__F_KEEP = 1u << 7,      /* stays on its code when the module's current
                                  code changes (it was suspended at the load:
                                  it waits for a change_code) */
    RM__F_MIGRATED = 1u << 8   /* its state was changed by the open transaction */
};

/* What only named or restartable processes need. */
struct rm__ext {
    char *name; /* registered name or NULL */
    char *arg;  /* init argument or NULL */
    enum rm_restart restart;
    unsigned max_restarts, max_seconds;
    unsigned nhist;  /* restarts recorded in hist */
    uint64_t hist[]; /* times of the latest max_restarts restarts */
};

/* A process: 96 bytes plus its state and messages; what a message
   touches comes first. */
struct rm_proc {
    _Atomic uint32_t flags;
    _Atomic uint32_t mlock; /* spinlock: mailbox, QUEUED/SUSPENDED changes */
    uint32_t qlen;
    _Atomic uint32_t refs; /* the table, the run queue, each control holder */
    struct rm_msg *mhead, *mtail;
    struct rm_proc *rq_next;
    void *state;
    struct rm_code *code;
    rm_pid pid;
    /* second line: what messages do not need */
    struct rm_module *module;
    struct rm__ext *ext;
    /* the version its state was changed down to by a change_code by hand
       before that version was loaded, or NULL (written under code_lock) */
    char *down_vsn;
    /* gen of the code whose init or code_change built its state (a move
       without code change keeps it): tells an aborted upgrade which
       processes it moved and which started on its code */
    uint64_t state_gen;
};

/* Finds a live process and takes a reference on it; NULL with RM_ENOENT. */
struct rm_proc *rm__proc_get(struct rm_node *node, rm_pid pid, struct rm_error *err);
/* Drops a reference taken by rm__proc_get. */
void rm__proc_put(struct rm_proc *p);
/* Delivers a message to `pid` (tab_lock read inside); -1 when no process. */
int rm__deliver(struct rm_node *node, rm_pid pid, struct rm_msg *m);
/* Resolves "name" or "<N>" (tab_lock read held by the caller or not). */
rm_pid rm__resolve_locked(struct rm_node *node, const char *name);
rm_pid rm__resolve(struct rm_node *node, const char *name);
/* Writes the display name of a process ("name" or "<N>") into buf. */
void rm__proc_label(struct rm_node *node, rm_pid pid, char *buf, size_t size);
/* Ends a pinned process or one on its worker: terminate, free the state,
   leave the tables, fail the call being handled (`current`, 0 for none) and
   the queued ones, then restart it when `may_restart` and its policy say
   so. Callers learn of the exit only once the process is gone from the
   tables. The proc memory is released with its last ref. */
void rm__proc_exit(struct rm_node *node, struct rm_proc *p, const char *reason, bool may_restart,
                   rm_from current);
/* Schedules p if it has messages and is neither queued nor suspended
   (mlock held): sets QUEUED and takes the run queue's reference on p.
   Returns true when the caller must push it to the run queue. */
bool rm__proc_want_run(struct rm_proc *p);
/* Calls the module's free_state (or free) on a state of `code`. */
void rm__state_free(struct rm_code *code, void *state);
/* Snapshot helpers for rm_proc_list: iterate live processes (tab_lock read
   held); the callback returns nonzero to stop. */
void rm__proc_foreach(struct rm_node *node, int (*fn)(struct rm_proc *p, void *ud), void *ud);

/* ---- pid and name tables ---------------------------------------------- */

/* A slot of a table: NULL (never used), RM__SLOT_DEAD (a deleted entry)
   or a live process. Scans of the slots must skip the first two. */
#define RM__SLOT_DEAD    ((struct rm_proc *)1)
#define RM__SLOT_LIVE(p) ((uintptr_t)(p) > 1)

/* Open addressing, linear probing, tombstones; slots hold process
   pointers, the key is p->pid. */
struct rm__ptable {
    struct rm_proc **slots;
    size_t cap, n, ndead;
};
int rm__ptable_reserve(struct rm__ptable *t, size_t more);
void rm__ptable_put(struct rm__ptable *t, struct rm_proc *p); /* after reserve */
struct rm_proc *rm__ptable_get(const struct rm__ptable *t, rm_pid pid);
void rm__ptable_del(struct rm__ptable *t, rm_pid pid);
void rm__ptable_free(struct rm__ptable *t);

/* The same, keyed by the registered name (p->ext->name). */
struct rm__ntable {
    struct rm_proc **slots;
    size_t cap, n, ndead;
};
int rm__ntable_reserve(struct rm__ntable *t, size_t more);
void rm__ntable_put(struct rm__ntable *t, struct rm_proc *p);
struct rm_proc *rm__ntable_get(const struct rm__ntable *t, const char *name);
void rm__ntable_del(struct rm__ntable *t, const char *name);
void rm__ntable_free(struct rm__ntable *t);

/* ---- calls ------------------------------------------------------------ */

/* A caller waiting for an answer; lives on the caller's stack. */
struct rm__waiter {
    struct rm__waiter *next;
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
    struct rm__waiter *head;
} __attribute__((aligned(64)));

/* Registers w under a new token (w->id). */
void rm__call_register(struct rm_node *node, struct rm__waiter *w);
/* Answers the call `from` with data (status 0) or with an exit error.
   Returns 0, or -1 when no one waits for that token any more. The caller's
   pid goes to *to when not NULL. */
int rm__call_complete(struct rm_node *node, rm_from from, const void *data, size_t len, int status,
                      const char *reason, rm_pid *to);
/* Waits for the answer until `deadline` (rm__now_ns clock); on timeout the
   waiter is withdrawn and -1 is returned. */
int rm__call_wait(struct rm_node *node, struct rm__waiter *w, uint64_t deadline);
/* The whole call: message to pid, wait, reply buffer. `sender` is the
   calling process (0 outside). Errors as rm_proc_call documents. */
int rm__call(struct rm_node *node, rm_pid sender, rm_pid pid, const void *msg, size_t len,
             int timeout_ms, char **reply, size_t *reply_len, struct rm_error *err);

/* ---- timers ----------------------------------------------------------- */

struct rm__timer;
struct rm__timers {
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
int rm__timers_start(struct rm_node *node, struct rm_error *err);
void rm__timers_stop(struct rm_node *node);
rm_tref rm__timer_add(struct rm_node *node, rm_pid to, uint32_t ms, const void *data, size_t len);
int rm__timer_cancel(struct rm_node *node, rm_pid owner, rm_tref tref);

/* ---- scheduler -------------------------------------------------------- */

/* A piece of work for the pool (parallel code change and the like). */
struct rm__job {
    struct rm__job *next;
    void (*fn)(void *arg);
    void *arg;
};

/* Pushes a process (QUEUED already set by the caller) to the run queue. */
void rm__runq_push(struct rm_node *node, struct rm_proc *p);
/* Runs fn(arg) on every worker and on the calling thread, and returns when
   all have returned; fn shares the work out itself (an atomic index). */
void rm__parallel(struct rm_node *node, void (*fn)(void *arg), void *arg);
/* Around a blocking wait on a worker thread: lets a spare thread take over
   so that the node keeps running (a no-op on other threads). */
void rm__worker_block(struct rm_node *node);
void rm__worker_unblock(struct rm_node *node);
/* Wakes threads waiting for processes to leave their callbacks. */
void rm__notify_suspend(struct rm_node *node);

/* ---- callbacks -------------------------------------------------------- */

/* The host side of a callback's context. */
struct rm__ctx {
    struct rm_ctx pub;
    struct rm_node *node;
    struct rm_proc *proc;
    rm_pid self_pid;
    rm_from caller;
    rm_pid caller_pid;
    bool failed;
    bool tracing;
    char *trace_reply; /* the answer to `caller`, kept for the trace line */
    size_t trace_reply_len;
    char reason[256];
    char self[RM_NAME_MAX + 24];
};

/* Prepares a context for running a callback of process p. */
void rm__ctx_init(struct rm__ctx *c, struct rm_node *node, struct rm_proc *p);
void rm__ctx_done(struct rm__ctx *c);
/* The reason of a failed callback: the one given with rm_fail() or
   "callback failed". */
const char *rm__ctx_reason(const struct rm__ctx *c);
/* Handles one message on a worker. Returns the callback's result. */
int rm__dispatch(struct rm_node *node, struct rm_proc *p, struct rm_msg *m, struct rm__ctx *c);
/* Writes a printable, escaped copy of data (at most size bytes). */
void rm__printable(const void *data, size_t len, char *buf, size_t size);
/* Logs one line through the node's sink. */
void rm__log(struct rm_node *node, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- control ---------------------------------------------------------- */

/* Suspends, waiting at most timeout_ms for each of procs[0..n-1] to leave
   its callback; `flag` (RM__F_USER, RM__F_TXN or 0 for a pin) is set with
   RM__F_SUSPENDED. Processes already suspended are refused when `strict`,
   else skipped; mine[i] (when not NULL) tells which ones this call
   suspended. On timeout everything this call suspended is resumed and -1
   returned naming the process. sys_lock held. */
int rm__suspend(struct rm_node *node, struct rm_proc **procs, size_t n, uint32_t flag, bool strict,
                int timeout_ms, bool *mine, struct rm_error *err);
/* Waits until no process of v[0..n-1] is inside a callback or the deadline
   passes; compacts v to the ones still busy and returns how many are left. */
size_t rm__wait_idle(struct rm_node *node, struct rm_proc **v, size_t n, uint64_t deadline);
/* Resumes one process: clears SUSPENDED and the given flags, schedules it. */
void rm__resume_one(struct rm_node *node, struct rm_proc *p, uint32_t flags);
/* How long an operation that pins processes (stop, format_state, purge)
   waits for them to leave their callbacks. */
#define RM__PIN_MS 5000
/* Pins a process between callbacks (suspends it when not suspended),
   waiting at most timeout_ms (negative: forever); *resume tells whether
   unpinning must resume it. On timeout nothing stays changed and -1 is
   returned with RM_ETIMEOUT: "<what> '<label>': still in a callback after
   N ms". A dead process is "pinned" at once. sys_lock held. */
int rm__pin(struct rm_node *node, struct rm_proc *p, int timeout_ms, const char *what, bool *resume,
            struct rm_error *err);
void rm__unpin(struct rm_node *node, struct rm_proc *p, bool resume);
/* Moves every process of `module` that runs `code` to the current code,
   pinning each between callbacks (sys_lock held); those whose state_gen is
   `keep_gen` (when not 0) stay, marked RM__F_KEEP. Returns how many
   stayed. */
size_t rm__move_all(struct rm_node *node, struct rm_module *m, struct rm_code *code,
                    uint64_t keep_gen);
/* Collects referenced live processes matching pred into a new array. */
int rm__collect(struct rm_node *node, bool (*pred)(struct rm_proc *p, void *ud), void *ud,
                struct rm_proc ***out, size_t *n, struct rm_error *err);
void rm__release_all(struct rm_proc **procs, size_t n);

/* Whether the open transaction has loaded or prepared code of m. */
bool rm__txn_touches(struct rm_txn *txn, struct rm_module *m);
/* Runs code_change of `in` for p (pinned) into *new_state. On failure
   returns -1 with the module's reason in `reason`. A module without
   code_change keeps the state: *new_state is then p->state itself. */
int rm__code_change_run(struct rm_node *node, struct rm_proc *p, struct rm_code *in,
                        enum rm_direction dir, const char *vsn, const char *extra, void **new_state,
                        char *reason, size_t rsize);
/* Writes "name" or "<N>" for a process whose pointer is held. */
void rm__label_of(struct rm_proc *p, char *buf, size_t size);

/* ---- the node --------------------------------------------------------- */

struct rm__thread {
    struct rm__thread *next;
    pthread_t tid;
};

struct rm_node {
    unsigned nworkers;
    rm_log_fn log;
    void *log_ud;

    /* run queue, jobs and idle workers; `handoff` passes one process to
       the spinning worker without the queue's lock */
    struct rm_proc *_Atomic handoff __attribute__((aligned(64)));
    pthread_mutex_t rq_lock;
    struct rm_proc *rq_head, *rq_tail;
    struct rm__job *job_head, *job_tail;
    _Atomic uint32_t rq_seq; /* bumped before a wake; idle workers sleep on it */
    _Atomic uint32_t rq_nonempty;
    _Atomic uint32_t idle;     /* workers asleep on rq_seq */
    _Atomic uint32_t spinning; /* workers spinning for work (at most one) */
    _Atomic int searching;     /* workers awake and about to look at the queue */
    _Atomic uint32_t stopping;

    /* the pool: `running` threads take work; blocked ones are replaced */
    pthread_mutex_t pool_lock;
    struct rm__thread *threads;
    unsigned nthreads;
    _Atomic int running;
    pthread_cond_t park_cv;
    unsigned parked;      /* threads parked on park_cv */
    unsigned park_tokens; /* wake-ups granted to parked threads */
    unsigned pending;     /* woken or new threads not yet counted in running */

    /* processes */
    pthread_rwlock_t tab_lock;
    struct rm__ptable pids;
    struct rm__ntable names;
    rm_pid next_pid;

    /* calls */
    struct rm__call_shard shards[RM__CALL_SHARDS];
    _Atomic uint64_t next_from;

    /* modules */
    pthread_mutex_t code_lock;
    struct rm_module *modules;
    _Atomic uint64_t next_gen; /* last rm_code.gen given */
    char **paths;              /* canonical paths loaded in this node */
    size_t npaths, cappaths;

    /* control */
    pthread_mutex_t sys_lock;
    pthread_mutex_t susp_lock;
    pthread_cond_t susp_cv;
    _Atomic uint32_t susp_waiters;
    struct rm_txn *txn;
    _Atomic uint32_t nuser_susp; /* processes suspended by rm_proc_suspend */

    struct rm__timers timers;
};

#endif
