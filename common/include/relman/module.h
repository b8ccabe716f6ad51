/*
 * relman/module.h - the whole API of a relman module.
 *
 * A module is a shared object built for one version of one piece of code. It
 * includes this header and nothing else of relman, and links nothing of
 * relman: every host service (reply, send, timers, log) comes through the
 * context the host passes to each callback.
 *
 * A module exports one descriptor with RM_MODULE():
 *
 *     static int z_init(struct rm_ctx *ctx, const char *arg, void **state) { ... }
 *     ...
 *     RM_MODULE(.name = "z", .version = "1", .init = z_init, .handle_call = z_call,
 *               .code_change = z_code_change, .free_state = z_free, .format_state = z_fmt);
 *
 * The host loads it with dlopen(RTLD_NOW | RTLD_LOCAL) from a path used for no
 * other version, then checks the descriptor's ABI version, name and version
 * before any process runs it.
 *
 * Threads: the callbacks of one process never run concurrently with each
 * other; callbacks of different processes may run at the same time on
 * different worker threads, so a module keeps all mutable data in its state.
 *
 * This header is self-contained (C99, only standard headers) and is the
 * reference for module authors; docs/module-api.md walks through it.
 */
#ifndef RELMAN_MODULE_H
#define RELMAN_MODULE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The module ABI version. Version 2 added descriptors as messages,
 * processes that start and watch processes (rm_spawn, rm_monitor, rm_link),
 * configuration (rm_config_*) and the handle_event and config_change
 * callbacks, all appended to the version-1 layouts: the
 * host loads modules built for version 1 (RM_MODULE_ABI_MIN) unchanged and
 * never reads a field past the descriptor's `size`. The host refuses any
 * other number. Bump this if the layout or meaning of struct rm_module_desc,
 * struct rm_host_api or struct rm_ctx changes.
 */
#define RM_MODULE_ABI_VERSION 2
#define RM_MODULE_ABI_MIN     1

/* The name of the symbol the host looks up in every module. */
#define RM_MODULE_SYMBOL "relman_module"

/*
 * What a callback returns.
 *   RM_CONTINUE  the process goes on with the (possibly replaced) state
 *   RM_STOP      the process stops normally after this callback ("normal")
 *   RM_FAIL      the callback failed: the process exits with the reason given
 *                through rm_fail() (or "callback failed"), and its restart
 *                policy decides what happens next; from code_change, the
 *                code change is refused and the process keeps its old state
 */
enum rm_result { RM_CONTINUE = 0, RM_STOP = 1, RM_FAIL = -1 };

/* Direction of a code change. */
enum rm_direction {
    RM_UP = 0,  /* upgrade: runs in the new code; `vsn` is the version left behind */
    RM_DOWN = 1 /* downgrade: runs in the newer code before the older code is
                   loaded; `vsn` is the version being gone back to */
};

/* Log levels for rm_log(). */
enum rm_log_level { RM_LOG_ERROR = 0, RM_LOG_WARNING = 1, RM_LOG_INFO = 2, RM_LOG_DEBUG = 3 };

/* A token naming one pending call, to answer it with rm_reply_to(). */
typedef uint64_t rm_from;

/* A timer reference from rm_send_after(), for rm_cancel_timer(). 0 is none. */
typedef uint64_t rm_tref;

/* A monitor reference from rm_monitor(), for rm_demonitor(). 0 is none. */
typedef uint64_t rm_mref;

/* Readiness of a descriptor, for rm_fd_arm() and RM_EVENT_READY. */
#define RM_FD_IN  1u /* readable, or a connection to accept, or the peer closed */
#define RM_FD_OUT 2u /* writable, or a connect() finished (check SO_ERROR) */
#define RM_FD_HUP 4u /* reported only: the peer hung up (reading gives 0 or an error) */
#define RM_FD_ERR 8u /* reported only: an error is pending on the descriptor */

/* What a handle_event callback is told about (struct rm_event's kind). */
enum rm_event_kind {
    RM_EVENT_READY = 1, /* fd is ready for ev->events; armed again only by rm_fd_arm() */
    RM_EVENT_FD_GIVEN = 2, /* fd was handed to this process by ev->who (rm_fd_give) */
    RM_EVENT_DOWN = 3,  /* the process ev->who, monitored under ev->ref, exited
                           with ev->reason ("noproc" when it was gone already) */
    RM_EVENT_EXIT = 4   /* a linked process ev->who exited with ev->reason, and
                           this process traps exits (rm_trap_exit) */
};

/* One event, valid during the handle_event callback that received it. */
struct rm_event {
    int kind;            /* enum rm_event_kind */
    int fd;              /* READY, FD_GIVEN: the descriptor; -1 otherwise */
    uint32_t events;     /* READY: the RM_FD_* bits that are ready */
    rm_mref ref;         /* DOWN: the monitor's reference */
    const char *who;     /* FD_GIVEN, DOWN, EXIT: the other process, "<N>" */
    const char *reason;  /* DOWN, EXIT: its exit reason; "" otherwise */
    uint64_t pid;        /* DOWN, EXIT: the other process's pid, also when `who`
                            is its registered name (0 when unknown) */
};

/* How rm_spawn() starts a process. Zeroed fields take their defaults. */
struct rm_spawn_spec {
    const char *module; /* module to run (its current version); required */
    const char *arg;    /* init argument; NULL is "" */
    const char *name;   /* registered name, or NULL */
    int restart;        /* 0 temporary (default), 1 transient, 2 permanent:
                           restarted in place by the node, as runtime.h says */
    int link;           /* non-zero: linked to the caller before it can run
                           (OTP's spawn_link) */
};

/* rm_listen() flags. */
#define RM_LISTEN_REUSEPORT 1 /* SO_REUSEPORT: several listeners share the port */

struct rm_ctx;

/*
 * The type of a configuration value. An application declares the type of
 * each of its configuration keys (docs/manifests.md); a process reads the
 * configuration of its module's application with rm_config_get() and the
 * typed accessors below.
 */
enum rm_config_type {
    RM_CONFIG_NONE = 0,    /* no value at that path */
    RM_CONFIG_STRING = 1,  /* text */
    RM_CONFIG_INTEGER = 2, /* a signed 64-bit integer */
    RM_CONFIG_BOOLEAN = 3, /* true or false */
    RM_CONFIG_LIST = 4,    /* items reached by index: "peers.0" */
    RM_CONFIG_MAP = 5      /* values reached by key: "db.host" */
};

/*
 * One configuration value, as rm_config_get() fills it. A string stays
 * valid until the callback that read it returns: copy what you keep.
 */
struct rm_config_item {
    int type;        /* enum rm_config_type; RM_CONFIG_NONE when not set */
    const char *str; /* RM_CONFIG_STRING: the text, NUL-terminated */
    int64_t integer; /* RM_CONFIG_INTEGER */
    int boolean;     /* RM_CONFIG_BOOLEAN: 0 or 1 */
    size_t count;    /* RM_CONFIG_LIST, RM_CONFIG_MAP: items or keys */
};

/*
 * What changed in an application's configuration, as the config_change
 * callback receives it (OTP's config_change/3): the top-level keys whose
 * value changed, the keys that are new, and the keys that are gone. Each
 * list is in no particular order and may be empty (n 0, v NULL); at least
 * one is not. The new values are read with the accessors, in the callback
 * or later.
 */
struct rm_config_change {
    const char *const *changed;
    size_t n_changed;
    const char *const *added;
    size_t n_added;
    const char *const *removed;
    size_t n_removed;
};

/*
 * The services the host offers, reached through a context. Modules call the
 * inline wrappers below rather than these pointers. Every function that
 * names another process takes its registered name or its pid written as
 * "<N>" (what rm_self() returns for an unnamed process).
 */
struct rm_host_api {
    uint32_t abi_version; /* RM_MODULE_ABI_VERSION of the host */
    uint32_t size;        /* sizeof(struct rm_host_api) of the host */
    int (*reply_to)(struct rm_ctx *ctx, rm_from from, const void *data, size_t len);
    rm_from (*caller)(struct rm_ctx *ctx);
    int (*cast)(struct rm_ctx *ctx, const char *to, const void *data, size_t len);
    int (*send)(struct rm_ctx *ctx, const char *to, const void *data, size_t len);
    int (*call)(struct rm_ctx *ctx, const char *to, const void *data, size_t len, int timeout_ms,
                void **reply, size_t *reply_len);
    const char *(*self)(struct rm_ctx *ctx);
    rm_tref (*send_after)(struct rm_ctx *ctx, uint32_t ms, const void *data, size_t len);
    int (*cancel_timer)(struct rm_ctx *ctx, rm_tref tref);
    void (*log)(struct rm_ctx *ctx, int level, const char *msg);
    void (*fail)(struct rm_ctx *ctx, const char *reason);
    void (*free_reply)(struct rm_ctx *ctx, void *reply);
    /* ---- processes and descriptors (ABI 2) ---- */
    int (*spawn)(struct rm_ctx *ctx, const struct rm_spawn_spec *spec, char *who, size_t size);
    rm_mref (*monitor)(struct rm_ctx *ctx, const char *who);
    int (*demonitor)(struct rm_ctx *ctx, rm_mref ref);
    int (*link)(struct rm_ctx *ctx, const char *who);
    int (*unlink)(struct rm_ctx *ctx, const char *who);
    int (*trap_exit)(struct rm_ctx *ctx, int on);
    int (*exit)(struct rm_ctx *ctx, const char *who, const char *reason);
    int (*fd_own)(struct rm_ctx *ctx, int fd);
    int (*fd_arm)(struct rm_ctx *ctx, int fd, uint32_t events);
    int (*fd_give)(struct rm_ctx *ctx, int fd, const char *who);
    int (*fd_close)(struct rm_ctx *ctx, int fd);
    int (*listen)(struct rm_ctx *ctx, const char *addr, int backlog, int flags);
    int (*connect)(struct rm_ctx *ctx, const char *addr);
    int (*accept)(struct rm_ctx *ctx, int fd);
    /* ---- configuration (ABI 2) ---- */
    int (*config_get)(struct rm_ctx *ctx, const char *path, struct rm_config_item *out);
    const char *(*config_key)(struct rm_ctx *ctx, const char *path, size_t index);
    /* ---- supervisors (ABI 2, appended later: check rm_supervisor_available) ---- */
    int (*supervisor_start_child)(struct rm_ctx *ctx, const char *sup, const char *arg, char *who,
                                  size_t size);
};

/*
 * The context handed to every callback. Only `host` is public; the host
 * keeps its own data behind it. A context is valid during the callback that
 * received it and must not be kept.
 */
struct rm_ctx {
    const struct rm_host_api *host;
};

/*
 * The callbacks. All but `init` and `handle_call` may be NULL.
 *
 * init(ctx, arg, &state)
 *     Builds the first state from the init argument (a string from the
 *     application manifest or the boot file, "" when none). RM_CONTINUE
 *     starts the process; RM_FAIL refuses to start it.
 *
 * handle_call(ctx, msg, len, &state)
 *     A synchronous request. Answer it with rm_reply() now, or keep
 *     rm_caller() and answer later with rm_reply_to() (OTP's noreply). The
 *     callback may change *state in place or replace it (freeing the old).
 *
 * handle_cast(ctx, msg, len, &state)
 *     An asynchronous request; no answer. When NULL, casts are dropped.
 *
 * handle_info(ctx, msg, len, &state)
 *     Any other message: timers from rm_send_after(), plain rm_send().
 *     When NULL, infos are dropped.
 *
 * Messages are bytes (msg, len); the host adds a NUL after them, so a text
 * message can be read as a string. A call that is neither answered nor kept
 * when its callback returns RM_FAIL or RM_STOP fails for its caller with the
 * process's exit reason.
 *
 * terminate(ctx, reason, state)
 *     The process is stopping with `reason` ("normal", "shutdown", "killed"
 *     or a failure reason). Clean up resources; the state itself is freed
 *     afterwards with free_state.
 *
 * code_change(ctx, dir, vsn, old_state, extra, &new_state)
 *     Builds a new state from `old_state` for another version, WITHOUT
 *     modifying or freeing `old_state`: the host keeps it until the upgrade
 *     commits, so that a failed upgrade can put it back. `extra` is the
 *     manifest's extra string verbatim ("" when none). On RM_UP this runs in
 *     the new code and `vsn` is the old version; on RM_DOWN it runs in the
 *     newer code and `vsn` is the older version being gone back to. Return
 *     RM_CONTINUE with *new_state set, or RM_FAIL (reason via rm_fail()).
 *     When NULL, the state is kept as it is.
 *
 * free_state(state)
 *     Frees a state built by this module's init, callbacks or code_change.
 *     When NULL, the host calls free(state). Never called for a NULL state.
 *
 * format_state(state, buf, size)
 *     Writes a readable form of the state into buf (at most size bytes,
 *     NUL-terminated) for status and trace output, such as "{tschak,3}".
 *     Returns the length it wanted, as snprintf does.
 *
 * handle_event(ctx, ev, &state)                                    (ABI 2)
 *     What the node tells a process, in its mailbox in order with its other
 *     messages: a descriptor is ready, a descriptor was handed to it, a
 *     monitored process went down, a linked process exited while this one
 *     traps exits (struct rm_event). Returns as handle_info does. When NULL,
 *     events are dropped (a linked process's abnormal exit still ends this
 *     one unless it traps exits).
 *
 * config_change(ctx, change, &state)                               (ABI 2)
 *     The configuration of the process's application changed: an install
 *     (or rollback) committed with other configuration values for it, from
 *     the application's manifest or the node's override file. Called once
 *     on every process of the application's modules whose code has this
 *     callback, as a message in its mailbox (after the messages already
 *     queued, so never while suspended and never during a code_change).
 *     `change` names the top-level keys changed, added and removed; the
 *     accessors already give the new values. Returns like handle_info:
 *     RM_FAIL exits the process (its restart policy then starts it again,
 *     and its init reads the new configuration). When NULL, nothing is
 *     called: the process reads the new values when it next asks.
 */
struct rm_module_desc {
    uint32_t abi_version; /* RM_MODULE_ABI_VERSION the module was built for */
    uint32_t size;        /* sizeof(struct rm_module_desc) the module was built with */
    const char *name;     /* the module's name, such as "z" */
    const char *version;  /* the version this object is, such as "1" */
    int (*init)(struct rm_ctx *ctx, const char *arg, void **state);
    int (*handle_call)(struct rm_ctx *ctx, const void *msg, size_t len, void **state);
    int (*handle_cast)(struct rm_ctx *ctx, const void *msg, size_t len, void **state);
    int (*handle_info)(struct rm_ctx *ctx, const void *msg, size_t len, void **state);
    void (*terminate)(struct rm_ctx *ctx, const char *reason, void *state);
    int (*code_change)(struct rm_ctx *ctx, enum rm_direction dir, const char *vsn,
                       const void *old_state, const char *extra, void **new_state);
    void (*free_state)(void *state);
    int (*format_state)(const void *state, char *buf, size_t size);
    /* ---- ABI 2 ---- */
    int (*handle_event)(struct rm_ctx *ctx, const struct rm_event *ev, void **state);
    int (*config_change)(struct rm_ctx *ctx, const struct rm_config_change *change, void **state);
};

/*
 * Defines the module's descriptor from designated initializers for its
 * fields (name, version and callbacks); the ABI fields are filled in.
 */
#define RM_MODULE(...)                                                                             \
    __attribute__((visibility("default"))) const struct rm_module_desc relman_module = {           \
        .abi_version = RM_MODULE_ABI_VERSION, .size = sizeof(struct rm_module_desc), __VA_ARGS__}

/* Answers the call being handled with `len` bytes of `data`. 0 or -1. */
static inline int rm_reply(struct rm_ctx *ctx, const void *data, size_t len)
{
    return ctx->host->reply_to(ctx, ctx->host->caller(ctx), data, len);
}

/* The token of the call being handled (0 outside handle_call). */
static inline rm_from rm_caller(struct rm_ctx *ctx)
{
    return ctx->host->caller(ctx);
}

/* Answers the call `from` later (OTP's gen_server:reply). 0, or -1 if the
   caller is gone or was already answered. */
static inline int rm_reply_to(struct rm_ctx *ctx, rm_from from, const void *data, size_t len)
{
    return ctx->host->reply_to(ctx, from, data, len);
}

/* Sends an asynchronous request to process `to`. 0, or -1 if no such process. */
static inline int rm_cast(struct rm_ctx *ctx, const char *to, const void *data, size_t len)
{
    return ctx->host->cast(ctx, to, data, len);
}

/* Sends an info message to process `to`. 0, or -1 if no such process. */
static inline int rm_send(struct rm_ctx *ctx, const char *to, const void *data, size_t len)
{
    return ctx->host->send(ctx, to, data, len);
}

/*
 * Calls process `to` and waits up to timeout_ms (negative: forever) for the
 * answer, stored in a new buffer (*reply, *reply_len) to be released with
 * rm_free_reply(). Blocks this process (not the node). 0, or -1 on timeout,
 * no such process, or a call to itself.
 */
static inline int rm_call(struct rm_ctx *ctx, const char *to, const void *data, size_t len,
                          int timeout_ms, void **reply, size_t *reply_len)
{
    return ctx->host->call(ctx, to, data, len, timeout_ms, reply, reply_len);
}

/* Releases an answer returned by rm_call(). */
static inline void rm_free_reply(struct rm_ctx *ctx, void *reply)
{
    ctx->host->free_reply(ctx, reply);
}

/* The calling process's registered name, or "<N>" for its pid. */
static inline const char *rm_self(struct rm_ctx *ctx)
{
    return ctx->host->self(ctx);
}

/* Sends `data` to this process as an info message after `ms` milliseconds.
   Returns the timer's reference, or 0 on failure. */
static inline rm_tref rm_send_after(struct rm_ctx *ctx, uint32_t ms, const void *data, size_t len)
{
    return ctx->host->send_after(ctx, ms, data, len);
}

/* Cancels a timer. 0, or -1 if it already fired or does not exist. */
static inline int rm_cancel_timer(struct rm_ctx *ctx, rm_tref tref)
{
    return ctx->host->cancel_timer(ctx, tref);
}

/* Writes `msg` to the node's log at `level`, tagged with this process. */
static inline void rm_log(struct rm_ctx *ctx, int level, const char *msg)
{
    ctx->host->log(ctx, level, msg);
}

/* Gives the reason of an RM_FAIL about to be returned (copied by the host). */
static inline void rm_fail(struct rm_ctx *ctx, const char *reason)
{
    ctx->host->fail(ctx, reason);
}

/* ---- processes that start and watch processes (ABI 2) ------------------
 *
 * Exit reasons are strings; "normal", "shutdown" and "killed" keep their OTP
 * meaning. When a process exits, for any reason:
 *   - every process monitoring it gets RM_EVENT_DOWN with the reason;
 *   - every process linked to it either gets RM_EVENT_EXIT (when it traps
 *     exits) or, when the reason is not "normal", exits with the same
 *     reason (its own links then propagate in turn);
 *   - every descriptor it owns is closed (the peer sees EOF).
 * Signals travel as messages: they wait behind the messages already in the
 * mailbox, and while a process is suspended (during an upgrade) they wait
 * like any message.
 */

/*
 * Starts a process of spec->module (whose init runs now, on this thread)
 * and writes its label ("<N>", or its name when it has one) into who (size
 * bytes; RM_NAME_MAX + 24 always suffice). With spec->link it is linked to
 * the caller before it can run, so that neither can miss the other's exit.
 * 0, or -1 when the module is not loaded, the name is taken or its init
 * failed (the reason is logged; errno EINVAL or ENOENT), or -1 with errno
 * EAGAIN while an upgrade in progress changes the module's code: a process
 * started then would run code whose state layout is changing under it.
 * Try again shortly (a timer); examples/echo's listener stops accepting
 * until it can, so connections wait in the kernel's backlog.
 */
static inline int rm_spawn(struct rm_ctx *ctx, const struct rm_spawn_spec *spec, char *who,
                           size_t size)
{
    return ctx->host->spawn(ctx, spec, who, size);
}

/*
 * Watches process `who`: one RM_EVENT_DOWN arrives when it exits, with the
 * returned reference and its reason; at once, with reason "noproc", when
 * there is no such process. Returns the reference (never 0 but out of
 * memory). Monitoring is one-way and may be repeated (one DOWN each).
 */
static inline rm_mref rm_monitor(struct rm_ctx *ctx, const char *who)
{
    return ctx->host->monitor(ctx, who);
}

/* Stops a monitor. 0, or -1 when it fired already or is not this process's
   (a DOWN already in the mailbox stays there). */
static inline int rm_demonitor(struct rm_ctx *ctx, rm_mref ref)
{
    return ctx->host->demonitor(ctx, ref);
}

/* Links this process and `who` both ways (once: linking again does
   nothing). 0, or -1 when there is no such process or it is this one. */
static inline int rm_link(struct rm_ctx *ctx, const char *who)
{
    return ctx->host->link(ctx, who);
}

/* Removes the link with `who` both ways. 0, or -1 when there was none. */
static inline int rm_unlink(struct rm_ctx *ctx, const char *who)
{
    return ctx->host->unlink(ctx, who);
}

/* With on non-zero, exits of linked processes arrive as RM_EVENT_EXIT
   instead of ending this process (OTP's trap_exit). Returns the previous
   setting. */
static inline int rm_trap_exit(struct rm_ctx *ctx, int on)
{
    return ctx->host->trap_exit(ctx, on);
}

/*
 * Sends an exit signal with `reason` to `who`, as if a linked process had
 * exited with it (OTP's exit/2): a process trapping exits gets
 * RM_EVENT_EXIT; another exits, unless the reason is "normal". Reason
 * "kill" cannot be trapped: the process exits with "killed". 0, or -1 when
 * there is no such process.
 */
static inline int rm_exit(struct rm_ctx *ctx, const char *who, const char *reason)
{
    return ctx->host->exit(ctx, who, reason);
}

/* ---- descriptors as messages (ABI 2) --------------------------------------
 *
 * A process does its I/O through descriptors the node knows it owns: it
 * reads and writes them itself (they are non-blocking), and asks the node
 * to tell it, once, when one is ready (rm_fd_arm); readiness arrives as
 * RM_EVENT_READY in its mailbox, and nothing more arrives for that
 * descriptor until it is armed again (OTP's {active, once}), so a slow
 * process is never flooded and nothing polls. The node closes a process's
 * descriptors when it exits; an upgrade, a rollback, a suspension or a
 * code_change never closes one (while a process is suspended, its readiness
 * waits in its mailbox and the kernel keeps the bytes).
 */

/* Hands the node a descriptor this process opened (socket, pipe, eventfd,
   timerfd, anything pollable): it is made non-blocking and close-on-exec,
   and is this process's from now on. 0, or -1 (not pollable, owned
   already). */
static inline int rm_fd_own(struct rm_ctx *ctx, int fd)
{
    return ctx->host->fd_own(ctx, fd);
}

/* Asks for one RM_EVENT_READY when fd is ready for `events` (RM_FD_IN,
   RM_FD_OUT or both); replaces an earlier request not yet fired. 0, or -1
   when this process does not own fd. */
static inline int rm_fd_arm(struct rm_ctx *ctx, int fd, uint32_t events)
{
    return ctx->host->fd_arm(ctx, fd, events);
}

/* Hands fd to process `who` (OTP's controlling_process): a request armed
   is dropped, and `who` gets RM_EVENT_FD_GIVEN. 0, or -1 when this process
   does not own fd or there is no such process. */
static inline int rm_fd_give(struct rm_ctx *ctx, int fd, const char *who)
{
    return ctx->host->fd_give(ctx, fd, who);
}

/* Closes a descriptor this process owns. 0, or -1 when it owns no fd. */
static inline int rm_fd_close(struct rm_ctx *ctx, int fd)
{
    return ctx->host->fd_close(ctx, fd);
}

/*
 * Opens a listening socket this process owns, at `addr`: "HOST:PORT" (an
 * IPv4 address or name), "[IPv6]:PORT", ":PORT" or "*:PORT" (every
 * address), or "unix:PATH". Port 0 picks a free one (getsockname() tells
 * which). flags: RM_LISTEN_REUSEPORT. SO_REUSEADDR is always set for TCP.
 * Returns the descriptor, or -1 with errno set (EINVAL for a bad address).
 */
static inline int rm_listen(struct rm_ctx *ctx, const char *addr, int backlog, int flags)
{
    return ctx->host->listen(ctx, addr, backlog, flags);
}

/* Starts connecting to `addr` (as rm_listen's, without '*'); the
   descriptor is this process's and non-blocking: arm it for RM_FD_OUT to
   learn when the connection is made. Returns it, or -1 with errno set. */
static inline int rm_connect(struct rm_ctx *ctx, const char *addr)
{
    return ctx->host->connect(ctx, addr);
}

/* Accepts one connection on listening descriptor fd (owned by this
   process); the new descriptor is this process's. Returns it, or -1 with
   errno set (EAGAIN: none waiting; arm fd for RM_FD_IN). */
static inline int rm_accept(struct rm_ctx *ctx, int fd)
{
    return ctx->host->accept(ctx, fd);
}

/* ---- configuration (ABI 2) -------------------------------------------
 *
 * A process reads the configuration of the application its module belongs
 * to: the application manifest's defaults merged with the node's override
 * file (ROOT/config.yaml), checked against the types the application
 * declares (docs/manifests.md). A path names a value: "" is the whole
 * configuration (a map of the top-level keys), "port" a top-level key,
 * "db.host" a key of a map, "peers.0" the first item of a list, and
 * "peers.0.host" goes on from there. Keys are letters, digits, '_' and '-'.
 * A module of no application (a boot file's, or one started by hand) has an
 * empty configuration. The accessors work in every callback but
 * free_state and format_state (which have no context).
 */

/* 1 when the host offers the configuration functions (an ABI 2 host),
   0 in an older host, where the accessors below find nothing. */
static inline int rm_config_available(struct rm_ctx *ctx)
{
    return ctx->host->size >= offsetof(struct rm_host_api, config_key) + sizeof(void *);
}

/*
 * Reads the configuration value at `path` into *out. Returns 0, or -1 with
 * out->type RM_CONFIG_NONE when nothing is set there (a key the application
 * declares without a default and the node does not set, a key it does not
 * declare, an index past the end of a list, a path through a string).
 */
static inline int rm_config_get(struct rm_ctx *ctx, const char *path, struct rm_config_item *out)
{
    if (!rm_config_available(ctx)) {
        out->type = RM_CONFIG_NONE;
        return -1;
    }
    return ctx->host->config_get(ctx, path, out);
}

/* The string at `path` into *value (valid until the callback returns).
   0, or -1 when it is not set or not a string (*value untouched). */
static inline int rm_config_str(struct rm_ctx *ctx, const char *path, const char **value)
{
    struct rm_config_item it;
    if (rm_config_get(ctx, path, &it) < 0 || it.type != RM_CONFIG_STRING)
        return -1;
    *value = it.str;
    return 0;
}

/* The integer at `path` into *value. 0, or -1 when it is not set or not an
   integer (*value untouched). */
static inline int rm_config_int(struct rm_ctx *ctx, const char *path, int64_t *value)
{
    struct rm_config_item it;
    if (rm_config_get(ctx, path, &it) < 0 || it.type != RM_CONFIG_INTEGER)
        return -1;
    *value = it.integer;
    return 0;
}

/* The boolean at `path` into *value (0 or 1). 0, or -1 when it is not set
   or not a boolean (*value untouched). */
static inline int rm_config_bool(struct rm_ctx *ctx, const char *path, int *value)
{
    struct rm_config_item it;
    if (rm_config_get(ctx, path, &it) < 0 || it.type != RM_CONFIG_BOOLEAN)
        return -1;
    *value = it.boolean;
    return 0;
}

/* The number of items of the list, or keys of the map, at `path`; 0 when
   it is empty, not set, or neither a list nor a map. */
static inline size_t rm_config_count(struct rm_ctx *ctx, const char *path)
{
    struct rm_config_item it;
    if (rm_config_get(ctx, path, &it) < 0)
        return 0;
    return it.type == RM_CONFIG_LIST || it.type == RM_CONFIG_MAP ? it.count : 0;
}

/* The key number `index` (from 0, in the order written) of the map at
   `path` ("" for the top-level keys), valid until the callback returns;
   NULL when there is no such map or key. */
static inline const char *rm_config_key(struct rm_ctx *ctx, const char *path, size_t index)
{
    return rm_config_available(ctx) ? ctx->host->config_key(ctx, path, index) : NULL;
}

/* ---- supervisors (ABI 2) ------------------------------------------------
 *
 * Supervisors are declared in the application manifest (docs/manifests.md)
 * and run by the node; a module only asks one with the strategy
 * simple_one_for_one to start a child of its one child spec.
 */

/* Whether the host offers rm_supervisor_start_child (a host older than the
   call does not: the call then fails with -1). */
static inline int rm_supervisor_available(struct rm_ctx *ctx)
{
    return ctx->host->size >=
           offsetof(struct rm_host_api, supervisor_start_child) + sizeof(void *);
}

/*
 * Asks the simple_one_for_one supervisor registered as `sup` to start one
 * more child of its child spec with init argument `arg` (NULL is ""),
 * linked to the supervisor, which restarts it per the spec's restart type,
 * and writes the child's label ("<N>") into who (size bytes; RM_NAME_MAX +
 * 24 always suffice). Blocks this process (not the node) until the child's
 * init has run, at most 5 s. 0, or -1 when there is no such supervisor, it
 * is not simple_one_for_one, or the child's init failed (the supervisor
 * logs why).
 */
static inline int rm_supervisor_start_child(struct rm_ctx *ctx, const char *sup, const char *arg,
                                            char *who, size_t size)
{
    if (!rm_supervisor_available(ctx))
        return -1;
    return ctx->host->supervisor_start_child(ctx, sup, arg, who, size);
}

#ifdef __cplusplus
}
#endif
#endif
