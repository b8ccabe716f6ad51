/* relman state PROC: print a process's state as its module formats it
   (OTP's sys:get_state), such as "{tschak,3}". */
#include <stdio.h>

#include "client.h"

static int exec_state(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root;
    if (client_args(self, argc, argv, NULL, 1, 1, &root) < 0 ||
        client_name_arg(self, argv[1], "process name") < 0)
        return CMD_USAGE;
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_str(&w, argv[1]);
    struct client_reply r;
    struct rm_error err;
    int rc = client_request(root, self->msg, &w, CLIENT_REPLY_TIMEOUT_MS, &r, &err);
    rm_proto_writer_release(&w);
    if (rc < 0)
        return cmd_fail(&err);
    static char state[64 * 1024];
    if (rm_proto_get_str(&r.fields, state, sizeof state, 0, "state", &err) < 0) {
        client_reply_release(&r);
        return client_bad_reply(&err);
    }
    client_reply_release(&r);
    puts(state);
    return fflush(stdout) == 0 ? CMD_OK : CMD_FAILED;
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_state_entry = {
    .name = "state",
    .args = "PROC",
    .summary = "print a process's state as its module formats it (OTP's sys:get_state)",
    .exec = exec_state,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_STATE,
};
