/*
 * client.h - the relman program's side of the control protocol
 * (relman/protocol.h): reach the node of a root, send one request, read its
 * reply; and the argument handling the process commands share.
 */
#ifndef RELMAN_CLIENT_H
#define RELMAN_CLIENT_H

#include <sys/types.h>

#include "cmd.h"
#include "relman/error.h"
#include "relman/protocol.h"

/* How long a request waits for its reply unless the command says otherwise. */
#define CLIENT_REPLY_TIMEOUT_MS 30000

/* Default timeout of `call` and `suspend` (OTP's gen_server:call default). */
#define CLIENT_DEFAULT_TIMEOUT_MS 5000

/* A successful reply: its payload and a reader on the fields after the
   status. Release with client_reply_release(). */
struct client_reply {
    unsigned char *payload;
    struct rm_proto_reader fields;
};

/*
 * Connects to the node of `root` (its socket ROOT/run/node.sock) and stores
 * the socket in *fd. A missing socket or a refused connection fails with
 * RM_ENOTRUNNING "node not running at 'ROOT' (...)". Returns 0 or -1.
 */
int client_connect(const char *root, int *fd, struct rm_error *err);

/*
 * Sends one request of `type` with the fields in `req` (NULL: none) to the
 * node of `root` and waits up to timeout_ms for the reply. Returns 0 with a
 * successful reply in *reply; or -1 with `err` holding the node's error code
 * and message for an error reply, RM_ENOTRUNNING when no node runs, or a
 * transport or protocol error.
 */
int client_request(const char *root, unsigned type, const struct rm_proto_writer *req,
                   int timeout_ms, struct client_reply *reply, struct rm_error *err);

/* Frees what a reply holds. */
void client_reply_release(struct client_reply *reply);

/*
 * Asks the node of `root` for its process id and its watchdog's (0: none).
 * Returns 0 or -1 as client_request().
 */
int client_ping(const char *root, pid_t *node_pid, pid_t *watchdog_pid, struct rm_error *err);

/* ---- command-line helpers ------------------------------------------------ */

/* A command's own option: --NAME VALUE when `value` is set, else the flag
   --NAME that sets *flag to 1. */
struct client_opt {
    const char *name; /* with its dashes: "--timeout" */
    const char **value;
    int *flag;
};

/*
 * Parses a command's arguments: --root DIR (or RELMAN_ROOT) into *root, the
 * options of `opts` (terminated by a zeroed entry; NULL for none), and
 * leaves the positional arguments in argv[1..]. Checks that there are
 * between min and max of them (max < 0: no limit) and that a root is named.
 * Returns their number, or -1 after printing a usage error (exit CMD_USAGE).
 */
int client_args(const struct cmd_entry *self, int argc, char **argv, const struct client_opt *opts,
                int min, int max, const char **root);

/*
 * Parses a timeout in milliseconds (decimal, at most RM_PROTO_MAX_TIMEOUT_MS)
 * from `s` (NULL: CLIENT_DEFAULT_TIMEOUT_MS) into *ms. Returns 0, or -1
 * after printing a usage error.
 */
int client_timeout_arg(const struct cmd_entry *self, const char *s, int *ms);

/*
 * Checks that a name argument (a process, module or version) is not empty.
 * Returns 0, or -1 after printing the usage error "<what> is empty" (e.g.
 * `what` "process name").
 */
int client_name_arg(const struct cmd_entry *self, const char *arg, const char *what);

/*
 * Runs a request whose successful reply has no fields to print: sends it,
 * and returns the command's exit status after printing any error.
 */
int client_run(const char *root, unsigned type, const struct rm_proto_writer *req, int timeout_ms);

/*
 * suspend and resume: one shared command body. Sends every PROC argument in
 * one request of `type` (RM_MSG_SUSPEND, which also takes --timeout, or
 * RM_MSG_RESUME) and returns the exit status. An empty name, or a name given
 * twice, is a usage error.
 */
int client_suspend_resume(const struct cmd_entry *self, int argc, char **argv, unsigned type);

/* Prints a malformed reply's error ("bad reply from the node: ...") and
   returns CMD_FAILED. */
int client_bad_reply(struct rm_error *err);

/* ---- release requests (client-release.c) --------------------------------- */

struct rm_report;
struct rm_store;

/*
 * Sends a release request of `type` whose reply is a report (check,
 * install, rollback) to the node of `root`, with the relup file `relup`
 * appended to `req` when not NULL (its name and text), prints the report
 * (`verb` as in client_report_print) and returns the command's exit status.
 */
int client_release_report(const char *root, unsigned type, struct rm_proto_writer *req,
                          const char *relup, const char *verb, int json);

/*
 * The body of install (`relman install VSN [--relup FILE]`) and, with
 * `rollback`, of `relman rollback`: [--timeout MS] [--json]. Sends the
 * command's own message type (self->msg). Returns the exit status.
 */
int client_install(const struct cmd_entry *self, int argc, char **argv, int rollback);

/*
 * The body of permanent, reboot-old and remove against a live node:
 * `relman NAME VSN`; sends self->msg, prints `done` (a format taking the
 * version) on success and returns the exit status.
 */
int client_vsn_op(const struct cmd_entry *self, int argc, char **argv, const char *done);

/*
 * `relman plan VSN`, the live form: the plan from the release the node of
 * `root` runs to VSN, printed as a relup document (YAML, or JSON with
 * `json`), and whether every step can be undone. Returns the exit status.
 */
int client_plan(const struct cmd_entry *self, const char *root, const char *vsn, int json);

/*
 * `relman node start --release FILE.tar.gz`: initialises the root (created
 * when missing) from its first release, which becomes permanent. Refuses a
 * root that already holds releases. Returns 0, or -1 with `err` set (and
 * the directories it created for the root removed again).
 */
int client_init_root(const char *root, const char *archive, struct rm_error *err);

/*
 * When a node runs at `root`, asks it which release it runs and marks that
 * one current in `st` (for `relman releases`). Returns 0 (also when no node
 * runs), or -1 with `err` set when the node answers with an error.
 */
int client_mark_current(const char *root, struct rm_store *st, struct rm_error *err);

/*
 * `relman remove VSN` through the node running at `root`, which refuses the
 * release it runs: returns the command's exit status, or -1 when no node
 * runs there (the caller then removes it from the store itself).
 */
int client_remove(const char *root, const char *vsn);

/* ---- printing reports (client-report.c) ---------------------------------- */

/*
 * Prints a report for a person (`json` 0) or as one JSON object (`json` 1)
 * on stdout. `verb` is "installed", "rolled back to" or "checked".
 */
void client_report_print(const struct rm_report *rep, const char *verb, int json);

/* Prints `s` on stdout as a JSON string: quote, backslash and control
   characters escaped. */
void client_json_str(const char *s);

/* Prints {"ok":false,"error":"<msg>"} on stdout: what a --json command
   prints when it fails (the message also goes to stderr). */
void client_print_json_error(const char *msg);

/* Prints a plan's JSON document (rm_plan_to_json) with a first field
   "first_irreversible": the 1-based step `first`, or null when it is 0, as
   the node's plan, check and install replies carry it. */
void client_print_plan_json(const char *doc, size_t len, uint64_t first);

#endif
