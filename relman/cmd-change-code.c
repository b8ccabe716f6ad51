/* relman change-code PROC MODULE OLDVSN [EXTRA] [--down]: OTP's
   sys:change_code on a suspended process. */
#include <string.h>

#include "client.h"

static int exec_change_code(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root;
    int down = 0;
    const struct client_opt opts[] = {{.name = "--down", .flag = &down}, {0}};
    int n = client_args(self, argc, argv, opts, 3, 4, &root);
    if (n < 0 || client_name_arg(self, argv[1], "process name") < 0 ||
        client_name_arg(self, argv[2], "module name") < 0 ||
        client_name_arg(self, argv[3], "version") < 0)
        return CMD_USAGE;
    const char *extra = n == 4 ? argv[4] : "";
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_str(&w, argv[1]);
    rm_proto_put_str(&w, argv[2]);
    rm_proto_put_str(&w, argv[3]);
    rm_proto_put_bytes(&w, extra, strlen(extra));
    rm_proto_put_u32(&w, down ? RM_DOWN : RM_UP);
    int rc = client_run(root, self->msg, &w, CLIENT_REPLY_TIMEOUT_MS);
    rm_proto_writer_release(&w);
    return rc;
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {.name = "--down", .help = "a downgrade: OLDVSN is the version gone back to"},
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_change_code_entry = {
    .name = "change-code",
    .args = "PROC MODULE OLDVSN [EXTRA] [--down]",
    .summary = "migrate a suspended process's state; --down: OLDVSN is the version gone back to",
    .exec = exec_change_code,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_CHANGE_CODE,
};
