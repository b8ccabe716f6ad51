/* relman resume PROC...: OTP's sys:resume. */
#include "client.h"

static int exec_resume(const struct cmd_entry *self, int argc, char **argv)
{
    return client_suspend_resume(self, argc, argv, self->msg);
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_resume_entry = {
    .name = "resume",
    .args = "PROC...",
    .summary = "resume suspended processes; their queued messages run in order",
    .exec = exec_resume,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_RESUME,
};
