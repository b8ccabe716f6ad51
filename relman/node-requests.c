/*
 * The node's side of the control protocol: one row per message type, with
 * the function that serves it and what that function is handed. A
 * command's entry (cmd.h) names the type it sends; its row here names the
 * function that answers, in the control library (relman/ctl.h), the
 * release handler (relman/handler.h) or this file; the release requests
 * that change releases are also written to the audit log (node-audit.c).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "node.h"
#include "relman/ctl.h"
#include "relman/handler.h"

/* `relman node stop`: the reply goes out first, then the main thread, which
   waits for SIGTERM, stops the node. */
static int serve_stop(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                      struct rm_proto_writer *reply, struct rm_error *err)
{
    if (rm_proto_end(req, err) < 0)
        return -1;
    node_logf(RM_LOG_INFO, "stop requested");
    kill(getpid(), SIGTERM);
    return 0;
}

/* What a row's function is handed as `ud`. */
enum node_ud {
    NODE_UD_NONE,    /* nothing */
    NODE_UD_SERVER,  /* the control server */
    NODE_UD_HANDLER, /* the release handler; the row is left out without one */
};

/* clang-format off */
static const struct node_request {
    enum rm_msg_type type;
    rm_ctl_handler_fn fn;
    enum node_ud ud;
    const char *audit; /* the operation its audit line names; NULL: not audited */
} node_requests[] = {
    {RM_MSG_PING,          rm_ctl_serve_ping,           NODE_UD_SERVER,  NULL},
    {RM_MSG_STOP,          serve_stop,                  NODE_UD_NONE,    NULL},
    {RM_MSG_STATUS,        rm_ctl_serve_status,         NODE_UD_NONE,    NULL},
    {RM_MSG_CALL,          rm_ctl_serve_call,           NODE_UD_NONE,    NULL},
    {RM_MSG_CAST,          rm_ctl_serve_cast,           NODE_UD_NONE,    NULL},
    {RM_MSG_SUSPEND,       rm_ctl_serve_suspend,        NODE_UD_NONE,    NULL},
    {RM_MSG_RESUME,        rm_ctl_serve_resume,         NODE_UD_NONE,    NULL},
    {RM_MSG_LOAD,          rm_ctl_serve_load,           NODE_UD_NONE,    NULL},
    {RM_MSG_PURGE,         rm_ctl_serve_purge,          NODE_UD_NONE,    NULL},
    {RM_MSG_CHANGE_CODE,   rm_ctl_serve_change_code,    NODE_UD_NONE,    NULL},
    {RM_MSG_TRACE,         rm_ctl_serve_trace,          NODE_UD_NONE,    NULL},
    {RM_MSG_STATE,         rm_ctl_serve_state,          NODE_UD_NONE,    NULL},
    {RM_MSG_RH_PLAN,       rm_handler_serve_plan,       NODE_UD_HANDLER, NULL},
    {RM_MSG_RH_CHECK,      rm_handler_serve_check,      NODE_UD_HANDLER, NULL},
    {RM_MSG_RH_INSTALL,    rm_handler_serve_install,    NODE_UD_HANDLER, "install"},
    {RM_MSG_RH_PERMANENT,  rm_handler_serve_permanent,  NODE_UD_HANDLER, "permanent"},
    {RM_MSG_RH_ROLLBACK,   rm_handler_serve_rollback,   NODE_UD_HANDLER, "rollback"},
    {RM_MSG_RH_REBOOT_OLD, rm_handler_serve_reboot_old, NODE_UD_HANDLER, "reboot-old"},
    {RM_MSG_RH_REMOVE,     rm_handler_serve_remove,     NODE_UD_HANDLER, "remove"},
    {RM_MSG_RH_WHICH,      rm_handler_serve_which,      NODE_UD_HANDLER, NULL},
};
/* clang-format on */
_Static_assert(sizeof node_requests / sizeof node_requests[0] == RM_MSG_COUNT,
               "the node's table has one row per message type of protocol.h");

int node_serve_requests(struct rm_ctl *ctl, struct rm_handler *rh, const char *root,
                        struct rm_error *err)
{
    unsigned char seen[RM_MSG_TYPE_LIMIT] = {0};
    for (size_t i = 0; i < sizeof node_requests / sizeof node_requests[0]; i++) {
        const struct node_request *r = &node_requests[i];
        /* With as many rows as types, a type twice means another missing. */
        if (r->type == RM_MSG_NONE || r->type >= RM_MSG_TYPE_LIMIT || seen[r->type]++) {
            fprintf(stderr, "%s:%d: broken invariant: message type %u twice in the node's table\n",
                    __FILE__, __LINE__, (unsigned)r->type);
            abort();
        }
        void *ud = r->ud == NODE_UD_SERVER    ? (void *)ctl
                   : r->ud == NODE_UD_HANDLER ? (void *)rh
                                              : NULL;
        if (r->ud == NODE_UD_HANDLER && !rh)
            continue; /* a node booted from boot.yaml: these types are unknown to it */
        if (r->audit ? node_audit_handle(ctl, r->type, r->fn, rh, root, r->audit, err)
                     : rm_ctl_handle(ctl, r->type, r->fn, ud, err))
            return -1;
    }
    return 0;
}
