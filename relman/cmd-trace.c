/* relman trace PROC on|off: log each message, reply and new state of a
   process in the node's log, like OTP's {debug,[trace]}. */
#include <string.h>

#include "client.h"

static int exec_trace(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root;
    if (client_args(self, argc, argv, NULL, 2, 2, &root) < 0 ||
        client_name_arg(self, argv[1], "process name") < 0)
        return CMD_USAGE;
    int on = strcmp(argv[2], "on") == 0;
    if (!on && strcmp(argv[2], "off") != 0)
        return cmd_usage(self, "'%s' is neither 'on' nor 'off'", argv[2]);
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_str(&w, argv[1]);
    rm_proto_put_u32(&w, (uint32_t)on);
    int rc = client_run(root, self->msg, &w, CLIENT_REPLY_TIMEOUT_MS);
    rm_proto_writer_release(&w);
    return rc;
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_trace_entry = {
    .name = "trace",
    .args = "PROC on|off",
    .summary = "log each message, reply and new state of a process (node log)",
    .exec = exec_trace,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_TRACE,
};
