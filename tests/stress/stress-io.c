/*
 * relman-stress-io: descriptors as messages, links and monitors under
 * concurrency, in one process, for a bounded time.
 *
 *     relman-stress-io --echo DIR --seconds N
 *
 * It builds a node in this process (2 workers), loads the echo service's
 * modules from DIR (examples/echo's lib/echo-1 and lib/echo-2 build
 * directories, as DIR/echo-1 and DIR/echo-2) and starts its listener on a
 * free port. Then, for N seconds: client threads connect, echo a few
 * hundred messages of random sizes each (every byte checked, in order) and
 * close; one thread suspends and resumes every connection process in turn
 * and, taking turns with it, one moves the connection module between
 * versions 1 and 2 with a transaction (suspend, code_change, resume: the sockets stay open); one
 * thread crashes connections on purpose ("!crash") and checks their sockets
 * are closed. It is meant for the ThreadSanitizer build: a report makes the
 * process exit non-zero (TSan's exitcode), as does any error or a hang.
 *
 * Exit status: 0 when every check held; 1 otherwise; 2 on a usage error.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "relman/runtime.h"

#define CLIENTS      4
#define MSG_MAX      4000
#define IO_TIMEOUT_MS 20000

static struct rm_node *node;
static int port;
static double deadline;
/* Suspensions by hand and version moves take turns: a process suspended by
   hand when its module's code changes keeps the old code, and the commit's
   purge then ends it (as OTP's would), which is not what this checks. */
static pthread_mutex_t control = PTHREAD_MUTEX_INITIALIZER;
static atomic_ulong round_trips, connections, suspends, upgrades, crashes, errors;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *fmt, const char *detail)
{
    if (atomic_fetch_add(&errors, 1) < 10) {
        fprintf(stderr, "relman-stress-io: ");
        fprintf(stderr, fmt, detail);
        fputc('\n', stderr);
    }
}

static void quiet(void *ud, int level, const char *line)
{
    if (level == RM_LOG_ERROR && !strstr(line, "asked to crash"))
        fail("node: %s", line);
}

static int connect_to(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Reads exactly len bytes within IO_TIMEOUT_MS; 0, or -1 (EOF: 1). */
static int read_all(int fd, char *buf, size_t len)
{
    for (size_t got = 0; got < len;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, IO_TIMEOUT_MS) != 1)
            return -1;
        ssize_t r = read(fd, buf + got, len - got);
        if (r == 0)
            return 1;
        if (r < 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static void *client(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    static _Thread_local char out[MSG_MAX], in[MSG_MAX];
    while (now() < deadline) {
        int fd = connect_to();
        if (fd < 0) {
            fail("connect: %s", strerror(errno));
            break;
        }
        atomic_fetch_add(&connections, 1);
        int n = 50 + (int)(rand_r(&seed) % 200);
        for (int i = 0; i < n && now() < deadline; i++) {
            size_t len = 1 + rand_r(&seed) % MSG_MAX;
            for (size_t k = 0; k < len; k++)
                out[k] = (char)('a' + (seed + k + (size_t)i) % 26);
            if (write(fd, out, len) != (ssize_t)len || read_all(fd, in, len) != 0) {
                fail("echo: %s", "no answer, or the connection closed");
                break;
            }
            if (memcmp(in, out, len) != 0) {
                fail("echo: %s", "bytes came back changed or out of order");
                break;
            }
            atomic_fetch_add(&round_trips, 1);
        }
        close(fd);
    }
    return NULL;
}

static void *crasher(void *arg)
{
    while (now() < deadline) {
        int fd = connect_to();
        if (fd < 0)
            continue;
        char b;
        if (write(fd, "x", 1) != 1 || read_all(fd, &b, 1) != 0 || write(fd, "!crash\n", 7) != 7 ||
            read_all(fd, &b, 1) != 1)
            fail("crash: %s", "the socket of a crashed process was not closed");
        else
            atomic_fetch_add(&crashes, 1);
        close(fd);
        usleep(20000);
    }
    return NULL;
}

/* Every connection process, as pids. */
static size_t conn_pids(rm_pid **out)
{
    struct rm_proc_info *v;
    size_t n, k = 0;
    struct rm_error err;
    *out = NULL;
    if (rm_proc_list(node, "echo_conn", &v, &n, &err) < 0)
        return 0;
    *out = malloc((n ? n : 1) * sizeof **out);
    for (size_t i = 0; *out && i < n; i++)
        (*out)[k++] = v[i].pid;
    free(v);
    return k;
}

static void *suspender(void *arg)
{
    while (now() < deadline) {
        rm_pid *pids;
        pthread_mutex_lock(&control);
        size_t n = conn_pids(&pids);
        for (size_t i = 0; i < n; i++) {
            struct rm_error err;
            if (rm_proc_suspend(node, &pids[i], 1, 5000, &err) == 0) {
                usleep(200);
                /* it may have exited meanwhile (its client closed) */
                if (rm_proc_resume(node, &pids[i], 1, &err) < 0 && err.code != RM_ENOENT)
                    fail("resume: %s", err.msg);
                atomic_fetch_add(&suspends, 1);
            } /* else: it exited meanwhile */
        }
        pthread_mutex_unlock(&control);
        free(pids);
        usleep(5000);
    }
    return NULL;
}

/* Moves every connection process to version `vsn` of echo_conn in one
   transaction, the way an appup's update with change advanced does. */
static int move_to(const char *dir, const char *vsn, enum rm_direction dir_of)
{
    struct rm_error err;
    char path[4096];
    snprintf(path, sizeof path, "%s/echo-%s/echo_conn.so", dir, vsn);
    struct rm_txn *t = rm_txn_begin(node, &err);
    if (!t) {
        fail("txn: %s", err.msg);
        return -1;
    }
    const char *mods[] = {"echo_conn"};
    int rc = rm_txn_prepare(t, path, "echo_conn", vsn, &err);
    if (rc == 0)
        rc = rm_txn_suspend(t, mods, 1, 5000, NULL, &err);
    if (rc == 0 && dir_of == RM_UP)
        rc = rm_txn_load(t, "echo_conn", &err);
    if (rc == 0)
        rc = rm_txn_code_change(t, "echo_conn", dir_of, "1", "", 5000, NULL, &err);
    if (rc == 0 && dir_of == RM_DOWN)
        rc = rm_txn_load(t, "echo_conn", &err);
    if (rc == 0)
        rc = rm_txn_resume(t, mods, 1, NULL, &err);
    if (rc == 0)
        rc = rm_txn_commit(t, NULL);
    else
        rm_txn_abort(t);
    if (rc < 0)
        fail("upgrade: %s", err.msg);
    return rc;
}

static void *upgrader(void *arg)
{
    const char *dir = arg;
    int up = 1;
    while (now() < deadline) {
        pthread_mutex_lock(&control);
        int rc = move_to(dir, up ? "2" : "1", up ? RM_UP : RM_DOWN);
        pthread_mutex_unlock(&control);
        if (rc < 0)
            break;
        atomic_fetch_add(&upgrades, 1);
        up = !up;
        usleep(50000);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *seconds = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--echo"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--seconds"))
            seconds = argv[i + 1];
    }
    if (!dir || !seconds || atoi(seconds) < 1) {
        fprintf(stderr, "usage: relman-stress-io --echo DIR --seconds N\n");
        return 2;
    }
    struct rm_error err;
    struct rm_node_opts o = {.workers = 2, .log = quiet};
    char path[4096];
    if (!(node = rm_node_new(&o, &err)))
        goto fatal;
    snprintf(path, sizeof path, "%s/echo-1/echo_listener.so", dir);
    if (rm_module_load(node, path, NULL, NULL, NULL, &err) < 0)
        goto fatal;
    snprintf(path, sizeof path, "%s/echo-1/echo_conn.so", dir);
    if (rm_module_load(node, path, NULL, NULL, NULL, &err) < 0)
        goto fatal;
    struct rm_spawn_opts so = {.module = "echo_listener", .name = "echo", .arg = "127.0.0.1:0"};
    rm_pid lp;
    char *reply;
    size_t len;
    if (rm_proc_spawn(node, &so, &lp, &err) < 0 ||
        rm_proc_call(node, lp, "port", 4, 5000, &reply, &len, &err) < 0)
        goto fatal;
    port = atoi(reply);
    free(reply);

    double t0 = now();
    deadline = t0 + atoi(seconds);
    pthread_t th[CLIENTS + 3];
    int k = 0;
    for (; k < CLIENTS; k++)
        pthread_create(&th[k], NULL, client, (void *)(uintptr_t)(k + 1));
    pthread_create(&th[k++], NULL, crasher, NULL);
    pthread_create(&th[k++], NULL, suspender, NULL);
    pthread_create(&th[k++], NULL, upgrader, (void *)dir);
    for (int i = 0; i < k; i++)
        pthread_join(th[i], NULL);
    rm_node_free(node);
    printf("relman-stress-io: %s after %.1f s: %lu round trips on %lu connections, %lu suspends, "
           "%lu version moves, %lu crashes; errors %lu\n",
           atomic_load(&errors) ? "FAILED" : "ok", now() - t0, atomic_load(&round_trips),
           atomic_load(&connections), atomic_load(&suspends), atomic_load(&upgrades),
           atomic_load(&crashes), atomic_load(&errors));
    return atomic_load(&errors) ? 1 : 0;
fatal:
    fprintf(stderr, "relman-stress-io: %s\n", err.msg);
    return 1;
}
