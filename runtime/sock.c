/*
 * sock.c - the socket helpers of the module API: listening and connecting
 * sockets from one address syntax ("HOST:PORT", "[IPv6]:PORT", ":PORT",
 * "*:PORT", "unix:PATH"), non-blocking and close-on-exec from the start.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "rel.h"

#define RM__SOCK_ADDR_MAX 1024

/* Splits "HOST:PORT" / "[V6]:PORT" / ":PORT" / "*:PORT" into host (NULL
   for any) and port, in buf. -1 (EINVAL) when it has no port. */
static int split(const char *addr, char *buf, size_t size, const char **host, const char **port)
{
    size_t len = strlen(addr);
    if (len == 0 || len >= size) {
        errno = EINVAL;
        return -1;
    }
    memcpy(buf, addr, len + 1);
    char *colon = strrchr(buf, ':');
    if (!colon || !colon[1]) {
        errno = EINVAL;
        return -1;
    }
    *colon = '\0';
    *port = colon + 1;
    char *h = buf;
    if (h[0] == '[') {
        size_t n = strlen(h);
        if (n < 2 || h[n - 1] != ']') {
            errno = EINVAL;
            return -1;
        }
        h[n - 1] = '\0';
        h++;
    }
    *host = (!*h || strcmp(h, "*") == 0) ? NULL : h;
    return 0;
}

/* A unix socket address; -1 (ENAMETOOLONG) when the path does not fit. */
static int unix_addr(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (!*path || strlen(path) >= sizeof sa->sun_path) {
        errno = *path ? ENAMETOOLONG : EINVAL;
        return -1;
    }
    memcpy(sa->sun_path, path, strlen(path) + 1);
    return 0;
}

/* A non-blocking unix stream socket and the address of `path` for it;
   -1 with errno. */
static int unix_socket(const char *path, struct sockaddr_un *sa)
{
    if (unix_addr(path, sa) < 0)
        return -1;
    return socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

static int fail_close(int fd)
{
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

/* Opens one socket for each address getaddrinfo gives until one works;
   `act` binds-and-listens or connects it. */
static int each_addr(const char *addr, bool passive, int backlog, int flags)
{
    char buf[RM__SOCK_ADDR_MAX];
    const char *host, *port;
    if (split(addr, buf, sizeof buf, &host, &port) < 0)
        return -1;
    if (!passive && !host) {
        errno = EINVAL;
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = passive ? AI_PASSIVE : 0};
    struct addrinfo *res;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        errno = gai == EAI_SYSTEM ? errno : gai == EAI_NONAME ? ENOENT : EINVAL;
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        int one = 1;
        if (passive) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            if ((flags & RM_LISTEN_REUSEPORT) &&
                setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
                fail_close(fd);
                fd = -1;
                continue;
            }
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
                listen(fd, backlog > 0 ? backlog : SOMAXCONN) == 0)
                break;
        } else if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
            break;
        }
        fail_close(fd);
        fd = -1;
    }
    int e = errno;
    freeaddrinfo(res);
    errno = e;
    return fd;
}

int rm__rel_listen(const char *addr, int backlog, int flags)
{
    if (!addr) {
        errno = EINVAL;
        return -1;
    }
    if (strncmp(addr, "unix:", 5) != 0)
        return each_addr(addr, true, backlog, flags);
    struct sockaddr_un sa;
    int fd = unix_socket(addr + 5, &sa);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(fd, backlog > 0 ? backlog : SOMAXCONN) < 0)
        return fail_close(fd);
    return fd;
}

int rm__rel_accept(int fd)
{
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int rm__rel_connect(const char *addr)
{
    if (!addr) {
        errno = EINVAL;
        return -1;
    }
    if (strncmp(addr, "unix:", 5) != 0)
        return each_addr(addr, false, 0, 0);
    struct sockaddr_un sa;
    int fd = unix_socket(addr + 5, &sa);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS &&
        errno != EAGAIN)
        return fail_close(fd);
    return fd;
}
