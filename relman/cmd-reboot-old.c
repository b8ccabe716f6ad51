/* relman reboot-old VSN: make an old release permanent again and restart
   the node into it (OTP's reboot_old_release). */
#include "client.h"

static int exec_reboot_old(const struct cmd_entry *self, int argc, char **argv)
{
    return client_vsn_op(self, argc, argv,
                         "release '%s' is permanent; the node restarts into it\n");
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_reboot_old_entry = {
    .name = "reboot-old",
    .args = "VSN",
    .summary = "make an old release permanent and restart the node into it",
    .exec = exec_reboot_old,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_RH_REBOOT_OLD,
};
