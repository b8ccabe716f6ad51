/* The control protocol on a socket: whole frames in and out, and the
   socket's address (long paths included). */
#define _GNU_SOURCE /* O_PATH, accept4, pipe2, struct ucred */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "relman/protocol.h"

static int io_error(struct rm_error *err, const char *what, int e)
{
    if (e == EAGAIN || e == EWOULDBLOCK)
        return rm_error_set(err, RM_ETIMEOUT, "%s: timed out", what);
    return rm_error_set(err, RM_EIO, "%s: %s", what, strerror(e));
}

static int send_all(int fd, const unsigned char *p, size_t n, struct rm_error *err)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return io_error(err, "send frame", errno);
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int rm_proto_frame_write(int fd, uint16_t type, uint32_t flags, const void *payload, size_t len,
                         struct rm_error *err)
{
    if (len > RM_PROTO_MAX_PAYLOAD)
        return rm_error_set(err, RM_ELIMIT, "payload of %zu bytes is larger than the maximum of %u",
                            len, RM_PROTO_MAX_PAYLOAD);
    unsigned char h[RM_PROTO_HEADER_SIZE];
    rm_proto_header_encode(type, flags, (uint32_t)len, h);
    if (send_all(fd, h, sizeof h, err) < 0)
        return -1;
    return len ? send_all(fd, payload, len, err) : 0;
}

/* Waits until fd is readable or the deadline (rm_clock_ns) passes:
   0 readable, -1 with RM_ETIMEOUT or RM_EIO. */
static int wait_readable(int fd, uint64_t deadline, struct rm_error *err)
{
    for (;;) {
        uint64_t now = rm_clock_ns();
        if (now >= deadline)
            return rm_error_set(err, RM_ETIMEOUT, "receive frame: timed out");
        uint64_t left_ms = (deadline - now + 999999) / 1000000;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, left_ms > 60000 ? 60000 : (int)left_ms);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return io_error(err, "receive frame", errno);
    }
}

/* Reads exactly n bytes by `deadline` (UINT64_MAX: none, the socket's own
   receive timeout applies). Returns n, the number read before end of
   stream, or -1 with err set. */
static ssize_t recv_all(int fd, unsigned char *p, size_t n, uint64_t deadline, struct rm_error *err)
{
    size_t got = 0;
    while (got < n) {
        if (deadline != UINT64_MAX && wait_readable(fd, deadline, err) < 0)
            return -1;
        ssize_t k = recv(fd, p + got, n - got, 0);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return io_error(err, "receive frame", errno);
        }
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

int rm_proto_frame_read(int fd, struct rm_proto_header *h, unsigned char **payload,
                        struct rm_error *err)
{
    return rm_proto_frame_read_by(fd, h, payload, UINT64_MAX, err);
}

int rm_proto_frame_read_by(int fd, struct rm_proto_header *h, unsigned char **payload,
                           uint64_t deadline, struct rm_error *err)
{
    unsigned char hb[RM_PROTO_HEADER_SIZE];
    *payload = NULL;
    memset(h, 0, sizeof *h);
    ssize_t k = recv_all(fd, hb, sizeof hb, deadline, err);
    if (k < 0)
        return -1;
    if (k == 0)
        return 0;
    if ((size_t)k < sizeof hb)
        return rm_error_set(err, RM_EPROTO, "truncated frame (%zd of %d header bytes)", k,
                            RM_PROTO_HEADER_SIZE);
    if (rm_proto_header_decode(hb, h, err) < 0)
        return -1;
    if (h->length == 0)
        return 1;
    unsigned char *buf = malloc(h->length);
    if (!buf)
        return rm_error_nomem(err);
    k = recv_all(fd, buf, h->length, deadline, err);
    if (k < 0 || (size_t)k < h->length) {
        free(buf);
        if (k < 0)
            return -1;
        return rm_error_set(err, RM_EPROTO, "truncated frame (%zd of %u payload bytes)", k,
                            h->length);
    }
    *payload = buf;
    return 1;
}

/* ---- addresses ------------------------------------------------------------ */

int rm_proto_socket_path(const char *root, char *buf, size_t size, struct rm_error *err)
{
    int n = snprintf(buf, size, "%s/%s/%s", root, RM_NODE_RUN_DIR, RM_NODE_SOCKET_NAME);
    if (n < 0 || (size_t)n >= size)
        return rm_error_set(err, RM_ELIMIT, "socket path of root '%s' is too long", root);
    return 0;
}

/* Binds or connects `fd` to `path`, through /proc/self/fd/N/NAME when the
   path does not fit in sun_path. */
static int socket_address(int fd, const char *path, int do_bind, struct rm_error *err)
{
    const char *verb = do_bind ? "bind" : "connect";
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    int dirfd = -1;
    if (strlen(path) < sizeof sa.sun_path) {
        memcpy(sa.sun_path, path, strlen(path) + 1);
    } else {
        const char *slash = strrchr(path, '/');
        if (!slash || strlen(slash + 1) > 64) {
            errno = ENAMETOOLONG;
            return rm_error_set(err, RM_ELIMIT, "%s '%s': socket name too long", verb, path);
        }
        size_t dlen = slash == path ? 1 : (size_t)(slash - path);
        char *dir = strndup(path, dlen);
        if (!dir)
            return rm_error_nomem(err);
        dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int e = errno;
        free(dir);
        if (dirfd < 0) {
            errno = e;
            return rm_error_set(err, RM_EIO, "%s '%s': open its directory: %s", verb, path,
                                strerror(e));
        }
        snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dirfd, slash + 1);
    }
    int rc = do_bind ? bind(fd, (struct sockaddr *)&sa, sizeof sa)
                     : connect(fd, (struct sockaddr *)&sa, sizeof sa);
    int e = errno;
    if (dirfd >= 0)
        close(dirfd);
    if (rc < 0) {
        errno = e;
        int code = !do_bind && (e == ENOENT || e == ECONNREFUSED) ? RM_ENOTRUNNING : RM_EIO;
        return rm_error_set(err, code, "%s '%s': %s", verb, path, strerror(e));
    }
    return 0;
}

int rm_proto_bind(int fd, const char *path, struct rm_error *err)
{
    return socket_address(fd, path, 1, err);
}

int rm_proto_connect(int fd, const char *path, struct rm_error *err)
{
    return socket_address(fd, path, 0, err);
}
