/* relman call PROC MESSAGE: a synchronous request; prints the reply alone. */
#include <stdio.h>
#include <string.h>

#include "client.h"

static int exec_call(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root, *timeout_arg = NULL;
    const struct client_opt opts[] = {{.name = "--timeout", .value = &timeout_arg}, {0}};
    int timeout;
    if (client_args(self, argc, argv, opts, 2, 2, &root) < 0 ||
        client_name_arg(self, argv[1], "process name") < 0 ||
        client_timeout_arg(self, timeout_arg, &timeout) < 0)
        return CMD_USAGE;
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_str(&w, argv[1]);
    rm_proto_put_bytes(&w, argv[2], strlen(argv[2]));
    rm_proto_put_u32(&w, (uint32_t)timeout);
    struct client_reply r;
    struct rm_error err;
    int rc = client_request(root, self->msg, &w, timeout + CLIENT_REPLY_TIMEOUT_MS, &r, &err);
    rm_proto_writer_release(&w);
    if (rc < 0)
        return cmd_fail(&err);
    const void *answer;
    size_t len;
    if (rm_proto_get_bytes(&r.fields, &answer, &len, "reply", &err) < 0) {
        client_reply_release(&r);
        return client_bad_reply(&err);
    }
    fwrite(answer, 1, len, stdout);
    putchar('\n');
    client_reply_release(&r);
    return fflush(stdout) == 0 ? CMD_OK : CMD_FAILED;
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    CMD_OPT_TIMEOUT("how long to wait for the reply (default 5000)"),
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_call_entry = {
    .name = "call",
    .args = "PROC MESSAGE [--timeout MS]",
    .summary = "send a call and print the reply payload (timeout 5000 ms)",
    .exec = exec_call,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_CALL,
};
