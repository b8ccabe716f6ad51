/* relman set-unpacked: record a release whose files were placed by hand. */
#include <stdio.h>

#include "client.h"
#include "relman/archive.h"

static int exec_set_unpacked(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root;
    if (client_args(self, argc, argv, NULL, 1, 1, &root) < 0)
        return CMD_USAGE;
    struct rm_error err;
    if (rm_release_set_unpacked(root, argv[1], &err) < 0)
        return cmd_fail(&err);
    printf("release '%s' recorded as unpacked\n", argv[1]);
    return CMD_OK;
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_set_unpacked_entry = {
    .name = "set-unpacked",
    .args = "VSN",
    .summary = "record a release placed in ROOT by other means (state unpacked)",
    .exec = exec_set_unpacked,
    .options = options,
    .exits = CMD_EXITS_OFFLINE,
    .msg = RM_MSG_NONE,
};
