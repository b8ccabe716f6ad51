/*
 * Module echo_listener: the echo service's acceptor. Its init argument is
 * the address to listen on ("127.0.0.1:7007", ":7007", "unix:/run/echo",
 * port 0 for any free one). For every connection it accepts it starts an
 * echo_conn process and hands it the socket; the connection's life is then
 * that process's alone, so the listener never blocks on a client.
 *
 * While an upgrade changes echo_conn's code, starting one fails with
 * EAGAIN: the listener keeps the connection it has just accepted, stops
 * accepting (the kernel's backlog holds the next ones) and tries again
 * every few milliseconds until the upgrade is over. No client is turned
 * away.
 *
 *   call "port"      the TCP port it listens on (0 for a unix socket)
 *   call "accepted"  how many connections it has accepted
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relman/module.h"

#define RETRY_MS 5

struct listener {
    int fd;
    unsigned long accepted;
    int waiting; /* an accepted connection not handed over yet, or -1 */
};

static int l_init(struct rm_ctx *ctx, const char *arg, void **state)
{
    struct listener *l = calloc(1, sizeof *l);
    if (!l) {
        rm_fail(ctx, "out of memory");
        return RM_FAIL;
    }
    l->waiting = -1;
    l->fd = rm_listen(ctx, *arg ? arg : ":7007", 1024, 0);
    if (l->fd < 0 || rm_fd_arm(ctx, l->fd, RM_FD_IN) < 0) {
        char why[256];
        snprintf(why, sizeof why, "cannot listen on '%s': %s", *arg ? arg : ":7007",
                 strerror(errno));
        rm_fail(ctx, why);
        free(l);
        return RM_FAIL;
    }
    *state = l;
    return RM_CONTINUE;
}

static int l_call(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    struct listener *l = *state;
    char buf[32];
    int k;
    if (len == 4 && memcmp(msg, "port", 4) == 0) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int port = 0;
        if (getsockname(l->fd, (struct sockaddr *)&ss, &sl) == 0)
            port = ss.ss_family == AF_INET    ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                   : ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                              : 0;
        k = snprintf(buf, sizeof buf, "%d", port);
    } else if (len == 8 && memcmp(msg, "accepted", 8) == 0) {
        k = snprintf(buf, sizeof buf, "%lu", l->accepted);
    } else {
        k = snprintf(buf, sizeof buf, "unknown request");
    }
    rm_reply(ctx, buf, (size_t)k);
    return RM_CONTINUE;
}

/* Hands connection fd to a new echo_conn process: 1 when done (or the
   connection was closed: the node would not start one), 0 when an upgrade
   in progress says to try again later. */
static int hand_over(struct rm_ctx *ctx, struct listener *l, int fd)
{
    char who[96];
    struct rm_spawn_spec spec = {.module = "echo_conn"};
    if (rm_spawn(ctx, &spec, who, sizeof who) < 0) {
        if (errno == EAGAIN)
            return 0;
        rm_fd_close(ctx, fd); /* the client sees the connection closed */
        return 1;
    }
    if (rm_fd_give(ctx, fd, who) < 0)
        rm_fd_close(ctx, fd);
    else
        l->accepted++;
    return 1;
}

/* Accepts every connection waiting, each into a process of its own; when
   one has to wait, stops accepting and tries again after RETRY_MS. */
static void accept_all(struct rm_ctx *ctx, struct listener *l)
{
    for (;;) {
        int fd = l->waiting >= 0 ? l->waiting : rm_accept(ctx, l->fd);
        l->waiting = -1;
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED &&
                errno != EINTR) {
                char why[128];
                snprintf(why, sizeof why, "accept: %s", strerror(errno));
                rm_log(ctx, RM_LOG_WARNING, why);
            }
            break;
        }
        if (!hand_over(ctx, l, fd)) {
            l->waiting = fd;
            rm_send_after(ctx, RETRY_MS, "retry", 5);
            return;
        }
    }
    rm_fd_arm(ctx, l->fd, RM_FD_IN);
}

static int l_event(struct rm_ctx *ctx, const struct rm_event *ev, void **state)
{
    if (ev->kind == RM_EVENT_READY)
        accept_all(ctx, *state);
    return RM_CONTINUE;
}

static int l_info(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    struct listener *l = *state;
    if (len == 5 && memcmp(msg, "retry", 5) == 0 && l->waiting >= 0)
        accept_all(ctx, l);
    return RM_CONTINUE;
}

static int l_fmt(const void *state, char *buf, size_t size)
{
    const struct listener *l = state;
    return snprintf(buf, size, "{listener,fd=%d,accepted=%lu,waiting=%d}", l->fd, l->accepted,
                    l->waiting);
}

RM_MODULE(.name = "echo_listener", .version = "1", .init = l_init, .handle_call = l_call,
          .handle_info = l_info, .handle_event = l_event, .format_state = l_fmt);
