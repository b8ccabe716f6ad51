/* relman rollback [--timeout MS] [--json]: go back, in place, from the
   running release to the permanent one (an install of the permanent
   release). */
#include "client.h"

static int exec_rollback(const struct cmd_entry *self, int argc, char **argv)
{
    return client_install(self, argc, argv, 1);
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    CMD_OPT_TIMEOUT("overrides every suspend and code_change timeout of the plan"),
    CMD_OPT_JSON("print the report as one JSON object"),
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_rollback_entry = {
    .name = "rollback",
    .args = "[--timeout MS] [--json]",
    .summary = "go back to the permanent release in place",
    .exec = exec_rollback,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_RH_ROLLBACK,
};
