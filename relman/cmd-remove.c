/* relman remove: delete a release and the files no other release uses. */
#include <stdio.h>

#include "cmd.h"
#include "relman/store.h"
#include "rh.h"

static int exec_remove(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root = NULL;
    argc = cmd_common_opts(self, argc, argv, &root, NULL, 0);
    if (argc < 0)
        return CMD_USAGE;
    if (argc != 2)
        return cmd_usage(self, argc < 2 ? "a release version is needed"
                                        : "only one release version is taken");
    root = cmd_root(root);
    if (!root)
        return cmd_usage(self, "no node root: give --root DIR or set RELMAN_ROOT");
    int live = rh_client_remove(root, argv[1]); /* through a running node, which knows current */
    if (live >= 0)
        return live;
    struct rm_error err;
    struct rm_store *st = rm_store_open(root, RM_STORE_LOCK, &err);
    if (!st)
        return cmd_fail(&err);
    int rc = rm_store_remove(st, argv[1], &err);
    rm_store_close(st);
    if (rc < 0)
        return cmd_fail(&err);
    printf("removed release '%s'\n", argv[1]);
    return CMD_OK;
}

const struct cmd_entry cmd_remove_entry = {
    .name = "remove",
    .args = "VSN",
    .summary = "delete a release and the files no other release uses",
    .exec = exec_remove,
};
