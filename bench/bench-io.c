/*
 * bench-io.c - relman-bench io: descriptors as messages, measured with the
 * echo service of examples/echo on a node in this process against the
 * same echo written with plain epoll in one thread, in the same run:
 * round trip on one connection, connections served per second, and the CPU
 * an idle node spends while holding 10,000 idle connections.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "relman/runtime.h"

#define ECHO_LIB RELMAN_BINARY_DIR "/examples/echo/lib/echo-1"
#define IDLE_CONNS 10000

static void quiet(void *ud, int level, const char *line) {}

static int connect_to(int port)
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

/* One message of len bytes there and back; 0 or -1. */
static int ping(int fd, const char *msg, size_t len)
{
    char buf[256];
    if (write(fd, msg, len) != (ssize_t)len)
        return -1;
    for (size_t got = 0; got < len;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* Median and 99th percentile of n round trips of 64 bytes, in us. */
static int round_trips(int port, int n, double *median, double *p99)
{
    int fd = connect_to(port);
    double *v = malloc((size_t)n * sizeof *v);
    if (fd < 0 || !v) {
        free(v);
        return -1;
    }
    char msg[64];
    memset(msg, 'x', sizeof msg);
    for (int i = 0; i < n / 10; i++) /* warm up */
        if (ping(fd, msg, sizeof msg) < 0)
            goto fail;
    for (int i = 0; i < n; i++) {
        double t0 = bench_now();
        if (ping(fd, msg, sizeof msg) < 0)
            goto fail;
        v[i] = (bench_now() - t0) * 1e6;
    }
    close(fd);
    *median = bench_percentile(v, (size_t)n, 50);
    *p99 = bench_percentile(v, (size_t)n, 99);
    free(v);
    return 0;
fail:
    close(fd);
    free(v);
    return -1;
}

/* Connections per second, each opened, echoing one byte and closed. */
static double conns_per_s(int port, double seconds)
{
    double t0 = bench_now(), t;
    long k = 0;
    while ((t = bench_now() - t0) < seconds) {
        int fd = connect_to(port);
        if (fd < 0 || ping(fd, "x", 1) < 0) {
            if (fd >= 0)
                close(fd);
            return -1;
        }
        close(fd);
        k++;
    }
    return (double)k / t;
}

/* ---- the plain epoll echo, one thread --------------------------------- */

struct plain {
    int lfd, epfd, stop_r, stop_w, port;
    pthread_t tid;
};

static void *plain_main(void *arg)
{
    struct plain *s = arg;
    struct epoll_event evs[64];
    char buf[16384];
    for (;;) {
        int n = epoll_wait(s->epfd, evs, 64, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == s->stop_r)
                return NULL;
            if (fd == s->lfd) {
                int c;
                while ((c = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    struct epoll_event ev = {.events = EPOLLIN, .data.fd = c};
                    int one = 1;
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    epoll_ctl(s->epfd, EPOLL_CTL_ADD, c, &ev);
                }
                continue;
            }
            ssize_t r = read(fd, buf, sizeof buf);
            if (r <= 0) {
                if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                    close(fd);
                continue;
            }
            if (write(fd, buf, (size_t)r) != r)
                close(fd);
        }
    }
}

static int plain_start(struct plain *s)
{
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    int sp[2];
    if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(s->lfd, 1024) < 0 || getsockname(s->lfd, (struct sockaddr *)&sa, &sl) < 0 ||
        socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
        return -1;
    s->port = ntohs(sa.sin_port);
    s->epfd = epoll_create1(0);
    s->stop_r = sp[0];
    s->stop_w = sp[1];
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = s->lfd};
    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev);
    ev.data.fd = sp[0];
    epoll_ctl(s->epfd, EPOLL_CTL_ADD, sp[0], &ev);
    return pthread_create(&s->tid, NULL, plain_main, s) == 0 ? 0 : -1;
}

static void plain_stop(struct plain *s)
{
    if (write(s->stop_w, "x", 1) != 1)
        return;
    pthread_join(s->tid, NULL);
    close(s->lfd);
    close(s->epfd);
    close(s->stop_r);
    close(s->stop_w);
}

/* ---- the relman echo --------------------------------------------------- */

static struct rm_node *echo_node(int *port, struct rm_error *err)
{
    struct rm_node_opts o = {.log = quiet};
    struct rm_node *node = rm_node_new(&o, err);
    if (!node)
        return NULL;
    struct rm_spawn_opts so = {.module = "echo_listener", .name = "echo", .arg = "127.0.0.1:0"};
    rm_pid pid;
    char *reply = NULL;
    size_t len;
    if (rm_module_load(node, ECHO_LIB "/echo_listener.so", NULL, NULL, NULL, err) < 0 ||
        rm_module_load(node, ECHO_LIB "/echo_conn.so", NULL, NULL, NULL, err) < 0 ||
        rm_proc_spawn(node, &so, &pid, err) < 0 ||
        rm_proc_call(node, pid, "port", 4, 5000, &reply, &len, err) < 0) {
        rm_node_free(node);
        return NULL;
    }
    *port = atoi(reply);
    free(reply);
    return node;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Opens `n` connections from a child process, which keeps them idle until
   killed; returns its pid once all are accepted and echoed once, or -1. */
static pid_t idle_clients(int port, int n)
{
    int ready[2];
    if (pipe(ready) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        char ok = 1;
        for (int i = 0; i < n && ok; i++) {
            int fd = connect_to(port);
            ok = fd >= 0 && ping(fd, "x", 1) == 0;
        }
        if (write(ready[1], &ok, 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    close(ready[1]);
    char ok = 0;
    if (pid < 0 || read(ready[0], &ok, 1) != 1 || !ok) {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        close(ready[0]);
        return -1;
    }
    close(ready[0]);
    return pid;
}

int bench_io(struct bench_out *out)
{
    struct rm_error err;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    int port;
    struct rm_node *node = echo_node(&port, &err);
    struct plain plain;
    if (!node) {
        fprintf(stderr, "relman-bench io: %s (build examples/echo first)\n", err.msg);
        return -1;
    }
    if (plain_start(&plain) < 0) {
        fprintf(stderr, "relman-bench io: cannot start the plain echo: %s\n", strerror(errno));
        rm_node_free(node);
        return -1;
    }
    int n = out->quick ? 2000 : 20000;
    double rm_med, rm_p99, pl_med, pl_p99;
    /* alternately, so that both see the same machine */
    if (round_trips(port, n, &rm_med, &rm_p99) < 0 ||
        round_trips(plain.port, n, &pl_med, &pl_p99) < 0) {
        fprintf(stderr, "relman-bench io: round trip failed\n");
        goto fail;
    }
    double rm2, rm2p, pl2, pl2p;
    if (round_trips(plain.port, n, &pl2, &pl2p) == 0 && round_trips(port, n, &rm2, &rm2p) == 0) {
        rm_med = rm2 < rm_med ? rm2 : rm_med;
        pl_med = pl2 < pl_med ? pl2 : pl_med;
        rm_p99 = rm2p < rm_p99 ? rm2p : rm_p99;
        pl_p99 = pl2p < pl_p99 ? pl2p : pl_p99;
    }
    bench_report(out, "TCP echo round trip (64 B), relman connection process, median", rm_med,
                 "us", BENCH_NO_TARGET, 0);
    bench_report(out, "TCP echo round trip (64 B), relman, p99", rm_p99, "us", BENCH_NO_TARGET, 0);
    bench_report(out, "TCP echo round trip (64 B), plain epoll in one thread, median", pl_med, "us",
                 BENCH_NO_TARGET, 0);
    bench_report(out, "round trip ratio relman / plain epoll (medians)", rm_med / pl_med, "x",
                 BENCH_AT_MOST, 1.5);

    double secs = out->quick ? 0.3 : 2.0;
    double rm_cps = conns_per_s(port, secs), pl_cps = conns_per_s(plain.port, secs);
    bench_report(out, "connections served per second (connect, echo 1 B, close), relman", rm_cps,
                 "/s", BENCH_NO_TARGET, 0);
    bench_report(out, "connections served per second, plain epoll", pl_cps, "/s", BENCH_NO_TARGET,
                 0);

    int idle = out->quick ? 1000 : IDLE_CONNS;
    if ((rlim_t)(idle + 256) > rl.rlim_cur) {
        bench_note(out, "idle connections: skipped, the open files limit (%llu) is below %d",
                   (unsigned long long)rl.rlim_cur, idle + 256);
    } else {
        pid_t clients = idle_clients(port, idle);
        if (clients < 0) {
            fprintf(stderr, "relman-bench io: could not open %d idle connections\n", idle);
            goto fail;
        }
        sleep(1); /* let the accepting settle */
        double c0 = cpu_seconds(), t0 = bench_now();
        sleep(out->quick ? 1 : 5);
        double cpu = cpu_seconds() - c0, wall = bench_now() - t0;
        kill(clients, SIGKILL);
        waitpid(clients, NULL, 0);
        char name[96];
        snprintf(name, sizeof name, "CPU of an idle node holding %d idle connections", idle);
        bench_report(out, name, cpu / wall * 1000.0, "ms/s", BENCH_AT_MOST, 1.0);
    }
    bench_note(out,
               "One connection process per connection (examples/echo, module echo_conn), readiness "
               "one-shot through the event loop of the node's idle workers; the plain server is "
               "one thread sleeping in epoll_wait, then read and write. relman's idle worker "
               "spins up to 50 us (looking at the descriptors as it does) before it sleeps, "
               "which is why one request at a time can come back faster than from the plain "
               "server, at the price of that spin's CPU. Best of two alternated runs of %d round "
               "trips each. CPU is this process's user + system time over the idle interval, per "
               "second of wall time.",
               n);
    plain_stop(&plain);
    rm_node_free(node);
    return 0;
fail:
    plain_stop(&plain);
    rm_node_free(node);
    return -1;
}
