/* relman node start --root DIR [--detach]: boot ROOT/boot.yaml under a
   watchdog, in the foreground or detached. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "node.h"

static int exec_node_start(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root;
    int detach = 0;
    const struct client_opt opts[] = {{.name = "--detach", .flag = &detach}, {0}};
    if (client_args(self, argc, argv, opts, 0, 0, &root) < 0)
        return CMD_USAGE;
    char abs[PATH_MAX];
    if (!realpath(root, abs)) {
        struct rm_error err;
        rm_error_set(&err, RM_ENOENT, "node start: root '%s': %s", root, strerror(errno));
        return cmd_fail(&err);
    }
    return node_start(abs, detach);
}

const struct cmd_entry cmd_node_start_entry = {
    .name = "node start",
    .args = "--root DIR [--detach]",
    .summary = "boot ROOT/boot.yaml under a watchdog (--detach: log in ROOT/log/node.log)",
    .exec = exec_node_start,
};
