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

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

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
 * in ROOT/log/node.log, returning once the node answers on its socket; with
 * `supervised` it runs the node itself in this process, without a watchdog,
 * for a service manager that restarts it (node_main's exit status is
 * returned: 0, RM_HANDLER_EXIT_RESTART or NODE_EXIT_BOOT). `root` must be
 * absolute. Returns the exit status; errors are printed.
 */
int node_start(const char *root, int detach, int supervised);

/*
 * The watchdog: starts the node in a child process, restarts it when it
 * dies abnormally (within the restart intensity), forwards SIGTERM and
 * SIGINT to it as a stop, and returns once the node has stopped (0) or
 * cannot be kept up (1). SIGHUP reopens its log file and is forwarded to the
 * node (which does the same) unless the log is stderr (a terminal's
 * hangup), when it stops the node.
 * `ready_fd` (or -1) goes to the node, see node_main.
 */
int node_watchdog(const char *root, int ready_fd);

/*
 * The node process: boots the permanent release when ROOT/releases/RELEASES
 * exists (and serves the release requests), else ROOT/boot.yaml; serves the
 * control socket, writes ROOT/run/node.pid, then waits for `relman node
 * stop` or SIGTERM or SIGINT and stops gracefully. SIGHUP reopens the log
 * file (NODE_SINK_FILE, and passes the signal on to the watchdog when it did
 * not come from there), stops a node in the foreground under a watchdog (a
 * terminal's hangup), and is only logged otherwise (supervised). Under a service manager it
 * sends READY=1 once serving, STOPPING=1 when it stops and, with
 * WATCHDOG_USEC, WATCHDOG=1 at half the interval while its processes can
 * be listed. SIGUSR1 (the
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

/* Where the node and the watchdog log (node-log.c). */
enum node_log_sink {
    NODE_SINK_STDERR,  /* stderr as it is, no time stamp (the foreground) */
    NODE_SINK_FILE,    /* stderr is the log file at a path, time stamped; reopened on SIGHUP */
    NODE_SINK_JOURNAL, /* systemd's journal, with structured fields */
};

/* Sets where lines go: `root` names the node in the journal's RELMAN_ROOT,
   `path` the file of NODE_SINK_FILE (both copied; either may be NULL). */
void node_log_init(enum node_log_sink sink, const char *root, const char *path);

/* The sink node_log_init set. */
enum node_log_sink node_log_sink(void);

/* Tells whether the node should log to the journal: started by a service
   manager (NOTIFY_SOCKET set), or stderr is the stream JOURNAL_STREAM
   names. */
int node_log_journal_wanted(void);

/* Sets the release the journal's RELMAN_RELEASE names ("" or NULL: none).
   Safe from any thread. */
void node_log_release(const char *vsn);

/* With NODE_SINK_FILE, opens the log's path again onto stdout and stderr
   (after a rotation renamed it): a line written before goes whole to the
   old file, one written after to the new one. Does nothing for the other
   sinks. Returns 0, or -1 with `err` set (the old file stays in use). */
int node_log_reopen(struct rm_error *err);

/* What a line is about, as far as the runtime knows (NULL members: not
   known). */
struct node_log_subject {
    const char *process; /* registered name or "<N>" */
    const char *module;
    const char *version; /* the module's version */
};

/* The most fields a journal record has, and their room. */
#define NODE_JOURNAL_FIELDS_MAX 8
#define NODE_JOURNAL_BYTES      4096

/* One journal record: `n` fields "NAME=value" in `iov`, pointing into buf. */
struct node_journal_rec {
    struct iovec iov[NODE_JOURNAL_FIELDS_MAX];
    size_t n;
    char buf[NODE_JOURNAL_BYTES];
    size_t used;
};

/* Fills *rec with the journal fields of a line: PRIORITY (syslog's 3
   error, 4 warning, 6 info, 7 debug), SYSLOG_IDENTIFIER=relman, when known
   and not empty RELMAN_ROOT, RELMAN_RELEASE, RELMAN_PROCESS, RELMAN_MODULE,
   RELMAN_MODULE_VERSION, and last MESSAGE, cut to the room left (values
   are cut, never left out, except that an empty one is). */
void node_journal_fields(struct node_journal_rec *rec, int level, const char *line,
                         const struct node_log_subject *subj, const char *release,
                         const char *root);

/* Logs `line` at `level` to the sink, about `subj` (may be NULL). */
void node_log_about(int level, const char *line, const struct node_log_subject *subj);

/* An rm_log_fn: writes `line` at `level` (ud unused). */
void node_log_line(void *ud, int level, const char *line);

/* Logs a printf-style line at `level`. */
void node_logf(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The service manager (node-systemd.c; nothing happens when relman was
   built without libsystemd). Tells whether NOTIFY_SOCKET is set: the node
   then runs supervised, without relman's watchdog. */
int node_sd_notifying(void);

/* READY=1 with a printf-style STATUS= text. */
void node_sd_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A printf-style STATUS= text (an install under way, the release running). */
void node_sd_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* STOPPING=1: a graceful stop has begun. */
void node_sd_stopping(void);

/* The manager's watchdog interval in microseconds (WATCHDOG_USEC, for this
   process), or 0 when there is none. */
uint64_t node_sd_watchdog_usec(void);

/* WATCHDOG=1: the node is alive. */
void node_sd_watchdog_ping(void);

#endif
