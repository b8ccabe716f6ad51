/*
 * The control server: one accept thread, one thread per connection (capped),
 * peer uid checked, frames dispatched to the registered handlers.
 *
 * A connection must deliver each whole frame within the I/O timeout of its
 * first wait (not per read), so a peer trickling bytes cannot hold it. When
 * the cap is reached, a new peer takes the place of the connection that has
 * waited longest for its next frame (one in a handler is never dropped), so
 * idle or slow peers cannot lock a well-behaved client out; only when every
 * connection is inside a handler is the new one refused, at once.
 */
#define _GNU_SOURCE /* O_PATH, accept4, pipe2, struct ucred */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "relman/ctl.h"
#include "relman/fsutil.h"
#include "relman/vocab.h"

struct ctl_conn {
    struct rm_ctl *ctl;
    int fd;                  /* -1 once the thread closed it */
    struct rm_ctl_peer peer; /* as the kernel saw it when it connected */
    int done;
    int busy;               /* inside a handler (or writing its reply) */
    int evicted;            /* shut down to make room for a newer peer */
    uint64_t waiting_since; /* rm_clock_ns() when it began to wait for a frame */
    pthread_t thread;
    struct ctl_conn *next;
};

struct ctl_handler {
    rm_ctl_handler_fn fn;
    void *ud;
};

struct rm_ctl {
    struct rm_node *node;
    char *root;
    char *path;
    pid_t watchdog_pid;
    unsigned max_conns;
    unsigned io_timeout_ms;
    int lfd;
    int wake[2];
    int started;
    pthread_t thread;
    struct ctl_handler handlers[RM_MSG_TYPE_LIMIT];
    pthread_mutex_t lock; /* guards conns, n_conns, n_evicted, stopping and each
                             conn's fd, done, busy, evicted, waiting_since */
    struct ctl_conn *conns;
    unsigned n_conns;
    unsigned n_evicted; /* of n_conns: shut down, their threads finishing */
    int stopping;
};

/* ---- replies ------------------------------------------------------------- */

/* Sends an error reply for a request of `type`. Returns 0 or -1. */
static int send_error(int fd, unsigned type, const struct rm_error *e)
{
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_u32(&w, (uint32_t)e->code);
    rm_proto_put_str(&w, e->msg[0] ? e->msg : rm_strerror(e->code));
    int rc = rm_proto_writer_check(&w, NULL) < 0
                 ? -1
                 : rm_proto_frame_write(fd, (uint16_t)type, RM_PROTO_F_REPLY, w.buf, w.len, NULL);
    rm_proto_writer_release(&w);
    return rc;
}

/* Runs the handler of one well-formed frame and writes its reply. Returns 0
   to go on reading from the connection, -1 to drop it. */
static int dispatch(struct rm_ctl *ctl, int fd, const struct rm_proto_header *h,
                    const unsigned char *payload)
{
    struct rm_error e;
    rm_error_clear(&e);
    const struct ctl_handler *hd = h->type < RM_MSG_TYPE_LIMIT ? &ctl->handlers[h->type] : NULL;
    if (!hd || !hd->fn) {
        rm_error_set(&e, RM_EPROTO, "unknown message type %u", h->type);
        return send_error(fd, h->type, &e);
    }
    struct rm_proto_reader req;
    rm_proto_reader_init(&req, payload, h->length);
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_u32(&w, 0); /* the status: success */
    int rc = hd->fn(hd->ud, ctl->node, &req, &w, &e);
    if (rc == 0)
        rc = rm_proto_writer_check(&w, &e);
    if (rc < 0) {
        rm_proto_writer_release(&w);
        if (e.code == RM_EPROTO) {
            const char *name = rm_proto_type_name(h->type);
            if (strcmp(name, "unknown") != 0)
                rm_error_prefix(&e, "bad '%s' request", name);
            else
                rm_error_prefix(&e, "bad request (type %u)", h->type);
        }
        return send_error(fd, h->type, &e);
    }
    rc = rm_proto_frame_write(fd, h->type, RM_PROTO_F_REPLY, w.buf, w.len, NULL);
    rm_proto_writer_release(&w);
    return rc;
}

/* ---- connections ---------------------------------------------------------- */

/* Marks c waiting for a frame (busy 0) or inside a handler (busy 1).
   Returns -1 when c was evicted meanwhile: its request must not run, as
   its peer will never read the reply. */
static int set_busy(struct ctl_conn *c, int busy)
{
    pthread_mutex_lock(&c->ctl->lock);
    int evicted = c->evicted;
    c->busy = busy && !evicted;
    if (!busy)
        c->waiting_since = rm_clock_ns();
    pthread_mutex_unlock(&c->ctl->lock);
    return evicted ? -1 : 0;
}

/* The peer of the connection this thread serves (rm_ctl_peer). */
static __thread const struct rm_ctl_peer *thread_peer;

int rm_ctl_peer(struct rm_ctl_peer *peer)
{
    if (!thread_peer)
        return -1;
    *peer = *thread_peer;
    return 0;
}

static void *conn_main(void *arg)
{
    struct ctl_conn *c = arg;
    thread_peer = &c->peer;
    for (;;) {
        struct rm_proto_header h;
        unsigned char *payload;
        struct rm_error e;
        rm_error_clear(&e);
        set_busy(c, 0);
        uint64_t deadline = rm_clock_ns() + (uint64_t)c->ctl->io_timeout_ms * 1000000u;
        int r = rm_proto_frame_read_by(c->fd, &h, &payload, deadline, &e);
        if (r == 0)
            break;
        if (r < 0) {
            /* The framing is lost (or the peer went quiet): say why, drop it. */
            send_error(c->fd, h.type, &e);
            break;
        }
        if (h.flags & RM_PROTO_F_REPLY) {
            rm_error_set(&e, RM_EPROTO, "unexpected reply frame from the client");
            send_error(c->fd, h.type, &e);
            free(payload);
            break;
        }
        if (set_busy(c, 1) < 0) {
            free(payload);
            break;
        }
        int rc = dispatch(c->ctl, c->fd, &h, payload);
        free(payload);
        if (rc < 0)
            break;
    }
    pthread_mutex_lock(&c->ctl->lock);
    close(c->fd);
    c->fd = -1;
    c->done = 1;
    pthread_mutex_unlock(&c->ctl->lock);
    return NULL;
}

/* A connection younger than this in its wait for a frame is not evicted:
   its first frame may be on its way. */
#define CTL_EVICT_AFTER_MS 200

/* At the cap (lock held): shuts down the connection that has waited
   longest for its next frame (at least CTL_EVICT_AFTER_MS), so that its thread ends and a new peer
   gets its place. Returns 0, or -1 when every connection is inside a handler. */
static int evict_one(struct rm_ctl *ctl)
{
    struct ctl_conn *oldest = NULL;
    uint64_t now = rm_clock_ns();
    for (struct ctl_conn *c = ctl->conns; c; c = c->next)
        if (!c->done && !c->busy && !c->evicted && c->fd >= 0 &&
            now - c->waiting_since >= (uint64_t)CTL_EVICT_AFTER_MS * 1000000u &&
            (!oldest || c->waiting_since < oldest->waiting_since))
            oldest = c;
    if (!oldest)
        return -1;
    oldest->evicted = 1;
    ctl->n_evicted++;
    shutdown(oldest->fd, SHUT_RDWR);
    return 0;
}

/* Joins and frees the finished connections (all of them with `all`, waiting
   for those still running). Called from the accept thread or rm_ctl_free. */
static void reap_conns(struct rm_ctl *ctl, int all)
{
    for (;;) {
        pthread_mutex_lock(&ctl->lock);
        struct ctl_conn **pp = &ctl->conns, *c = NULL;
        while (*pp && !(*pp)->done && !all)
            pp = &(*pp)->next;
        if (*pp) {
            c = *pp;
            *pp = c->next;
            ctl->n_conns--;
            if (c->evicted)
                ctl->n_evicted--;
        }
        pthread_mutex_unlock(&ctl->lock);
        if (!c)
            return;
        pthread_join(c->thread, NULL);
        free(c);
    }
}

static void set_timeouts(int fd, unsigned ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Checks a new peer and starts its thread, or refuses it with a reply. */
static void admit(struct rm_ctl *ctl, int fd)
{
    struct rm_error e;
    rm_error_clear(&e);
    set_timeouts(fd, ctl->io_timeout_ms);
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        rm_error_set(&e, RM_EIO, "cannot check the peer's credentials: %s", strerror(errno));
        goto refuse;
    }
    if (cred.uid != geteuid()) {
        rm_error_set(&e, RM_EINVAL, "permission denied: uid %u is not the node's uid %u",
                     (unsigned)cred.uid, (unsigned)geteuid());
        goto refuse;
    }
    struct ctl_conn *c = calloc(1, sizeof *c);
    if (!c) {
        rm_error_nomem(&e);
        goto refuse;
    }
    c->ctl = ctl;
    c->fd = fd;
    c->peer.pid = cred.pid;
    c->peer.uid = cred.uid;
    c->waiting_since = rm_clock_ns();
    pthread_mutex_lock(&ctl->lock);
    /* Evicted connections are on their way out: they hold no place, but
       their threads count against twice the cap. When every place is held
       by a request in progress, RM_CTL_RESERVE more are let in, so that a
       few commands (a resume that ends those waits) still get through. */
    if (ctl->n_conns - ctl->n_evicted >= ctl->max_conns &&
        (ctl->n_conns >= 2 * ctl->max_conns + RM_CTL_RESERVE || evict_one(ctl) < 0) &&
        ctl->n_conns - ctl->n_evicted >= ctl->max_conns + RM_CTL_RESERVE) {
        pthread_mutex_unlock(&ctl->lock);
        free(c);
        rm_error_set(&e, RM_ELIMIT,
                     "too many connections (at most %u at once, and %u more while every one is "
                     "inside a request)",
                     ctl->max_conns, RM_CTL_RESERVE);
        goto refuse;
    }
    int rc = pthread_create(&c->thread, NULL, conn_main, c);
    if (rc != 0) {
        pthread_mutex_unlock(&ctl->lock);
        free(c);
        rm_error_set(&e, RM_EIO, "cannot start a connection thread: %s", strerror(rc));
        goto refuse;
    }
    c->next = ctl->conns;
    ctl->conns = c;
    ctl->n_conns++;
    pthread_mutex_unlock(&ctl->lock);
    return;
refuse:
    send_error(fd, 0, &e);
    close(fd);
}

static void *accept_main(void *arg)
{
    struct rm_ctl *ctl = arg;
    for (;;) {
        struct pollfd p[2] = {{.fd = ctl->lfd, .events = POLLIN},
                              {.fd = ctl->wake[0], .events = POLLIN}};
        int n = poll(p, 2, 1000);
        reap_conns(ctl, 0);
        if (n < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (n <= 0 || !(p[0].revents & POLLIN))
            continue;
        int fd = accept4(ctl->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;       /* EAGAIN, ECONNABORTED, EMFILE...: try again at the next poll */
        reap_conns(ctl, 0); /* finished connections hold no place */
        admit(ctl, fd);
    }
    return NULL;
}

/* ---- lifecycle --------------------------------------------------------------- */

/* Creates ROOT/run with mode 0700 and checks it is ours. */
static int make_run_dir(const char *root, struct rm_error *err)
{
    char dir[4096];
    int n = snprintf(dir, sizeof dir, "%s/%s", root, RM_NODE_RUN_DIR);
    if (n < 0 || (size_t)n >= sizeof dir)
        return rm_error_set(err, RM_ELIMIT, "run directory of root '%s' is too long", root);
    if (rm_fs_mkdirs(dir, 0700, err) < 0)
        return -1;
    struct stat st;
    if (lstat(dir, &st) < 0)
        return rm_error_set(err, RM_EIO, "'%s': %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return rm_error_set(err, RM_EINVAL, "'%s' is not a directory", dir);
    if (st.st_uid != geteuid())
        return rm_error_set(err, RM_EINVAL, "'%s' belongs to uid %u, not to the node's uid %u", dir,
                            (unsigned)st.st_uid, (unsigned)geteuid());
    if ((st.st_mode & 0777) != 0700 && chmod(dir, 0700) < 0)
        return rm_error_set(err, RM_EIO, "make '%s' private (mode 0700): %s", dir, strerror(errno));
    return 0;
}

/* Removes a socket file no live node answers on; refuses a live one. */
static int clear_stale_socket(const char *path, struct rm_error *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return 0;
    if (!S_ISSOCK(st.st_mode))
        return rm_error_set(err, RM_EEXIST, "'%s' exists and is not a socket", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return rm_error_set(err, RM_EIO, "socket: %s", strerror(errno));
    int live = rm_proto_connect(fd, path, NULL) == 0;
    int e = errno;
    close(fd);
    if (live)
        return rm_error_set(err, RM_EEXIST, "a node is already listening on '%s'", path);
    if (e != ECONNREFUSED && e != ENOENT)
        return rm_error_set(err, RM_EIO, "check the socket '%s': %s", path, strerror(e));
    if (unlink(path) < 0 && errno != ENOENT)
        return rm_error_set(err, RM_EIO, "remove the stale socket '%s': %s", path, strerror(errno));
    return 0;
}

static int listen_on(struct rm_ctl *ctl, struct rm_error *err)
{
    if (make_run_dir(ctl->root, err) < 0 || clear_stale_socket(ctl->path, err) < 0)
        return -1;
    ctl->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (ctl->lfd < 0)
        return rm_error_set(err, RM_EIO, "socket: %s", strerror(errno));
    if (rm_proto_bind(ctl->lfd, ctl->path, err) < 0)
        return -1;
    /* The directory is 0700, so nobody else could reach the file before this. */
    if (chmod(ctl->path, 0600) < 0) {
        rm_error_set(err, RM_EIO, "make '%s' private (mode 0600): %s", ctl->path, strerror(errno));
        unlink(ctl->path);
        return -1;
    }
    if (listen(ctl->lfd, 64) < 0) {
        rm_error_set(err, RM_EIO, "listen on '%s': %s", ctl->path, strerror(errno));
        unlink(ctl->path);
        return -1;
    }
    return 0;
}

int rm_ctl_serve_ping(void *ud, struct rm_node *node, struct rm_proto_reader *req,
                      struct rm_proto_writer *reply, struct rm_error *err)
{
    struct rm_ctl *ctl = ud;
    if (rm_proto_end(req, err) < 0)
        return -1;
    rm_proto_put_u64(reply, (uint64_t)getpid());
    rm_proto_put_u64(reply, (uint64_t)ctl->watchdog_pid);
    rm_proto_put_str(reply, ctl->root);
    return 0;
}

static void ctl_destroy(struct rm_ctl *ctl)
{
    if (ctl->lfd >= 0)
        close(ctl->lfd);
    for (int i = 0; i < 2; i++)
        if (ctl->wake[i] >= 0)
            close(ctl->wake[i]);
    pthread_mutex_destroy(&ctl->lock);
    free(ctl->path);
    free(ctl->root);
    free(ctl);
}

struct rm_ctl *rm_ctl_new(struct rm_node *node, const struct rm_ctl_opts *opts,
                          struct rm_error *err)
{
    if (!opts || !opts->root || !*opts->root) {
        rm_error_set(err, RM_EINVAL, "control server: no root directory given");
        return NULL;
    }
    struct rm_ctl *ctl = calloc(1, sizeof *ctl);
    char path[4096];
    if (!ctl) {
        rm_error_nomem(err);
        return NULL;
    }
    ctl->node = node;
    ctl->lfd = ctl->wake[0] = ctl->wake[1] = -1;
    ctl->watchdog_pid = opts->watchdog_pid;
    ctl->max_conns = opts->max_conns ? opts->max_conns : 64;
    ctl->io_timeout_ms = opts->io_timeout_ms ? opts->io_timeout_ms : 10000;
    pthread_mutex_init(&ctl->lock, NULL);
    if (rm_proto_socket_path(opts->root, path, sizeof path, err) < 0) {
        ctl_destroy(ctl);
        return NULL;
    }
    ctl->root = strdup(opts->root);
    ctl->path = strdup(path);
    if (!ctl->root || !ctl->path) {
        rm_error_nomem(err);
        ctl_destroy(ctl);
        return NULL;
    }
    if (pipe2(ctl->wake, O_CLOEXEC) < 0) {
        rm_error_set(err, RM_EIO, "control server: pipe: %s", strerror(errno));
        ctl_destroy(ctl);
        return NULL;
    }
    if (listen_on(ctl, err) < 0) {
        ctl_destroy(ctl);
        return NULL;
    }
    return ctl;
}

int rm_ctl_handle(struct rm_ctl *ctl, unsigned type, rm_ctl_handler_fn fn, void *ud,
                  struct rm_error *err)
{
    if (type == 0 || type >= RM_MSG_TYPE_LIMIT)
        return rm_error_set(err, RM_EINVAL, "message type %u out of range (1 to %u)", type,
                            RM_MSG_TYPE_LIMIT - 1);
    if (ctl->started)
        return rm_error_set(err, RM_ESTATE, "control server already started");
    ctl->handlers[type] = (struct ctl_handler){fn, ud};
    return 0;
}

int rm_ctl_start(struct rm_ctl *ctl, struct rm_error *err)
{
    if (ctl->started)
        return rm_error_set(err, RM_ESTATE, "control server already started");
    int rc = pthread_create(&ctl->thread, NULL, accept_main, ctl);
    if (rc != 0)
        return rm_error_set(err, RM_EIO, "control server: start thread: %s", strerror(rc));
    ctl->started = 1;
    return 0;
}

void rm_ctl_shutdown(struct rm_ctl *ctl)
{
    pthread_mutex_lock(&ctl->lock);
    if (!ctl->stopping) {
        ctl->stopping = 1;
        RM_ASSERT(write(ctl->wake[1], "x", 1) == 1);
    }
    /* Wake connections waiting for a request; a running handler still
       writes its reply, since only the reading side is shut. */
    for (struct ctl_conn *c = ctl->conns; c; c = c->next)
        if (c->fd >= 0)
            shutdown(c->fd, SHUT_RD);
    pthread_mutex_unlock(&ctl->lock);
}

void rm_ctl_free(struct rm_ctl *ctl)
{
    if (!ctl)
        return;
    rm_ctl_shutdown(ctl);
    if (ctl->started)
        pthread_join(ctl->thread, NULL);
    /* No new connection can appear now; wake any that arrived meanwhile. */
    rm_ctl_shutdown(ctl);
    reap_conns(ctl, 1);
    unlink(ctl->path);
    ctl_destroy(ctl);
}
