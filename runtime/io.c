/*
 * io.c - descriptors as messages: the table of descriptors processes own,
 * and the poller thread that turns their readiness into RM_EVENT_READY
 * messages.
 *
 * One epoll set per node, every registration one-shot (EPOLLONESHOT): a
 * descriptor reports once and is silent until its owner arms it again
 * (OTP's {active, once}), so a process is never flooded and nothing polls.
 * The event loop is part of the scheduler: the worker that would sleep
 * waits in epoll_wait instead (sched.c), so readiness wakes a worker
 * directly, and busy workers look without waiting every millisecond. It
 * only posts messages; callbacks run as for every other message. The
 * epoll data of a registration is its fd and a generation, bumped each
 * time the descriptor changes owner or is registered anew, so an event
 * that crosses a close, a reuse of the number or a hand-over is dropped
 * rather than delivered to the wrong process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "rel.h"

#define RM__IO_BATCH 256
#define RM__IO_WAKE  UINT64_MAX

struct rm__rel_fd {
    int fd;
    uint32_t gen;
    uint32_t armed; /* RM_FD_IN | RM_FD_OUT asked for and not yet reported */
    struct rm_proc *owner;
    struct rm__rel_fd *next, **pprev; /* the owner's list */
};

static uint64_t data_of(const struct rm__rel_fd *r)
{
    return (uint64_t)r->gen << 32 | (uint32_t)r->fd;
}

static uint32_t epoll_bits(uint32_t events)
{
    return (events & RM_FD_IN ? EPOLLIN | EPOLLRDHUP : 0u) | (events & RM_FD_OUT ? EPOLLOUT : 0u) |
           EPOLLONESHOT;
}

static uint32_t rm_bits(uint32_t ev)
{
    return (ev & (EPOLLIN | EPOLLRDHUP) ? RM_FD_IN : 0u) | (ev & EPOLLOUT ? RM_FD_OUT : 0u) |
           (ev & (EPOLLHUP | EPOLLRDHUP) ? RM_FD_HUP : 0u) | (ev & EPOLLERR ? RM_FD_ERR : 0u);
}

/* The record of fd when p owns it (lock held), else NULL. */
static struct rm__rel_fd *owned(struct rm__rel_node *R, struct rm_proc *p, int fd)
{
    if (fd < 0 || (size_t)fd >= R->fds_cap || !R->fds[fd] || R->fds[fd]->owner != p)
        return NULL;
    return R->fds[fd];
}

static void list_add(struct rm__proc_rel *rel, struct rm__rel_fd *r)
{
    r->next = rel->fds;
    if (r->next)
        r->next->pprev = &r->next;
    r->pprev = &rel->fds;
    rel->fds = r;
    rel->nfds++;
}

static void list_del(struct rm__proc_rel *rel, struct rm__rel_fd *r)
{
    *r->pprev = r->next;
    if (r->next)
        r->next->pprev = r->pprev;
    rel->nfds--;
}

/* Forgets and closes r (lock held). */
static void drop(struct rm__rel_node *R, struct rm__rel_fd *r)
{
    epoll_ctl(R->epfd, EPOLL_CTL_DEL, r->fd, NULL);
    R->fds[r->fd] = NULL;
    close(r->fd);
    free(r);
}

int rm__rel_fd_own(struct rm_node *node, struct rm_proc *p, int fd)
{
    struct rm__rel_node *R = rm__rel_of(node);
    int fl = fcntl(fd, F_GETFL);
    if (fd < 0 || fl < 0) {
        errno = EBADF;
        return -1;
    }
    struct rm__rel_fd *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    r->fd = fd;
    r->owner = p;
    pthread_mutex_lock(&R->lock);
    int rc = -1;
    if ((size_t)fd < R->fds_cap && R->fds[fd]) {
        errno = EEXIST;
        goto out;
    }
    if ((size_t)fd >= R->fds_cap) {
        size_t cap = R->fds_cap ? R->fds_cap : 64;
        while (cap <= (size_t)fd)
            cap *= 2;
        struct rm__rel_fd **v = realloc(R->fds, cap * sizeof *v);
        if (!v)
            goto out;
        memset(v + R->fds_cap, 0, (cap - R->fds_cap) * sizeof *v);
        R->fds = v;
        R->fds_cap = cap;
    }
    struct rm__proc_rel *rel = p->rel == RM__REL_GONE ? NULL : p->rel;
    if (!rel && p->rel != RM__REL_GONE)
        rel = p->rel = calloc(1, sizeof *p->rel);
    if (!rel)
        goto out;
    r->gen = ++R->next_gen;
    struct epoll_event ev = {.events = EPOLLONESHOT, .data.u64 = data_of(r)};
    if (epoll_ctl(R->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        goto out; /* EPERM: not pollable (a regular file) */
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
    R->fds[fd] = r;
    list_add(rel, r);
    r = NULL;
    rc = 0;
out:
    pthread_mutex_unlock(&R->lock);
    free(r);
    return rc;
}

int rm__rel_fd_arm(struct rm_node *node, struct rm_proc *p, int fd, uint32_t events)
{
    struct rm__rel_node *R = rm__rel_of(node);
    events &= RM_FD_IN | RM_FD_OUT;
    pthread_mutex_lock(&R->lock);
    struct rm__rel_fd *r = owned(R, p, fd);
    int rc = -1;
    if (r) {
        r->armed = events;
        struct epoll_event ev = {.events = events ? epoll_bits(events) : EPOLLONESHOT,
                                 .data.u64 = data_of(r)};
        rc = epoll_ctl(R->epfd, EPOLL_CTL_MOD, fd, &ev);
    } else {
        errno = EBADF;
    }
    pthread_mutex_unlock(&R->lock);
    return rc;
}

/* Posts GIVEN to `to`; the descriptor is already its own. */
static void post_given(struct rm_node *node, rm_pid to, struct rm_proc *from, int fd, uint32_t gen)
{
    struct rm__rel_msg e = {.kind = RM__REL_GIVEN, .fd = fd, .gen = gen, .pid = from->pid};
    rm__proc_label_of(from, e.who, sizeof e.who);
    struct rm_msg *m = rm__rel_msg_new(&e, NULL);
    if (!m)
        return; /* the descriptor is `to`'s all the same, and closed at its exit */
    if (rm__proc_deliver(node, to, m) < 0)
        free(m);
}

int rm__rel_fd_give(struct rm_node *node, struct rm_proc *p, int fd, rm_pid to)
{
    struct rm__rel_node *R = rm__rel_of(node);
    struct rm_proc *q = rm__proc_get(node, to, NULL);
    if (!q) {
        errno = ESRCH;
        return -1;
    }
    pthread_mutex_lock(&R->lock);
    struct rm__rel_fd *r = owned(R, p, fd);
    struct rm__proc_rel *rel = q->rel == RM__REL_GONE ? NULL : q->rel;
    if (r && !rel && q->rel != RM__REL_GONE)
        rel = q->rel = calloc(1, sizeof *q->rel);
    uint32_t gen = 0;
    if (r && rel) {
        list_del(p->rel, r);
        r->owner = q;
        r->armed = 0;
        r->gen = gen = ++R->next_gen;
        struct epoll_event ev = {.events = EPOLLONESHOT, .data.u64 = data_of(r)};
        epoll_ctl(R->epfd, EPOLL_CTL_MOD, fd, &ev);
        list_add(rel, r);
    }
    pthread_mutex_unlock(&R->lock);
    rm__proc_put(q);
    if (!gen) {
        errno = r ? ESRCH : EBADF;
        return -1;
    }
    post_given(node, to, p, fd, gen);
    return 0;
}

int rm__rel_fd_close(struct rm_node *node, struct rm_proc *p, int fd)
{
    struct rm__rel_node *R = rm__rel_of(node);
    pthread_mutex_lock(&R->lock);
    struct rm__rel_fd *r = owned(R, p, fd);
    if (r) {
        list_del(p->rel, r);
        drop(R, r);
    }
    pthread_mutex_unlock(&R->lock);
    if (!r)
        errno = EBADF;
    return r ? 0 : -1;
}

bool rm__rel_fd_owns(struct rm_node *node, struct rm_proc *p, int fd)
{
    struct rm__rel_node *R = rm__rel_of(node);
    pthread_mutex_lock(&R->lock);
    bool mine = owned(R, p, fd) != NULL;
    pthread_mutex_unlock(&R->lock);
    return mine;
}

bool rm__rel_fd_current(struct rm_node *node, struct rm_proc *p, int fd, uint32_t gen)
{
    struct rm__rel_node *R = rm__rel_of(node);
    pthread_mutex_lock(&R->lock);
    struct rm__rel_fd *r = owned(R, p, fd);
    bool cur = r && r->gen == gen;
    pthread_mutex_unlock(&R->lock);
    return cur;
}

/* Closes every descriptor of a process that exits (lock held). */
void rm__rel_fd_close_all(struct rm_node *node, struct rm__proc_rel *rel)
{
    struct rm__rel_node *R = rm__rel_of(node);
    while (rel->fds) {
        struct rm__rel_fd *r = rel->fds;
        list_del(rel, r);
        drop(R, r);
    }
}

/* ---- the event loop -------------------------------------------------- */

struct ready {
    rm_pid to;
    int fd;
    uint32_t gen, events;
};

/* The scheduler's poll hook: waits up to timeout_ms in epoll_wait (on the
   worker that would otherwise sleep), then posts a READY for each armed
   registration that fired; an event about a registration closed, handed on
   or disarmed since is dropped. */
static void io_poll(struct rm_node *node, int timeout_ms)
{
    struct rm__rel_node *R = rm__rel_of(node);
    struct epoll_event evs[RM__IO_BATCH];
    struct ready out[RM__IO_BATCH];
    int n = epoll_wait(R->epfd, evs, RM__IO_BATCH, timeout_ms);
    if (timeout_ms != 0)
        rm__sched_poll_returned(node);
    if (n <= 0)
        return; /* EINTR, or nothing within timeout_ms */
    size_t k = 0;
    pthread_mutex_lock(&R->lock);
    for (int i = 0; i < n; i++) {
        uint64_t d = evs[i].data.u64;
        if (d == RM__IO_WAKE) {
            /* Only the waiting poller takes the wake-up: a look without
               waiting that took it could leave the poller (about to wait,
               having seen no work and no stop) asleep for good. Until
               then the others see it again, and skip it. */
            if (timeout_ms != 0) {
                uint64_t v;
                ssize_t r = read(R->wakefd, &v, sizeof v);
                (void)r;
            }
            continue;
        }
        int fd = (int)(uint32_t)d;
        uint32_t gen = (uint32_t)(d >> 32);
        struct rm__rel_fd *r = (size_t)fd < R->fds_cap ? R->fds[fd] : NULL;
        if (!r || r->gen != gen || !r->armed)
            continue;
        r->armed = 0;
        out[k++] = (struct ready){r->owner->pid, fd, gen, rm_bits(evs[i].events)};
    }
    pthread_mutex_unlock(&R->lock);
    for (size_t i = 0; i < k; i++) {
        struct rm__rel_msg e = {
            .kind = RM__REL_READY, .fd = out[i].fd, .gen = out[i].gen, .events = out[i].events};
        struct rm_msg *m = rm__rel_msg_new(&e, NULL);
        if (!m) {
            rm__rt_log(node, RM_LOG_ERROR, "descriptor %d ready, but out of memory to say so",
                       out[i].fd);
            continue;
        }
        if (rm__proc_deliver(node, out[i].to, m) < 0)
            free(m);
    }
}

/* The scheduler's wake hook: makes a blocking io_poll return. */
static void io_wake(struct rm_node *node)
{
    uint64_t one = 1;
    ssize_t w = write(rm__rel_of(node)->wakefd, &one, sizeof one);
    (void)w;
}

int rm__rel_start(struct rm_node *node, struct rm_error *err)
{
    struct rm__rel_node *R = rm__rel_of(node);
    pthread_mutex_init(&R->lock, NULL);
    R->epfd = epoll_create1(EPOLL_CLOEXEC);
    R->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = RM__IO_WAKE};
    if (R->epfd < 0 || R->wakefd < 0 || epoll_ctl(R->epfd, EPOLL_CTL_ADD, R->wakefd, &ev) < 0) {
        rm_error_set(err, RM_ENOMEM, "cannot set up the event loop: %s", strerror(errno));
        if (R->epfd >= 0)
            close(R->epfd);
        if (R->wakefd >= 0)
            close(R->wakefd);
        R->epfd = R->wakefd = -1;
        pthread_mutex_destroy(&R->lock);
        return -1;
    }
    R->polling = true;
    rm__sched_set_poller(node, &(struct rm__sched_poller){io_poll, io_wake});
    return 0;
}

void rm__rel_stop(struct rm_node *node)
{
    struct rm__rel_node *R = rm__rel_of(node);
    if (!R->polling)
        return;
    R->polling = false;
    close(R->epfd);
    close(R->wakefd);
    for (size_t i = 0; i < R->fds_cap; i++)
        if (R->fds[i]) { /* owned by no live process: cannot happen after every exit */
            close(R->fds[i]->fd);
            free(R->fds[i]);
        }
    free(R->fds);
    pthread_mutex_destroy(&R->lock);
}
