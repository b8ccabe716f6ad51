/*
 * rh.h - the release handler: what the node daemon does with releases
 * (boot the permanent one, plan, check, install, make permanent, roll back,
 * reboot an old one, remove), and the client side that prints its reports.
 *
 * The node keeps one struct rh. It boots the permanent release of ROOT
 * (ROOT/releases/RELEASES), remembers which release runs (the "current" one,
 * in memory only, as OTP does), and serves the release requests of the
 * control protocol (RM_MSG_RH_*). Install runs the low-level plan between the
 * running release and the target as one runtime transaction (rm_txn_*):
 * before point_of_no_return only checks; afterwards every step stays
 * undoable until commit. A failure before any irreversible step aborts the
 * transaction and the node keeps serving the old release; a failure after
 * one asks the daemon to restart into the permanent release.
 *
 * Every operation is serialised by the handler's own lock, and every change
 * to RELEASES goes through the store's lock (relman/store.h).
 */
#ifndef RELMAN_RH_H
#define RELMAN_RH_H

#include <stddef.h>
#include <stdint.h>

#include "relman/ctl.h"
#include "relman/error.h"
#include "relman/manifest.h"
#include "relman/plan.h"
#include "relman/runtime.h"

/* Suspend and code_change timeout when neither the manifest nor the
   install request gives one (OTP's default for sys:suspend). */
#define RH_DEFAULT_TIMEOUT_MS 5000

/* Exit status with which the node daemon asks its watchdog for a restart
   into the permanent release (after an irreversible failure, reboot-old or
   restart_node). */
#define RH_EXIT_RESTART 75

/* A request's timeout field meaning "the manifest's timeouts". */
#define RH_TIMEOUT_MANIFEST UINT32_MAX

/* ---- a release with its applications' manifests ------------------------ */

/* A release of ROOT and the manifest of each of its applications (apps[i]
   is the manifest of rel.apps[i]). */
struct rh_rel {
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
int rh_rel_load(const char *root, const char *vsn, struct rh_rel *out, struct rm_error *err);

/* Frees what `r` holds and zeroes it. Accepts a zeroed struct. */
void rh_rel_free(struct rh_rel *r);

/* Finds the application manifest of `name` in `r`; NULL when not there. */
const struct rm_app *rh_rel_app(const struct rh_rel *r, const char *name);

/* Finds module `name` among the applications of `r`; stores its
   application in *app (when not NULL). NULL when no application has it. */
const struct rm_app_module *rh_rel_module(const struct rh_rel *r, const char *name,
                                          const struct rm_app **app);

/* Writes ROOT/lib/<app>-<vsn>/<module>.so into buf. 0, or -1 with RM_ELIMIT. */
int rh_module_path(const char *root, const char *app, const char *vsn, const char *module,
                   char *buf, size_t size, struct rm_error *err);

/*
 * Starts application `app` of `r` on `node` as its start type says: loads
 * its modules that are not loaded yet (start type load and up), and for
 * permanent, transient and temporary starts its processes with their
 * restart policies; none does nothing. Returns 0, or -1 with `err` set
 * (processes already started stay: a node that fails to boot exits).
 */
int rh_app_start(struct rm_node *node, const char *root, const struct rh_rel *r,
                 const struct rm_release_app *app, struct rm_error *err);

/* Stops every process that application `app` (a manifest) starts and that
   runs: registered names from the manifest. *count receives the number. */
int rh_app_stop(struct rm_node *node, const struct rm_app *app, size_t *count,
                struct rm_error *err);

/* Monotonic time in nanoseconds, for the reports. */
uint64_t rh_now_ns(void);

/* ---- reports ------------------------------------------------------------ */

/* One executed (or checked) step of a plan. */
struct rh_step {
    char what[200]; /* the instruction as one line: "suspend [z]" */
    uint64_t procs; /* processes it touched */
    uint64_t ns;    /* how long it took */
};

/* What install, rollback or check did. */
struct rh_report {
    char from[RM_NAME_MAX + 1];
    char to[RM_NAME_MAX + 1];
    enum rm_direction dir;
    size_t plan_len;         /* instructions in the plan */
    long first_irreversible; /* index in the plan, or -1 */
    uint64_t pause_ns;       /* first suspend to last resume (install) */
    uint64_t total_ns;       /* the whole operation */
    struct rh_step *steps;
    size_t nsteps, capsteps;
};

/* Appends a step. 0, or -1 with RM_ENOMEM. */
int rh_report_add(struct rh_report *rep, const char *what, uint64_t procs, uint64_t ns,
                  struct rm_error *err);

/* Frees the steps of a report and zeroes it. */
void rh_report_free(struct rh_report *rep);

/* Puts a report into a reply payload (the fields RM_MSG_RH_INSTALL lists). */
void rh_report_put(const struct rh_report *rep, struct rm_proto_writer *w);

/* Reads a report back from a reply. 0, or -1 with RM_EPROTO. */
int rh_report_get(struct rm_proto_reader *r, struct rh_report *rep, struct rm_error *err);

/*
 * Prints a report for a person (`json` 0) or as one JSON object (`json` 1)
 * on stdout. `verb` is "installed", "rolled back" or "checked".
 */
void rh_report_print(const struct rh_report *rep, const char *verb, int json);

/* Prints {"ok":false,"error":"<msg>"} on stdout: what a --json command
   prints when it fails (the message also goes to stderr). */
void rh_print_json_error(const char *msg);

/* Describes instruction `in` on one line ("code_change up [z extra]"). */
void rh_instr_describe(const struct rm_instr *in, char *buf, size_t size);

/* ---- executing a plan --------------------------------------------------- */

/* What the executor needs besides the plan. */
struct rh_exec_env {
    struct rm_node *node;
    const char *root;
    const struct rh_rel *from; /* the release running now */
    const struct rh_rel *to;   /* the release gone to */
    int timeout_ms;            /* overrides every suspend and code_change timeout when >= 0 */
    int check_only;            /* prepare object code and check, then abort: no process touched */
};

/* The outcome of a failed execution. */
enum rh_exec_fail {
    RH_FAIL_NONE = 0,   /* success */
    RH_FAIL_UNDONE = 1, /* failed; everything undone, the old release runs */
    RH_FAIL_RESTART = 2 /* failed after an irreversible step: restart the node */
};

/*
 * Runs `plan` against the node as one transaction and appends a step per
 * instruction to `rep`, with the pause. With env->check_only, runs only the
 * checks (object code loaded and validated, old-code precondition) and
 * aborts. An old version that processes still run is purged (brutally) at
 * the module's load step, after point_of_no_return, and that step counts as
 * irreversible. Returns 0 (*fail is then RH_FAIL_NONE, or RH_FAIL_RESTART when
 * the plan ends with restart_node); or -1 with `err` saying which step
 * failed and *fail telling whether everything was undone or the node must
 * restart.
 */
int rh_exec_plan(const struct rh_exec_env *env, const struct rm_plan *plan, struct rh_report *rep,
                 enum rh_exec_fail *fail, struct rm_error *err);

/*
 * The index of the first step of `plan` that cannot be undone on `node` as
 * it is now, or -1: the first irreversible instruction
 * (rm_instr_irreversible), or an earlier load of a module whose old version
 * processes still run, whose brutal pre-purge kills them.
 */
long rh_first_irreversible(struct rm_node *node, const struct rm_plan *plan);

/* ---- the handler in the node -------------------------------------------- */

/* A relup given with a request (install --relup FILE): the name it is known
   by in messages and its text. */
struct rh_relup_text {
    const char *name;
    const char *data;
    size_t len;
};

struct rh;

/* How the handler is built. */
struct rh_opts {
    struct rm_node *node;
    const char *root;
    /* Asks the daemon to exit with RH_EXIT_RESTART once the current reply
       is written, so that its watchdog boots the permanent release. */
    void (*restart)(void *ud, const char *why);
    void *restart_ud;
};

/* Creates a handler. Returns it, or NULL with `err` set. */
struct rh *rh_new(const struct rh_opts *opts, struct rm_error *err);

/*
 * Boots the permanent release of the root into the node: loads the modules
 * of ROOT/lib/<app>-<vsn>/ and starts each application by its start type,
 * dependencies (`applications`) first, otherwise in the release's order
 * (rm_release_start_order). Returns 0, or -1 with `err` set.
 */
int rh_boot(struct rh *rh, struct rm_error *err);

/* Registers the release requests (RM_MSG_RH_*) with the control server. */
int rh_register(struct rh *rh, struct rm_ctl *ctl, struct rm_error *err);

/* Frees the handler. NULL is accepted. */
void rh_free(struct rh *rh);

/* The version of the release running now. */
const char *rh_current(const struct rh *rh);

/*
 * The operations behind the requests; each takes the handler's lock.
 * The plan to a release VSN is the up entry from the running release of
 * ROOT/releases/VSN/relup.yaml, or the down entry to VSN of the running
 * release's relup.yaml, or else comes from the appups; a relup with entries
 * in the direction the appups give but none for the running release is
 * refused. rh_check and rh_install take the plan from `relup` instead when
 * it is not NULL (its up entry from the running release when its version is
 * VSN, its down entry to VSN when its version is the running release's).
 * rh_plan returns the plan from the running release to `vsn` as a relup
 * document (YAML, or JSON with `json`), and the index of its first
 * irreversible step in *first_irreversible (-1: none); free() it.
 */
char *rh_plan(struct rh *rh, const char *vsn, int json, long *first_irreversible,
              struct rm_error *err);
int rh_check(struct rh *rh, const char *vsn, const struct rh_relup_text *relup,
             struct rh_report *rep, struct rm_error *err);
int rh_install(struct rh *rh, const char *vsn, const struct rh_relup_text *relup, int timeout_ms,
               struct rh_report *rep, struct rm_error *err);
int rh_rollback(struct rh *rh, int timeout_ms, struct rh_report *rep, struct rm_error *err);
int rh_permanent(struct rh *rh, const char *vsn, struct rm_error *err);
int rh_reboot_old(struct rh *rh, const char *vsn, struct rm_error *err);
int rh_remove(struct rh *rh, const char *vsn, struct rm_error *err);

/* ---- the client side ---------------------------------------------------- */

struct cmd_entry;

/*
 * Sends a release request of `type` whose reply is a report (check,
 * install, rollback) to the node of `root`, with the relup file `relup`
 * appended to `req` when not NULL (its name and text), prints the report
 * (`verb` as in rh_report_print) and returns the command's exit status.
 */
int rh_client_report(const char *root, unsigned type, struct rm_proto_writer *req,
                     const char *relup, const char *verb, int json);

/*
 * The body of install (`relman install VSN [--relup FILE]`) and, with
 * `rollback`, of `relman rollback`: [--timeout MS] [--json]. Returns the
 * exit status.
 */
int rh_client_install(const struct cmd_entry *self, int argc, char **argv, int rollback);

/*
 * The body of permanent, reboot-old and remove against a live node:
 * `relman NAME VSN`; prints `done` (a format taking the version) on success
 * and returns the exit status.
 */
int rh_client_vsn_op(const struct cmd_entry *self, int argc, char **argv, unsigned type,
                     const char *done);

/*
 * `relman plan VSN`, the live form: the plan from the release the node of
 * `root` runs to VSN, printed as a relup document (YAML, or JSON with
 * `json`), and whether every step can be undone. Returns the exit status.
 */
int rh_client_plan(const struct cmd_entry *self, const char *root, const char *vsn, int json);

/*
 * `relman node start --release FILE.tar.gz`: initialises the root (created
 * when missing) from its first release, which becomes permanent. Refuses a
 * root that already holds releases. Returns 0, or -1 with `err` set (and
 * the directories it created for the root removed again).
 */
int rh_client_init_root(const char *root, const char *archive, struct rm_error *err);

struct rm_store;

/*
 * When a node runs at `root`, asks it which release it runs and marks that
 * one current in `st` (for `relman releases`). Returns 0 (also when no node
 * runs), or -1 with `err` set when the node answers with an error.
 */
int rh_client_mark_current(const char *root, struct rm_store *st, struct rm_error *err);

/*
 * `relman remove VSN` through the node running at `root`, which refuses the
 * release it runs: returns the command's exit status, or -1 when no node
 * runs there (the caller then removes it from the store itself).
 */
int rh_client_remove(const char *root, const char *vsn);

#endif
