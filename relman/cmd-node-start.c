/* relman node start --root DIR [--detach | --supervised]: boot the
   permanent release (or ROOT/boot.yaml) under a watchdog, in the foreground
   or detached, or alone under a service manager (--supervised, or
   NOTIFY_SOCKET set without --detach). */
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
    int detach = 0, supervised = 0;
    const struct client_opt opts[] = {{.name = "--detach", .flag = &detach},
                                      {.name = "--supervised", .flag = &supervised},
                                      {.name = "--release", .value = &release},
                                      {0}};
    if (client_args(self, argc, argv, opts, 0, 0, &root) < 0)
        return CMD_USAGE;
    if (detach && supervised)
        return cmd_usage(self, "--detach and --supervised exclude each other: a service "
                               "manager keeps the node in the foreground");
    if (!detach && node_sd_notifying())
        supervised = 1; /* started by systemd (Type=notify) */
    struct rm_error ierr;
    if (release && client_init_root(root, release, &ierr) < 0) /* an empty root's first */
        return cmd_fail(&ierr);
    char abs[PATH_MAX];
    if (!realpath(root, abs)) {
        struct rm_error err;
        rm_error_set(&err, RM_ENOENT, "node start: root '%s': %s", root, strerror(errno));
        return cmd_fail(&err);
    }
    return node_start(abs, detach, supervised);
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {.name = "--detach", .help = "run in the background (log in ROOT/log/node.log); return once the node answers"},
    {.name = "--supervised", .help = "run the node alone under a service manager (systemd; implied by NOTIFY_SOCKET without --detach): no watchdog, readiness and watchdog notifications, journal logging; exits 75 to be restarted"},
    {.name = "--release", .value = "FILE.tar.gz", .help = "first initialise an empty ROOT from this archive (made permanent)"},
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_node_start_entry = {
    .name = "node start",
    .args = "--root DIR [--detach | --supervised] [--release FILE.tar.gz]",
    .summary = "boot the permanent release under a watchdog (--release: initialise an empty "
               "ROOT from it)",
    .exec = exec_node_start,
    .options = options,
    .exits = CMD_EXITS_OFFLINE,
    .msg = RM_MSG_PING,
};
