/* relman install VSN [--relup FILE] [--timeout MS] [--json]: upgrade or
   downgrade the running node to release VSN as one transaction (planned by
   the relup FILE when given), and report each step. */
#include "client.h"

static int exec_install(const struct cmd_entry *self, int argc, char **argv)
{
    return client_install(self, argc, argv, 0);
}

const struct cmd_entry cmd_install_entry = {
    .name = "install",
    .args = "VSN [--relup FILE] [--timeout MS] [--json]",
    .summary = "upgrade or downgrade to VSN as one transaction; report each step",
    .exec = exec_install,
    .msg = RM_MSG_RH_INSTALL,
};
