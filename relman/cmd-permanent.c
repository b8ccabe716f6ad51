/* relman permanent VSN: make the running release permanent (OTP's
   make_permanent), so that the node boots it from now on. */
#include "client.h"

static int exec_permanent(const struct cmd_entry *self, int argc, char **argv)
{
    return client_vsn_op(self, argc, argv, "release '%s' is permanent\n");
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_permanent_entry = {
    .name = "permanent",
    .args = "VSN",
    .summary = "make the running release VSN permanent (the one the node boots)",
    .exec = exec_permanent,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_RH_PERMANENT,
};
