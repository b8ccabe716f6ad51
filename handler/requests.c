/* The release requests of the control protocol (RM_MSG_RH_*), served by
   the node's release handler (the node daemon's table registers them). Field layouts are in
   relman/protocol.h; check and install may end with two more fields, a relup's name and text
   (install --relup FILE). */
#include <stdlib.h>
#include <string.h>

#include "handler-internal.h"

/* The request's version field. */
static int get_vsn(struct rm_proto_reader *req, char vsn[RM_NAME_MAX + 1], struct rm_error *err)
{
    return rm_proto_get_str(req, vsn, RM_NAME_MAX + 1, 1, "version", err);
}

/* A timeout field: RM_PROTO_TIMEOUT_MANIFEST for the manifest's, else ms (at
   least 1: with 0 every suspend would time out). */
static int get_timeout(struct rm_proto_reader *req, int *ms, struct rm_error *err)
{
    uint32_t v;
    if (rm_proto_get_u32(req, &v, "timeout", err) < 0)
        return -1;
    if (v != RM_PROTO_TIMEOUT_MANIFEST && (v < 1 || v > RM_PROTO_MAX_TIMEOUT_MS))
        return rm_error_set(err, RM_EPROTO, "timeout %u ms is not between 1 and %u ms", v,
                            RM_PROTO_MAX_TIMEOUT_MS);
    *ms = v == RM_PROTO_TIMEOUT_MANIFEST ? -1 : (int)v;
    return 0;
}

int rm_handler_serve_plan(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                          struct rm_proto_writer *reply, struct rm_error *err)
{
    char vsn[RM_NAME_MAX + 1];
    uint32_t json;
    long first;
    if (get_vsn(req, vsn, err) < 0 || rm_proto_get_u32(req, &json, "json", err) < 0 ||
        rm_proto_end(req, err) < 0)
        return -1;
    char *doc = rm_handler_plan(ud, vsn, json != 0, &first, err);
    if (!doc)
        return -1;
    rm_proto_put_str(reply, doc);
    rm_proto_put_u64(reply, (uint64_t)(first + 1));
    free(doc);
    return 0;
}

/* The optional trailing fields of check and install: str relup name, bytes
   relup text (install --relup FILE). *relup is NULL when they are absent. */
static int get_relup(struct rm_proto_reader *req, char name[4096], struct rm_handler_relup *text,
                     const struct rm_handler_relup **relup, struct rm_error *err)
{
    const void *data;
    *relup = NULL;
    if (!rm_proto_more(req))
        return rm_proto_end(req, err);
    if (rm_proto_get_str(req, name, 4096, 1, "relup name", err) < 0 ||
        rm_proto_get_bytes(req, &data, &text->len, "relup", err) < 0 || rm_proto_end(req, err) < 0)
        return -1;
    text->name = name;
    text->data = data;
    *relup = text;
    return 0;
}

int rm_handler_serve_check(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                           struct rm_proto_writer *reply, struct rm_error *err)
{
    char vsn[RM_NAME_MAX + 1], name[4096];
    struct rm_handler_relup text;
    const struct rm_handler_relup *relup;
    struct rm_report rep;
    if (get_vsn(req, vsn, err) < 0 || get_relup(req, name, &text, &relup, err) < 0 ||
        rm_handler_check(ud, vsn, relup, &rep, err) < 0)
        return -1;
    rm_report_put(&rep, reply);
    rm_report_free(&rep);
    return 0;
}

int rm_handler_serve_install(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                             struct rm_proto_writer *reply, struct rm_error *err)
{
    char vsn[RM_NAME_MAX + 1], name[4096];
    struct rm_handler_relup text;
    const struct rm_handler_relup *relup;
    int ms;
    struct rm_report rep;
    if (get_vsn(req, vsn, err) < 0 || get_timeout(req, &ms, err) < 0 ||
        get_relup(req, name, &text, &relup, err) < 0 ||
        rm_handler_install(ud, vsn, relup, ms, &rep, err) < 0)
        return -1;
    rm_report_put(&rep, reply);
    rm_report_free(&rep);
    return 0;
}

int rm_handler_serve_rollback(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                              struct rm_proto_writer *reply, struct rm_error *err)
{
    int ms;
    struct rm_report rep;
    if (get_timeout(req, &ms, err) < 0 || rm_proto_end(req, err) < 0 ||
        rm_handler_rollback(ud, ms, &rep, err) < 0)
        return -1;
    rm_report_put(&rep, reply);
    rm_report_free(&rep);
    return 0;
}

/* permanent, reboot-old and remove: a version in, nothing out. */
static int handle_vsn_op(int (*op)(struct rm_handler *, const char *, struct rm_error *), void *ud,
                         struct rm_proto_reader *req, struct rm_error *err)
{
    char vsn[RM_NAME_MAX + 1];
    if (get_vsn(req, vsn, err) < 0 || rm_proto_end(req, err) < 0)
        return -1;
    return op(ud, vsn, err);
}

int rm_handler_serve_permanent(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                               struct rm_proto_writer *reply, struct rm_error *err)
{
    return handle_vsn_op(rm_handler_permanent, ud, req, err);
}

int rm_handler_serve_reboot_old(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                                struct rm_proto_writer *reply, struct rm_error *err)
{
    return handle_vsn_op(rm_handler_reboot_old, ud, req, err);
}

int rm_handler_serve_remove(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                            struct rm_proto_writer *reply, struct rm_error *err)
{
    return handle_vsn_op(rm_handler_remove, ud, req, err);
}

int rm_handler_serve_which(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                           struct rm_proto_writer *reply, struct rm_error *err)
{
    if (rm_proto_end(req, err) < 0)
        return -1;
    char vsn[RM_NAME_MAX + 1];
    rm_proto_put_str(reply, rm_handler_current(ud, vsn, sizeof vsn));
    return 0;
}
