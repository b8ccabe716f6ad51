/*
 * test-runtime-rel.c - processes that start and watch processes, and
 * descriptors as messages (module API version 2): monitors and DOWN, also
 * for a process already gone; links and exit propagation; trapped exits;
 * exit signals and "kill"; descriptors armed once, handed over, closed at
 * exit, kept across a suspension; a version-1 module beside them.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test-runtime-util.h"

static struct rm_node *node;

static void setup(void)
{
    node = rt_node(0);
    rt_load(node, rt_path(0, "r/r.so"));
}

static void teardown(void)
{
    rm_node_free(node);
    rt_log_reset();
}

TestSuite(rel, .init = setup, .fini = teardown, .timeout = 60);

static rm_pid pid_of(const char *label)
{
    rm_pid pid = 0;
    struct rm_error err;
    rm_proc_resolve(node, label, &pid, &err);
    return pid;
}

/* Waits (up to 10 s) until the events of pid contain `want`. */
static void events_has(rm_pid pid, const char *want)
{
    char *ev = NULL;
    for (int i = 0; i < 1000; i++) {
        free(ev);
        ev = rt_call(node, pid, "events");
        if (strstr(ev, want))
            break;
        usleep(10000);
    }
    cr_assert(strstr(ev, want), "events '%s' lack '%s'", ev, want);
    free(ev);
}

/* Waits (up to 10 s) until pid is gone. */
static void gone(rm_pid pid)
{
    struct rm_error err;
    rm_pid got;
    char label[32];
    snprintf(label, sizeof label, "<%llu>", (unsigned long long)pid);
    for (int i = 0; i < 1000 && rm_proc_resolve(node, label, &got, &err) == 0; i++)
        usleep(10000);
    cr_assert_neq(rm_proc_resolve(node, label, &got, &err), 0, "%s is still alive", label);
}

/* How many events of pid are `want`. */
static int count(rm_pid pid, const char *want)
{
    char *ev = rt_call(node, pid, "events");
    int k = 0;
    for (char *tok = strtok(ev, "|"); tok; tok = strtok(NULL, "|"))
        k += strcmp(tok, want) == 0;
    free(ev);
    return k;
}

static rm_pid spawn_r(const char *arg)
{
    return rt_spawn(node, "r", NULL, arg, RM_RESTART_TEMPORARY);
}

Test(rel, monitor_tells_down_with_the_reason_also_for_the_gone)
{
    rm_pid a = spawn_r(""), b = spawn_r("");
    char cmd[64];
    snprintf(cmd, sizeof cmd, "monitor <%llu>", (unsigned long long)b);
    char *ref = rt_call(node, a, cmd);
    cr_assert_neq(atoll(ref), 0);
    free(ref);
    rm_proc_call(node, b, "die boom", 8, 5000, NULL, NULL, NULL);
    char want[64];
    snprintf(want, sizeof want, "down <%llu> boom", (unsigned long long)b);
    events_has(a, want);
    /* the same pid again: it is gone, so DOWN comes at once with noproc */
    free(rt_call(node, a, cmd));
    snprintf(want, sizeof want, "down <%llu> noproc", (unsigned long long)b);
    events_has(a, want);
    free(rt_call(node, a, "monitor ghost"));
    events_has(a, "down ghost noproc");
    /* a demonitored process's exit says nothing */
    rm_pid c = spawn_r("");
    snprintf(cmd, sizeof cmd, "monitor <%llu>", (unsigned long long)c);
    ref = rt_call(node, a, cmd);
    snprintf(cmd, sizeof cmd, "demonitor %s", ref);
    rt_expect(node, a, cmd, "0");
    rt_expect(node, a, cmd, "-1");
    free(ref);
    rm_proc_call(node, c, "die x", 5, 5000, NULL, NULL, NULL);
    gone(c);
    usleep(50000);
    char *ev = rt_call(node, a, "events");
    snprintf(want, sizeof want, "<%llu>", (unsigned long long)c);
    cr_expect_null(strstr(ev, want), "events after demonitor: %s", ev);
    free(ev);
}

Test(rel, a_linked_abnormal_exit_ends_the_other_unless_it_traps)
{
    rm_pid a = spawn_r("");
    char *child = rt_call(node, a, "spawn x link");
    rm_pid b = pid_of(child);
    cr_assert_neq(b, 0, "spawn answered %s", child);
    rm_proc_call(node, b, "die crashed", 11, 5000, NULL, NULL, NULL);
    gone(a);
    cr_assert(rt_log_wait("exited: crashed"));
    free(child);

    /* trapping: the exit arrives as an event, the process lives */
    rm_pid t = spawn_r("trap");
    child = rt_call(node, t, "spawn x link");
    b = pid_of(child);
    rm_proc_call(node, b, "die crashed", 11, 5000, NULL, NULL, NULL);
    char want[64];
    snprintf(want, sizeof want, "exit %s crashed", child);
    events_has(t, want);
    free(child);

    /* a normal exit does not end a linked process that does not trap */
    rm_pid n = spawn_r("");
    child = rt_call(node, n, "spawn x link");
    b = pid_of(child);
    rm_proc_call(node, b, "die normal", 10, 5000, NULL, NULL, NULL);
    gone(b);
    usleep(50000);
    rt_expect(node, n, "events", "");
    free(child);
}

Test(rel, links_are_both_ways_and_unlink_cuts_them)
{
    rm_pid a = spawn_r("trap"), b = spawn_r("");
    char cmd[64];
    snprintf(cmd, sizeof cmd, "link <%llu>", (unsigned long long)a);
    rt_expect(node, b, cmd, "0");
    rt_expect(node, b, cmd, "0"); /* linking again does nothing */
    /* a exits: b, which does not trap, goes down with a's reason */
    rm_proc_call(node, a, "die bad", 7, 5000, NULL, NULL, NULL);
    gone(b);

    rm_pid c = spawn_r("trap"), d = spawn_r("");
    snprintf(cmd, sizeof cmd, "link <%llu>", (unsigned long long)d);
    rt_expect(node, c, cmd, "0");
    snprintf(cmd, sizeof cmd, "unlink <%llu>", (unsigned long long)d);
    rt_expect(node, c, cmd, "0");
    rt_expect(node, c, cmd, "-1");
    rm_proc_call(node, d, "die bad", 7, 5000, NULL, NULL, NULL);
    gone(d);
    usleep(50000);
    rt_expect(node, c, "events", "");
    rt_expect(node, c, "link ghost", "-1");
}

Test(rel, exit_signals_are_trapped_but_kill_is_not)
{
    rm_pid a = spawn_r(""), t = spawn_r("trap");
    char cmd[64];
    snprintf(cmd, sizeof cmd, "exit <%llu> shutdown", (unsigned long long)t);
    rt_expect(node, a, cmd, "0");
    char want[64];
    snprintf(want, sizeof want, "exit <%llu> shutdown", (unsigned long long)a);
    events_has(t, want);
    snprintf(cmd, sizeof cmd, "exit <%llu> kill", (unsigned long long)t);
    rt_expect(node, a, cmd, "0");
    gone(t);
    cr_assert(rt_log_wait("exited: killed"));
    /* "normal" to a process that does not trap changes nothing */
    rm_pid b = spawn_r("");
    snprintf(cmd, sizeof cmd, "exit <%llu> normal", (unsigned long long)b);
    rt_expect(node, a, cmd, "0");
    rt_expect(node, b, "events", "");
}

Test(rel, spawn_reports_a_failing_init_and_starts_nothing)
{
    rm_pid a = spawn_r("");
    rt_expect(node, a, "spawn fail", "error");
    cr_assert(rt_log_wait("spawn of 'r' failed"));
}

Test(rel, readiness_comes_once_per_arm)
{
    rm_pid a = spawn_r("");
    char *fds = rt_call(node, a, "pipe");
    int r, w;
    cr_assert_eq(sscanf(fds, "%d %d", &r, &w), 2, "pipe answered %s", fds);
    char cmd[64], want[32];
    snprintf(cmd, sizeof cmd, "write %d hi", w);
    rt_expect(node, a, cmd, "2");
    snprintf(want, sizeof want, "ready %d", r);
    events_has(a, want);
    snprintf(cmd, sizeof cmd, "read %d", r);
    rt_expect(node, a, cmd, "hi");
    /* not armed again: more bytes say nothing */
    snprintf(cmd, sizeof cmd, "write %d again", w);
    rt_expect(node, a, cmd, "5");
    usleep(100000);
    cr_expect_eq(count(a, want), 1);
    snprintf(cmd, sizeof cmd, "arm %d", r);
    rt_expect(node, a, cmd, "0");
    for (int i = 0; i < 500 && count(a, want) < 2; i++)
        usleep(10000);
    cr_expect_eq(count(a, want), 2, "no second ready after arming");
    /* not its descriptor: refused */
    rt_expect(node, a, "arm 0", "-1");
    free(fds);
}

Test(rel, descriptors_are_handed_over_and_closed_at_exit)
{
    rm_pid a = spawn_r(""), b = spawn_r("");
    char *fds = rt_call(node, a, "pipe");
    int r, w;
    cr_assert_eq(sscanf(fds, "%d %d", &r, &w), 2);
    char cmd[64], want[64];
    snprintf(cmd, sizeof cmd, "give %d <%llu>", r, (unsigned long long)b);
    rt_expect(node, a, cmd, "0");
    rt_expect(node, a, cmd, "-1"); /* not a's any more */
    snprintf(want, sizeof want, "given %d from <%llu>", r, (unsigned long long)a);
    events_has(b, want);
    /* a exits: its write end is closed, so b's read end sees end of file */
    rm_proc_call(node, a, "die gone", 8, 5000, NULL, NULL, NULL);
    snprintf(want, sizeof want, "ready %d", r);
    events_has(b, want);
    snprintf(cmd, sizeof cmd, "read %d", r);
    rt_expect(node, b, cmd, "");
    /* b exits: its descriptor is closed */
    rm_proc_call(node, b, "die done", 8, 5000, NULL, NULL, NULL);
    gone(b);
    cr_expect(fcntl(r, F_GETFD) < 0, "fd %d still open after its owner exited", r);
    free(fds);
}

Test(rel, readiness_waits_in_the_mailbox_of_a_suspended_process)
{
    rm_pid a = spawn_r("");
    char *fds = rt_call(node, a, "pipe");
    int r, w;
    cr_assert_eq(sscanf(fds, "%d %d", &r, &w), 2);
    struct rm_error err;
    cr_assert_eq(rm_proc_suspend(node, &a, 1, 5000, &err), 0, "%s", err.msg);
    cr_assert_eq(write(w, "x", 1), 1); /* the node's fd, written from outside */
    usleep(100000);
    cr_assert_eq(rm_proc_resume(node, &a, 1, &err), 0, "%s", err.msg);
    char want[32];
    snprintf(want, sizeof want, "ready %d", r);
    events_has(a, want);
    free(fds);
}

Test(rel, a_version_1_module_loads_and_runs_beside_version_2)
{
    rt_load(node, rt_path(1, "v1/v1.so"));
    rm_pid v = rt_spawn(node, "v1", NULL, NULL, RM_RESTART_TEMPORARY);
    rt_expect(node, v, "x", "v1 1");
    rt_expect(node, v, "x", "v1 2");
    struct rm_error err;
    cr_assert_eq(rm_proc_send(node, v, "info", 4, &err), 0); /* no handle_info: dropped */
    rt_expect(node, v, "x", "v1 3");
}

Test(rel, modules_that_start_threads_or_exit_handlers_are_refused_before_they_run)
{
    struct rm_error err = {0};
    cr_assert_eq(rm_module_load(node, rt_path(2, "threads/threads.so"), NULL, NULL, NULL, &err), -1);
    cr_expect(strstr(err.msg, "module imports 'pthread_create': a module may not start threads"),
              "%s", err.msg);
    cr_expect_eq(err.code, RM_ELOAD);
    cr_assert_eq(rm_module_load(node, rt_path(3, "exits/exits.so"), NULL, NULL, NULL, &err), -1);
    cr_expect(strstr(err.msg, "atexit': a module may not register exit handlers"), "%s", err.msg);
    /* and the node goes on */
    rm_pid a = spawn_r("");
    rt_expect(node, a, "events", "");
}

/* A connection to the process's listener at `addr`, from this test. */
static int dial(int family, const char *path, int port)
{
    int fd = socket(family, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    int rc;
    if (family == AF_UNIX) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        cr_assert_lt(strlen(path), sizeof sa.sun_path);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    } else {
        struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
                                  .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    }
    cr_assert_eq(rc, 0, "connect: %s", strerror(errno));
    return fd;
}

Test(rel, listen_accept_and_connect_over_ipv6_unix_and_ipv4)
{
    rm_pid a = spawn_r("");
    const char *tmp = getenv("TMPDIR");
    char base[512];
    snprintf(base, sizeof base, "%s/relman-rel-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert_not_null(mkdtemp(base));
    char sock[600], cmd[700];
    snprintf(sock, sizeof sock, "%s/s", base);
    const struct {
        const char *addr;
        int family;
    } cases[] = {{"[::1]:0", AF_INET6}, {NULL, AF_UNIX}};
    for (size_t i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd, "listen %s%s", cases[i].addr ? "" : "unix:",
                 cases[i].addr ? cases[i].addr : sock);
        char *ans = rt_call(node, a, cmd);
        int lfd, port;
        cr_assert_eq(sscanf(ans, "%d %d", &lfd, &port), 2, "%s: %s", cmd, ans);
        free(ans);
        int c = dial(cases[i].family, sock, port);
        char want[32];
        snprintf(want, sizeof want, "ready %d", lfd);
        events_has(a, want);
        snprintf(cmd, sizeof cmd, "accept %d", lfd);
        ans = rt_call(node, a, cmd);
        cr_expect_gt(atoi(ans), 0, "accept on %s: %s", cases[i].addr ? cases[i].addr : sock, ans);
        free(ans);
        close(c);
    }
    /* IPv4 out: the process connects to a socket of this test */
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    cr_assert_eq(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(listen(l, 4), 0);
    cr_assert_eq(getsockname(l, (struct sockaddr *)&sa, &sl), 0);
    snprintf(cmd, sizeof cmd, "connect 127.0.0.1:%d", ntohs(sa.sin_port));
    char *ans = rt_call(node, a, cmd);
    cr_expect_gt(atoi(ans), 0, "%s: %s", cmd, ans);
    free(ans);
    int in = accept(l, NULL, NULL);
    cr_expect_geq(in, 0, "the process's connection never came");
    close(in);
    close(l);
    rt_expect(node, a, "connect nowhere", "-22"); /* EINVAL: no port */
    rt_expect(node, a, "listen 127.0.0.1:notaport", "-22");
    unlink(sock);
    rmdir(base);
}

/* rm_proc_info of pid, from rm_proc_list. */
static struct rm_proc_info info_of(rm_pid pid)
{
    struct rm_proc_info *v, got = {0};
    size_t n;
    struct rm_error err;
    cr_assert_eq(rm_proc_list(node, NULL, &v, &n, &err), 0, "%s", err.msg);
    for (size_t i = 0; i < n; i++)
        if (v[i].pid == pid)
            got = v[i];
    free(v);
    cr_assert_eq(got.pid, pid, "<%llu> not listed", (unsigned long long)pid);
    return got;
}

Test(rel, the_process_list_counts_descriptors_links_and_monitors)
{
    rm_pid a = spawn_r("trap"), b = spawn_r(""), c = spawn_r("");
    char cmd[64];
    snprintf(cmd, sizeof cmd, "link <%llu>", (unsigned long long)b);
    rt_expect(node, a, cmd, "0");
    snprintf(cmd, sizeof cmd, "link <%llu>", (unsigned long long)c);
    rt_expect(node, a, cmd, "0");
    snprintf(cmd, sizeof cmd, "monitor <%llu>", (unsigned long long)c);
    free(rt_call(node, b, cmd));
    free(rt_call(node, a, "pipe"));
    struct rm_proc_info x = info_of(a);
    cr_expect_eq(x.fds, 2);
    cr_expect_eq(x.links, 2);
    cr_expect_eq(x.monitors, 0);
    x = info_of(b);
    cr_expect_eq(x.fds, 0);
    cr_expect_eq(x.links, 1);
    cr_expect_eq(x.monitors, 1);
    x = info_of(c);
    cr_expect_eq(x.links, 1);
    cr_expect_eq(x.monitors, 0, "being monitored is not holding a monitor");
    /* c goes: a's link and b's monitor go with it */
    rm_proc_call(node, c, "die bye", 7, 5000, NULL, NULL, NULL);
    gone(c);
    events_has(b, "down");
    x = info_of(a);
    cr_expect_eq(x.links, 1);
    cr_expect_eq(x.fds, 2);
    x = info_of(b);
    cr_expect_eq(x.monitors, 0);
}
