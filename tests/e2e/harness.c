/* The end-to-end test harness (harness.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e/harness.h"
#include "relman/fsutil.h"

#define E2E_MAX_NODES 8

/*
 * The roots of this test's nodes (each Criterion test runs in its own
 * process), copied: a test that fails an assertion leaves by longjmp, and its
 * own struct e2e_node (often on its stack) is gone when cleanup runs.
 */
static char roots[E2E_MAX_NODES][sizeof(((struct e2e_node *)0)->root)];

static void path_of(struct e2e_node *n, const char *rel, char *buf, size_t size)
{
    int k = snprintf(buf, size, "%s/%s", n->root, rel);
    cr_assert(k > 0 && (size_t)k < size, "path too long: %s/%s", n->root, rel);
}

void e2e_root_new(struct e2e_node *n, int depth)
{
    memset(n, 0, sizeof *n);
    const char *tmp = getenv("TMPDIR");
    snprintf(n->root, sizeof n->root, "%s/relman-e2e-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert(mkdtemp(n->root), "mkdtemp: %s", strerror(errno));
    for (int i = 0; i < depth; i++) {
        size_t len = strlen(n->root);
        cr_assert(len + 52 < sizeof n->root);
        snprintf(n->root + len, sizeof n->root - len, "/%s",
                 "a-rather-long-directory-name-for-a-deep-node-root-");
        cr_assert(mkdir(n->root, 0755) == 0, "mkdir '%s': %s", n->root, strerror(errno));
    }
    for (int i = 0; i < E2E_MAX_NODES; i++)
        if (!roots[i][0]) {
            memcpy(roots[i], n->root, sizeof roots[i]);
            return;
        }
    cr_assert_fail("more than %d nodes in one test", E2E_MAX_NODES);
}

static void make_parent(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    cr_assert(slash);
    *slash = '\0';
    struct rm_error err;
    cr_assert(rm_fs_mkdirs(dir, 0755, &err) == 0, "%s", err.msg);
}

void e2e_write(struct e2e_node *n, const char *rel, const char *text)
{
    char path[4096];
    struct rm_error err;
    path_of(n, rel, path, sizeof path);
    make_parent(path);
    cr_assert(rm_fs_write_atomic(path, text, strlen(text), 0644, &err) == 0, "%s", err.msg);
}

void e2e_copy(struct e2e_node *n, const char *src, const char *rel)
{
    char path[4096], *data;
    size_t len;
    struct rm_error err;
    path_of(n, rel, path, sizeof path);
    make_parent(path);
    cr_assert(rm_fs_read_file(src, 64u << 20, &data, &len, &err) == 0, "%s", err.msg);
    cr_assert(rm_fs_write_atomic(path, data, len, 0755, &err) == 0, "%s", err.msg);
    free(data);
}

char *e2e_read(struct e2e_node *n, const char *rel)
{
    char path[4096], *data;
    size_t len;
    path_of(n, rel, path, sizeof path);
    if (rm_fs_read_file(path, 64u << 20, &data, &len, NULL) < 0)
        return NULL;
    return data;
}

void e2e_boot_counter(struct e2e_node *n)
{
    e2e_copy(n, E2E_COUNTER_V0, "lib/counter-1/z.so");
    e2e_write(n, "boot.yaml",
              "modules:\n"
              "  - {name: z, version: \"0\", path: lib/counter-1/z.so}\n"
              "processes:\n"
              "  - {name: z, module: z, arg: \"\", restart: permanent}\n");
}

/* Appends what fd has to *buf; returns 0 at end of stream. */
static int drain(int fd, char **buf, size_t *len)
{
    char chunk[4096];
    ssize_t k = read(fd, chunk, sizeof chunk);
    if (k < 0 && errno == EINTR)
        return 1;
    if (k <= 0)
        return 0;
    *buf = realloc(*buf, *len + (size_t)k + 1);
    cr_assert(*buf);
    memcpy(*buf + *len, chunk, (size_t)k);
    *len += (size_t)k;
    (*buf)[*len] = '\0';
    return 1;
}

int e2e_runv(struct e2e_node *n, const char *cwd, struct e2e_out *o, const char *const *argv)
{
    const char *args[64];
    size_t k = 0;
    args[k++] = RELMAN_BIN;
    for (; *argv; argv++) {
        cr_assert(k < 60);
        args[k++] = *argv;
    }
    if (n) {
        args[k++] = "--root";
        args[k++] = n->root;
    }
    args[k] = NULL;
    int out[2], err[2];
    cr_assert(pipe(out) == 0 && pipe(err) == 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        close(out[0]);
        close(out[1]);
        close(err[0]);
        close(err[1]);
        unsetenv("RELMAN_ROOT");
        if (cwd && chdir(cwd) < 0)
            _exit(126);
        execv(RELMAN_BIN, (char *const *)args);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    memset(o, 0, sizeof *o);
    size_t out_len = 0, err_len = 0;
    o->out = calloc(1, 1);
    o->err = calloc(1, 1);
    struct pollfd p[2] = {{.fd = out[0], .events = POLLIN}, {.fd = err[0], .events = POLLIN}};
    while (p[0].fd >= 0 || p[1].fd >= 0) {
        if (poll(p, 2, -1) < 0)
            continue;
        if (p[0].revents && !drain(out[0], &o->out, &out_len))
            p[0].fd = -1;
        if (p[1].revents && !drain(err[0], &o->err, &err_len))
            p[1].fd = -1;
    }
    close(out[0]);
    close(err[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        cr_assert(errno == EINTR);
    o->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return o->status;
}

/* Collects the NULL-terminated arguments after `arg`. */
#define COLLECT_ARGS(argv, arg)                                                                    \
    do {                                                                                           \
        va_list ap;                                                                                \
        size_t i_ = 0;                                                                             \
        va_start(ap, arg);                                                                         \
        for (const char *a_ = arg; a_; a_ = va_arg(ap, const char *)) {                            \
            cr_assert(i_ < 60);                                                                    \
            argv[i_++] = a_;                                                                       \
        }                                                                                          \
        argv[i_] = NULL;                                                                           \
        va_end(ap);                                                                                \
    } while (0)

int e2e_run(struct e2e_node *n, struct e2e_out *o, const char *arg, ...)
{
    const char *argv[64];
    COLLECT_ARGS(argv, arg);
    return e2e_runv(n, NULL, o, argv);
}

void e2e_expect(struct e2e_node *n, int status, const char *out, const char *arg, ...)
{
    const char *argv[64];
    COLLECT_ARGS(argv, arg);
    struct e2e_out o;
    e2e_runv(n, NULL, &o, argv);
    cr_assert_eq(o.status, status, "relman %s: exit status %d, expected %d; stderr: %s", arg,
                 o.status, status, o.err);
    if (out)
        cr_assert_str_eq(o.out, out, "relman %s: stdout differs; stderr: %s", arg, o.err);
    e2e_out_free(&o);
}

pid_t e2e_spawn(struct e2e_node *n, const char *out_rel, const char *arg, ...)
{
    const char *argv[64];
    COLLECT_ARGS(argv, arg);
    char path[4096 + 64];
    path_of(n, out_rel, path, sizeof path);
    const char *args[68];
    size_t k = 0;
    args[k++] = RELMAN_BIN;
    for (size_t i = 0; argv[i]; i++)
        args[k++] = argv[i];
    args[k++] = "--root";
    args[k++] = n->root;
    args[k] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0)
            _exit(126);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
        unsetenv("RELMAN_ROOT");
        execv(RELMAN_BIN, (char *const *)args);
        _exit(127);
    }
    return pid;
}

int e2e_wait_exit(pid_t pid, int timeout_ms)
{
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        int status;
        pid_t w = waitpid(pid, &status, WNOHANG);
        cr_assert(w >= 0, "waitpid %ld: %s", (long)pid, strerror(errno));
        if (w == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        nanosleep(&pause, NULL);
    }
    cr_assert_fail("process %ld still running after %d ms", (long)pid, timeout_ms);
    return -1;
}

void e2e_out_free(struct e2e_out *o)
{
    free(o->out);
    free(o->err);
    memset(o, 0, sizeof *o);
}

void e2e_start(struct e2e_node *n)
{
    struct e2e_out o;
    e2e_run(n, &o, "node", "start", "--detach", NULL);
    char *log = o.status ? e2e_read(n, "log/node.log") : NULL;
    cr_assert_eq(o.status, 0, "node start: status %d: %s\nlog:\n%s", o.status, o.err,
                 log ? log : "(none)");
    free(log);
    e2e_out_free(&o);
    n->started = 1;
}

pid_t e2e_node_pid(struct e2e_node *n)
{
    char *text = e2e_read(n, "run/node.pid");
    if (!text)
        return 0;
    pid_t pid = (pid_t)strtol(text, NULL, 10);
    free(text);
    return pid;
}

pid_t e2e_wait_node(struct e2e_node *n, pid_t not, int timeout_ms)
{
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        pid_t pid = e2e_node_pid(n);
        if (pid > 0 && pid != not &&kill(pid, 0) == 0)
            return pid;
        nanosleep(&pause, NULL);
    }
    cr_assert_fail("no new node at '%s' within %d ms", n->root, timeout_ms);
    return 0;
}

/* Asserts that the node's log shows no sanitizer report (a node that
   crashed would have been restarted by its watchdog unnoticed). */
static void assert_clean_log(struct e2e_node *n)
{
    static const char *const marks[] = {"AddressSanitizer", "LeakSanitizer",
                                        "runtime error:", "Segmentation fault"};
    char *log = e2e_read(n, "log/node.log");
    for (size_t i = 0; log && i < sizeof marks / sizeof marks[0]; i++)
        cr_assert(!strstr(log, marks[i]), "node log at '%s' shows '%s':\n%s", n->root, marks[i],
                  log);
    free(log);
}

/* The directory e2e_root_new made with mkdtemp for `root` (the root itself,
   or its top ancestor when the root is nested), into buf. */
static void root_top(const char *root, char *buf, size_t size)
{
    snprintf(buf, size, "%s", root);
    char *mark = strstr(buf, "/relman-e2e-");
    char *slash = mark ? strchr(mark + 1, '/') : NULL;
    if (slash)
        *slash = '\0';
}

void e2e_stop(struct e2e_node *n)
{
    if (n->started) {
        n->started = 0;
        e2e_expect(n, 0, "", "node", "stop", NULL);
        assert_clean_log(n);
    }
    struct rm_error err;
    char top[sizeof n->root];
    root_top(n->root, top, sizeof top);
    cr_assert(rm_fs_remove_tree(top, &err) == 0, "%s", err.msg);
    for (int i = 0; i < E2E_MAX_NODES; i++)
        if (strcmp(roots[i], n->root) == 0)
            roots[i][0] = '\0';
}

pid_t e2e_parent_of(pid_t pid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = pid > 0 ? fopen(path, "r") : NULL;
    long ppid = 0;
    if (f && fgets(line, sizeof line, f)) {
        char *rp = strrchr(line, ')');
        if (!rp || sscanf(rp + 1, " %*c %ld", &ppid) != 1)
            ppid = 0;
    }
    if (f)
        fclose(f);
    return (pid_t)ppid;
}

void e2e_cleanup(void)
{
    for (int i = 0; i < E2E_MAX_NODES; i++) {
        if (!roots[i][0])
            continue;
        struct e2e_node n = {0};
        memcpy(n.root, roots[i], sizeof n.root);
        roots[i][0] = '\0';
        /* Whether or not the test got to start it: stop any node there. */
        struct e2e_out o;
        const char *argv[] = {"node", "stop", NULL};
        int status = e2e_runv(&n, NULL, &o, argv);
        e2e_out_free(&o);
        if (status != 0 && status != 3) {
            /* The watchdog first, or it would restart the node. */
            pid_t pid = e2e_node_pid(&n), wd = pid > 0 ? e2e_parent_of(pid) : 0;
            if (wd > 1)
                kill(wd, SIGKILL);
            if (pid > 0)
                kill(pid, SIGKILL);
        }
        char top[sizeof n.root];
        root_top(n.root, top, sizeof top);
        rm_fs_remove_tree(top, NULL);
    }
}
