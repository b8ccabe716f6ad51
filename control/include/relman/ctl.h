/*
 * relman/ctl.h - the node's control server: a Unix socket in ROOT/run that
 * `relman` talks to (relman/protocol.h).
 *
 * The server accepts connections only from the node's own user (the socket
 * is mode 0600 in a 0700 directory, and each peer's uid is checked with
 * SO_PEERCRED), reads request frames, runs the handler registered for each
 * message type and writes one reply per request. Every connection has its
 * own thread, up to a cap. Each whole frame must arrive within the I/O
 * timeout of the moment its connection began to wait for it (a peer that
 * trickles bytes is dropped then, however often it sends one); at the cap,
 * a new peer takes the place of the connection that has waited longest for
 * a frame; when every connection is inside a handler, RM_CTL_RESERVE more
 * are admitted, and a peer beyond those is refused at once. So idle, slow or hostile peers never
 * lock a well-behaved client out, and a handler that waits (a call to a suspended process) blocks
 * only its own connection. A bad frame gets an error reply and, when the framing is lost, the
 * connection is closed; the server keeps serving.
 *
 * The server itself serves nothing: the embedding program registers a
 * handler per message type with rm_ctl_handle(), and a request of a type
 * nobody registered gets an error reply ("unknown message type N"). This
 * library provides the handlers of ping and of the process and module
 * requests (rm_ctl_serve_*, below); the node daemon keeps the one table
 * that says which function serves each message type.
 *
 * Lifecycle: rm_ctl_new (bind, listen), rm_ctl_handle (register), rm_ctl_start
 * (serve), rm_ctl_shutdown (stop accepting, drop idle peers), rm_ctl_free
 * (wait for running handlers, remove the socket, free).
 */
#ifndef RELMAN_CTL_H
#define RELMAN_CTL_H

#include <sys/types.h>

#include "relman/error.h"
#include "relman/protocol.h"
#include "relman/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rm_ctl;

/* Connections admitted beyond the cap while every connection is inside a
   request (a call waiting on a suspended process, ...), so that a command
   that ends those waits can still get through. */
#define RM_CTL_RESERVE 8

/*
 * Handles one request of the type it is registered for: reads the request's
 * fields from `req`, puts the successful reply's fields into `reply` (after
 * the status, which the server writes), and returns 0; or returns -1 with
 * `err` set, which the client receives as an error reply (RM_EPROTO messages
 * get the request's name in front). It runs on the connection's thread and
 * may block; `ud` is what was registered with it.
 */
typedef int (*rm_ctl_handler_fn)(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                                 struct rm_proto_writer *reply, struct rm_error *err);

/* The peer whose request a handler serves, as the kernel saw it when it
   connected (SO_PEERCRED): its process and user. */
struct rm_ctl_peer {
    pid_t pid;
    uid_t uid;
};

/*
 * From inside a handler (an rm_ctl_handler_fn on its connection's thread):
 * fills *peer with the peer whose request it serves and returns 0. Returns
 * -1, leaving *peer untouched, on any other thread.
 */
int rm_ctl_peer(struct rm_ctl_peer *peer);

/* How a control server is built. Zeroed fields take their defaults. */
struct rm_ctl_opts {
    const char *root;       /* the node's root; the socket is ROOT/run/node.sock (required) */
    pid_t watchdog_pid;     /* reported by ping; 0 when the node has no watchdog */
    unsigned max_conns;     /* connections served at once; 0: 64 (a new one then takes
                               the place of the one idle longest) */
    unsigned io_timeout_ms; /* a frame not whole this long after its connection began to
                               wait for it, or a reply not read this long, drops the
                               peer; 0: 10000 */
};

/*
 * Creates ROOT/run (mode 0700; refused when it belongs to another user or is
 * not a directory), and binds and listens on ROOT/run/node.sock with mode
 * 0600. A socket file left by a dead node is replaced; a socket a live node
 * answers on is refused with RM_EEXIST. Roots too long for sun_path are
 * handled (see rm_proto_bind). Nothing is served before rm_ctl_start().
 * Returns the server, or NULL with `err` set.
 */
struct rm_ctl *rm_ctl_new(struct rm_node *node, const struct rm_ctl_opts *opts,
                          struct rm_error *err);

/*
 * Registers `fn` (with `ud`) for message type `type`, replacing the handler
 * registered before if there is one. Only before rm_ctl_start(). Returns 0, or -1 with
 * RM_EINVAL for a type of RM_MSG_TYPE_LIMIT or more, RM_ESTATE once started.
 */
int rm_ctl_handle(struct rm_ctl *ctl, unsigned type, rm_ctl_handler_fn fn, void *ud,
                  struct rm_error *err);

/* Starts serving on a thread of its own. Returns 0, or -1 with `err` set. */
int rm_ctl_start(struct rm_ctl *ctl, struct rm_error *err);

/*
 * Stops accepting connections and makes every connection thread finish once
 * its running handler (if any) has returned and its reply is written.
 * Returns at once; rm_ctl_free() waits. Idempotent.
 */
void rm_ctl_shutdown(struct rm_ctl *ctl);

/* Shuts down (if not done), waits for every connection thread, removes the
   socket file and frees the server. NULL is accepted. */
void rm_ctl_free(struct rm_ctl *ctl);

/* ---- the requests this library serves ------------------------------------
 *
 * Each is an rm_ctl_handler_fn: it reads the request's fields as
 * relman/protocol.h lists them, acts on `node` through relman/runtime.h and
 * puts the reply's fields. A malformed request fails with RM_EPROTO; the
 * runtime's own errors pass through with the process, module or request
 * named in front ("call 'z': ..."). `ud` is unused except by ping.
 */

/* RM_MSG_PING: the node's pid, its watchdog's and its root. `ud` must be
   the struct rm_ctl the handler is registered with. */
int rm_ctl_serve_ping(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                      struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_STATUS: one page of the process table after a given pid. */
int rm_ctl_serve_status(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                        struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_CALL: sends a call to a process (by name or "<N>") and waits up to
   the request's timeout for its reply, which it returns. */
int rm_ctl_serve_call(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                      struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_CAST: sends a cast to a process; nothing to wait for. */
int rm_ctl_serve_cast(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                      struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_SUSPEND: suspends every named process, all or none, each within
   the request's timeout. */
int rm_ctl_serve_suspend(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                         struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_RESUME: resumes every named process, all or none. */
int rm_ctl_serve_resume(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                        struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_LOAD: loads a module version from an absolute path and returns the
   name and version it declares. */
int rm_ctl_serve_load(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                      struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_PURGE: drops a module's old version, softly or brutally, and
   returns how many processes it killed. */
int rm_ctl_serve_purge(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                       struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_CHANGE_CODE: runs code_change on one suspended process. */
int rm_ctl_serve_change_code(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                             struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_TRACE: turns a process's trace on or off. */
int rm_ctl_serve_trace(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                       struct rm_proto_writer *reply, struct rm_error *err);

/* RM_MSG_STATE: a process's state as its module's format_state writes it. */
int rm_ctl_serve_state(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                       struct rm_proto_writer *reply, struct rm_error *err);

#ifdef __cplusplus
}
#endif
#endif
