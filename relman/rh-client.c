/* The client side of the release requests: send one, print its report or
   its outcome. */
#include <stdio.h>

#include "client.h"
#include "rh.h"

/* Install and rollback wait this long for their reply: the plan's own
   timeouts bound each step, this only bounds a node that hangs. */
#define RH_CLIENT_REPLY_TIMEOUT_MS (10 * 60 * 1000)

int rh_client_report(const char *root, unsigned type, const struct rm_proto_writer *req,
                     const char *verb, int json)
{
    struct client_reply r;
    struct rm_error err;
    struct rh_report rep;
    if (client_request(root, type, req, RH_CLIENT_REPLY_TIMEOUT_MS, &r, &err) < 0)
        return cmd_fail(&err);
    int rc = rh_report_get(&r.fields, &rep, &err);
    client_reply_release(&r);
    if (rc < 0)
        return client_bad_reply(&err);
    rh_report_print(&rep, verb, json);
    rh_report_free(&rep);
    return CMD_OK;
}

int rh_client_vsn_op(const struct cmd_entry *self, int argc, char **argv, unsigned type,
                     const char *done)
{
    const char *root;
    if (client_args(self, argc, argv, NULL, 1, 1, &root) < 0)
        return CMD_USAGE;
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_str(&w, argv[1]);
    int rc = client_run(root, type, &w, RH_CLIENT_REPLY_TIMEOUT_MS);
    rm_proto_writer_release(&w);
    if (rc == CMD_OK)
        printf(done, argv[1]);
    return rc;
}

int rh_client_install(const struct cmd_entry *self, int argc, char **argv, int rollback)
{
    const char *root, *timeout = NULL;
    int json = 0, ms = 0;
    const struct client_opt opts[] = {
        {.name = "--timeout", .value = &timeout}, {.name = "--json", .flag = &json}, {0}};
    int nargs = rollback ? 0 : 1;
    if (client_args(self, argc, argv, opts, nargs, nargs, &root) < 0 ||
        (timeout && client_timeout_arg(self, timeout, &ms) < 0))
        return CMD_USAGE;
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    if (!rollback)
        rm_proto_put_str(&w, argv[1]);
    rm_proto_put_u32(&w, timeout ? (uint32_t)ms : RH_TIMEOUT_MANIFEST);
    int rc = rh_client_report(root, rollback ? RM_MSG_RH_ROLLBACK : RM_MSG_RH_INSTALL, &w,
                              rollback ? "rolled back to" : "installed", json);
    rm_proto_writer_release(&w);
    return rc;
}
