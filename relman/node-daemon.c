/*
 * The node process: runtime, boot, control server, pid file, and a main
 * thread that only waits for the signal to stop.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "node.h"
#include "relman/ctl.h"
#include "relman/fsutil.h"
#include "relman/handler.h"
#include "relman/runtime.h"

/* The release handler asks for a restart into the permanent release (after
   an irreversible failure, reboot-old, restart_node): the main thread takes
   SIGUSR1 once the reply is on its way and exits with RM_HANDLER_EXIT_RESTART. */
static void request_restart(void *ud, const char *why)
{
    node_logf(RM_LOG_WARNING, "restart into the permanent release requested: %s", why);
    kill(getpid(), SIGUSR1);
}

/* The runtime's log sink: the line and, for the journal, its process. */
static void log_about(void *ud, int level, const char *line, const struct rm_log_about *about)
{
    struct node_log_subject subj;
    if (about)
        subj = (struct node_log_subject){about->process, about->module, about->version};
    node_log_about(level, line, about ? &subj : NULL);
}

/* Boots the permanent release when ROOT/releases/RELEASES exists (*rh is
   then the release handler), else ROOT/boot.yaml. */
static int boot(struct rm_node *node, const char *root, struct rm_handler **rh,
                struct rm_error *err)
{
    char path[4096 + 32];
    snprintf(path, sizeof path, "%s/releases/RELEASES", root);
    if (!rm_fs_exists(path))
        return rm_handler_boot_file(node, root, err);
    struct rm_handler_opts o = {.node = node, .root = root, .restart = request_restart};
    *rh = rm_handler_new(&o, err);
    return *rh ? rm_handler_boot(*rh, err) : -1;
}

/* Tells the starter (ROOT's `relman node start --detach`) how boot went. */
static void report_ready(int fd, const struct rm_error *err)
{
    if (fd < 0)
        return;
    char buf[RM_ERROR_MAX + 1];
    int n = err ? snprintf(buf, sizeof buf, "E%s", err->msg) : snprintf(buf, sizeof buf, "R");
    ssize_t w = write(fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    (void)w; /* the starter may be gone: it only waits for the first node */
    close(fd);
}

/* Stops every process first, so that requests waiting on one (a call to a
   suspended process) are answered and their connections can finish. */
static void stop_processes(struct rm_node *node)
{
    struct rm_proc_info *list;
    size_t n;
    if (rm_proc_list(node, NULL, &list, &n, NULL) < 0)
        return;
    for (size_t i = n; i-- > 0;)
        rm_proc_stop(node, list[i].pid, "shutdown", NULL);
    free(list);
}

/* A node holds a descriptor per connection its processes own: the soft
   limit on open files (1024 by default) goes up to the hard one. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            node_logf(RM_LOG_WARNING, "cannot raise the open files limit: %s", strerror(errno));
    }
}

/* Tells whether the node still serves: its process table can be read
   (what a service manager's watchdog keep-alive vouches for). */
static int node_alive(struct rm_node *node)
{
    struct rm_proc_info *list;
    size_t n;
    if (rm_proc_list(node, NULL, &list, &n, NULL) < 0)
        return 0;
    free(list);
    return 1;
}

/* Waits for the signal that stops the node, into *si. On the way: SIGHUP
   reopens a log file (and stops a node logging to a terminal), also the
   watchdog's when the signal came from elsewhere (logrotate may signal
   either process), and a service manager's watchdog is pinged at half its
   interval. */
static void wait_for_stop(struct rm_node *node, pid_t watchdog_pid, const sigset_t *set,
                          siginfo_t *si)
{
    uint64_t wd_usec = node_sd_watchdog_usec();
    struct timespec tick = {.tv_sec = (time_t)(wd_usec / 2 / 1000000),
                            .tv_nsec = (long)(wd_usec / 2 % 1000000) * 1000};
    if (wd_usec) {
        node_logf(RM_LOG_INFO, "service manager watchdog: every %llu ms",
                  (unsigned long long)wd_usec / 1000);
        node_sd_watchdog_ping();
    }
    for (;;) {
        int sig = wd_usec ? sigtimedwait(set, si, &tick) : sigwaitinfo(set, si);
        if (sig < 0) {
            if (errno == EAGAIN && node_alive(node))
                node_sd_watchdog_ping();
            continue;
        }
        /* In the foreground under the watchdog, SIGHUP is a terminal's
           hangup; supervised, a service manager's reload. */
        if (sig != SIGHUP || (node_log_sink() == NODE_SINK_STDERR && watchdog_pid > 0))
            return;
        struct rm_error err;
        if (node_log_sink() != NODE_SINK_FILE)
            node_logf(RM_LOG_INFO, "SIGHUP: no log file to reopen");
        else if (node_log_reopen(&err) < 0)
            node_logf(RM_LOG_ERROR, "SIGHUP: %s", err.msg);
        else
            node_logf(RM_LOG_INFO, "log reopened (SIGHUP)");
        if (node_log_sink() == NODE_SINK_FILE && watchdog_pid > 0 && si->si_pid != watchdog_pid)
            kill(watchdog_pid, SIGHUP);
    }
}

int node_main(const char *root, int ready_fd, pid_t watchdog_pid)
{
    raise_nofile();
    /* Threads inherit this mask: only the main thread takes these signals. */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGHUP);
    sigaddset(&stop_set, SIGUSR1);
    sigprocmask(SIG_SETMASK, &stop_set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct rm_error err;
    rm_error_clear(&err);
    char pid_path[4096];
    snprintf(pid_path, sizeof pid_path, "%s/%s/%s", root, RM_NODE_RUN_DIR, RM_NODE_PID_NAME);
    struct rm_node_opts nopts = {.log_about = log_about};
    struct rm_node *node = rm_node_new(&nopts, &err);
    struct rm_ctl *ctl = NULL;
    struct rm_handler *rh = NULL;
    struct rm_ctl_opts copts = {.root = root, .watchdog_pid = watchdog_pid};
    if (!node || boot(node, root, &rh, &err) < 0 || !(ctl = rm_ctl_new(node, &copts, &err)) ||
        node_serve_requests(ctl, rh, root, &err) < 0 || rm_ctl_start(ctl, &err) < 0) {
        node_logf(RM_LOG_ERROR, "node at '%s' failed to start: %s", root, err.msg);
        report_ready(ready_fd, &err);
        rm_ctl_free(ctl);
        rm_handler_free(rh);
        rm_node_free(node);
        return NODE_EXIT_BOOT;
    }
    char pid_text[32];
    int len = snprintf(pid_text, sizeof pid_text, "%ld\n", (long)getpid());
    if (rm_fs_write_atomic(pid_path, pid_text, (size_t)len, 0600, &err) < 0)
        node_logf(RM_LOG_WARNING, "pid file: %s", err.msg);
    node_logf(RM_LOG_INFO, "node started at '%s' (pid %ld)", root, (long)getpid());
    report_ready(ready_fd, NULL);
    char vsn[RM_NAME_MAX + 1] = "";
    if (rh)
        rm_handler_current(rh, vsn, sizeof vsn);
    node_log_release(vsn);
    if (rh)
        node_sd_ready("running release '%s'", vsn);
    else
        node_sd_ready("running boot.yaml");

    siginfo_t si;
    wait_for_stop(node, watchdog_pid, &stop_set, &si);
    node_logf(RM_LOG_INFO, "node stopping (signal %d)", si.si_signo);
    /* A stop that did not come from the watchdog (`relman node stop`, or a
       signal sent to the node itself): the watchdog learns of it first, so
       that a node dying while it stops (a module's own thread running
       unloaded code, say) is not restarted: its SIGTERM is queued before
       any SIGCHLD this node's death can raise, and the watchdog takes the
       lower-numbered signal first. Its answer, a SIGTERM back, stays
       pending here: the node is stopping already. */
    if (si.si_signo != SIGUSR1 && watchdog_pid > 0 && si.si_pid != watchdog_pid)
        kill(watchdog_pid, SIGTERM);
    node_sd_stopping();
    rm_ctl_shutdown(ctl);
    stop_processes(node);
    rm_ctl_free(ctl);
    rm_handler_free(rh);
    unlink(pid_path);
    rm_node_free(node);
    if (si.si_signo == SIGUSR1) {
        node_logf(RM_LOG_INFO, "node stopped for a restart");
        return RM_HANDLER_EXIT_RESTART;
    }
    node_logf(RM_LOG_INFO, "node stopped");
    return 0;
}
