/* relman node stop --root DIR [--timeout MS]: stop the node gracefully,
   and its watchdog, and wait until both are gone; a node still running
   after the timeout is killed (SIGKILL), so that a stop always stops. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client.h"

/* How long `node stop` waits for the node to stop gracefully by default. */
#define STOP_WAIT_MS 60000

/* How long it waits for the watchdog after the node is gone or killed. */
#define WATCHDOG_WAIT_MS 10000

/* Tells whether `pid` is still a running process (a zombie counts as gone). */
static int alive(pid_t pid)
{
    if (pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH))
        return 0;
    char path[64], state = 0;
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    /* pid (comm) state ...: comm may hold spaces and parentheses */
    char line[512];
    if (fgets(line, sizeof line, f)) {
        char *rp = strrchr(line, ')');
        if (rp && rp[1] == ' ')
            state = rp[2];
    }
    fclose(f);
    return state != 'Z';
}

/* Waits up to ms for `pid` to be gone; 0 when it is, -1 when not. */
static int wait_gone(pid_t pid, int ms)
{
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 20 * 1000 * 1000};
    for (int waited = 0; alive(pid); waited += 20) {
        if (waited >= ms)
            return -1;
        nanosleep(&pause, NULL);
    }
    return 0;
}

static int exec_node_stop(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root, *timeout_arg = NULL;
    const struct client_opt opts[] = {{.name = "--timeout", .value = &timeout_arg}, {0}};
    int timeout = STOP_WAIT_MS;
    if (client_args(self, argc, argv, opts, 0, 0, &root) < 0 ||
        (timeout_arg && client_timeout_arg(self, timeout_arg, &timeout) < 0))
        return CMD_USAGE;
    pid_t node_pid, wd_pid;
    struct rm_error err;
    if (client_ping(root, &node_pid, &wd_pid, &err) < 0)
        return cmd_fail(&err);
    int rc = client_run(root, self->msg, NULL, CLIENT_REPLY_TIMEOUT_MS);
    if (rc != CMD_OK)
        return rc;
    if (wait_gone(node_pid, timeout) < 0) {
        /* The watchdog knows a stop is under way: it does not restart a
           node killed now. */
        kill(node_pid, SIGKILL);
        fprintf(stderr,
                "relman: node stop: the node at '%s' (pid %ld) did not stop within %d ms; "
                "killed it\n",
                root, (long)node_pid, timeout);
        wait_gone(node_pid, WATCHDOG_WAIT_MS);
    }
    if (wd_pid > 0 && wait_gone(wd_pid, WATCHDOG_WAIT_MS) < 0) {
        rm_error_set(&err, RM_ETIMEOUT,
                     "node stop: the node at '%s' is gone, but its watchdog (pid %ld) still "
                     "runs after %d s",
                     root, (long)wd_pid, WATCHDOG_WAIT_MS / 1000);
        return cmd_fail(&err);
    }
    return CMD_OK;
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    CMD_OPT_TIMEOUT("kill the node when it has not stopped after MS (default 60000)"),
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_node_stop_entry = {
    .name = "node stop",
    .args = "--root DIR [--timeout MS]",
    .summary = "stop the node and its watchdog gracefully; after MS (60000) kill the node",
    .exec = exec_node_stop,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_STOP,
};
