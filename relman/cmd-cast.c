/* relman cast PROC MESSAGE: an asynchronous request. */
#include <string.h>

#include "client.h"

static int exec_cast(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root;
    if (client_args(self, argc, argv, NULL, 2, 2, &root) < 0 ||
        client_name_arg(self, argv[1], "process name") < 0)
        return CMD_USAGE;
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_str(&w, argv[1]);
    rm_proto_put_bytes(&w, argv[2], strlen(argv[2]));
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

const struct cmd_entry cmd_cast_entry = {
    .name = "cast",
    .args = "PROC MESSAGE",
    .summary = "send an asynchronous request (handle_cast)",
    .exec = exec_cast,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_CAST,
};
