/* relman suspend PROC...: OTP's sys:suspend, one or more processes at once. */
#include "client.h"

static int exec_suspend(const struct cmd_entry *self, int argc, char **argv)
{
    return client_suspend_resume(self, argc, argv, self->msg);
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    CMD_OPT_TIMEOUT("how long each process may take to reach a suspend (default 5000)"),
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_suspend_entry = {
    .name = "suspend",
    .args = "PROC... [--timeout MS]",
    .summary = "suspend processes between two messages; their messages queue",
    .exec = exec_suspend,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_SUSPEND,
};
