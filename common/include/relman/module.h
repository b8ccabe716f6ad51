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
 * The module ABI version. The host refuses a module whose descriptor carries
 * another number. Bump this if the layout or meaning of struct rm_module_desc,
 * struct rm_host_api or struct rm_ctx changes in an incompatible way.
 */
#define RM_MODULE_ABI_VERSION 1

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
    /* ---- configuration (ABI 2) ---- */
    int (*config_get)(struct rm_ctx *ctx, const char *path, struct rm_config_item *out);
    const char *(*config_key)(struct rm_ctx *ctx, const char *path, size_t index);
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
 * config_change(ctx, change, &state)                         (ABI 2)
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
    /* ---- configuration (ABI 2) ---- */
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

#ifdef __cplusplus
}
#endif
#endif
