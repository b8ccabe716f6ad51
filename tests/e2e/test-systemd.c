/*
 * The node under systemd and logrotate, without systemd: a unix datagram
 * socket stands in for NOTIFY_SOCKET, and the node started with it runs
 * alone (no watchdog), reports READY=1 once its permanent release has
 * booted, STATUS= lines while an install runs, WATCHDOG=1 keep-alives when
 * WATCHDOG_USEC is set, and STOPPING=1 on `relman node stop`. A detached
 * node's log is reopened on SIGHUP and loses no line on a rotation.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "e2e/test-release.h"

static struct e2e_node n;

/* A stand-in for systemd's notification socket, in the root. */
struct notify_listener {
    int fd;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char seen[65536]; /* every datagram so far, each ended by "\n--\n" */
    size_t len;
};

static void listener_open(struct notify_listener *l)
{
    memset(l, 0, sizeof *l);
    int k = snprintf(l->path, sizeof l->path, "%s/notify.sock", n.root);
    cr_assert(k > 0 && (size_t)k < sizeof l->path, "root too long for a socket path");
    l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path, l->path, strlen(l->path) + 1);
    cr_assert(l->fd >= 0 && bind(l->fd, (struct sockaddr *)&a, sizeof a) == 0, "bind '%s': %s",
              l->path, strerror(errno));
}

/* Reads datagrams until one holds `want` or timeout_ms passes; returns
   whether it came. */
static int listener_wait(struct notify_listener *l, const char *want, int timeout_ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (strstr(l->seen, want))
            return 1;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left =
            timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        struct pollfd p = {.fd = l->fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return strstr(l->seen, want) != NULL;
        char buf[4096];
        ssize_t k = recv(l->fd, buf, sizeof buf - 1, 0);
        if (k <= 0 || l->len + (size_t)k + 5 >= sizeof l->seen)
            continue;
        memcpy(l->seen + l->len, buf, (size_t)k);
        l->len += (size_t)k;
        memcpy(l->seen + l->len, "\n--\n", 5);
        l->len += 4;
    }
}

/* How many times `needle` occurs in `hay`. */
static int count_of(const char *hay, const char *needle)
{
    int c = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)); p += strlen(needle))
        c++;
    return c;
}

/* Starts `relman node start` on the counter's release 1 with NOTIFY_SOCKET
   (and WATCHDOG_USEC when not NULL) set, as systemd would; returns its pid
   once READY=1 came. */
static pid_t start_notified(struct notify_listener *l, const char *watchdog_usec)
{
    e2e_root_new(&n, 0);
    free(rh_ok(&n, "unpack", RH_COUNTER_1, NULL));
    listener_open(l);
    setenv("NOTIFY_SOCKET", l->path, 1);
    if (watchdog_usec)
        setenv("WATCHDOG_USEC", watchdog_usec, 1);
    pid_t pid = e2e_spawn(&n, "out.log", "node", "start", NULL);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    n.started = 1; /* e2e_cleanup stops it */
    cr_assert(listener_wait(l, "READY=1", 20000), "no READY=1; got:\n%s\nlog:\n%s", l->seen,
              e2e_read(&n, "out.log"));
    return pid;
}

/* Stops the node with `relman node stop` and asserts it said STOPPING=1
   and exited with status 0. */
static void stop_notified(struct notify_listener *l, pid_t pid)
{
    free(rh_ok(&n, "node", "stop", NULL));
    cr_expect(listener_wait(l, "STOPPING=1", 5000), "no STOPPING=1; got:\n%s", l->seen);
    cr_expect_eq(e2e_wait_exit(pid, 20000), 0, "log:\n%s", e2e_read(&n, "out.log"));
    n.started = 0;
    close(l->fd);
    unlink(l->path);
    e2e_stop(&n);
}

Test(systemd, ready_once_booted_and_no_watchdog_of_its_own, .fini = e2e_cleanup)
{
    struct notify_listener l;
    pid_t pid = start_notified(&l, NULL);
    cr_expect(strstr(l.seen, "STATUS=running release '1'"), "got:\n%s", l.seen);
    /* The node is the process systemd started: relman's watchdog stepped
       aside (the node's pid is the started one). */
    cr_expect_eq(e2e_node_pid(&n), pid);
    rh_call_is(&n, "z", "boom", "0");
    cr_expect(!listener_wait(&l, "WATCHDOG=1", 300), "WATCHDOG=1 without WATCHDOG_USEC");
    stop_notified(&l, pid);
}

Test(systemd, status_lines_during_an_install, .fini = e2e_cleanup)
{
    struct notify_listener l;
    pid_t pid = start_notified(&l, NULL);
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));
    free(rh_ok(&n, "install", "2", NULL));
    cr_expect(listener_wait(&l, "STATUS=install '2' under way (running '1')", 5000), "got:\n%s",
              l.seen);
    cr_expect(listener_wait(&l, "STATUS=running release '2' (last: install '2' ok)", 5000),
              "got:\n%s", l.seen);
    rh_fails(&n, 1, "", "install", "3", NULL); /* not unpacked: a failure, reported too */
    cr_expect(listener_wait(&l, "(last: install '3' failed)", 5000), "got:\n%s", l.seen);
    stop_notified(&l, pid);
}

Test(systemd, watchdog_pings_with_watchdog_usec, .fini = e2e_cleanup)
{
    struct notify_listener l;
    pid_t pid = start_notified(&l, "200000"); /* 200 ms: a ping every 100 ms */
    usleep(700 * 1000);
    listener_wait(&l, "no such text", 100);
    int pings = count_of(l.seen, "WATCHDOG=1");
    cr_expect(pings >= 4, "%d WATCHDOG=1 in 0.8 s; got:\n%s", pings, l.seen);
    stop_notified(&l, pid);
}

Test(systemd, supervised_and_detach_exclude_each_other, .fini = e2e_cleanup)
{
    e2e_root_new(&n, 0);
    struct e2e_out o;
    cr_expect_eq(e2e_run(&n, &o, "node", "start", "--detach", "--supervised", NULL), 2);
    cr_expect(strstr(o.err, "--detach and --supervised exclude each other"), "%s", o.err);
    e2e_out_free(&o);
    e2e_stop(&n);
}

/* The count of a call's trace lines ("got call") in ROOT/`rel`. */
static int traced_calls(const char *rel)
{
    char *text = e2e_read(&n, rel);
    int c = text ? count_of(text, "got call boom") : 0;
    free(text);
    return c;
}

/* logrotate's way: rename the file, SIGHUP, go on. A caller keeps calling
   through the rotation, with every call traced: each trace line is in the
   old file or the new one, none lost, none twice. */
Test(logs, sighup_reopens_the_log_and_loses_no_line, .fini = e2e_cleanup)
{
    rh_counter_node(&n);
    free(rh_ok(&n, "trace", "z", "on", NULL));
    struct rh_caller c = {
        .root = n.root, .proc = "z", .msg = "boom", .count = 600, .pause_us = 500};
    rh_caller_start(&c);
    while (c.done < 100)
        usleep(1000);
    char from[4200], to[4200];
    snprintf(from, sizeof from, "%s/log/node.log", n.root);
    snprintf(to, sizeof to, "%s/log/node.log.1", n.root);
    cr_assert(rename(from, to) == 0);
    while (c.done < 200)
        usleep(1000);
    /* To the node, as a postrotate script reading ROOT/run/node.pid would:
       it passes the signal on to its watchdog. */
    cr_assert(kill(e2e_node_pid(&n), SIGHUP) == 0);
    rh_caller_join(&c);
    cr_assert_eq(c.done, 600);
    rh_caller_free(&c);
    char *fresh = e2e_read(&n, "log/node.log");
    cr_assert(fresh, "no new log after SIGHUP");
    cr_expect(strstr(fresh, "log reopened (SIGHUP)"), "%s", fresh);
    free(fresh);
    int old = traced_calls("log/node.log.1"), now = traced_calls("log/node.log");
    cr_expect(old >= 200 && now > 0, "old file %d calls, new file %d", old, now);
    cr_expect_eq(old + now, 600, "old file %d calls + new file %d", old, now);
    /* The watchdog reopened its log too: its lines go to the new file. */
    pid_t node = e2e_node_pid(&n);
    kill(node, SIGKILL);
    e2e_wait_node(&n, node, 10000);
    char *after = e2e_read(&n, "log/node.log");
    cr_expect(after && strstr(after, "watchdog: node (pid"), "%s", after);
    free(after);
    e2e_stop(&n);
}
