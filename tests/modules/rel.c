/*
 * Test module r: drives links, monitors, exit signals and descriptors from
 * calls, and records every event it gets, in order, in its state:
 *
 *   spawn ARG [link]     starts another r (its init arg ARG); answers its label
 *   monitor WHO          answers the monitor's reference
 *   demonitor REF, link WHO, unlink WHO, trap on|off, exit WHO REASON
 *   die REASON           fails with REASON
 *   pipe                 makes a pipe, owns both ends, arms the read end;
 *                        answers "R W"
 *   arm FD, close FD, give FD WHO, write FD TEXT, read FD (what is there)
 *   listen ADDR          listens (rm_listen) and arms it; answers "FD PORT"
 *   accept FD            answers the accepted descriptor, or -errno
 *   connect ADDR         answers the descriptor of a connection under way
 *   events               answers the events so far, separated by '|'
 *
 * init with arg "trap" traps exits from the start; "fail" refuses to start.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relman/module.h"

struct r {
    char events[4096];
};

static void note(struct r *r, const char *fmt, const char *a, const char *b)
{
    size_t n = strlen(r->events);
    if (n + 1 < sizeof r->events)
        snprintf(r->events + n, sizeof r->events - n, n ? "|" : "");
    n = strlen(r->events);
    snprintf(r->events + n, sizeof r->events - n, fmt, a, b);
}

static int r_init(struct rm_ctx *ctx, const char *arg, void **state)
{
    if (strcmp(arg, "fail") == 0) {
        rm_fail(ctx, "asked to fail");
        return RM_FAIL;
    }
    struct r *r = calloc(1, sizeof *r);
    if (!r)
        return RM_FAIL;
    if (strcmp(arg, "trap") == 0)
        rm_trap_exit(ctx, 1);
    *state = r;
    return RM_CONTINUE;
}

static int answer_int(struct rm_ctx *ctx, long long v)
{
    char buf[32];
    int k = snprintf(buf, sizeof buf, "%lld", v);
    rm_reply(ctx, buf, (size_t)k);
    return RM_CONTINUE;
}

static int r_call(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    struct r *r = *state;
    const char *m = msg;
    char a[128] = "", b[128] = "";
    sscanf(m, "%*s %127s %127[^\n]", a, b);
    if (strncmp(m, "spawn ", 6) == 0) {
        char who[96];
        struct rm_spawn_spec spec = {.module = "r", .arg = a, .link = strcmp(b, "link") == 0};
        if (rm_spawn(ctx, &spec, who, sizeof who) < 0)
            return rm_reply(ctx, "error", 5), RM_CONTINUE;
        return rm_reply(ctx, who, strlen(who)), RM_CONTINUE;
    }
    if (strncmp(m, "monitor ", 8) == 0)
        return answer_int(ctx, (long long)rm_monitor(ctx, a));
    if (strncmp(m, "demonitor ", 10) == 0)
        return answer_int(ctx, rm_demonitor(ctx, strtoull(a, NULL, 10)));
    if (strncmp(m, "link ", 5) == 0)
        return answer_int(ctx, rm_link(ctx, a));
    if (strncmp(m, "unlink ", 7) == 0)
        return answer_int(ctx, rm_unlink(ctx, a));
    if (strncmp(m, "trap ", 5) == 0)
        return answer_int(ctx, rm_trap_exit(ctx, strcmp(a, "on") == 0));
    if (strncmp(m, "exit ", 5) == 0)
        return answer_int(ctx, rm_exit(ctx, a, b));
    if (strncmp(m, "die ", 4) == 0) {
        rm_fail(ctx, a);
        return RM_FAIL;
    }
    if (strcmp(m, "pipe") == 0) {
        int fds[2];
        if (pipe(fds) < 0 || rm_fd_own(ctx, fds[0]) < 0 || rm_fd_own(ctx, fds[1]) < 0 ||
            rm_fd_arm(ctx, fds[0], RM_FD_IN) < 0)
            return rm_reply(ctx, "error", 5), RM_CONTINUE;
        char buf[32];
        int k = snprintf(buf, sizeof buf, "%d %d", fds[0], fds[1]);
        return rm_reply(ctx, buf, (size_t)k), RM_CONTINUE;
    }
    if (strncmp(m, "arm ", 4) == 0)
        return answer_int(ctx, rm_fd_arm(ctx, atoi(a), RM_FD_IN));
    if (strncmp(m, "close ", 6) == 0)
        return answer_int(ctx, rm_fd_close(ctx, atoi(a)));
    if (strncmp(m, "give ", 5) == 0)
        return answer_int(ctx, rm_fd_give(ctx, atoi(a), b));
    if (strncmp(m, "write ", 6) == 0)
        return answer_int(ctx, (long long)write(atoi(a), b, strlen(b)));
    if (strncmp(m, "read ", 5) == 0) {
        char buf[256];
        ssize_t k = read(atoi(a), buf, sizeof buf);
        if (k < 0)
            return answer_int(ctx, -errno);
        return rm_reply(ctx, buf, (size_t)k), RM_CONTINUE;
    }
    if (strncmp(m, "listen ", 7) == 0) {
        int fd = rm_listen(ctx, a, 16, 0);
        if (fd < 0)
            return answer_int(ctx, -errno);
        rm_fd_arm(ctx, fd, RM_FD_IN);
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int port = 0;
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 && ss.ss_family != AF_UNIX)
            port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                 : ((struct sockaddr_in6 *)&ss)->sin6_port);
        char buf[32];
        int k = snprintf(buf, sizeof buf, "%d %d", fd, port);
        return rm_reply(ctx, buf, (size_t)k), RM_CONTINUE;
    }
    if (strncmp(m, "accept ", 7) == 0) {
        int fd = rm_accept(ctx, atoi(a));
        return answer_int(ctx, fd < 0 ? -errno : fd);
    }
    if (strncmp(m, "connect ", 8) == 0) {
        int fd = rm_connect(ctx, a);
        return answer_int(ctx, fd < 0 ? -errno : fd);
    }
    if (strcmp(m, "events") == 0)
        return rm_reply(ctx, r->events, strlen(r->events)), RM_CONTINUE;
    (void)len;
    rm_reply(ctx, "unknown request", 15);
    return RM_CONTINUE;
}

static int r_event(struct rm_ctx *ctx, const struct rm_event *ev, void **state)
{
    struct r *r = *state;
    char fd[16];
    snprintf(fd, sizeof fd, "%d", ev->fd);
    switch (ev->kind) {
    case RM_EVENT_READY:
        note(r, "ready %s%s", fd, ev->events & RM_FD_HUP ? " hup" : "");
        break;
    case RM_EVENT_FD_GIVEN:
        note(r, "given %s from %s", fd, ev->who);
        rm_fd_arm(ctx, ev->fd, RM_FD_IN);
        break;
    case RM_EVENT_DOWN:
        note(r, "down %s %s", ev->who, ev->reason);
        break;
    case RM_EVENT_EXIT:
        note(r, "exit %s %s", ev->who, ev->reason);
        break;
    }
    return RM_CONTINUE;
}

static int r_fmt(const void *state, char *buf, size_t size)
{
    return snprintf(buf, size, "{r,\"%s\"}", ((const struct r *)state)->events);
}

RM_MODULE(.name = "r", .version = "1", .init = r_init, .handle_call = r_call,
          .handle_event = r_event, .format_state = r_fmt);
