/*
 * The echo service (examples/echo) on a live node: a listener and one
 * process per connection. 1,000 connections stay open and keep echoing
 * while the connection module is upgraded and rolled back under them, and
 * new clients connect meanwhile;
 * bytes sent while the processes are suspended come back after the
 * resume; a connection process that crashes closes its socket.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e/test-release.h"

TestSuite(release_echo, .fini = e2e_cleanup, .timeout = 240);

#define NCONN 1000

/* Echo release `vsn` with the built modules, its listener on a free port
   of 127.0.0.1 (the example's own manifests name port 7007). */
static void echo_release(struct e2e_node *n, const char *vsn)
{
    char rel[256], src[1024];
    snprintf(rel, sizeof rel, "lib/echo-%s/echo.app.yaml", vsn);
    rh_file(n, rel,
            "application: echo\nversion: \"%s\"\nmodules:\n"
            "  - {name: echo_listener, version: \"1\"}\n  - {name: echo_conn, version: \"%s\"}\n"
            "processes:\n  - {name: echo, module: echo_listener, arg: \"127.0.0.1:0\", "
            "restart: permanent}\n",
            vsn, vsn);
    for (int i = 0; i < 2; i++) {
        const char *mod = i ? "echo_conn" : "echo_listener";
        snprintf(src, sizeof src, "%s/lib/echo-%s/%s.so", ECHO_DIR, vsn, mod);
        snprintf(rel, sizeof rel, "lib/echo-%s/%s.so", vsn, mod);
        e2e_copy(n, src, rel);
    }
    if (strcmp(vsn, "2") == 0)
        e2e_copy(n, ECHO_SOURCE_DIR "/lib/echo-2/echo.appup.yaml", "lib/echo-2/echo.appup.yaml");
    char app[32];
    snprintf(app, sizeof app, "echo %s", vsn);
    rh_release(n, "echo", vsn, app, NULL);
}

static void echo_node(struct e2e_node *n)
{
    e2e_root_new(n, 0);
    echo_release(n, "1");
    echo_release(n, "2");
    e2e_start(n);
}

static int echo_port(struct e2e_node *n)
{
    char *p = rh_call(n, "echo", "port");
    int port = atoi(p);
    free(p);
    cr_assert_gt(port, 0);
    return port;
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "connect: %s",
                 strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Sends "<tag> <i>\n" on every connection, then reads on all of them (up
   to 60 s) until each has its own line back, byte for byte. */
static void round_trip(int *fds, int n, const char *tag)
{
    char want[NCONN][48];
    size_t got[NCONN] = {0};
    char buf[NCONN][48];
    for (int i = 0; i < n; i++) {
        int len = snprintf(want[i], sizeof want[i], "%s %d\n", tag, i);
        cr_assert_eq(write(fds[i], want[i], (size_t)len), len, "write %d: %s", i, strerror(errno));
    }
    struct pollfd *p = calloc((size_t)n, sizeof *p);
    int left = n;
    for (int spins = 0; left > 0 && spins < 600; spins++) {
        int k = 0;
        for (int i = 0; i < n; i++)
            if (got[i] < strlen(want[i]))
                p[k++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        cr_assert_geq(poll(p, (nfds_t)k, 100), 0);
        for (int j = 0; j < k; j++) {
            if (!p[j].revents)
                continue;
            int i = 0;
            while (fds[i] != p[j].fd)
                i++;
            ssize_t r = read(fds[i], buf[i] + got[i], strlen(want[i]) - got[i]);
            cr_assert_gt(r, 0, "connection %d closed or failed in round '%s' (%s)", i, tag,
                         r < 0 ? strerror(errno) : "EOF");
            got[i] += (size_t)r;
            if (got[i] == strlen(want[i])) {
                cr_assert_eq(memcmp(buf[i], want[i], got[i]), 0,
                             "connection %d: '%.*s' came back for '%s'", i, (int)got[i], buf[i],
                             want[i]);
                left--;
            }
        }
    }
    free(p);
    cr_assert_eq(left, 0, "%d connections did not echo round '%s' within 60 s", left, tag);
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < 2 * NCONN + 64)
        cr_skip_test("the open files limit (%llu) is below what %d connections need",
                     (unsigned long long)rl.rlim_cur, NCONN);
}

/* New clients connect and echo while the install `pid` runs (at least
   once, at most for 60 s): none is turned away, each gets its bytes back
   (the listener waits for the upgrade to end before it starts their
   processes). Returns how many connected. */
static int connect_while(int port, pid_t pid)
{
    int k = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 60)
            break;
        int fd = connect_to(port);
        round_trip(&fd, 1, "new");
        close(fd);
        k++;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "install failed (status %d)",
                      status);
            return k;
        }
        usleep(2000);
    }
    cr_assert_fail("the install did not end within 60 s");
    return k;
}

/* Counts the lines of `relman status` naming module `mod`. */
static int count_procs(struct e2e_node *n, const char *mod)
{
    char *out = rh_ok(n, "status", NULL);
    int k = 0;
    for (char *q = out; (q = strstr(q, mod)); q += strlen(mod))
        k++;
    free(out);
    return k;
}

Test(release_echo, thousand_connections_keep_echoing_through_upgrade_and_rollback)
{
    static struct e2e_node n;
    raise_nofile();
    echo_node(&n);
    int port = echo_port(&n);
    static int fds[NCONN];
    for (int i = 0; i < NCONN; i++)
        fds[i] = connect_to(port);
    round_trip(fds, NCONN, "before");
    cr_assert_eq(count_procs(&n, " echo_conn "), NCONN);

    /* Up to 2 while every connection is open and new clients come; then
       each round again. */
    pid_t up = e2e_spawn(&n, "install-2.out", "install", "2", NULL);
    round_trip(fds, NCONN, "during-up");
    connect_while(port, up);
    round_trip(fds, NCONN, "after-up");
    char *st = rh_ok(&n, "status", NULL);
    cr_assert_null(strstr(st, "echo_conn        1 "), "a connection is still on version 1:\n%s", st);
    free(st);

    /* Rolled back to the permanent release 1, in place: the same
       connections, the same bytes. */
    pid_t down = e2e_spawn(&n, "rollback.out", "rollback", NULL);
    round_trip(fds, NCONN, "during-down");
    connect_while(port, down);
    round_trip(fds, NCONN, "after-down");
    cr_assert_eq(count_procs(&n, " echo_conn "), NCONN);
    for (int i = 0; i < NCONN; i++)
        close(fds[i]);
    rh_stop(&n);
}

Test(release_echo, bytes_sent_while_suspended_come_back_after_resume)
{
    static struct e2e_node n;
    echo_node(&n);
    int port = echo_port(&n);
    int fd = connect_to(port);
    int fds[1] = {fd};
    round_trip(fds, 1, "hello");
    char *st = rh_ok(&n, "status", NULL);
    char *line = strstr(st, " echo_conn ");
    cr_assert_not_null(line, "%s", st);
    char *lt = line;
    while (lt > st && lt[-1] != '<')
        lt--;
    char pid[32];
    snprintf(pid, sizeof pid, "<%d>", atoi(lt));
    free(st);
    free(rh_ok(&n, "suspend", pid, NULL));
    cr_assert_eq(write(fd, "held\n", 5), 5);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    cr_assert_eq(poll(&p, 1, 300), 0, "a suspended process answered");
    free(rh_ok(&n, "resume", pid, NULL));
    char buf[16];
    cr_assert_eq(poll(&p, 1, 10000), 1, "no answer after resume");
    cr_assert_eq(read(fd, buf, sizeof buf), 5);
    cr_assert_eq(memcmp(buf, "held\n", 5), 0);
    close(fd);
    rh_stop(&n);
}

Test(release_echo, a_crashing_connection_process_closes_its_socket)
{
    static struct e2e_node n;
    echo_node(&n);
    int port = echo_port(&n);
    int a = connect_to(port), b = connect_to(port);
    int both[2] = {a, b};
    round_trip(both, 2, "hi");
    cr_assert_eq(write(a, "!crash\n", 7), 7);
    char buf[16];
    struct pollfd p = {.fd = a, .events = POLLIN};
    cr_assert_eq(poll(&p, 1, 10000), 1);
    cr_assert_eq(read(a, buf, sizeof buf), 0, "the peer of a crashed process must see EOF");
    round_trip(&b, 1, "still"); /* the others go on */
    char *log = e2e_read(&n, "log/node.log");
    cr_assert(strstr(log, "exited: asked to crash"), "%s", log);
    free(log);
    close(a);
    close(b);
    rh_stop(&n);
}
