/* relman node stop --root DIR: stop the node gracefully, and its watchdog,
   and wait until both are gone. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client.h"

/* How long `node stop` waits for the node and its watchdog to exit. */
#define STOP_WAIT_MS 60000

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

static int exec_node_stop(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root;
    if (client_args(self, argc, argv, NULL, 0, 0, &root) < 0)
        return CMD_USAGE;
    pid_t node_pid, wd_pid;
    struct rm_error err;
    if (client_ping(root, &node_pid, &wd_pid, &err) < 0)
        return cmd_fail(&err);
    int rc = client_run(root, self->msg, NULL, CLIENT_REPLY_TIMEOUT_MS);
    if (rc != CMD_OK)
        return rc;
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 20 * 1000 * 1000};
    for (int waited = 0; alive(node_pid) || alive(wd_pid); waited += 20) {
        if (waited >= STOP_WAIT_MS) {
            rm_error_set(&err, RM_ETIMEOUT,
                         "node stop: node at '%s' (pid %ld) still running after %d s", root,
                         (long)node_pid, STOP_WAIT_MS / 1000);
            return cmd_fail(&err);
        }
        nanosleep(&pause, NULL);
    }
    return CMD_OK;
}

const struct cmd_entry cmd_node_stop_entry = {
    .name = "node stop",
    .args = "--root DIR",
    .summary = "stop the node and its watchdog gracefully; waits until they are gone",
    .exec = exec_node_stop,
    .msg = RM_MSG_STOP,
};
