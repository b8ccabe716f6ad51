/* relman remove: delete a release and the files no other release uses. */
#include <stdio.h>

#include "client.h"
#include "relman/store.h"

static int exec_remove(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root;
    if (client_args(self, argc, argv, NULL, 1, 1, &root) < 0)
        return CMD_USAGE;
    int live = client_remove(root, argv[1]); /* through a running node, which knows current */
    if (live >= 0)
        return live;
    /* No node: the command removes it itself, and writes the audit line
       (through a node, the node does). */
    struct rm_error err;
    struct rm_store *st = rm_store_open(root, RM_STORE_LOCK, &err);
    int rc = st ? rm_store_remove(st, argv[1], &err) : -1;
    rm_store_close(st);
    cmd_audit(root, "remove", argv[1], rc == 0 ? NULL : &err);
    if (rc < 0)
        return cmd_fail(&err);
    printf("removed release '%s'\n", argv[1]);
    return CMD_OK;
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_remove_entry = {
    .name = "remove",
    .args = "VSN",
    .summary = "delete a release and the files no other release uses",
    .exec = exec_remove,
    .options = options,
    .exits = CMD_EXITS_OFFLINE,
    .msg = RM_MSG_RH_REMOVE,
};
