/*
 * host.c - running callbacks: the context and host API modules see, the
 * handling of one message, and the trace lines of {debug,[trace]}.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"

#define RM__HOST_TRACE_MAX 200

static struct rm__host_ctx *host(struct rm_ctx *ctx)
{
    return (struct rm__host_ctx *)ctx;
}

void rm__host_printable(const void *data, size_t len, char *buf, size_t size)
{
    const unsigned char *s = data;
    size_t k = 0;
    for (size_t i = 0; i < len && k + 5 < size; i++) {
        unsigned char ch = s[i];
        if (ch >= 32 && ch < 127 && ch != '\\') {
            buf[k++] = (char)ch;
        } else {
            k += (size_t)snprintf(buf + k, size - k, "\\x%02x", ch);
        }
    }
    if (size)
        buf[k < size ? k : size - 1] = '\0';
}

static const char *self_label(struct rm__host_ctx *c)
{
    if (!c->self[0]) {
        struct rm_proc *p = c->proc;
        rm_label(p->ext ? p->ext->name : NULL, c->self_pid, c->self, sizeof c->self);
    }
    return c->self;
}

/* ---- the host API ----------------------------------------------------- */

static void trace_out(struct rm__host_ctx *c, rm_pid to, const void *data, size_t len)
{
    char text[RM__HOST_TRACE_MAX], who[RM_NAME_MAX + 24];
    rm__host_printable(data, len, text, sizeof text);
    rm__proc_label(c->node, to, who, sizeof who);
    rm__rt_log(c->node, RM_LOG_DEBUG, "*DBG* %s sent %s to %s", self_label(c), text, who);
}

static int h_reply_to(struct rm_ctx *ctx, rm_from from, const void *data, size_t len)
{
    struct rm__host_ctx *c = host(ctx);
    rm_pid to = 0;
    if (rm__call_complete(c->node, from, data, len, 0, NULL, &to) < 0)
        return -1;
    if (c->tracing) {
        if (from == c->caller && !c->trace_reply) {
            c->trace_reply = malloc(len + 1);
            if (c->trace_reply) {
                memcpy(c->trace_reply, data, len);
                c->trace_reply_len = len;
            }
        } else {
            trace_out(c, to, data, len);
        }
    }
    if (from == c->caller)
        c->caller = 0; /* answered */
    return 0;
}

static rm_from h_caller(struct rm_ctx *ctx)
{
    return host(ctx)->caller;
}

static int h_post(struct rm_ctx *ctx, int kind, const char *to, const void *data, size_t len)
{
    struct rm__host_ctx *c = host(ctx);
    rm_pid pid = rm__proc_resolve(c->node, to);
    if (!pid)
        return -1;
    struct rm_msg *m = rm__mbox_msg_new(kind, data, len);
    if (!m)
        return -1;
    m->sender = c->self_pid;
    if (rm__proc_deliver(c->node, pid, m) < 0) {
        free(m);
        return -1;
    }
    return 0;
}

static int h_cast(struct rm_ctx *ctx, const char *to, const void *data, size_t len)
{
    return h_post(ctx, RM__MBOX_CAST, to, data, len);
}

static int h_send(struct rm_ctx *ctx, const char *to, const void *data, size_t len)
{
    return h_post(ctx, RM__MBOX_INFO, to, data, len);
}

static int h_call(struct rm_ctx *ctx, const char *to, const void *data, size_t len, int timeout_ms,
                  void **reply, size_t *reply_len)
{
    struct rm__host_ctx *c = host(ctx);
    rm_pid pid = rm__proc_resolve(c->node, to);
    if (!pid || pid == c->self_pid)
        return -1;
    char *r;
    size_t rlen;
    if (rm__call_call(c->node, c->self_pid, pid, data, len, timeout_ms, &r, &rlen, NULL) < 0)
        return -1;
    *reply = r;
    if (reply_len)
        *reply_len = rlen;
    return 0;
}

static const char *h_self(struct rm_ctx *ctx)
{
    return self_label(host(ctx));
}

static rm_tref h_send_after(struct rm_ctx *ctx, uint32_t ms, const void *data, size_t len)
{
    struct rm__host_ctx *c = host(ctx);
    return rm__timer_add(c->node, c->self_pid, ms, data, len);
}

static int h_cancel_timer(struct rm_ctx *ctx, rm_tref tref)
{
    struct rm__host_ctx *c = host(ctx);
    return rm__timer_cancel(c->node, c->self_pid, tref);
}

static void h_log(struct rm_ctx *ctx, int level, const char *msg)
{
    struct rm__host_ctx *c = host(ctx);
    const char *label = self_label(c);
    struct rm_log_about about = {label, c->proc->module->name, c->proc->code->desc->version};
    rm__rt_log_about(c->node, &about, level, "%s (%s): %s", label, c->proc->module->name, msg);
}

static void h_fail(struct rm_ctx *ctx, const char *reason)
{
    struct rm__host_ctx *c = host(ctx);
    c->failed = true;
    snprintf(c->reason, sizeof c->reason, "%s", reason ? reason : "callback failed");
}

static void h_free_reply(struct rm_ctx *ctx, void *reply)
{
    free(reply);
}

/* ---- processes that start and watch processes (ABI 2) ----------------- */

static int h_spawn(struct rm_ctx *ctx, const struct rm_spawn_spec *spec, char *who, size_t size)
{
    struct rm__host_ctx *c = host(ctx);
    struct rm_error err;
    rm_pid pid;
    if (!spec || !spec->module) {
        errno = EINVAL;
        return -1;
    }
    if (rm__rel_of(c->node)->spawn(c->node, c->proc, spec, &pid, &err) < 0) {
        if (err.xcode == RM_XUPGRADING) { /* the caller tries again later */
            errno = EAGAIN;
            return -1;
        }
        rm__rt_log(c->node, RM_LOG_ERROR, "%s (%s): spawn of '%s' failed: %s", self_label(c),
                   c->proc->module->name, spec->module, err.msg);
        errno = err.code == RM_ENOENT ? ENOENT : EINVAL;
        return -1;
    }
    if (who && size)
        rm_label(spec->name, pid, who, size);
    return 0;
}

static rm_mref h_monitor(struct rm_ctx *ctx, const char *who)
{
    struct rm__host_ctx *c = host(ctx);
    return rm__rel_monitor(c->node, c->proc, rm__proc_resolve(c->node, who), who ? who : "");
}

static int h_demonitor(struct rm_ctx *ctx, rm_mref ref)
{
    struct rm__host_ctx *c = host(ctx);
    return rm__rel_demonitor(c->node, c->proc, ref);
}

static int h_link(struct rm_ctx *ctx, const char *who)
{
    struct rm__host_ctx *c = host(ctx);
    rm_pid pid = rm__proc_resolve(c->node, who);
    return pid && rm__rel_link(c->node, c->proc, pid) >= 0 ? 0 : -1;
}

static int h_unlink(struct rm_ctx *ctx, const char *who)
{
    struct rm__host_ctx *c = host(ctx);
    rm_pid pid = rm__proc_resolve(c->node, who);
    return pid ? rm__rel_unlink(c->node, c->proc, pid) : -1;
}

static int h_trap_exit(struct rm_ctx *ctx, int on)
{
    struct rm__host_ctx *c = host(ctx);
    return rm__rel_trap(c->node, c->proc, on);
}

static int h_exit(struct rm_ctx *ctx, const char *who, const char *reason)
{
    struct rm__host_ctx *c = host(ctx);
    rm_pid pid = rm__proc_resolve(c->node, who);
    if (!pid)
        return -1;
    reason = reason && *reason ? reason : "normal";
    bool kill = strcmp(reason, "kill") == 0;
    return rm__rel_signal(c->node, self_label(c), c->self_pid, pid, kill ? "killed" : reason,
                          kill);
}

/* ---- descriptors (ABI 2) ---------------------------------------------- */

static int h_fd_own(struct rm_ctx *ctx, int fd)
{
    struct rm__host_ctx *c = host(ctx);
    return rm__rel_fd_own(c->node, c->proc, fd);
}

static int h_fd_arm(struct rm_ctx *ctx, int fd, uint32_t events)
{
    struct rm__host_ctx *c = host(ctx);
    return rm__rel_fd_arm(c->node, c->proc, fd, events);
}

static int h_fd_give(struct rm_ctx *ctx, int fd, const char *who)
{
    struct rm__host_ctx *c = host(ctx);
    rm_pid pid = rm__proc_resolve(c->node, who);
    if (!pid) {
        errno = ESRCH;
        return -1;
    }
    return rm__rel_fd_give(c->node, c->proc, fd, pid);
}

static int h_fd_close(struct rm_ctx *ctx, int fd)
{
    struct rm__host_ctx *c = host(ctx);
    return rm__rel_fd_close(c->node, c->proc, fd);
}

/* Makes a new descriptor the caller's; closes it when that fails. */
static int adopt(struct rm__host_ctx *c, int fd)
{
    if (fd < 0)
        return -1;
    if (rm__rel_fd_own(c->node, c->proc, fd) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int h_listen(struct rm_ctx *ctx, const char *addr, int backlog, int flags)
{
    return adopt(host(ctx), rm__rel_listen(addr, backlog, flags));
}

static int h_connect(struct rm_ctx *ctx, const char *addr)
{
    return adopt(host(ctx), rm__rel_connect(addr));
}

static int h_accept(struct rm_ctx *ctx, int fd)
{
    struct rm__host_ctx *c = host(ctx);
    if (!rm__rel_fd_owns(c->node, c->proc, fd)) {
        errno = EBADF;
        return -1;
    }
    return adopt(c, rm__rel_accept(fd));
}

/* ---- configuration (ABI 2) -------------------------------------------- */

/* The configuration of the process's application, taken once per callback
   and kept until it returns, so the strings handed out stay valid. */
static const struct rm_cfg *config_of(struct rm__host_ctx *c)
{
    if (!c->cfg)
        c->cfg = rm__config_take(c->node, c->proc->module->name);
    return c->cfg ? c->cfg->value : NULL;
}

static int h_config_get(struct rm_ctx *ctx, const char *path, struct rm_config_item *out)
{
    const struct rm_cfg *v = path ? rm_cfg_lookup(config_of(host(ctx)), path) : NULL;
    memset(out, 0, sizeof *out);
    if (!v)
        return -1;
    out->type = v->type;
    out->str = v->type == RM_CONFIG_STRING ? v->s : NULL;
    out->integer = v->type == RM_CONFIG_INTEGER ? v->i : 0;
    out->boolean = v->type == RM_CONFIG_BOOLEAN ? (int)v->i : 0;
    out->count = v->type == RM_CONFIG_LIST || v->type == RM_CONFIG_MAP ? v->n : 0;
    return 0;
}

static const char *h_config_key(struct rm_ctx *ctx, const char *path, size_t index)
{
    const struct rm_cfg *v = path ? rm_cfg_lookup(config_of(host(ctx)), path) : NULL;
    return v && v->type == RM_CONFIG_MAP && index < v->n ? v->keys[index] : NULL;
}

/* Hands a config_change message to the module; RM_CONTINUE when it has no
   such callback or the message cannot be read. */
static int config_change(struct rm__host_ctx *c, const struct rm_module_desc *d,
                         const struct rm_msg *m, void **state)
{
    int (*fn)(struct rm_ctx *, const struct rm_config_change *, void **) =
        RM__CODE_CALLBACK(d, config_change);
    struct rm_config_change ch;
    const char **keys;
    if (!fn)
        return RM_CONTINUE;
    if (rm__config_change_decode(m->data, m->len, &ch, &keys) < 0) {
        rm__rt_log(c->node, RM_LOG_ERROR, "%s: config_change dropped (out of memory)",
                   self_label(c));
        return RM_CONTINUE;
    }
    int rc = fn(&c->pub, &ch, state);
    free(keys);
    return rc;
}

/* ---- supervisors (ABI 2) ---------------------------------------------- */

static int h_supervisor_start_child(struct rm_ctx *ctx, const char *sup, const char *arg,
                                    char *who, size_t size)
{
    struct rm__host_ctx *c = host(ctx);
    rm_pid pid = sup ? rm__proc_resolve(c->node, sup) : 0;
    if (!pid || pid == c->self_pid || !who || size == 0)
        return -1;
    size_t plen = strlen(RM__HOST_START_CHILD), alen = arg ? strlen(arg) : 0;
    char *msg = malloc(plen + alen + 1);
    if (!msg)
        return -1;
    memcpy(msg, RM__HOST_START_CHILD, plen);
    memcpy(msg + plen, arg ? arg : "", alen + 1);
    char *r;
    size_t rlen;
    int rc = rm__call_call(c->node, c->self_pid, pid, msg, plen + alen, RM__HOST_START_CHILD_MS,
                           &r, &rlen, NULL);
    free(msg);
    if (rc < 0)
        return -1;
    /* "ok <label>" or "error <reason>" */
    rc = rlen > 3 && memcmp(r, "ok ", 3) == 0 && rlen - 3 < size ? 0 : -1;
    if (rc == 0) {
        memcpy(who, r + 3, rlen - 3);
        who[rlen - 3] = 0;
    }
    free(r);
    return rc;
}

static const struct rm_host_api host_api = {
    .abi_version = RM_MODULE_ABI_VERSION,
    .size = sizeof(struct rm_host_api),
    .reply_to = h_reply_to,
    .caller = h_caller,
    .cast = h_cast,
    .send = h_send,
    .call = h_call,
    .self = h_self,
    .send_after = h_send_after,
    .cancel_timer = h_cancel_timer,
    .log = h_log,
    .fail = h_fail,
    .free_reply = h_free_reply,
    .spawn = h_spawn,
    .monitor = h_monitor,
    .demonitor = h_demonitor,
    .link = h_link,
    .unlink = h_unlink,
    .trap_exit = h_trap_exit,
    .exit = h_exit,
    .fd_own = h_fd_own,
    .fd_arm = h_fd_arm,
    .fd_give = h_fd_give,
    .fd_close = h_fd_close,
    .listen = h_listen,
    .connect = h_connect,
    .accept = h_accept,
    .config_get = h_config_get,
    .config_key = h_config_key,
    .supervisor_start_child = h_supervisor_start_child,
};

void rm__host_ctx_init(struct rm__host_ctx *c, struct rm_node *node, struct rm_proc *p)
{
    c->pub.host = &host_api;
    c->node = node;
    c->proc = p;
    c->self_pid = p->pid;
    c->caller = 0;
    c->caller_pid = 0;
    c->failed = false;
    c->tracing = false;
    c->trace_reply = NULL;
    c->trace_reply_len = 0;
    c->cfg = NULL;
    c->reason[0] = '\0';
    c->self[0] = '\0';
}

void rm__host_ctx_done(struct rm__host_ctx *c)
{
    free(c->trace_reply);
    c->trace_reply = NULL;
    rm__config_put(c->cfg);
    c->cfg = NULL;
}

const char *rm__host_ctx_reason(const struct rm__host_ctx *c)
{
    return c->failed && c->reason[0] ? c->reason : "callback failed";
}

/* ---- one message ------------------------------------------------------ */

static void trace_in(struct rm__host_ctx *c, const struct rm_msg *m)
{
    char text[RM__HOST_TRACE_MAX], who[RM_NAME_MAX + 24];
    rm__host_printable(m->data, m->len, text, sizeof text);
    const char *self = self_label(c);
    if (m->kind == RM__MBOX_CALL) {
        rm__proc_label(c->node, m->sender, who, sizeof who);
        rm__rt_log(c->node, RM_LOG_DEBUG, "*DBG* %s got call %s from %s", self, text, who);
    } else if (m->kind == RM__MBOX_CAST) {
        rm__rt_log(c->node, RM_LOG_DEBUG, "*DBG* %s got cast %s", self, text);
    } else if (m->kind == RM__MBOX_EVENT) {
        struct rm__rel_msg e;
        const char *why;
        rm__rel_msg_read(m, &e, &why);
        static const char *const names[] = {"?", "ready", "fd_given", "DOWN", "EXIT"};
        rm__rt_log(c->node, RM_LOG_DEBUG, "*DBG* %s got %s fd %d events %u from %s %s", self,
                   names[e.kind >= 1 && e.kind <= 4 ? e.kind : 0], e.fd, e.events,
                   e.who[0] ? e.who : "-", why);
    } else if (m->kind == RM__MBOX_CONFIG) {
        rm__rt_log(c->node, RM_LOG_DEBUG, "*DBG* %s got config_change", self);
    } else {
        rm__rt_log(c->node, RM_LOG_DEBUG, "*DBG* %s got %s", self, text);
    }
}

static void trace_after(struct rm__host_ctx *c, struct rm_proc *p, rm_pid caller_pid)
{
    char st[RM__HOST_TRACE_MAX] = "?";
    if (p->code->desc->format_state)
        p->code->desc->format_state(p->state, st, sizeof st);
    const char *self = self_label(c);
    if (c->trace_reply) {
        char text[RM__HOST_TRACE_MAX], who[RM_NAME_MAX + 24];
        rm__host_printable(c->trace_reply, c->trace_reply_len, text, sizeof text);
        rm__proc_label(c->node, caller_pid, who, sizeof who);
        rm__rt_log(c->node, RM_LOG_DEBUG, "*DBG* %s sent %s to %s, new state %s", self, text, who,
                   st);
    } else {
        rm__rt_log(c->node, RM_LOG_DEBUG, "*DBG* %s new state %s", self, st);
    }
}

/* An event message: an exit signal ends p unless it traps it; an event
   about a descriptor p no longer owns (closed or handed on since) is
   dropped; the rest go to handle_event, when the module has one. */
static int dispatch_event(struct rm__host_ctx *c, struct rm_proc *p, const struct rm_msg *m)
{
    struct rm__rel_msg head;
    const char *reason;
    rm__rel_msg_read(m, &head, &reason);
    const struct rm__rel_msg *e = &head;
    if (e->kind == RM__REL_EXIT && (e->kill || !rm__rel_trapping(c->node, p))) {
        if (!e->kill && strcmp(reason, "normal") == 0)
            return RM_CONTINUE;
        c->failed = true;
        snprintf(c->reason, sizeof c->reason, "%s", reason);
        return RM_FAIL;
    }
    if ((e->kind == RM__REL_READY || e->kind == RM__REL_GIVEN) &&
        !rm__rel_fd_current(c->node, p, e->fd, e->gen))
        return RM_CONTINUE;
    int (*handle)(struct rm_ctx *, const struct rm_event *, void **) =
        RM__CODE_CALLBACK(p->code->desc, handle_event);
    if (!handle)
        return RM_CONTINUE;
    struct rm_event ev = {.kind = e->kind,
                          .fd = e->fd,
                          .events = e->events,
                          .ref = e->ref,
                          .who = e->who,
                          .reason = reason,
                          .pid = e->pid};
    return handle(&c->pub, &ev, &p->state);
}

int rm__host_dispatch(struct rm_node *node, struct rm_proc *p, struct rm_msg *m,
                      struct rm__host_ctx *c, char *reason_out, size_t rsize, rm_from *unanswered)
{
    rm__proc_follow(node, p);
    const struct rm_module_desc *d = p->code->desc;
    rm__host_ctx_init(c, node, p);
    c->caller = m->kind == RM__MBOX_CALL ? m->from : 0;
    c->caller_pid = m->sender;
    c->tracing = rm__proc_tracing(p);
    if (c->tracing)
        trace_in(c, m);
    int rc;
    if (m->kind == RM__MBOX_EVENT)
        rc = dispatch_event(c, p, m);
    else if (m->kind == RM__MBOX_CALL)
        rc = d->handle_call(&c->pub, m->data, m->len, &p->state);
    else if (m->kind == RM__MBOX_CAST)
        rc = d->handle_cast ? d->handle_cast(&c->pub, m->data, m->len, &p->state) : RM_CONTINUE;
    else if (m->kind == RM__MBOX_CONFIG)
        rc = config_change(c, d, m, &p->state);
    else
        rc = d->handle_info ? d->handle_info(&c->pub, m->data, m->len, &p->state) : RM_CONTINUE;
    if (c->tracing && rc == RM_CONTINUE)
        trace_after(c, p, m->sender);
    const char *reason = NULL;
    char buf[64];
    if (rc == RM_STOP) {
        reason = "normal";
    } else if (rc == RM_FAIL) {
        reason = rm__host_ctx_reason(c);
    } else if (rc != RM_CONTINUE) {
        snprintf(buf, sizeof buf, "callback returned %d", rc);
        reason = buf;
    }
    /* A call the callback neither answered nor kept for later fails with the
       process's exit (once the process is gone from the tables) rather than
       leaving its caller waiting. */
    *unanswered = reason ? c->caller : 0;
    free(m);
    if (reason)
        snprintf(reason_out, rsize, "%s", reason);
    rm__host_ctx_done(c);
    return reason != NULL;
}
