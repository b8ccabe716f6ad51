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
    const char *release = NULL;
    int detach = 0;
    const struct client_opt opts[] = {
        {.name = "--detach", .flag = &detach}, {.name = "--release", .value = &release}, {0}};
    if (client_args(self, argc, argv, opts, 0, 0, &root) < 0)
        return CMD_USAGE;
    struct rm_error ierr;
    if (release && client_init_root(root, release, &ierr) < 0) /* an empty root's first */
        return cmd_fail(&ierr);
    char abs[PATH_MAX];
    if (!realpath(root, abs)) {
        struct rm_error err;
        rm_error_set(&err, RM_ENOENT, "node start: root '%s': %s", root, strerror(errno));
        return cmd_fail(&err);
    }
    return node_start(abs, detach);
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {.name = "--detach", .help = "run in the background (log in ROOT/log/node.log); return once the node answers"},
    {.name = "--release", .value = "FILE.tar.gz", .help = "first initialise an empty ROOT from this archive (made permanent)"},
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_node_start_entry = {
    .name = "node start",
    .args = "--root DIR [--detach] [--release FILE.tar.gz]",
    .summary = "boot the permanent release under a watchdog (--release: initialise an empty "
               "ROOT from it)",
    .exec = exec_node_start,
    .options = options,
    .exits = CMD_EXITS_OFFLINE,
    .msg = RM_MSG_PING,
};
