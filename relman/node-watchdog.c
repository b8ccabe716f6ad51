/*
 * The watchdog: one node child at a time, restarted when it dies abnormally,
 * within a restart intensity. A restart the node asks for (exit status
 * RM_HANDLER_EXIT_RESTART: restart_node, reboot-old, a failure after an irreversible
 * step) is not a crash and does not count against the intensity. Signals
 * are taken synchronously (sigwaitinfo), so there are no handlers and no
 * races with fork.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "node.h"
#include "relman/fsutil.h"
#include "relman/handler.h"
#include "relman/protocol.h"
#include "relman/store.h"

static double now_s(void)
{
    return (double)rm_clock_ns() / 1e9;
}

/* Describes how a child ended, for the log. */
static void describe(int status, char *buf, size_t size)
{
    if (WIFSIGNALED(status))
        snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
}

/* The release the next boot runs, for the log: the one a restart_node asked
   for (ROOT/run/boot-once, read, not consumed) or the permanent one. */
static void next_release(const char *root, char *vsn, size_t size)
{
    char path[4200], *text = NULL;
    size_t len;
    snprintf(path, sizeof path, "%s/" RM_NODE_RUN_DIR "/boot-once", root);
    snprintf(vsn, size, "?");
    if (rm_fs_read_file(path, 256, &text, &len, NULL) == 0) {
        text[strcspn(text, "\n")] = '\0';
        snprintf(vsn, size, "%s", text);
        free(text);
        return;
    }
    struct rm_store *st = rm_store_open(root, 0, NULL);
    const struct rm_store_rel *perm = st ? rm_store_permanent(st) : NULL;
    if (perm)
        snprintf(vsn, size, "%s", perm->version);
    rm_store_close(st);
}

int node_watchdog(const char *root, int ready_fd)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, &old);
    signal(SIGPIPE, SIG_IGN);

    double restarts[WATCHDOG_MAX_RESTARTS] = {0};
    unsigned n_restarts = 0;
    int stopping = 0;
    pid_t self = getpid();
    for (;;) {
        fflush(NULL);
        pid_t child = fork();
        if (child < 0) {
            node_logf(RM_LOG_ERROR, "watchdog: cannot start the node: %s", strerror(errno));
            return 1;
        }
        if (child == 0)
            exit(node_main(root, ready_fd, self)); /* exit: leak checkers run */
        node_logf(RM_LOG_INFO, "watchdog (pid %ld): starting the node (pid %ld)", (long)self,
                  (long)child);

        int status = 0;
        for (;;) {
            siginfo_t si;
            if (sigwaitinfo(&set, &si) < 0)
                continue;
            if (si.si_signo == SIGHUP && node_log_sink() != NODE_SINK_STDERR) {
                /* logrotate: this process's log, then the node's, unless
                   the node itself passed the signal on. */
                struct rm_error err;
                if (node_log_reopen(&err) < 0)
                    node_logf(RM_LOG_ERROR, "watchdog: SIGHUP: %s", err.msg);
                if (si.si_pid != child)
                    kill(child, SIGHUP);
                continue;
            }
            if (si.si_signo != SIGCHLD) {
                stopping = 1;
                kill(child, SIGTERM);
                continue;
            }
            pid_t w = waitpid(child, &status, WNOHANG);
            if (w == child)
                break;
        }
        char how[128];
        describe(status, how, sizeof how);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            node_logf(RM_LOG_INFO, "watchdog: node stopped");
            return 0;
        }
        if (stopping) {
            node_logf(RM_LOG_WARNING, "watchdog: node %s while stopping", how);
            return 1;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == NODE_EXIT_BOOT) {
            node_logf(RM_LOG_ERROR, "watchdog: node could not boot; not restarting it");
            return 1;
        }
        char vsn[RM_NAME_MAX + 1];
        next_release(root, vsn, sizeof vsn);
        if (WIFEXITED(status) && WEXITSTATUS(status) == RM_HANDLER_EXIT_RESTART) {
            /* Asked for: not a crash, so outside the restart intensity. */
            node_logf(RM_LOG_INFO,
                      "watchdog: node (pid %ld) asked for a restart; restarting it into "
                      "release '%s'",
                      (long)child, vsn);
            continue;
        }
        /* Restart intensity: the oldest of the last MAX restarts must be
           older than PERIOD, else give up. */
        double t = now_s();
        unsigned slot = n_restarts % WATCHDOG_MAX_RESTARTS;
        if (n_restarts >= WATCHDOG_MAX_RESTARTS && t - restarts[slot] < WATCHDOG_PERIOD_S) {
            node_logf(RM_LOG_ERROR,
                      "watchdog: node %s; it was restarted %d times within %d s: giving up", how,
                      WATCHDOG_MAX_RESTARTS, WATCHDOG_PERIOD_S);
            if (ready_fd >= 0) {
                ssize_t k = write(ready_fd, "Ethe node died during startup", 29);
                (void)k;
            }
            return 1;
        }
        restarts[slot] = t;
        n_restarts++;
        node_logf(RM_LOG_WARNING, "watchdog: node (pid %ld) %s; restarting it into release '%s'",
                  (long)child, how, vsn);
    }
}
