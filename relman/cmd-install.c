/* relman install VSN [--relup FILE] [--timeout MS] [--json]: upgrade or
   downgrade the running node to release VSN as one transaction (planned by
   the relup FILE when given), and report each step. */
#include "client.h"

static int exec_install(const struct cmd_entry *self, int argc, char **argv)
{
    return client_install(self, argc, argv, 0);
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {.name = "--relup", .value = "FILE", .help = "plan with this relup instead of the releases' own"},
    CMD_OPT_TIMEOUT("overrides every suspend and code_change timeout of the plan"),
    CMD_OPT_JSON("print the report as one JSON object"),
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_install_entry = {
    .name = "install",
    .args = "VSN [--relup FILE] [--timeout MS] [--json]",
    .summary = "upgrade or downgrade to VSN as one transaction; report each step",
    .exec = exec_install,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_RH_INSTALL,
};
