/* The command table: one line per command, in help order. */
#include "cmd.h"

extern const struct cmd_entry cmd_version_entry;

const struct cmd_entry *const cmd_table[] = {
    &cmd_version_entry,
    NULL,
};
