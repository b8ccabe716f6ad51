/* relman suspend PROC...: OTP's sys:suspend, one or more processes at once. */
#include "client.h"

static int exec_suspend(const struct cmd_entry *self, int argc, char **argv)
{
    return client_suspend_resume(self, argc, argv, self->msg);
}

const struct cmd_entry cmd_suspend_entry = {
    .name = "suspend",
    .args = "PROC... [--timeout MS]",
    .summary = "suspend processes between two messages; their messages queue",
    .exec = exec_suspend,
    .msg = RM_MSG_SUSPEND,
};
