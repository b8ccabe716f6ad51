/*
 * Module echo_conn: one process per connection, writing back every byte
 * it reads, in order. Built as version "1" and version "2" from this one
 * source (ECHO_CONN_VERSION, RM_MODULE_BUILD_VERSION). Version 2 keeps a count of the reads
 * it served beside the byte count, so its state has another layout and
 * the upgrade between them is a code_change both ways.
 *
 * The socket arrives from the listener (RM_EVENT_FD_GIVEN). Bytes the
 * kernel will not take at once wait in the state and go out when the
 * socket is writable again; nothing is read meanwhile, so a client that
 * does not read slows down only itself. An idle connection's state is a
 * few words. A line "!crash" ends the process
 * with a failure (to show that its socket is closed with it).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relman/module.h"

#define CONN_VERSION ECHO_CONN_VERSION /* 1 or 2, as RM_MODULE_BUILD_VERSION */
#define BUF_SIZE     16384

/* What every version's state starts with. */
struct conn_io {
    int fd;
    unsigned long long bytes; /* echoed so far */
    char *pending;            /* read, not yet written back (NULL: none) */
    size_t pending_len;
};

/* The state of each version; both are spelled out here so that version
   2's code_change can read version 1's and write it back. */
struct conn_v1 {
    struct conn_io io;
};

struct conn_v2 {
    struct conn_io io;
    unsigned long long reads; /* reads served */
};

#if CONN_VERSION >= 2
#define conn conn_v2
#else
#define conn conn_v1
#endif

/* Copies the common part; the pending bytes are copied, since the old
   state stays as it is until the upgrade commits. 0, or -1 when out of
   memory. */
static int copy_io(struct conn_io *to, const struct conn_io *from)
{
    *to = *from;
    if (!from->pending_len)
        return 0;
    if (!(to->pending = malloc(from->pending_len)))
        return -1;
    memcpy(to->pending, from->pending, from->pending_len);
    return 0;
}

static int c_init(struct rm_ctx *ctx, const char *arg, void **state)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        rm_fail(ctx, "out of memory");
        return RM_FAIL;
    }
    c->io.fd = -1;
    *state = c;
    return RM_CONTINUE;
}

static int c_call(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    struct conn *c = *state;
    char buf[64];
    int k = snprintf(buf, sizeof buf, "%llu", c->io.bytes);
    rm_reply(ctx, buf, (size_t)k);
    return RM_CONTINUE;
}

/* Writes buf[0..len) and keeps what the socket will not take now in
   c->io.pending; 0, or -1 when the connection is gone or out of memory. */
static int send_or_keep(struct conn *c, const char *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(c->io.fd, buf + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        if (n < 0)
            break;
        off += (size_t)n;
        c->io.bytes += (unsigned long long)n;
    }
    if (off == len)
        return 0;
    char *rest = malloc(len - off);
    if (!rest)
        return -1;
    memcpy(rest, buf + off, len - off);
    c->io.pending = rest;
    c->io.pending_len = len - off;
    return 0;
}

static int c_event(struct rm_ctx *ctx, const struct rm_event *ev, void **state)
{
    struct conn *c = *state;
    if (ev->kind == RM_EVENT_FD_GIVEN) {
        c->io.fd = ev->fd;
        int one = 1; /* an echo answers at once: no Nagle delay */
        setsockopt(c->io.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    else if (ev->kind != RM_EVENT_READY || ev->fd != c->io.fd)
        return RM_CONTINUE;
    if (c->io.pending) { /* writable again: the rest first */
        char *rest = c->io.pending;
        size_t len = c->io.pending_len;
        c->io.pending = NULL;
        c->io.pending_len = 0;
        int rc = send_or_keep(c, rest, len);
        free(rest);
        if (rc < 0)
            return RM_STOP;
    }
    char buf[BUF_SIZE];
    while (!c->io.pending) {
        ssize_t n = read(c->io.fd, buf, sizeof buf);
        if (n == 0)
            return RM_STOP; /* the client closed: the node closes the socket */
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return RM_STOP;
        if (n < 0)
            break;
        if (n >= 6 && memcmp(buf, "!crash", 6) == 0) {
            rm_fail(ctx, "asked to crash");
            return RM_FAIL;
        }
#if CONN_VERSION >= 2
        c->reads++;
#endif
        if (send_or_keep(c, buf, (size_t)n) < 0)
            return RM_STOP;
    }
    /* Nothing is read while bytes wait: a client that does not read
       slows down only itself. */
    rm_fd_arm(ctx, c->io.fd, c->io.pending ? RM_FD_OUT : RM_FD_IN);
    return RM_CONTINUE;
}

static void c_free(void *state)
{
    struct conn *c = state;
    free(c->io.pending);
    free(c);
}

/* Up from 1 to 2 (in version 2): the same connection, with a read count
   starting at 0. Down from 2 to 1 (also in version 2, before version 1 is
   loaded): the read count is dropped. Bytes read and not yet written go
   along both ways. The old state is left as it is. */
static int c_code_change(struct rm_ctx *ctx, enum rm_direction dir, const char *vsn,
                         const void *old_state, const char *extra, void **new_state)
{
#if CONN_VERSION >= 2
    if (dir == RM_UP) {
        struct conn_v2 *to = malloc(sizeof *to);
        if (!to || copy_io(&to->io, old_state) < 0) {
            free(to);
            rm_fail(ctx, "out of memory");
            return RM_FAIL;
        }
        to->reads = 0;
        *new_state = to;
    } else {
        struct conn_v1 *to = malloc(sizeof *to);
        if (!to || copy_io(&to->io, old_state) < 0) {
            free(to);
            rm_fail(ctx, "out of memory");
            return RM_FAIL;
        }
        *new_state = to;
    }
#else
    struct conn_v1 *to = malloc(sizeof *to);
    if (!to || copy_io(&to->io, old_state) < 0) {
        free(to);
        rm_fail(ctx, "out of memory");
        return RM_FAIL;
    }
    *new_state = to;
#endif
    return RM_CONTINUE;
}

static int c_fmt(const void *state, char *buf, size_t size)
{
    const struct conn *c = state;
#if CONN_VERSION >= 2
    return snprintf(buf, size, "{conn,fd=%d,bytes=%llu,reads=%llu}", c->io.fd, c->io.bytes, c->reads);
#else
    return snprintf(buf, size, "{conn,fd=%d,bytes=%llu}", c->io.fd, c->io.bytes);
#endif
}

RM_MODULE(.name = "echo_conn", .version = RM_MODULE_BUILD_VERSION, .init = c_init,
          .handle_call = c_call, .handle_event = c_event, .code_change = c_code_change,
          .free_state = c_free, .format_state = c_fmt);
