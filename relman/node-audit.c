/*
 * The node's side of the audit log (audit.h): the release requests that
 * change what a node runs or holds (install, rollback, permanent,
 * reboot-old, remove) are registered through node_audit_handle, which
 * serves each with the release handler's own function and then appends one
 * line to ROOT/log/audit.log: who asked (the peer's uid and command line),
 * the release running before, the release it was about, the outcome, and
 * the pause of an install or rollback. The line is written when the
 * request completes, before its reply, also when it failed. A service
 * manager is told (STATUS=) when such a request starts and how it ended,
 * and the journal's RELMAN_RELEASE follows the release the node runs.
 */
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "node.h"
#include "relman/ctl.h"
#include "relman/handler.h"
#include "relman/report.h"
#include "relman/store.h"

/* One audited message type: what serves it and how its line is filled. */
struct audited {
    rm_ctl_handler_fn fn;
    struct rm_handler *rh;
    const char *root;
    const char *op;
    int report;   /* its reply is a report (install, rollback): pause, from, to */
    int rollback; /* about the permanent release, not a version in the request */
};

/* One slot per message type; a node registers each type once. */
static struct audited audited[RM_MSG_TYPE_LIMIT];

/* The permanent release of `root` into buf ("" when none or unreadable). */
static void permanent_of(const char *root, char *buf, size_t size)
{
    struct rm_error e;
    buf[0] = '\0';
    struct rm_store *st = rm_store_open(root, 0, &e);
    if (st && rm_store_permanent(st))
        snprintf(buf, size, "%s", rm_store_permanent(st)->version);
    rm_store_close(st);
}

static int serve_audited(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                         struct rm_proto_writer *reply, struct rm_error *err)
{
    const struct audited *a = ud;
    struct rm_ctl_peer peer = {.pid = 0, .uid = geteuid()};
    rm_ctl_peer(&peer);
    struct audit_rec rec;
    audit_begin(&rec, a->op, peer.pid, peer.uid);
    rm_handler_current(a->rh, rec.from, sizeof rec.from);
    if (a->rollback) {
        permanent_of(a->root, rec.to, sizeof rec.to);
    } else {
        struct rm_proto_reader peek = *req; /* the version, left for the handler to read */
        struct rm_error ignored;
        if (rm_proto_get_str(&peek, rec.to, sizeof rec.to, 1, "version", &ignored) < 0)
            rec.to[0] = '\0';
    }
    size_t mark = reply->len;
    node_sd_status("%s '%s' under way (running '%s')", rec.op, rec.to, rec.from);
    int rc = a->fn(a->rh, node, req, reply, err);
    if (rc == 0 && a->report) {
        struct rm_proto_reader rd;
        struct rm_report rep;
        struct rm_error ignored;
        rm_proto_reader_init(&rd, reply->buf + mark, reply->len - mark);
        if (rm_report_get(&rd, &rep, &ignored) == 0) {
            rec.pause_ns = (long long)rep.pause_ns;
            snprintf(rec.from, sizeof rec.from, "%s", rep.from);
            snprintf(rec.to, sizeof rec.to, "%s", rep.to);
            rm_report_free(&rep);
        }
    }
    audit_outcome(&rec, rc == 0 ? NULL : err);
    struct rm_error aerr;
    if (audit_append(a->root, &rec, &aerr) < 0)
        node_logf(RM_LOG_ERROR, "%s", aerr.msg);
    node_logf(rc == 0 ? RM_LOG_INFO : RM_LOG_WARNING, "%s '%s' (from '%s') by uid %ld: %s%s%s",
              rec.op, rec.to, rec.from, rec.uid, rec.result, rc == 0 ? "" : ": ",
              rc == 0 ? "" : rec.error);
    char now[RM_NAME_MAX + 1];
    rm_handler_current(a->rh, now, sizeof now);
    node_log_release(now);
    node_sd_status("running release '%s' (last: %s '%s' %s)", now, rec.op, rec.to, rec.result);
    return rc;
}

int node_audit_handle(struct rm_ctl *ctl, unsigned type, rm_ctl_handler_fn fn,
                      struct rm_handler *rh, const char *root, const char *op, struct rm_error *err)
{
    if (type >= RM_MSG_TYPE_LIMIT)
        return rm_error_set(err, RM_EINVAL, "message type %u is out of range", type);
    audited[type] = (struct audited){
        .fn = fn,
        .rh = rh,
        .root = root,
        .op = op,
        .report = type == RM_MSG_RH_INSTALL || type == RM_MSG_RH_ROLLBACK,
        .rollback = type == RM_MSG_RH_ROLLBACK,
    };
    return rm_ctl_handle(ctl, type, serve_audited, &audited[type], err);
}
