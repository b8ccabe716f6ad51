/*
 * relman-stress: a live node under concurrent control requests while its
 * release is installed up and down in a loop, for a bounded time.
 *
 *     relman-stress --relman PATH --archives DIR --seconds N [--root DIR]
 *
 * It starts a detached node from the counter's release 1 archive
 * (DIR/counter-1.tar.gz) in a fresh root, unpacks release 2, then runs for
 * N seconds: threads that send calls and casts to `z`, page through status,
 * read z's state, switch tracing on and off, and ask which release runs
 * (RM_MSG_RH_WHICH, as `relman releases` does), each on its own connection
 * through the control protocol; and one thread that runs `relman install 2`
 * and `relman install 1` in turn. Then it stops the node and removes the
 * root.
 *
 * It is built in every build, and meant for a ThreadSanitizer build
 * (RELMAN_TSAN): the node, its watchdog and every relman it runs get
 * TSAN_OPTIONS with exitcode=0 (so that a report does not turn the node's
 * graceful stop into a crash the watchdog would restart) and log_path
 * ROOT/log/tsan, where this program's own reports go too. The run fails when
 * any report file exists or the node's log holds a report.
 *
 * Output: the first 60 lines of each process's first report, the distinct
 * report summaries, the first errors, then one summary line. Exit status 0
 * when every operation succeeded, the node stayed up (same pid throughout)
 * and nothing was reported; 1 otherwise; 2 on a usage error.
 */
#define _GNU_SOURCE /* pipe2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "relman/fsutil.h"
#include "relman/protocol.h"

#if defined(__SANITIZE_THREAD__)
#define STRESS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STRESS_TSAN 1
#endif
#endif
#ifdef STRESS_TSAN
#include <sanitizer/common_interface_defs.h>
#endif

/* Bounds: every loop stops at the deadline or after this many operations. */
#define MAX_OPS_PER_THREAD 5000000ul
#define MAX_INSTALLS       100000ul
#define SOCKET_TIMEOUT_S   20    /* a request that takes longer is an error */
#define CALL_TIMEOUT_MS    10000 /* the node's own timeout for a call */
#define INSTALL_TIMEOUT_S  120   /* a relman child that takes longer is killed */
#define JOIN_GRACE_S       180   /* threads still running this long after the end: stuck */
#define REPORT_LINES       60    /* lines printed of a sanitizer report */
#define MAX_ERRORS_KEPT    10    /* error messages printed */

enum kind { K_CALL, K_CAST, K_STATUS, K_STATE, K_TRACE, K_WHICH, K_INSTALL, K_COUNT };
static const char *const kind_names[K_COUNT] = {"call",  "cast",  "status", "state",
                                                "trace", "which", "install"};

/* The threads and how many of each kind. */
static const enum kind workers[] = {K_CALL,  K_CALL,  K_CAST,  K_STATUS,
                                    K_STATE, K_TRACE, K_WHICH, K_WHICH};
#define N_WORKERS (sizeof workers / sizeof workers[0])

static struct {
    const char *relman;
    char root[PATH_MAX];
    char sock[PATH_MAX];
    double deadline; /* monotonic seconds */
    atomic_int stop;
    pthread_mutex_t lock; /* guards the fields below */
    unsigned long errors;
    char kept[MAX_ERRORS_KEPT][512];
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct worker {
    pthread_t thread;
    enum kind kind;
    unsigned long ops, errors;
    unsigned long up, down; /* installs */
    atomic_int done;
    int joined; /* main's: the thread was joined, its counters are final */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int running(void)
{
    return !atomic_load(&g.stop) && now() < g.deadline;
}

/* Records an unexpected error (kept for printing when among the first). */
static void fail(struct worker *w, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (w)
        w->errors++;
    pthread_mutex_lock(&g.lock);
    if (g.errors < MAX_ERRORS_KEPT)
        snprintf(g.kept[g.errors], sizeof g.kept[0], "%s", msg);
    g.errors++;
    pthread_mutex_unlock(&g.lock);
}

/* ---- the control protocol ------------------------------------------------ */

/* One connection, kept across requests and opened again after a failure. */
struct conn {
    int fd;
};

static int conn_open(struct conn *c, struct rm_error *err)
{
    if (c->fd >= 0)
        return 0;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return rm_error_set(err, RM_EIO, "socket: %s", strerror(errno));
    if (rm_proto_connect(s, g.sock, err) < 0) {
        close(s);
        return -1;
    }
    struct timeval tv = {.tv_sec = SOCKET_TIMEOUT_S};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    c->fd = s;
    return 0;
}

static void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/*
 * Sends one request of `type` (payload `w`, may be NULL) and reads its reply:
 * 0 with *payload (free it) and `rd` at the first field after the status, or
 * -1 with `err` (the node's own error, or what failed on the way).
 */
static int request(struct conn *c, unsigned type, const struct rm_proto_writer *w,
                   unsigned char **payload, struct rm_proto_reader *rd, struct rm_error *err)
{
    struct rm_proto_header h;
    uint32_t status;
    *payload = NULL;
    if (w && rm_proto_writer_check(w, err) < 0)
        return -1;
    if (conn_open(c, err) < 0)
        return rm_error_prefix(err, "connect");
    if (rm_proto_frame_write(c->fd, (uint16_t)type, 0, w ? w->buf : NULL, w ? w->len : 0, err) <
        0) {
        conn_close(c);
        return rm_error_prefix(err, "send");
    }
    int r = rm_proto_frame_read(c->fd, &h, payload, err);
    if (r <= 0) {
        conn_close(c);
        if (r == 0)
            return rm_error_set(err, RM_EIO, "the node closed the connection without replying");
        return rm_error_prefix(err, "reply");
    }
    rm_proto_reader_init(rd, *payload, h.length);
    if (!(h.flags & RM_PROTO_F_REPLY) || h.type != type) {
        conn_close(c);
        return rm_error_set(err, RM_EPROTO, "frame of type %u flags %u answers a '%s' request",
                            h.type, h.flags, rm_proto_type_name(type));
    }
    if (rm_proto_get_u32(rd, &status, "status", err) < 0)
        return -1;
    if (status != 0) {
        char msg[RM_ERROR_MAX];
        if (rm_proto_get_str(rd, msg, sizeof msg, 0, "message", NULL) < 0)
            snprintf(msg, sizeof msg, "%s", rm_strerror((int)(int32_t)status));
        return rm_error_set(err, (int)(int32_t)status, "%s", msg);
    }
    return 0;
}

/* Pings the node: its pid and its watchdog's. */
static int ping(pid_t *node, pid_t *watchdog, struct rm_error *err)
{
    struct conn c = {.fd = -1};
    unsigned char *p;
    struct rm_proto_reader rd;
    uint64_t np, wp;
    int rc = request(&c, RM_MSG_PING, NULL, &p, &rd, err);
    if (rc == 0 && (rm_proto_get_u64(&rd, &np, "node pid", err) < 0 ||
                    rm_proto_get_u64(&rd, &wp, "watchdog pid", err) < 0))
        rc = -1;
    free(p);
    conn_close(&c);
    if (rc == 0) {
        *node = (pid_t)np;
        *watchdog = (pid_t)wp;
    }
    return rc;
}

/* ---- the request loops ----------------------------------------------------- */

/* A call "boom" to z: the count it answers must grow (no state lost). */
static int op_call(struct conn *c, long *last, struct rm_error *err)
{
    struct rm_proto_writer w = {0};
    unsigned char *p;
    struct rm_proto_reader rd;
    const void *reply;
    size_t n;
    rm_proto_put_str(&w, "z");
    rm_proto_put_bytes(&w, "boom", 4);
    rm_proto_put_u32(&w, CALL_TIMEOUT_MS);
    int rc = request(c, RM_MSG_CALL, &w, &p, &rd, err);
    rm_proto_writer_release(&w);
    if (rc == 0 && rm_proto_get_bytes(&rd, &reply, &n, "reply", err) == 0) {
        char buf[32];
        char *end;
        snprintf(buf, sizeof buf, "%.*s", (int)(n < 31 ? n : 31), (const char *)reply);
        long v = strtol(buf, &end, 10);
        if (n == 0 || n > 30 || *end)
            rc = rm_error_set(err, RM_EPROTO, "reply '%s' is not a count", buf);
        else if (v <= *last)
            rc = rm_error_set(err, RM_EPROTO, "count %ld after %ld: state went back", v, *last);
        else
            *last = v;
    } else {
        rc = -1;
    }
    free(p);
    return rc;
}

static int op_cast(struct conn *c, struct rm_error *err)
{
    struct rm_proto_writer w = {0};
    unsigned char *p;
    struct rm_proto_reader rd;
    rm_proto_put_str(&w, "z");
    rm_proto_put_bytes(&w, "boom", 4);
    int rc = request(c, RM_MSG_CAST, &w, &p, &rd, err);
    rm_proto_writer_release(&w);
    free(p);
    return rc;
}

/* Every status page; z must be among the processes, on version 0 or 1. */
static int op_status(struct conn *c, struct rm_error *err)
{
    uint64_t after = 0;
    int seen = 0;
    for (int page = 0; page < 1000; page++) {
        struct rm_proto_writer w = {0};
        unsigned char *p;
        struct rm_proto_reader rd;
        uint32_t count, more;
        rm_proto_put_u64(&w, after);
        int rc = request(c, RM_MSG_STATUS, &w, &p, &rd, err);
        rm_proto_writer_release(&w);
        if (rc == 0 && (rm_proto_get_u32(&rd, &count, "count", err) < 0 ||
                        rm_proto_get_u32(&rd, &more, "more", err) < 0))
            rc = -1;
        for (uint32_t i = 0; rc == 0 && i < count; i++) {
            char name[64], module[64], version[64];
            uint64_t pid, queue;
            uint32_t suspended, tracing, fds, links, monitors;
            if (rm_proto_get_u64(&rd, &pid, "pid", err) < 0 ||
                rm_proto_get_str(&rd, name, sizeof name, 0, "name", err) < 0 ||
                rm_proto_get_str(&rd, module, sizeof module, 1, "module", err) < 0 ||
                rm_proto_get_str(&rd, version, sizeof version, 1, "version", err) < 0 ||
                rm_proto_get_u32(&rd, &suspended, "suspended", err) < 0 ||
                rm_proto_get_u32(&rd, &tracing, "tracing", err) < 0 ||
                rm_proto_get_u64(&rd, &queue, "queue", err) < 0 ||
                rm_proto_get_u32(&rd, &fds, "descriptors", err) < 0 ||
                rm_proto_get_u32(&rd, &links, "links", err) < 0 ||
                rm_proto_get_u32(&rd, &monitors, "monitors", err) < 0) {
                rc = -1;
                break;
            }
            after = pid;
            if (strcmp(name, "z") == 0) {
                seen = 1;
                if (strcmp(version, "0") != 0 && strcmp(version, "1") != 0)
                    rc = rm_error_set(err, RM_EPROTO, "z runs version '%s'", version);
            }
        }
        if (rc == 0)
            rc = rm_proto_end(&rd, err);
        free(p);
        if (rc < 0)
            return -1;
        if (!more)
            break;
    }
    return seen ? 0 : rm_error_set(err, RM_ENOENT, "z is not in the status");
}

static int op_state(struct conn *c, struct rm_error *err)
{
    struct rm_proto_writer w = {0};
    unsigned char *p;
    struct rm_proto_reader rd;
    char state[4096];
    rm_proto_put_str(&w, "z");
    int rc = request(c, RM_MSG_STATE, &w, &p, &rd, err);
    rm_proto_writer_release(&w);
    if (rc == 0)
        rc = rm_proto_get_str(&rd, state, sizeof state, 1, "state", err);
    free(p);
    return rc;
}

static int op_trace(struct conn *c, uint32_t on, struct rm_error *err)
{
    struct rm_proto_writer w = {0};
    unsigned char *p;
    struct rm_proto_reader rd;
    rm_proto_put_str(&w, "z");
    rm_proto_put_u32(&w, on);
    int rc = request(c, RM_MSG_TRACE, &w, &p, &rd, err);
    rm_proto_writer_release(&w);
    free(p);
    return rc;
}

/* Which release runs: "1" or "2", nothing else. */
static int op_which(struct conn *c, struct rm_error *err)
{
    unsigned char *p;
    struct rm_proto_reader rd;
    char vsn[256];
    int rc = request(c, RM_MSG_RH_WHICH, NULL, &p, &rd, err);
    if (rc == 0)
        rc = rm_proto_get_str(&rd, vsn, sizeof vsn, 0, "version", err);
    if (rc == 0 && strcmp(vsn, "1") != 0 && strcmp(vsn, "2") != 0)
        rc = rm_error_set(err, RM_EPROTO, "running release is '%s', not '1' or '2'", vsn);
    free(p);
    return rc;
}

/* ---- running relman ---------------------------------------------------------- */

/*
 * Runs `relman ARGS...` (NULL-terminated), its stdout and stderr into out
 * (size bytes, NUL-terminated, cut when longer), killed after `timeout_s`.
 * Returns its exit status, 128 + signal when killed, or -1 when it could
 * not be run (out says why).
 */
static int run_relman(char *out, size_t size, int timeout_s, ...)
{
    char *argv[16];
    int argc = 0, fds[2];
    va_list ap;
    argv[argc++] = (char *)g.relman;
    va_start(ap, timeout_s);
    for (char *a; argc < 15 && (a = va_arg(ap, char *));)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    out[0] = '\0';
    if (pipe2(fds, O_CLOEXEC) < 0) {
        snprintf(out, size, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(out, size, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        execv(g.relman, argv);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0;
    double end = now() + timeout_s;
    int killed = 0;
    for (;;) {
        double left = end - now();
        if (left <= 0 && !killed) {
            kill(pid, SIGKILL);
            killed = 1;
        }
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        int k = poll(&pfd, 1, killed ? 1000 : (int)(left * 1000) + 1);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (killed)
                break;
            continue;
        }
        char buf[4096];
        ssize_t r = read(fds[0], buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        size_t take = (size_t)r < size - 1 - len ? (size_t)r : size - 1 - len;
        memcpy(out + len, buf, take);
        len += take;
        out[len] = '\0';
    }
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* ---- the threads ------------------------------------------------------------- */

static void *install_loop(void *arg)
{
    struct worker *w = arg;
    char out[16384];
    for (unsigned long i = 0; i < MAX_INSTALLS && running(); i++) {
        const char *vsn = i % 2 == 0 ? "2" : "1";
        int rc = run_relman(out, sizeof out, INSTALL_TIMEOUT_S, "install", vsn, (char *)NULL);
        w->ops++;
        if (rc != 0) {
            out[strcspn(out, "\n")] = '\0';
            fail(w, "install '%s': exit status %d: %s", vsn, rc, out);
            break; /* the node's release is now unknown: stop installing */
        }
        if (*vsn == '2')
            w->up++;
        else
            w->down++;
    }
    /* End on release 1, so that a run can be repeated on a kept root. */
    if (w->up > w->down) {
        int rc = run_relman(out, sizeof out, INSTALL_TIMEOUT_S, "install", "1", (char *)NULL);
        w->ops++;
        if (rc == 0)
            w->down++;
        else
            fail(w, "install '1' (last): exit status %d: %s", rc, out);
    }
    atomic_store(&w->done, 1);
    return NULL;
}

static void *request_loop(void *arg)
{
    struct worker *w = arg;
    struct conn c = {.fd = -1};
    long last = -1;
    unsigned consecutive = 0;
    for (unsigned long i = 0; i < MAX_OPS_PER_THREAD && running(); i++) {
        struct rm_error err;
        int rc;
        switch (w->kind) {
        case K_CALL:
            rc = op_call(&c, &last, &err);
            break;
        case K_CAST:
            rc = op_cast(&c, &err);
            break;
        case K_STATUS:
            rc = op_status(&c, &err);
            break;
        case K_STATE:
            rc = op_state(&c, &err);
            break;
        case K_TRACE:
            rc = op_trace(&c, (uint32_t)(i % 2 == 0), &err);
            usleep(2000); /* each traced message is a log line: keep the log small */
            break;
        case K_WHICH:
            rc = op_which(&c, &err);
            break;
        default:
            rc = rm_error_set(&err, RM_EINVAL, "no such kind");
            break;
        }
        w->ops++;
        if (rc == 0) {
            consecutive = 0;
            continue;
        }
        fail(w, "%s #%lu: %s", kind_names[w->kind], w->ops, err.msg);
        if (++consecutive >= 20) { /* the node is gone or broken: stop hammering */
            fail(w, "%s: 20 errors in a row, giving up", kind_names[w->kind]);
            break;
        }
        usleep(10000);
    }
    if (w->kind == K_TRACE) { /* leave tracing off */
        struct rm_error err;
        if (op_trace(&c, 0, &err) < 0)
            fail(w, "trace off (last): %s", err.msg);
    }
    conn_close(&c);
    atomic_store(&w->done, 1);
    return NULL;
}

/* ---- reports --------------------------------------------------------------------- */

static int is_report_line(const char *line)
{
    return strstr(line, "WARNING: ThreadSanitizer") || strstr(line, "ERROR: ThreadSanitizer") ||
           strstr(line, "FATAL: ThreadSanitizer") || strstr(line, "ERROR: AddressSanitizer");
}

/* Distinct "SUMMARY:" lines over every report, printed at the end. */
static char summaries[64][512];
static size_t n_summaries;

/*
 * Scans `path` for sanitizer reports: prints the first REPORT_LINES lines of
 * its first report and keeps the distinct summaries. Returns the number of
 * reports in it.
 */
static unsigned scan_reports(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[4096];
    unsigned reports = 0, printed = 0;
    while (fgets(line, sizeof line, f)) {
        if (is_report_line(line)) {
            if (reports == 0)
                fprintf(stderr, "relman-stress: sanitizer report in '%s':\n", path);
            reports++;
        }
        if (reports == 1 && printed < REPORT_LINES) {
            fputs(line, stderr);
            printed++;
        }
        const char *s = strstr(line, "SUMMARY: ");
        if (s) {
            char tidy[512];
            snprintf(tidy, sizeof tidy, "%s", s);
            tidy[strcspn(tidy, "\n")] = '\0';
            size_t i = 0;
            while (i < n_summaries && strcmp(summaries[i], tidy) != 0)
                i++;
            if (i == n_summaries && n_summaries < sizeof summaries / sizeof summaries[0])
                snprintf(summaries[n_summaries++], sizeof summaries[0], "%s", tidy);
        }
    }
    if (reports && printed >= REPORT_LINES)
        fprintf(stderr, "relman-stress: ... (%u report(s) in '%s')\n", reports, path);
    fclose(f);
    return reports;
}

/* Every report of this run: ROOT/log/tsan.* and the node's log. */
static unsigned scan_all_reports(void)
{
    char dir[PATH_MAX + 8], path[PATH_MAX + 300];
    unsigned n = 0;
    snprintf(dir, sizeof dir, "%s/log", g.root);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, "tsan.", 5) != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unsigned k = scan_reports(path);
        n += k ? k : 1; /* a report file holds a report, even one we cannot read */
    }
    if (d)
        closedir(d);
    snprintf(path, sizeof path, "%s/node.log", dir);
    n += scan_reports(path);
    for (size_t i = 0; i < n_summaries; i++)
        fprintf(stderr, "relman-stress: %s\n", summaries[i]);
    return n;
}

/* Lines of the node's log saying the watchdog restarted a dead node. */
static unsigned node_restarts(void)
{
    char path[PATH_MAX + 16], line[4096];
    unsigned n = 0;
    snprintf(path, sizeof path, "%s/log/node.log", g.root);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "watchdog: node (pid") && strstr(line, "restarting it"))
            n++;
    if (f)
        fclose(f);
    return n;
}

/* ---- main ------------------------------------------------------------------------ */

static int usage(const char *why)
{
    fprintf(stderr,
            "relman-stress: %s\n"
            "usage: relman-stress --relman PATH --archives DIR --seconds N [--root DIR]\n"
            "  --relman PATH    the relman program\n"
            "  --archives DIR   where counter-1.tar.gz and counter-2.tar.gz are\n"
            "  --seconds N      how long the requests and installs run (1 to 3600)\n"
            "  --root DIR       the node root, kept afterwards (default: a temporary\n"
            "                   directory, removed at the end)\n",
            why);
    return 2;
}

static int absolute(const char *in, char *out, const char *what)
{
    if (!realpath(in, out)) {
        fprintf(stderr, "relman-stress: %s '%s': %s\n", what, in, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *relman = NULL, *archives = NULL, *root = NULL, *seconds = NULL;
    for (int i = 1; i < argc; i++) {
        const char **opt = !strcmp(argv[i], "--relman")     ? &relman
                           : !strcmp(argv[i], "--archives") ? &archives
                           : !strcmp(argv[i], "--seconds")  ? &seconds
                           : !strcmp(argv[i], "--root")     ? &root
                                                            : NULL;
        if (!opt) {
            char why[300];
            snprintf(why, sizeof why, "unknown argument '%s'", argv[i]);
            return usage(why);
        }
        if (++i == argc) {
            char why[300];
            snprintf(why, sizeof why, "'%s' needs a value", argv[i - 1]);
            return usage(why);
        }
        *opt = argv[i];
    }
    if (!relman || !archives || !seconds)
        return usage("--relman, --archives and --seconds are required");
    char *end;
    long secs = strtol(seconds, &end, 10);
    if (*end || secs < 1 || secs > 3600)
        return usage("--seconds wants a whole number from 1 to 3600");

    static char relman_abs[PATH_MAX], arch_abs[PATH_MAX], rel1[PATH_MAX + 32], rel2[PATH_MAX + 32],
        tmp[PATH_MAX];
    if (absolute(relman, relman_abs, "relman program") < 0 ||
        absolute(archives, arch_abs, "archives") < 0)
        return 1;
    g.relman = relman_abs;
    snprintf(rel1, sizeof rel1, "%s/counter-1.tar.gz", arch_abs);
    snprintf(rel2, sizeof rel2, "%s/counter-2.tar.gz", arch_abs);
    if (access(rel1, R_OK) < 0 || access(rel2, R_OK) < 0) {
        fprintf(stderr, "relman-stress: no counter-1.tar.gz and counter-2.tar.gz in '%s'\n",
                arch_abs);
        return 1;
    }
    int keep = root != NULL;
    if (!root) {
        const char *t = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/relman-stress-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(tmp)) {
            fprintf(stderr, "relman-stress: mkdtemp '%s': %s\n", tmp, strerror(errno));
            return 1;
        }
        root = tmp;
    } else if (mkdir(root, 0700) < 0 && errno != EEXIST) {
        fprintf(stderr, "relman-stress: mkdir '%s': %s\n", root, strerror(errno));
        return 1;
    }
    if (absolute(root, g.root, "root") < 0)
        return 1;
    char logdir[PATH_MAX + 8], report_path[PATH_MAX + 16];
    snprintf(logdir, sizeof logdir, "%s/log", g.root);
    snprintf(report_path, sizeof report_path, "%s/tsan", logdir);
    if (mkdir(logdir, 0700) < 0 && errno != EEXIST) {
        fprintf(stderr, "relman-stress: mkdir '%s': %s\n", logdir, strerror(errno));
        return 1;
    }
    struct rm_error err;
    if (rm_proto_socket_path(g.root, g.sock, sizeof g.sock, &err) < 0) {
        fprintf(stderr, "relman-stress: %s\n", err.msg);
        return 1;
    }

    /* The environment of every relman this program runs (set before any
       thread starts): the root, and where sanitizer reports go. exitcode=0:
       a report must not turn the node's graceful stop into a crash that its
       watchdog would answer with a restart; the report files say it all. */
    const char *user = getenv("TSAN_OPTIONS");
    size_t need = (user ? strlen(user) : 0) + strlen(report_path) + 64;
    char *opts = malloc(need);
    if (!opts)
        return 1;
    snprintf(opts, need, "%s%sexitcode=0:log_path=%s", user ? user : "", user && *user ? ":" : "",
             report_path);
    setenv("TSAN_OPTIONS", opts, 1);
    free(opts);
    setenv("RELMAN_ROOT", g.root, 1);
    unsetenv("RELMAN_FORMAT");
#ifdef STRESS_TSAN
    __sanitizer_set_report_path(report_path); /* our own reports, beside the others */
#endif
    signal(SIGPIPE, SIG_IGN);

    int failed = 0;
    char out[16384];
    double t0 = now();
    int rc = run_relman(out, sizeof out, INSTALL_TIMEOUT_S, "node", "start", "--release", rel1,
                        "--detach", (char *)NULL);
    if (rc != 0) {
        fprintf(stderr, "relman-stress: node start: exit status %d:\n%s", rc, out);
        failed = 1;
    }
    if (!failed &&
        (rc = run_relman(out, sizeof out, INSTALL_TIMEOUT_S, "unpack", rel2, (char *)NULL)) != 0) {
        fprintf(stderr, "relman-stress: unpack: exit status %d:\n%s", rc, out);
        failed = 1;
    }
    pid_t node = 0, watchdog = 0;
    if (!failed && ping(&node, &watchdog, &err) < 0) {
        fprintf(stderr, "relman-stress: ping: %s\n", err.msg);
        failed = 1;
    }

    static struct worker ws[N_WORKERS + 1]; /* static: a stuck thread may outlive main */
    size_t started = 0;
    double begin = now();
    if (!failed) {
        g.deadline = begin + (double)secs;
        for (size_t i = 0; i <= N_WORKERS; i++) {
            ws[i].kind = i < N_WORKERS ? workers[i] : K_INSTALL;
            if (pthread_create(&ws[i].thread, NULL, i < N_WORKERS ? request_loop : install_loop,
                               &ws[i]) != 0) {
                fprintf(stderr, "relman-stress: pthread_create: %s\n", strerror(errno));
                atomic_store(&g.stop, 1);
                failed = 1;
                break;
            }
            started++;
        }
        /* Wait, bounded: a thread stuck past the grace is a hang, reported
           as such (the process exits; its threads go with it). */
        double limit = g.deadline + JOIN_GRACE_S;
        for (;;) {
            size_t done = 0;
            for (size_t i = 0; i < started; i++)
                done += atomic_load(&ws[i].done) != 0;
            if (done == started || now() > limit)
                break;
            usleep(50000);
        }
        for (size_t i = 0; i < started; i++) {
            if (atomic_load(&ws[i].done)) {
                pthread_join(ws[i].thread, NULL);
                ws[i].joined = 1;
            } else {
                fail(NULL, "%s thread still running %d s after the end: stuck",
                     kind_names[ws[i].kind], JOIN_GRACE_S);
                pthread_detach(ws[i].thread);
            }
        }
    }
    double ran = now() - begin;

    /* The node must be the one that started: same pid, never restarted. */
    const char *alive = "not started";
    if (node) {
        pid_t n2, w2;
        if (ping(&n2, &w2, &err) < 0) {
            fail(NULL, "the node does not answer after the run: %s", err.msg);
            alive = "dead";
        } else if (n2 != node) {
            fail(NULL, "the node was restarted (pid %ld, then %ld)", (long)node, (long)n2);
            alive = "restarted";
        } else {
            alive = "alive";
        }
        unsigned restarts = node_restarts();
        if (restarts)
            fail(NULL, "the watchdog restarted the node %u time(s) (see node.log)", restarts);
    }
    /* Stop it in every case, by force when asking fails. */
    if (node || watchdog || access(g.sock, F_OK) == 0) {
        rc = run_relman(out, sizeof out, 90, "node", "stop", (char *)NULL);
        if (rc != 0) {
            fail(NULL, "node stop: exit status %d: %s", rc, out);
            if (watchdog > 0)
                kill(watchdog, SIGKILL);
            if (node > 0)
                kill(node, SIGKILL);
        }
    }

    unsigned reports = scan_all_reports();
    unsigned long ops[K_COUNT] = {0}, up = 0, down = 0;
    for (size_t i = 0; i < started; i++) {
        if (!ws[i].joined) /* stuck: its counters are its own */
            continue;
        ops[ws[i].kind] += ws[i].ops;
        up += ws[i].up;
        down += ws[i].down;
    }
    pthread_mutex_lock(&g.lock);
    unsigned long errors = g.errors;
    for (unsigned long i = 0; i < errors && i < MAX_ERRORS_KEPT; i++)
        fprintf(stderr, "relman-stress: error: %s\n", g.kept[i]);
    if (errors > MAX_ERRORS_KEPT)
        fprintf(stderr, "relman-stress: ... and %lu more error(s)\n", errors - MAX_ERRORS_KEPT);
    pthread_mutex_unlock(&g.lock);

    if (!keep && rm_fs_remove_tree(g.root, &err) < 0)
        fprintf(stderr, "relman-stress: %s\n", err.msg);
    failed |= errors > 0 || reports > 0;
    printf("relman-stress: %s after %.1f s of %ld (%.1f s in all), node %s: call %lu, cast %lu, "
           "status %lu, state %lu, trace %lu, which %lu, install %lu (up %lu, down %lu); "
           "errors %lu, sanitizer reports %u%s%s\n",
           failed ? "FAILED" : "ok", ran, secs, now() - t0, alive, ops[K_CALL], ops[K_CAST],
           ops[K_STATUS], ops[K_STATE], ops[K_TRACE], ops[K_WHICH], up + down, up, down, errors,
           reports, keep ? "; root kept: " : "", keep ? g.root : "");
    fflush(stdout);
    return failed ? 1 : 0;
}
