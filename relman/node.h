/*
 * node.h - the node daemon of `relman node start`: the watchdog process and
 * the node process it starts and restarts (node-*.c). The command-line
 * side includes this header too (cmd-node-start.c), so it names no type of
 * the runtime.
 *
 * ROOT layout used here: ROOT/boot.yaml (what the node loads and starts),
 * ROOT/run/ (mode 0700: node.sock, node.pid, node.lock), ROOT/log/node.log
 * (the log of a detached node). docs/protocol.md describes them.
 */
#ifndef RELMAN_NODE_H
#define RELMAN_NODE_H

#include <sys/types.h>

#include "relman/error.h"

/* The lock a watchdog holds for its root, in ROOT/run. */
#define NODE_LOCK_NAME "node.lock"
/* The log of a detached node: ROOT/log/node.log. */
#define NODE_LOG_DIR  "log"
#define NODE_LOG_FILE "node.log"

/* Exit status of a node that could not boot; the watchdog then gives up
   instead of restarting it (EX_CONFIG). */
#define NODE_EXIT_BOOT 78

/* Restart intensity: the watchdog restarts a node that died abnormally at
   most this many times within this many seconds, then gives up. */
#define WATCHDOG_MAX_RESTARTS 5
#define WATCHDOG_PERIOD_S     60

/*
 * `relman node start`: locks ROOT (one node per root), then runs the
 * watchdog in the foreground, or with `detach` in a new session with its log
 * in ROOT/log/node.log, returning once the node answers on its socket.
 * `root` must be absolute. Returns the exit status; errors are printed.
 */
int node_start(const char *root, int detach);

/*
 * The watchdog: starts the node in a child process, restarts it when it
 * dies abnormally (within the restart intensity), forwards SIGTERM, SIGINT
 * and SIGHUP to it, and returns once the node has stopped (0) or cannot be
 * kept up (1). `ready_fd` (or -1) goes to the node, see node_main.
 */
int node_watchdog(const char *root, int ready_fd);

/*
 * The node process: boots the permanent release when ROOT/releases/RELEASES
 * exists (and serves the release requests), else ROOT/boot.yaml; serves the
 * control socket, writes ROOT/run/node.pid, then waits for `relman node
 * stop` or SIGTERM, SIGINT or SIGHUP and stops gracefully. SIGUSR1 (the
 * release handler's restart request) stops it with RM_HANDLER_EXIT_RESTART, which
 * the watchdog answers with a restart. Once serving it writes "R" to
 * `ready_fd` (when >= 0); when boot fails, "E" and the message. Returns the
 * exit status: 0 after a graceful stop, RM_HANDLER_EXIT_RESTART, NODE_EXIT_BOOT.
 */
int node_main(const char *root, int ready_fd, pid_t watchdog_pid);

struct rm_ctl;
struct rm_handler;
struct rm_node;
struct rm_proto_reader;
struct rm_proto_writer;

/*
 * Registers with the control server `ctl` the function that serves each
 * message type (node-requests.c, one row per type); the release requests
 * only when the node has a release handler `rh` (not NULL), those that
 * change releases through node_audit_handle. Before rm_ctl_start().
 * Returns 0, or -1 with `err` set.
 */
int node_serve_requests(struct rm_ctl *ctl, struct rm_handler *rh, const char *root,
                        struct rm_error *err);

/*
 * Registers `fn` (a release handler's request function, handed `rh`) for
 * message type `type` so that each request it serves appends a line for
 * operation `op` to the audit log of `root` (audit.h, node-audit.c).
 * `root` must outlive the server. Returns 0, or -1 with `err` set.
 */
int node_audit_handle(struct rm_ctl *ctl, unsigned type,
                      int (*fn)(void *, struct rm_node *, struct rm_proto_reader *,
                                struct rm_proto_writer *, struct rm_error *),
                      struct rm_handler *rh, const char *root, const char *op,
                      struct rm_error *err);

/* Log sink of the node and the watchdog: one line to stderr, with a time
   stamp when `stamped` (a detached node's log file). */
void node_log_init(int stamped);

/* An rm_log_fn: writes `line` at `level` (ud unused). */
void node_log_line(void *ud, int level, const char *line);

/* Logs a printf-style line at `level`. */
void node_logf(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
