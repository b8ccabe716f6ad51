/*
 * The process and module requests (status, call, cast, suspend, resume,
 * load, purge, change-code, trace, state), each a thin layer over
 * relman/runtime.h. Fields are as protocol.h lists. This file sits above
 * the server: it only provides handlers, which the embedding program
 * registers with rm_ctl_handle().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relman/array.h"
#include "relman/ctl.h"
#include "relman/module.h"

/* Longest process reference a request may carry: a name or "<N>". */
#define PROC_REF_MAX (RM_NAME_MAX + 1)

/* Reads a timeout field, bounded by RM_PROTO_MAX_TIMEOUT_MS. */
static int get_timeout(struct rm_proto_reader *req, int *ms, struct rm_error *err)
{
    uint32_t v;
    if (rm_proto_get_u32(req, &v, "timeout", err) < 0)
        return -1;
    if (v > RM_PROTO_MAX_TIMEOUT_MS)
        return rm_error_set(err, RM_EPROTO, "timeout of %u ms is longer than the maximum of %u", v,
                            RM_PROTO_MAX_TIMEOUT_MS);
    *ms = (int)v;
    return 0;
}

/* Reads a u32 field that must be 0 or 1 (or another small bound). */
static int get_choice(struct rm_proto_reader *req, uint32_t max, uint32_t *v, const char *what,
                      struct rm_error *err)
{
    if (rm_proto_get_u32(req, v, what, err) < 0)
        return -1;
    if (*v > max)
        return rm_error_set(err, RM_EPROTO, "field '%s' is %u, at most %u", what, *v, max);
    return 0;
}

/* A status row at its longest: pid, name, module, version, suspended,
   tracing, queue length, descriptors, links, monitors, each with its 4-byte
   length. A full page and the reply's status, count and more fields must
   fit one frame. */
#define STATUS_ROW_MAX (2 * (4 + 8) + 3 * (4 + RM_NAME_MAX) + 5 * (4 + 4))
_Static_assert(STATUS_ROW_MAX == 265, "protocol.h gives the status row size");
_Static_assert(3 * (4 + 4) + (size_t)RM_PROTO_STATUS_PAGE * STATUS_ROW_MAX <= RM_PROTO_MAX_PAYLOAD,
               "a page of status rows must fit one frame");

/* A count as a u32 field (a count past it says UINT32_MAX). */
static uint32_t count32(size_t n)
{
    return n < UINT32_MAX ? (uint32_t)n : UINT32_MAX;
}

/* status: one page of the process table, from the first pid after a given one. */
int rm_ctl_serve_status(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                        struct rm_proto_writer *reply, struct rm_error *err)
{
    uint64_t after;
    struct rm_proc_info *list;
    size_t n;
    if (rm_proto_get_u64(req, &after, "after pid", err) < 0 || rm_proto_end(req, err) < 0 ||
        rm_proc_list(node, NULL, &list, &n, err) < 0)
        return -1;
    size_t lo = 0, hi = n; /* the list is sorted by pid: first pid > after */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (list[mid].pid <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t count = n - lo < RM_PROTO_STATUS_PAGE ? n - lo : RM_PROTO_STATUS_PAGE;
    rm_proto_put_u32(reply, (uint32_t)count);
    rm_proto_put_u32(reply, lo + count < n);
    for (size_t i = lo; i < lo + count; i++) {
        rm_proto_put_u64(reply, list[i].pid);
        rm_proto_put_str(reply, list[i].name);
        rm_proto_put_str(reply, list[i].module);
        rm_proto_put_str(reply, list[i].version);
        rm_proto_put_u32(reply, list[i].suspended != 0);
        rm_proto_put_u32(reply, list[i].tracing != 0);
        rm_proto_put_u64(reply, list[i].queue_len);
        rm_proto_put_u32(reply, count32(list[i].fds));
        rm_proto_put_u32(reply, count32(list[i].links));
        rm_proto_put_u32(reply, count32(list[i].monitors));
    }
    free(list);
    if (rm_proto_writer_check(reply, err) < 0)
        return rm_error_prefix(err, "status of %zu processes", count);
    return 0;
}

/*
 * Says a runtime failure the user's way, from the error's structure, never
 * its words: where the message names one of the processes the user named
 * (the subject's label, for pids[i]), the user's spelling names[i] goes
 * instead, so that a user who typed 't' never reads of '<2>'. Then, with
 * `what`: with `restate`, the runtime's lead (its own account of the
 * operation, "call to 'z'") gives way to `what` ("call 'z'"); otherwise, or
 * when the message has no lead, `what` goes in front. Returns -1.
 */
static int say(struct rm_error *err, char (*names)[PROC_REF_MAX], const rm_pid *pids, size_t n,
               const char *what, int restate)
{
    for (size_t i = 0; i < n; i++)
        if (err->subject.pid && err->subject.pid == pids[i]) {
            rm_error_relabel(err, names[i]);
            break;
        }
    if (!what)
        return -1;
    if (restate && err->lead)
        return rm_error_restate(err, "%s", what);
    return rm_error_prefix(err, "%s", what);
}

/* call and cast: a process and a message; call adds a timeout. */
static int send_msg(int is_call, struct rm_node *node, struct rm_proto_reader *req,
                    struct rm_proto_writer *reply, struct rm_error *err)
{
    const char *verb = is_call ? "call" : "cast";
    char name[PROC_REF_MAX], what[PROC_REF_MAX + 16];
    const void *msg;
    size_t len;
    int timeout = 0;
    if (rm_proto_get_str(req, name, sizeof name, 1, "process", err) < 0 ||
        rm_proto_get_bytes(req, &msg, &len, "message", err) < 0 ||
        (is_call && get_timeout(req, &timeout, err) < 0) || rm_proto_end(req, err) < 0)
        return -1;
    snprintf(what, sizeof what, "%s '%s'", verb, name);
    rm_pid pid;
    char *answer = NULL;
    size_t alen;
    if (rm_proc_resolve(node, name, &pid, err) < 0)
        return rm_error_prefix(err, "%s", what);
    if (is_call ? rm_proc_call(node, pid, msg, len, timeout, &answer, &alen, err)
                : rm_proc_cast(node, pid, msg, len, err)) {
        return say(err, &name, &pid, 1, what, 1);
    }
    if (!is_call)
        return 0;
    if (rm_proto_put_bytes(reply, answer, alen) < 0)
        rm_error_set(err, RM_ELIMIT, "%s: reply of %zu bytes is too large", what, alen);
    free(answer);
    return rm_proto_writer_check(reply, NULL) < 0 ? -1 : 0;
}

/* Runs suspend or resume once on the processes `names` name. Returns 0,
   -1 with `err` filled, or 1 (err untouched) when one of them exited after
   its name was resolved and `last` is false: worth another try. */
static int suspend_resume_once(struct rm_node *node, int suspend, char (*names)[PROC_REF_MAX],
                               rm_pid *pids, size_t n, int timeout, int last, struct rm_error *err)
{
    const char *verb = suspend ? "suspend" : "resume";
    for (size_t i = 0; i < n; i++) {
        if (rm_proc_resolve(node, names[i], &pids[i], err) < 0)
            return rm_error_prefix(err, "%s", verb);
        for (size_t j = 0; j < i; j++)
            if (pids[j] == pids[i])
                return rm_error_set(err, RM_EINVAL, "%s: '%s' and '%s' are the same process", verb,
                                    names[j], names[i]);
    }
    struct rm_error e;
    int rc =
        suspend ? rm_proc_suspend(node, pids, n, timeout, &e) : rm_proc_resume(node, pids, n, &e);
    if (rc == 0)
        return 0;
    if (e.xcode == RM_XNO_PROCESS && !last)
        return 1;
    /* The runtime's lead ("resume 'z'") names the operation already. */
    say(&e, names, pids, n, e.lead ? NULL : verb, 0);
    return rm_error_copy(err, &e);
}

/* suspend and resume: every named process, all or none. A process that
   exits and restarts between its name being resolved and the runtime
   taking it is looked up again (a few times) under the name given. */
static int suspend_resume(int suspend, struct rm_node *node, struct rm_proto_reader *req,
                          struct rm_error *err)
{
    int timeout = 0;
    if (suspend && get_timeout(req, &timeout, err) < 0)
        return -1;
    size_t cap = 0, n = 0;
    char(*names)[PROC_REF_MAX] = NULL;
    rm_pid *pids = NULL;
    int rc = 0;
    while (rc == 0 && rm_proto_more(req)) {
        if (rm_array_grow(&names, &cap, n, sizeof *names, 8, err) < 0) {
            rc = -1;
            break;
        }
        rc = rm_proto_get_str(req, names[n++], sizeof *names, 1, "process", err);
    }
    if (rc == 0 && n == 0)
        rc = rm_error_set(err, RM_EPROTO, "no process named");
    if (rc == 0 && !(pids = malloc(n * sizeof *pids)))
        rc = rm_error_nomem(err);
    for (int tries = 3, r = 1; rc == 0 && r > 0; tries--)
        rc = (r = suspend_resume_once(node, suspend, names, pids, n, timeout, tries == 1, err)) < 0
                 ? -1
                 : 0;
    free(pids);
    free(names);
    return rc;
}

int rm_ctl_serve_load(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                      struct rm_proto_writer *reply, struct rm_error *err)
{
    char module[RM_NAME_MAX + 1], path[4096], loaded[RM_NAME_MAX + 1];
    if (rm_proto_get_str(req, module, sizeof module, 1, "module", err) < 0 ||
        rm_proto_get_str(req, path, sizeof path, 1, "path", err) < 0 || rm_proto_end(req, err) < 0)
        return -1;
    if (path[0] != '/')
        return rm_error_set(err, RM_EPROTO, "path '%s' is not absolute", path);
    if (rm_module_load(node, path, module, NULL, loaded, err) < 0) {
        char what[sizeof module + sizeof path + 16];
        snprintf(what, sizeof what, "load '%s' from '%s'", module, path);
        return say(err, NULL, NULL, 0, what, 1);
    }
    struct rm_module_info *mods;
    size_t n;
    if (rm_module_list(node, &mods, &n, err) < 0)
        return -1;
    const char *vsn = "";
    for (size_t i = 0; i < n; i++)
        if (strcmp(mods[i].name, loaded) == 0)
            vsn = mods[i].current_vsn;
    rm_proto_put_str(reply, loaded);
    rm_proto_put_str(reply, vsn);
    free(mods);
    return 0;
}

int rm_ctl_serve_purge(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                       struct rm_proto_writer *reply, struct rm_error *err)
{
    char module[RM_NAME_MAX + 1], what[RM_NAME_MAX + 16];
    uint32_t mode;
    size_t killed = 0;
    if (rm_proto_get_str(req, module, sizeof module, 1, "module", err) < 0 ||
        get_choice(req, RM_PURGE_BRUTAL, &mode, "mode", err) < 0 || rm_proto_end(req, err) < 0)
        return -1;
    if (rm_module_purge(node, module, (enum rm_purge_mode)mode, &killed, err) < 0) {
        snprintf(what, sizeof what, "purge '%s'", module);
        return say(err, NULL, NULL, 0, what, 1);
    }
    rm_proto_put_u64(reply, killed);
    return 0;
}

int rm_ctl_serve_change_code(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                             struct rm_proto_writer *reply, struct rm_error *err)
{
    char name[PROC_REF_MAX], module[RM_NAME_MAX + 1], vsn[RM_NAME_MAX + 1];
    char what[PROC_REF_MAX + 16];
    const void *extra;
    size_t extra_len;
    uint32_t dir;
    rm_pid pid;
    if (rm_proto_get_str(req, name, sizeof name, 1, "process", err) < 0 ||
        rm_proto_get_str(req, module, sizeof module, 1, "module", err) < 0 ||
        rm_proto_get_str(req, vsn, sizeof vsn, 1, "version", err) < 0 ||
        rm_proto_get_bytes(req, &extra, &extra_len, "extra", err) < 0 ||
        get_choice(req, RM_DOWN, &dir, "direction", err) < 0 || rm_proto_end(req, err) < 0)
        return -1;
    if (memchr(extra, '\0', extra_len))
        return rm_error_set(err, RM_EPROTO, "field 'extra' holds a NUL byte");
    snprintf(what, sizeof what, "change-code '%s'", name);
    if (rm_proc_resolve(node, name, &pid, err) < 0)
        return rm_error_prefix(err, "%s", what);
    char *x = strndup(extra, extra_len);
    if (!x)
        return rm_error_nomem(err);
    int rc = rm_proc_change_code_dir(node, pid, module, (enum rm_direction)dir, vsn, x, err);
    free(x);
    if (rc < 0) {
        return say(err, &name, &pid, 1, what, 1);
    }
    return 0;
}

int rm_ctl_serve_trace(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                       struct rm_proto_writer *reply, struct rm_error *err)
{
    char name[PROC_REF_MAX];
    uint32_t on;
    rm_pid pid;
    if (rm_proto_get_str(req, name, sizeof name, 1, "process", err) < 0 ||
        get_choice(req, 1, &on, "on", err) < 0 || rm_proto_end(req, err) < 0)
        return -1;
    if (rm_proc_resolve(node, name, &pid, err) < 0)
        return rm_error_prefix(err, "trace '%s'", name);
    if (rm_proc_trace(node, pid, (int)on, err) < 0) {
        char what[PROC_REF_MAX + 16];
        snprintf(what, sizeof what, "trace '%s'", name);
        return say(err, &name, &pid, 1, what, 0);
    }
    return 0;
}

/* state: the process's state as its module formats it (OTP's sys:get_state). */
int rm_ctl_serve_state(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                       struct rm_proto_writer *reply, struct rm_error *err)
{
    char name[PROC_REF_MAX];
    rm_pid pid;
    if (rm_proto_get_str(req, name, sizeof name, 1, "process", err) < 0 ||
        rm_proto_end(req, err) < 0)
        return -1;
    if (rm_proc_resolve(node, name, &pid, err) < 0)
        return rm_error_prefix(err, "state '%s'", name);
    static const size_t max = 64 * 1024; /* a state longer than this is cut */
    char *buf = malloc(max);
    if (!buf)
        return rm_error_nomem(err);
    if (rm_proc_format_state(node, pid, buf, max, err) < 0) {
        free(buf);
        char what[PROC_REF_MAX + 16];
        snprintf(what, sizeof what, "state '%s'", name);
        return say(err, &name, &pid, 1, what, 0);
    }
    rm_proto_put_str(reply, buf);
    free(buf);
    return 0;
}

int rm_ctl_serve_call(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                      struct rm_proto_writer *reply, struct rm_error *err)
{
    return send_msg(1, node, req, reply, err);
}

int rm_ctl_serve_cast(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                      struct rm_proto_writer *reply, struct rm_error *err)
{
    return send_msg(0, node, req, reply, err);
}

int rm_ctl_serve_suspend(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                         struct rm_proto_writer *reply, struct rm_error *err)
{
    return suspend_resume(1, node, req, err);
}

int rm_ctl_serve_resume(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                        struct rm_proto_writer *reply, struct rm_error *err)
{
    return suspend_resume(0, node, req, err);
}
