/* relman version: prints the program's version. */
#include <stdio.h>

#include "cmd.h"

static int exec_version(const struct cmd_entry *self, int argc, char **argv)
{
    if (cmd_common_opts(self, argc, argv, NULL, NULL, 0) != 1)
        return cmd_usage(self, "'version' takes no arguments");
    printf("relman %s\n", cmd_version);
    return CMD_OK;
}

const struct cmd_entry cmd_version_entry = {
    .name = "version",
    .args = "",
    .summary = "print relman's version",
    .exec = exec_version,
    .exits = CMD_EXITS_OFFLINE,
    .msg = RM_MSG_NONE,
};
