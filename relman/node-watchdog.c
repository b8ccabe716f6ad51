/*
 * The watchdog: one node child at a time, restarted when it dies abnormally,
 * within a restart intensity. Signals are taken synchronously (sigwaitinfo),
 * so there are no handlers and no races with fork.
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
#include "relman/handler.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
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
        if (WIFEXITED(status) && WEXITSTATUS(status) == RM_HANDLER_EXIT_RESTART)
            snprintf(how, sizeof how, "asked for a restart into the permanent release");
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
        node_logf(RM_LOG_WARNING, "watchdog: node (pid %ld) %s; restarting it", (long)child, how);
    }
}
