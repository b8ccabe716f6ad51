/*
 * relman/handler.h - the release handler: what a node does with releases.
 *
 * A node keeps one struct rm_handler. It boots the permanent release of ROOT
 * (ROOT/releases/RELEASES), remembers which release runs (the "current"
 * one, in memory only, as OTP does), and serves the release requests of the
 * control protocol (RM_MSG_RH_*, relman/protocol.h). Install runs the
 * low-level plan between the running release and the target as one runtime
 * transaction (rm_txn_*): before point_of_no_return only checks; afterwards
 * every step stays undoable until commit. A failure before any irreversible
 * step aborts the transaction and the node keeps serving the old release; a
 * failure after one asks the embedding program to restart the node into the
 * permanent release.
 *
 * The library has four parts, each usable alone:
 *   - booting: rm_handler_boot (the permanent release of ROOT) and
 *     rm_handler_boot_file (ROOT/boot.yaml, a node without releases);
 *   - choosing a plan's source: the relup of the target or of the running
 *     release, a relup given with the request, or the appups
 *     (rm_handler_plan, rm_handler_check, rm_handler_install);
 *   - the executor: rm_handler_exec_plan runs a plan against a node, given
 *     the two releases (the benchmark runs it in-process);
 *   - reports (struct rm_report, relman/report.h), filled step by step and
 *     carried in replies.
 *
 * Every operation of a handler is serialised by its own lock, and every
 * change to RELEASES goes through the store's lock (relman/store.h).
 * Errors: each fallible function returns 0 (or a pointer) on success and -1
 * (or NULL) on failure with `err` filled, as relman/error.h says; `err` is
 * untouched on success. Nothing here prints or exits.
 */
#ifndef RELMAN_HANDLER_H
#define RELMAN_HANDLER_H

#include <stddef.h>
#include <stdint.h>

#include "relman/error.h"
#include "relman/manifest.h"
#include "relman/plan.h"
#include "relman/protocol.h"
#include "relman/report.h"
#include "relman/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Suspend and code_change timeout when neither the manifest nor the
   install request gives one (OTP's default for sys:suspend). */
#define RM_HANDLER_DEFAULT_TIMEOUT_MS 5000

/* Exit status with which a node asks its watchdog for a restart into the
   permanent release (after an irreversible failure, reboot-old or
   restart_node). */
#define RM_HANDLER_EXIT_RESTART 75

/* The boot file of a node without releases, relative to its root. */
#define RM_HANDLER_BOOT_FILE "boot.yaml"

/* ---- a release with its applications' manifests ------------------------ */

/* A release of ROOT and the manifest of each of its applications (apps[i]
   is the manifest of rel.apps[i]). Zero-initialise it. */
struct rm_handler_rel {
    struct rm_release rel;
    struct rm_app *apps;
};

/*
 * Loads ROOT/releases/<vsn>/release.yaml and ROOT/lib/<app>-<vsn>/<app>.app.yaml
 * of each of its applications into *out (rm_release_load_apps: names and
 * versions as the release says, dependencies inside the release, no
 * cycles). Returns 0, or -1 with `err` naming the file at fault and *out
 * untouched.
 */
int rm_handler_rel_load(const char *root, const char *vsn, struct rm_handler_rel *out,
                        struct rm_error *err);

/* Frees what `r` holds and zeroes it. Accepts a zeroed struct. */
void rm_handler_rel_free(struct rm_handler_rel *r);

/* ---- executing a plan --------------------------------------------------- */

/* What the executor needs besides the plan. */
struct rm_handler_exec_env {
    struct rm_node *node;
    const char *root;
    const struct rm_handler_rel *from; /* the release running now */
    const struct rm_handler_rel *to;   /* the release gone to */
    int timeout_ms; /* overrides every suspend and code_change timeout when >= 0 */
    int check_only; /* prepare object code and check, then abort: no process touched */
};

/* The outcome of an execution. */
enum rm_handler_fail {
    RM_HANDLER_FAIL_NONE = 0,   /* success */
    RM_HANDLER_FAIL_UNDONE = 1, /* failed; everything undone, the old release runs */
    RM_HANDLER_FAIL_RESTART = 2 /* failed after an irreversible step: restart the node */
};

/*
 * Runs `plan` against the node as one transaction and appends a step per
 * instruction to `rep` (zeroed or holding earlier steps), with the pause
 * (first suspend to last resume) and the total time. With env->check_only,
 * runs only the checks (object code loaded and validated, old-code
 * precondition) and aborts. An old version that processes still run is
 * purged (brutally) at the module's load step, after point_of_no_return,
 * and that step counts as irreversible. Returns 0 (*fail is then
 * RM_HANDLER_FAIL_NONE, or RM_HANDLER_FAIL_RESTART when the plan ends with
 * restart_node); or -1 with `err` saying which step failed and why, and
 * *fail telling whether everything was undone or the node must restart.
 */
int rm_handler_exec_plan(const struct rm_handler_exec_env *env, const struct rm_plan *plan,
                         struct rm_report *rep, enum rm_handler_fail *fail, struct rm_error *err);

/* ---- the handler in a node ---------------------------------------------- */

/* A relup given with a request (install --relup FILE): the name it is known
   by in messages and its text. */
struct rm_handler_relup {
    const char *name;
    const char *data;
    size_t len;
};

struct rm_handler;

/* How a handler is built. */
struct rm_handler_opts {
    struct rm_node *node; /* the node it drives (required) */
    const char *root;     /* the node's root (required) */
    /* Asks the embedding program to exit with RM_HANDLER_EXIT_RESTART once
       the current reply is written, so that its watchdog boots the
       permanent release. Called from the thread serving the request. */
    void (*restart)(void *ud, const char *why);
    void *restart_ud;
};

/* Creates a handler; nothing is loaded yet. Returns it, or NULL with
   RM_ENOMEM, or RM_ELIMIT when the root is too long for its paths. */
struct rm_handler *rm_handler_new(const struct rm_handler_opts *opts, struct rm_error *err);

/*
 * Boots the permanent release of the root into the node (or, once, the
 * release a restart_node asked for): loads the modules of
 * ROOT/lib/<app>-<vsn>/ and starts each application by its start type,
 * dependencies (`applications`) first, otherwise in the release's order
 * (rm_release_start_order). Returns 0, or -1 with `err` set ("boot
 * release '1': ..."; RM_ENOENT when the root has no permanent release).
 * Processes already started stay: a node that fails to boot exits.
 */
int rm_handler_boot(struct rm_handler *rh, struct rm_error *err);

/* Frees the handler (the node and its processes are not touched). NULL is
   accepted. */
void rm_handler_free(struct rm_handler *rh);

/* Copies the version of the release running now ("" before boot) into buf
   (size bytes; RM_NAME_MAX + 1 hold any) and returns buf. Safe from any
   thread at any time, an install in progress included: it never waits for
   one. */
char *rm_handler_current(struct rm_handler *rh, char *buf, size_t size);

/*
 * The operations behind the release requests; each takes the handler's
 * lock. The plan to a release VSN is the up entry from the running release
 * of ROOT/releases/VSN/relup.yaml, or the down entry to VSN of the running
 * release's relup.yaml, or else comes from the appups; a relup with entries
 * in the direction the appups give but none for the running release is
 * refused. rm_handler_check and rm_handler_install take the plan from
 * `relup` instead when it is not NULL (its up entry from the running
 * release when its version is VSN, its down entry to VSN when its version
 * is the running release's).
 */

/* Returns the plan from the running release to `vsn` as a relup document
   (YAML, or JSON with `json`; free() it), and the index of its first
   irreversible step in *first_irreversible (-1: none); or NULL with `err`
   set ("plan '2': ..."). */
char *rm_handler_plan(struct rm_handler *rh, const char *vsn, int json, long *first_irreversible,
                      struct rm_error *err);

/* Everything install does short of touching a process: fills *rep (free it
   with rm_report_free) and returns 0, or -1 with `err` set and *rep
   zeroed. */
int rm_handler_check(struct rm_handler *rh, const char *vsn, const struct rm_handler_relup *relup,
                     struct rm_report *rep, struct rm_error *err);

/* Installs release `vsn` (upgrade or downgrade), with every suspend and
   code_change timeout `timeout_ms` (< 0: the manifest's). 0 with *rep
   filled; or -1 with `err` saying what failed and whether everything was
   undone; after an irreversible failure the restart callback has been
   called. */
int rm_handler_install(struct rm_handler *rh, const char *vsn, const struct rm_handler_relup *relup,
                       int timeout_ms, struct rm_report *rep, struct rm_error *err);

/* Goes back in place to the permanent release (install's rules). */
int rm_handler_rollback(struct rm_handler *rh, int timeout_ms, struct rm_report *rep,
                        struct rm_error *err);

/* Makes `vsn`, which must be the running release, permanent in RELEASES.
   Fails with RM_ENOENT for a release the store does not know, RM_ESTATE
   for one that does not run; messages start "permanent 'VSN'". */
int rm_handler_permanent(struct rm_handler *rh, const char *vsn, struct rm_error *err);

/* Makes the old release `vsn` permanent and asks for a restart into it.
   Fails with RM_ENOENT for a release the store does not know, RM_ESTATE
   for one that is not old; messages start "reboot-old 'VSN'". */
int rm_handler_reboot_old(struct rm_handler *rh, const char *vsn, struct rm_error *err);

/* Removes release `vsn` and the files no other release uses, as
   rm_store_remove does with the running release marked current (so it
   refuses that one); messages start "remove 'VSN'". */
int rm_handler_remove(struct rm_handler *rh, const char *vsn, struct rm_error *err);

/* ---- booting a node without releases ------------------------------------ */

/* Loads the modules and starts the processes of ROOT/boot.yaml, in order.
   Returns 0, or -1 with `err` naming the file, line and column. */
int rm_handler_boot_file(struct rm_node *node, const char *root, struct rm_error *err);

/* ---- the release requests ------------------------------------------------
 *
 * The server side of RM_MSG_RH_*: each has the signature of an
 * rm_ctl_handler_fn (relman/ctl.h), reads the request's fields as
 * relman/protocol.h lists them, runs the operation above on the handler
 * passed as `ud`, and puts the reply's fields. A malformed request fails
 * with RM_EPROTO; an operation's error passes through.
 */

/* RM_MSG_RH_PLAN: rm_handler_plan. */
int rm_handler_serve_plan(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                          struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_RH_CHECK: rm_handler_check; replies with the report. */
int rm_handler_serve_check(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                           struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_RH_INSTALL: rm_handler_install; replies with the report. */
int rm_handler_serve_install(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                             struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_RH_PERMANENT: rm_handler_permanent. */
int rm_handler_serve_permanent(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                               struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_RH_ROLLBACK: rm_handler_rollback; replies with the report. */
int rm_handler_serve_rollback(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                              struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_RH_REBOOT_OLD: rm_handler_reboot_old. */
int rm_handler_serve_reboot_old(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                                struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_RH_REMOVE: rm_handler_remove. */
int rm_handler_serve_remove(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                            struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_RH_WHICH: rm_handler_current. */
int rm_handler_serve_which(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                           struct rm_proto_writer *reply, struct rm_error *err);

#ifdef __cplusplus
}
#endif
#endif
