/*
 * `relman node start`: one node per root (a lock in ROOT/run), the watchdog
 * in the foreground or detached into its own session, or the node alone
 * under a service manager (--supervised).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "node.h"
#include "relman/fsutil.h"

/* How long `node start --detach` waits for the node to answer. */
#define START_WAIT_MS 60000

/* Prints "relman: <message>" and returns CMD_FAILED. */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("relman: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CMD_FAILED;
}

/* Takes ROOT/run/node.lock for the watchdog and its nodes (inherited). */
static int lock_root(const char *root, int *fd)
{
    char run[4096], path[4096 + 16];
    struct rm_error err;
    snprintf(run, sizeof run, "%s/%s", root, RM_NODE_RUN_DIR);
    snprintf(path, sizeof path, "%s/%s", run, NODE_LOCK_NAME);
    if (rm_fs_mkdirs(run, 0700, &err) < 0)
        return cmd_fail(&err);
    *fd = open(path, O_RDWR | O_CREAT, 0600);
    if (*fd < 0)
        return fail("lock '%s': %s", path, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(*fd);
        char pid_path[4096 + 16], *pid = NULL;
        size_t len;
        snprintf(pid_path, sizeof pid_path, "%s/%s", run, RM_NODE_PID_NAME);
        if (e == EWOULDBLOCK && rm_fs_read_file(pid_path, 64, &pid, &len, NULL) == 0) {
            pid[strcspn(pid, "\n")] = '\0';
            fprintf(stderr, "relman: a node is already running at '%s' (pid %s)\n", root, pid);
            free(pid);
            return CMD_FAILED;
        }
        if (e == EWOULDBLOCK)
            return fail("a node is already running at '%s'", root);
        return fail("lock '%s': %s", path, strerror(e));
    }
    return CMD_OK;
}

/* Points stdin at /dev/null and stdout and stderr at ROOT/log/node.log. */
static int redirect_to_log(const char *root)
{
    char dir[4096], path[4096 + 16];
    struct rm_error err;
    snprintf(dir, sizeof dir, "%s/%s", root, NODE_LOG_DIR);
    snprintf(path, sizeof path, "%s/%s", dir, NODE_LOG_FILE);
    if (rm_fs_mkdirs(dir, 0755, &err) < 0)
        return cmd_fail(&err);
    int in = open("/dev/null", O_RDONLY);
    int log = open(path, O_WRONLY | O_CREAT | O_APPEND, 0640);
    if (in < 0 || log < 0)
        return fail("open the log '%s': %s", path, strerror(errno));
    dup2(in, STDIN_FILENO);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    close(in);
    close(log);
    return CMD_OK;
}

/* In the starter: waits for the node's first word on the ready pipe. */
static int wait_ready(const char *root, int fd)
{
    char buf[RM_ERROR_MAX + 2];
    size_t got = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (got < sizeof buf - 1) {
        int r = poll(&p, 1, START_WAIT_MS);
        if (r == 0)
            return fail("node at '%s' did not answer within 60 s; see its log in '%s/log/node.log'",
                        root, root);
        if (r < 0 && errno == EINTR)
            continue;
        ssize_t k = read(fd, buf + got, sizeof buf - 1 - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
        if (buf[0] == 'R')
            break;
    }
    buf[got] = '\0';
    if (got > 0 && buf[0] == 'R') {
        pid_t node_pid, wd_pid;
        struct rm_error err;
        if (client_ping(root, &node_pid, &wd_pid, &err) < 0)
            return cmd_fail(&err);
        return CMD_OK;
    }
    if (got > 1 && buf[0] == 'E') {
        fprintf(stderr, "relman: %s\n", buf + 1);
        return CMD_FAILED;
    }
    return fail("node at '%s' exited during startup; see its log in '%s/log/node.log'", root, root);
}

static int start_detached(const char *root, int lock_fd)
{
    int ready[2];
    if (pipe(ready) < 0)
        return fail("node start: pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t child = fork();
    if (child < 0)
        return fail("node start: fork: %s", strerror(errno));
    if (child == 0) {
        close(ready[0]);
        setsid();
        /* Detached, the node is nobody's service: it notifies no manager. */
        unsetenv("NOTIFY_SOCKET");
        unsetenv("WATCHDOG_USEC");
        pid_t wd = fork();
        if (wd != 0)
            _exit(wd < 0 ? 1 : 0);
        if (redirect_to_log(root) != CMD_OK)
            _exit(1);
        if (chdir("/") < 0)
            _exit(1);
        char log_path[4096 + 16];
        snprintf(log_path, sizeof log_path, "%s/%s/%s", root, NODE_LOG_DIR, NODE_LOG_FILE);
        node_log_init(NODE_SINK_FILE, root, log_path);
        exit(node_watchdog(root, ready[1]));
    }
    close(ready[1]);
    close(lock_fd); /* the watchdog holds the lock now */
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    int rc = wait_ready(root, ready[0]);
    close(ready[0]);
    return rc;
}

/* Under a service manager: the node in this process, no watchdog; the
   manager restarts it (exit status RM_HANDLER_EXIT_RESTART, or a crash)
   and is told of readiness, status and liveness (node-systemd.c). */
static int start_supervised(const char *root, int lock_fd)
{
    node_log_init(node_log_journal_wanted() ? NODE_SINK_JOURNAL : NODE_SINK_STDERR, root, NULL);
    int rc = node_main(root, -1, 0);
    close(lock_fd);
    return rc;
}

int node_start(const char *root, int detach, int supervised)
{
    struct stat st;
    if (stat(root, &st) < 0)
        return fail("node start: root '%s': %s", root, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail("node start: root '%s' is not a directory", root);
    int lock_fd;
    int rc = lock_root(root, &lock_fd);
    if (rc != CMD_OK)
        return rc;
    if (detach)
        return start_detached(root, lock_fd);
    if (supervised)
        return start_supervised(root, lock_fd);
    /* Under systemd without Type=notify, stderr may be the journal. */
    node_log_init(node_log_journal_wanted() ? NODE_SINK_JOURNAL : NODE_SINK_STDERR, root, NULL);
    rc = node_watchdog(root, -1);
    close(lock_fd);
    return rc == 0 ? CMD_OK : CMD_FAILED;
}
