/*
 * relman/runtime.h - the node runtime, as a library a C program embeds.
 *
 * A node runs many lightweight processes on a small pool of worker threads
 * (one per core by default; never a thread per process). Each process has
 * private state, a mailbox handled one message at a time in arrival order,
 * and the code of one version of one module (see relman/module.h). Modules
 * keep at most two versions, current and old, as in OTP's code server.
 *
 * Functions that name a process take its pid; rm_proc_resolve() turns a
 * registered name or "<N>" into one. Every fallible function returns 0 (or a
 * pointer) on success and -1 (or NULL) with `err` filled on failure, and
 * changes nothing when it fails. All functions are thread-safe, but must not
 * be called from inside a module callback (use the host API there).
 *
 * docs/runtime.md describes the scheduler, the lifecycle of a process, module
 * versions and transactions, with an example of embedding.
 */
#ifndef RELMAN_RUNTIME_H
#define RELMAN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "relman/config.h"
#include "relman/error.h"
#include "relman/module.h"
#include "relman/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A process identifier, unique for the life of a node; 0 is no process. */
typedef uint64_t rm_pid;

struct rm_node;

/* Receives each line the node logs (trace lines included), without newline. */
typedef void (*rm_log_fn)(void *ud, int level, const char *line);

/* The process a log line is about: its registered name or "<N>", its
   module and the module's version (any may be NULL when not known). */
struct rm_log_about {
    const char *process;
    const char *module;
    const char *version;
};

/* Receives each line as rm_log_fn does, with the process it is about
   (`about` is NULL for a line about no process in particular: a journal
   wants such fields apart from the text). */
typedef void (*rm_log_about_fn)(void *ud, int level, const char *line,
                                const struct rm_log_about *about);

/* How a node is built. Zeroed fields take their defaults. */
struct rm_node_opts {
    unsigned workers;          /* worker threads; 0: one per online core */
    rm_log_fn log;             /* log sink; NULL: lines go to stderr */
    void *log_ud;              /* passed to `log` and `log_about` */
    rm_log_about_fn log_about; /* when not NULL, the sink instead of `log` (a module's own
                                  lines and a process's abnormal exit name it) */
};

/*
 * Creates a node and starts its workers and timer thread. `opts` may be
 * NULL for the defaults. Returns the node, or NULL with `err` set.
 *
 * A worker that blocks in rm_call() inside a callback lets a parked or new
 * thread take its place (at most 256 threads in all), so calls between
 * processes never starve the node, even with one worker.
 */
struct rm_node *rm_node_new(const struct rm_node_opts *opts, struct rm_error *err);

/*
 * Stops every process (terminate with reason "shutdown"), joins the threads,
 * unloads every module and frees the node. NULL is accepted.
 */
void rm_node_free(struct rm_node *node);

/* ---- modules ---------------------------------------------------------- */

/*
 * Loads a new version of a module from `path` with dlopen(RTLD_NOW |
 * RTLD_LOCAL) and makes it the module's current version; the previous
 * current version becomes old. Every check is made before anything
 * switches. Refused, with nothing changed, when: an object loaded from the
 * same canonical path is still in memory in this node ("path already loaded
 * in this node": dlopen would hand back the old mapping; once a purge has
 * closed it and the dynamic loader has unmapped it, the path may be loaded
 * again, as a downgrade to the previous release does); the file is missing
 * (RM_ENOENT) or not a loadable object (dlerror()'s reason); it has no
 * RM_MODULE_SYMBOL; its ABI version differs from RM_MODULE_ABI_VERSION, its
 * descriptor is smaller than this host's, its name or version is missing, or
 * it lacks init or handle_call; its name differs from `expect_name` or its
 * version from `expect_vsn` (each checked when not NULL); the module already
 * has an old version ("old code of 'z' not purged", RM_EBUSY); or the
 * version is already current. Processes of the module that are not
 * suspended move to the new code at their next message (a load without code
 * change: same state layout); suspended ones keep their code until a
 * successful change_code (a process resumed without one goes on running the
 * old code until it is purged). On success the module's name is copied to
 * `name_out` when not NULL (RM_NAME_MAX + 1 bytes).
 */
int rm_module_load(struct rm_node *node, const char *path, const char *expect_name,
                   const char *expect_vsn, char *name_out, struct rm_error *err);

/*
 * Drops the old version of module `name`. Succeeds (doing nothing) when
 * there is no old version; RM_ENOENT when the module is unknown. Processes
 * on the old code that would move to the current code at their next message
 * (neither suspended nor kept on their code, see rm_module_load) are moved
 * now, with their state; only the others use the old code. RM_EBUSY when a
 * soft purge finds such users, or the module is part of the open
 * transaction. A brutal purge runs terminate("killed") for each user; their
 * restart policies apply (a permanent one restarts on the current code, as
 * under an OTP supervisor). Every process on the old code is first pinned
 * between callbacks; one still inside a callback after 5 s makes the purge
 * fail with RM_ETIMEOUT ("purge 'z': suspend '<3>': still in a callback
 * after 5000 ms") before anything changes. The old object is closed only
 * once no process and no running callback can reach it. On success, *killed
 * (when not NULL) receives the number of processes a brutal purge
 * terminated.
 */
int rm_module_purge(struct rm_node *node, const char *name, enum rm_purge_mode mode, size_t *killed,
                    struct rm_error *err);

/* One module as rm_module_list() describes it. */
struct rm_module_info {
    char name[RM_NAME_MAX + 1];
    char current_vsn[RM_NAME_MAX + 1]; /* "" when none */
    char old_vsn[RM_NAME_MAX + 1];     /* "" when none */
    char current_path[4096];
    size_t procs_current; /* processes running the current version */
    size_t procs_old;     /* processes running the old version */
};

/*
 * Lists the modules, sorted by name, into a new array (*out, free() it) of
 * *n entries. Returns 0 or -1.
 */
int rm_module_list(struct rm_node *node, struct rm_module_info **out, size_t *n,
                   struct rm_error *err);

/* ---- processes -------------------------------------------------------- */

/* How a process is started. */
struct rm_spawn_opts {
    const char *module; /* module to run (its current version); required */
    const char *name;   /* registered name, or NULL for none */
    const char *arg;    /* init argument; NULL is "" */
    enum rm_restart restart;
    unsigned max_restarts; /* restart intensity: at most this many restarts ... */
    unsigned max_seconds;  /* ... within this many seconds (0, 0: 3 in 5);
                              0 with max_restarts above 0 is refused
                              (RM_EINVAL); max_restarts 0 with max_seconds
                              above 0: never restarted */
};

/*
 * Restarts: a process restarted by its policy gets a new pid and keeps its
 * registered name and init argument; it restarts at once, on the module's
 * current code, on the thread that saw it exit. When a restart would exceed
 * the intensity (more than max_restarts within max_seconds), or its init
 * keeps failing until it would, the process stays down and the node logs
 * "process 'x' (module 'z') reached its restart intensity (N restarts in S
 * s): not restarted" at RM_LOG_ERROR. Unlike an OTP supervisor, nothing else
 * is shut down. Every abnormal exit is logged with its reason.
 */

/*
 * Starts a process running the current version of opts->module: runs its
 * init callback on the calling thread (the process is not visible until init
 * returns). On success stores the pid in *pid (when not NULL). Fails, with
 * nothing left behind, when the module is not loaded (RM_ENOENT), the name is
 * taken (RM_EEXIST) or invalid (RM_EINVAL: 1 to RM_NAME_MAX printable
 * characters, no space, not starting with '<'), or init fails (RM_ESTATE,
 * its reason in the message).
 */
int rm_proc_spawn(struct rm_node *node, const struct rm_spawn_opts *opts, rm_pid *pid,
                  struct rm_error *err);

/*
 * Starts `n` processes of one module at once (no names), for large
 * populations: pids go to pids[0..n-1], consecutive. All start or none does
 * (the ones whose init ran are terminated with "shutdown").
 */
int rm_proc_spawn_many(struct rm_node *node, const struct rm_spawn_opts *opts, size_t n,
                       rm_pid *pids, struct rm_error *err);

/*
 * Turns a registered name or "<N>" into a pid. Returns 0, or -1 with
 * RM_ENOENT "no process 'x'".
 */
int rm_proc_resolve(struct rm_node *node, const char *name, rm_pid *pid, struct rm_error *err);

/*
 * Sends a call and waits up to timeout_ms (negative: forever) for the answer,
 * stored in a new buffer (*reply of *reply_len bytes, NUL-terminated for
 * convenience; free() it). A suspended process answers after it is resumed.
 * Fails with RM_ENOENT (no such process), RM_ETIMEOUT, or RM_ESTATE when the
 * process exits before answering (a callback that fails or stops without
 * answering, a stop, a brutal purge): the message gives the exit reason. An
 * answer that comes after the timeout is dropped. The caller spins a few
 * microseconds, then yields, then sleeps on a futex.
 */
int rm_proc_call(struct rm_node *node, rm_pid pid, const void *msg, size_t len, int timeout_ms,
                 char **reply, size_t *reply_len, struct rm_error *err);

/* Sends an asynchronous request (handle_cast). 0, or -1 with RM_ENOENT. */
int rm_proc_cast(struct rm_node *node, rm_pid pid, const void *msg, size_t len,
                 struct rm_error *err);

/* Sends an info message (handle_info). 0, or -1 with RM_ENOENT. */
int rm_proc_send(struct rm_node *node, rm_pid pid, const void *msg, size_t len,
                 struct rm_error *err);

/*
 * Stops a process: terminate runs with `reason` ("shutdown" when NULL) once
 * it is between callbacks, then it is gone; it is not restarted. Queued
 * calls are answered with an error. A process still inside a callback after
 * 5 s is left running and the call fails with RM_ETIMEOUT ("stop '<3>':
 * still in a callback after 5000 ms").
 */
int rm_proc_stop(struct rm_node *node, rm_pid pid, const char *reason, struct rm_error *err);

/* ---- supervisors -------------------------------------------------------
 *
 * A supervisor is a process of the module "supervisor", built into the
 * node (loading a module of that name is refused). It traps exits, starts
 * its children linked to it in order and stops them in reverse, restarts
 * them by its strategy and their restart types, and gives up (stops its
 * children, exits "shutdown") after more than `intensity` restarts within
 * `period` seconds. Its children run with restart type temporary as far as
 * the node is concerned: only their supervisor restarts them.
 */

/* One child spec. */
struct rm_sup_child {
    const char *id;     /* unique among the supervisor's children */
    const char *module; /* the module it runs; for a supervisor child, the
                           name of a supervisor defined with rm_sup_define */
    const char *arg;    /* init argument; NULL is "" */
    const char *name;   /* registered name or NULL (a supervisor child is
                           registered under its supervisor's name) */
    enum rm_restart restart;
    int shutdown_ms;    /* > 0: a timeout; RM_SHUTDOWN_BRUTAL_KILL, RM_SHUTDOWN_INFINITY */
    int supervisor;     /* non-zero: a supervisor (OTP's type supervisor) */
};

/* A supervisor. */
struct rm_sup_spec {
    const char *name; /* registered name of its process */
    const char *app;  /* the application it belongs to ("" for none) */
    enum rm_sup_strategy strategy;
    unsigned intensity; /* at most this many restarts ... */
    unsigned period;    /* ... within this many seconds (above 0) */
    const struct rm_sup_child *children; /* in start order; simple_one_for_one: exactly one */
    size_t n_children;
};

/* Records (copies) supervisor spec->name's spec, replacing an earlier one:
   a supervisor reads it when it starts, and again when told to
   (rm_sup_change). 0, or -1 with err (RM_EINVAL: what is wrong). */
int rm_sup_define(struct rm_node *node, const struct rm_sup_spec *spec, struct rm_error *err);
/* Starts supervisor `name` (defined) with its children, not linked to any
   process. 0 with *pid (may be NULL), or -1 with err (a child that fails
   to start fails it, the ones started are stopped). */
int rm_sup_start(struct rm_node *node, const char *name, rm_pid *pid, struct rm_error *err);
/* Tells running supervisor `name` to take its spec as now defined (OTP's
   supervisor code_change): strategy, intensity and child specs change,
   running children keep their pids and follow their new restart type,
   children no longer in the spec are stopped, new ones are not started.
   0, or -1 with err. */
int rm_sup_change(struct rm_node *node, const char *name, struct rm_error *err);

/* What a supervisor reports of one child. */
struct rm_sup_child_info {
    char id[RM_NAME_MAX + 1];
    char module[RM_NAME_MAX + 1]; /* for a supervisor child: the supervisor's name */
    rm_pid pid;                   /* 0: not running */
    int supervisor;
};
/* The children of running supervisor `name` in start order (dynamic ones
   of a simple_one_for_one in the order they started), as a new array
   (free()). 0, or -1 with err (RM_ENOENT: no such supervisor). */
int rm_sup_children(struct rm_node *node, const char *name, struct rm_sup_child_info **out,
                    size_t *n, struct rm_error *err);
/* Whether process `pid` is a supervisor. */
int rm_sup_is(struct rm_node *node, rm_pid pid);

/* Told when a supervisor gives up (reason "reached_max_restart_intensity")
   or exits abnormally (any reason but "normal" and "shutdown"), on the
   thread where it exits; never while the node is being freed. */
typedef void (*rm_sup_exit_fn)(void *ud, const char *sup, const char *app, const char *reason);
/* Sets the hook (NULL: none). */
void rm_sup_set_exit_hook(struct rm_node *node, rm_sup_exit_fn fn, void *ud);

/* ---- sys: suspend, resume, change code, inspect ----------------------- */

/*
 * Suspends processes: returns once each one is between callbacks; from then
 * on it runs nothing and its messages queue in order. All `n` are suspended
 * in parallel: a flag is set on each first, then the call waits, with one
 * deadline for all, only for those a worker is running at that moment. If
 * any is still inside a callback after timeout_ms (negative: forever), those
 * this call suspended are resumed again and the call fails with RM_ETIMEOUT
 * ("suspend '<3>': still in a callback after 100 ms"). Suspending a
 * suspended process is refused with RM_ESTATE, and a process named twice
 * in `pids` with RM_EINVAL ("suspend: process 'z' named twice"), before
 * anything changes.
 */
int rm_proc_suspend(struct rm_node *node, const rm_pid *pids, size_t n, int timeout_ms,
                    struct rm_error *err);

/* Resumes suspended processes; their queued messages are then handled in
   order. Resuming one that is not suspended is refused with RM_ESTATE, one
   held by the open transaction with RM_EBUSY, one named twice with
   RM_EINVAL ("resume: process 'z' named twice"); nothing changes then. */
int rm_proc_resume(struct rm_node *node, const rm_pid *pids, size_t n, struct rm_error *err);

/*
 * OTP's sys:change_code for one suspended process of `module`: runs the
 * code_change callback of the module's current version (direction up, `vsn`
 * the process's version, which must equal `old_vsn` when not NULL) and moves
 * the process to the current code with the new state. The old state is
 * freed only after success. On failure the process keeps its old state and
 * old code, and the message names the process, module, versions and the
 * module's reason (RM_ECODECHANGE): "change code of 'z' (module 'z', version
 * '0' to '1'): <reason>". Refused with RM_ESTATE when the process is not
 * suspended or runs another version than old_vsn, RM_EINVAL when it runs
 * another module, RM_EBUSY when the open transaction holds it. A module
 * without code_change keeps the state as it is.
 */
int rm_proc_change_code(struct rm_node *node, rm_pid pid, const char *module, const char *old_vsn,
                        const char *extra, struct rm_error *err);

/*
 * rm_proc_change_code() in either direction, as sys:change_code with
 * {down, Vsn} does. RM_UP is rm_proc_change_code() (`vsn` is the expected
 * old version, or NULL). RM_DOWN runs code_change of the code the process
 * runs now (the newer one) with direction down and `vsn` the version being
 * gone back to (required); the process then moves to the module's current
 * code when that is version `vsn` (the older code was loaded first), else it
 * stays on its code, its state recorded as being for version `vsn`, and
 * moves to that version's code when it is loaded (rm_module_load, or the
 * commit of a transaction that loads it); it never moves onto another
 * version. Until then rm_proc_resume and another change_code of it are
 * refused with RM_ESTATE ("resume 'z': its state was changed down to
 * version '0' of 'z'; load that version first"). Same rules and errors as
 * rm_proc_change_code().
 */
int rm_proc_change_code_dir(struct rm_node *node, rm_pid pid, const char *module,
                            enum rm_direction dir, const char *vsn, const char *extra,
                            struct rm_error *err);

/* One process as rm_proc_list() describes it. */
struct rm_proc_info {
    rm_pid pid;
    char name[RM_NAME_MAX + 1]; /* registered name, "" when none */
    char module[RM_NAME_MAX + 1];
    char version[RM_NAME_MAX + 1]; /* version of the code it runs */
    int suspended;
    int tracing;
    size_t queue_len;
    size_t fds;      /* descriptors it owns (rm_fd_own, accepted, handed to it) */
    size_t links;    /* processes linked to it */
    size_t monitors; /* monitors it holds on other processes */
};

/*
 * Snapshot of the processes, sorted by pid, into a new array (*out, free()
 * it) of *n entries. With `module` not NULL, only the processes of that
 * module.
 */
int rm_proc_list(struct rm_node *node, const char *module, struct rm_proc_info **out, size_t *n,
                 struct rm_error *err);

/*
 * Writes the module's format_state of the process's state into buf (NUL-
 * terminated, at most size bytes; "<state of 'z'>" when the module has no
 * format_state). Waits until the process is between callbacks, at most 5 s
 * (then RM_ETIMEOUT: "format state of 'z': still in a callback after 5000
 * ms"). 0 or -1.
 */
int rm_proc_format_state(struct rm_node *node, rm_pid pid, char *buf, size_t size,
                         struct rm_error *err);

/*
 * Turns tracing of a process on or off. While on, the node logs, for every
 * message, what came in, what went out and the new state, as OTP's
 * {debug,[trace]} does:
 *     *DBG* z got call boom from <client>
 *     *DBG* z sent 2 to <client>, new state {tschak,3}
 * Casts and infos give "*DBG* z got cast <msg>" and "*DBG* z got <msg>",
 * then "*DBG* z new state <state>". Lines go to the node's log sink at
 * RM_LOG_DEBUG; a process is named by its registered name or "<N>", a caller
 * outside the node "<client>"; bytes that are not printable appear as \xNN.
 * The trace line of an answer is written after the callback returns.
 */
int rm_proc_trace(struct rm_node *node, rm_pid pid, int on, struct rm_error *err);

/* ---- configuration ------------------------------------------------------ */

/*
 * The node keeps each application's configuration (a map, struct rm_cfg of
 * relman/config.h) for the processes of its modules to read through the
 * module API (rm_config_get() in relman/module.h). The release handler sets
 * it at boot, before the application's processes start, and again after an
 * install commits. The runtime knows nothing of YAML or manifests: it keeps
 * what it is given.
 */

/*
 * Sets the configuration of application `app` to a copy of `value` (a
 * map), read from then on by the processes of the `n` modules `modules`
 * (a module belongs to one application: one that another application
 * claimed before moves to this one). A callback that already read the
 * previous configuration keeps it until it returns. Returns 0, or -1 with
 * RM_ENOMEM, or RM_EINVAL when `value` is not a map; nothing changes then.
 */
int rm_config_set(struct rm_node *node, const char *app, const char *const *modules, size_t n,
                  const struct rm_cfg *value, struct rm_error *err);

/* Forgets the configuration of application `app` (an application removed
   by an install); its modules' processes then read nothing. */
void rm_config_unset(struct rm_node *node, const char *app);

/* A copy of the configuration of `app` (free() it), or NULL when it has
   none or out of memory. */
struct rm_cfg *rm_config_get_copy(struct rm_node *node, const char *app);

/*
 * Sends a config_change to every live process of the modules of `app`: a
 * message queued behind the ones waiting, handled by the module's
 * config_change callback (relman/module.h) with the keys of `change`, or
 * dropped for a module without one. *notified (when not NULL) receives the
 * number of processes it was sent to. Returns 0, or -1 with RM_ENOENT (no
 * configuration set for `app`) or RM_ENOMEM.
 */
int rm_config_notify(struct rm_node *node, const char *app, const struct rm_config_change *change,
                     size_t *notified, struct rm_error *err);

/* ---- upgrade transactions --------------------------------------------- */

/*
 * A transaction groups the steps of one upgrade so that, until it commits,
 * every step can be undone exactly. One transaction at a time per node
 * (another rm_txn_begin fails with RM_EBUSY). Within it:
 *   - rm_txn_prepare loads and validates object code without switching to it;
 *   - rm_txn_suspend suspends, in parallel, every process of some modules;
 *   - rm_txn_load makes prepared code current, keeping the replaced version;
 *   - rm_txn_code_change migrates every suspended process of a module in
 *     parallel across the workers, keeping each old state;
 *   - rm_txn_resume marks processes for resumption: they resume at commit
 *     (so that no message is handled by a state that could still be undone);
 *   - rm_txn_spawn starts a process that abort stops again;
 *   - rm_txn_prepare_deferred validates code an old version is in the way
 *     of, and rm_txn_load purges that version first;
 *   - rm_txn_purge_at_commit names a module to purge once more after commit;
 *   - rm_txn_mark_irreversible records that a step that cannot be undone
 *     has begun (rm_txn_irreversible tells).
 * The transaction is the upgrade's only undo log: everything abort must undo
 * is recorded in it. rm_txn_commit resumes the marked processes, frees the
 * kept old states and purges the replaced code. rm_txn_abort stops the
 * processes the transaction started, puts every process back on its old
 * code with its untouched old state and its queue, unloads new code, and
 * resumes everything the transaction suspended. Both free the transaction.
 *
 * Other control calls stay usable between the steps (status, format_state,
 * suspend of other processes); those that would break the transaction are
 * refused with RM_EBUSY (resume or change_code of a process it holds, purge
 * of a module it loaded or prepared). rm_node_free() aborts an open
 * transaction. A process that exits during the transaction simply drops out
 * of it.
 */
struct rm_txn;

/* Begins a transaction on `node`. Returns it, or NULL with `err` set. */
struct rm_txn *rm_txn_begin(struct rm_node *node, struct rm_error *err);

/*
 * Loads version `expect_vsn` of module `expect_name` from `path` and checks
 * it (as rm_module_load does) without making it current. Also checks that the
 * module has no old version left that would block the later load, and that
 * no code of the same module was prepared already in this transaction.
 */
int rm_txn_prepare(struct rm_txn *txn, const char *path, const char *expect_name,
                   const char *expect_vsn, struct rm_error *err);

/*
 * Suspends every process running any of `modules` (n names), in parallel,
 * each within timeout_ms (as rm_proc_suspend does). Processes already
 * suspended by rm_proc_suspend are taken in as well: the transaction
 * migrates them with the others (so none is ever moved to new code with a
 * state it has not converted), and at commit or abort they stay suspended,
 * as the user left them; meanwhile rm_proc_resume refuses them (RM_EBUSY).
 * On failure nothing this call suspended stays suspended, and those
 * suspended by hand are let go again. *count (when not NULL) receives the
 * number of processes this call took in. The first successful call starts
 * the pause.
 */
int rm_txn_suspend(struct rm_txn *txn, const char *const *modules, size_t n, int timeout_ms,
                   size_t *count, struct rm_error *err);

/*
 * Prepares version `expect_vsn` of module `expect_name` from `path` as
 * rm_txn_prepare does, except when the module still has an old version (OTP's
 * pre-purge case, where rm_txn_prepare fails with RM_EBUSY): then the object
 * is opened and checked now and closed again, and rm_txn_load of the module
 * first purges the old version brutally, then prepares the object for real.
 * Processes that pre-purge kills count in rm_txn_killed(), and when the old
 * version is still in use at that point the transaction becomes irreversible
 * (rm_txn_irreversible). Returns 0, or -1 with `err` set as rm_txn_prepare
 * sets it (a bad object, RM_EEXIST for a module already prepared, RM_ENOMEM).
 */
int rm_txn_prepare_deferred(struct rm_txn *txn, const char *path, const char *expect_name,
                            const char *expect_vsn, struct rm_error *err);

/*
 * Makes the prepared version of `module` current; the replaced version stays
 * loaded (as old) until commit. Processes not suspended move to the new code
 * at their next message. A prepare of `module` deferred by
 * rm_txn_prepare_deferred runs first, once: a failed purge leaves "pre-purge
 * of module 'm': " in front of the purge's error, a failed prepare "module
 * 'm': " in front of rm_txn_prepare's. Otherwise fails with RM_ENOENT ("load
 * 'm': no code prepared in this upgrade", "... already loaded ...") or
 * RM_EBUSY ("load 'm': old code of 'm' not purged").
 */
int rm_txn_load(struct rm_txn *txn, const char *module, struct rm_error *err);

/*
 * Runs code_change for every suspended process of `module`, in parallel
 * across the workers, each bounded by timeout_ms. RM_UP runs in the current
 * (new) code with the process's version as `vsn`; RM_DOWN runs in the
 * process's (newer) code with `vsn` = `down_vsn`, before the older code is
 * made current. Old states are kept until commit. On the first failure the
 * processes this call migrated are put back and the call fails naming
 * process, module, versions and reason. *count receives the number migrated.
 * A callback cannot be interrupted: one that runs longer than timeout_ms is
 * waited for, then counted as failed ("timed out (over N ms)"). Processes of
 * `module` already migrated in this transaction make the call fail with
 * RM_ESTATE. On RM_DOWN the new state is freed on abort with the free_state
 * of the older version's code when the transaction or the table has it.
 */
int rm_txn_code_change(struct rm_txn *txn, const char *module, enum rm_direction dir,
                       const char *down_vsn, const char *extra, int timeout_ms, size_t *count,
                       struct rm_error *err);

/* Marks every process of `modules` suspended by this transaction for
   resumption at commit. *count receives the number marked. */
int rm_txn_resume(struct rm_txn *txn, const char *const *modules, size_t n, size_t *count,
                  struct rm_error *err);

/*
 * Commits: resumes the marked (and any still suspended) processes, frees the
 * kept old states, purges code replaced during the transaction (processes
 * still on it are moved to the current code first), and frees `txn`; then
 * purges the modules rm_txn_purge_at_commit named, in order. The
 * pause (first suspend to last resume, in nanoseconds) goes to *pause_ns
 * when not NULL. Cannot fail once begun; returns 0.
 */
int rm_txn_commit(struct rm_txn *txn, uint64_t *pause_ns);

/*
 * Starts a process as rm_proc_spawn does and records it in the transaction:
 * rm_txn_abort stops the processes so started, newest first, with reason
 * "shutdown", before it undoes anything else; commit leaves them running.
 * The pid goes to *pid when not NULL. Returns 0, or -1 with `err` set as
 * rm_proc_spawn sets it (or RM_ENOMEM: then no process started).
 */
int rm_txn_spawn(struct rm_txn *txn, const struct rm_spawn_opts *opts, rm_pid *pid,
                 struct rm_error *err);

/*
 * Records `module` to be purged brutally once more after commit, when the
 * transaction is gone (a purge refuses a module of an upgrade in progress);
 * that purge's failure (say, no such module) is ignored. Abort forgets the
 * list. Returns 0, or -1 with RM_ENOMEM in `err`.
 */
int rm_txn_purge_at_commit(struct rm_txn *txn, const char *module, struct rm_error *err);

/*
 * Records that a step that cannot be undone has begun (a process stopped, a
 * module removed, an apply): abort still undoes everything recorded, but the
 * node is no longer as it was before the transaction, so its caller should
 * restart the node rather than carry on. Cannot fail.
 */
void rm_txn_mark_irreversible(struct rm_txn *txn);

/* Returns 1 once rm_txn_mark_irreversible was called, or once a deferred
   pre-purge (rm_txn_prepare_deferred) met processes on the old version;
   else 0. */
int rm_txn_irreversible(const struct rm_txn *txn);

/* Returns the number of processes the transaction's deferred pre-purges
   have killed so far (0 when none ran). */
size_t rm_txn_killed(const struct rm_txn *txn);

/* Undoes everything the transaction did, as described above, and frees it.
   Only processes the transaction moved go back to the replaced code: one
   that started on the loaded code during the transaction (a spawn or a
   restart), or was changed to it by hand, keeps it, and that code stays as
   the module's old version until purged. Paths of code it loaded may be
   loaded again once their objects are unmapped (a retry of the same
   upgrade). */
void rm_txn_abort(struct rm_txn *txn);

#ifdef __cplusplus
}
#endif
#endif
