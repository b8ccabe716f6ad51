/*
 * rel.h - the relations layer: what ties a process to the world outside
 * its mailbox. Links and monitors between processes and the exit signals
 * they carry (rel.c); the descriptors a process owns and the event loop
 * that turns their readiness into messages (io.c, run by the scheduler's
 * idle workers); socket helpers (sock.c).
 *
 * Everything here travels as messages (RM__MBOX_EVENT): readiness, a
 * descriptor handed over, DOWN, and exit signals, which the host layer
 * turns into handle_event calls or into the process's exit. So a suspended
 * process keeps all of them in its mailbox, in order, and loses none.
 *
 * One node-wide mutex (`lock`) guards the per-process records, the
 * descriptor table and the epoll registrations; it is a leaf: nothing else
 * is locked while it is held, and messages are posted after it is dropped.
 */
#ifndef RELMAN_REL_H
#define RELMAN_REL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "timer.h"

/* The events of RM__MBOX_EVENT messages (struct rm__rel_msg's kind). */
enum rm__rel_kind {
    RM__REL_READY = RM_EVENT_READY,
    RM__REL_GIVEN = RM_EVENT_FD_GIVEN,
    RM__REL_DOWN = RM_EVENT_DOWN,
    RM__REL_EXIT = RM_EVENT_EXIT
};

/* What an RM__MBOX_EVENT message says: this record, then the reason as a
   string. A message's bytes are not aligned for it: it is copied in and
   out (rm__rel_msg_new, rm__rel_msg_read), never read in place. */
struct rm__rel_msg {
    int kind;
    int fd;
    uint32_t gen;    /* READY, GIVEN: the registration it is about */
    uint32_t events; /* READY */
    bool kill;       /* EXIT: untrappable (rm_exit with "kill") */
    rm_mref ref;     /* DOWN */
    rm_pid pid;      /* GIVEN, DOWN, EXIT: the other process's pid (0: unknown) */
    char who[RM_LABEL_MAX]; /* GIVEN, DOWN, EXIT: the other process's label */
};

/* A new event message of *ev and `reason` (NULL: ""); NULL when out of
   memory. */
static inline struct rm_msg *rm__rel_msg_new(const struct rm__rel_msg *ev, const char *reason)
{
    size_t rlen = reason ? strlen(reason) : 0;
    struct rm_msg *m = rm__mbox_msg_alloc(RM__MBOX_EVENT, sizeof *ev + rlen + 1);
    if (!m)
        return NULL;
    memcpy(m->data, ev, sizeof *ev);
    memcpy(m->data + sizeof *ev, reason ? reason : "", rlen + 1);
    return m;
}

/* Reads an event message back: its record into *ev, and its reason (in
   the message) into *reason. */
static inline void rm__rel_msg_read(const struct rm_msg *m, struct rm__rel_msg *ev,
                                    const char **reason)
{
    memcpy(ev, m->data, sizeof *ev);
    *reason = m->data + sizeof *ev;
}

struct rm__rel_fd;

/* A monitor, kept on both sides: by the watcher (pid: the watched) and
   by the watched (pid: the watcher). */
struct rm__rel_mon {
    rm_mref ref;
    rm_pid pid;
};

/* What one process owns and is tied to; p->rel, allocated at the first
   link, monitor or descriptor, and RM__REL_GONE once the process exited. */
struct rm__proc_rel {
    bool trap;
    struct rm__rel_fd *fds; /* owned descriptors, a list */
    size_t nfds;
    rm_pid *links;
    size_t nlinks, caplinks;
    struct rm__rel_mon *watching, *watchers;
    size_t nwatching, capwatching, nwatchers, capwatchers;
};
#define RM__REL_GONE ((struct rm__proc_rel *)1)

/* Starts a process for rm_spawn (the life layer's, registered by node.c):
   0 with *pid, or -1 with err. With spec->link, the child is linked to
   `parent` before it can run. */
typedef int (*rm__rel_spawn_fn)(struct rm_node *node, struct rm_proc *parent,
                                const struct rm_spawn_spec *spec, rm_pid *pid, struct rm_error *err);

struct rm__rel_node {
    struct rm__timer_node timer;
    rm__rel_spawn_fn spawn; /* hook */
    pthread_mutex_t lock;
    uint64_t next_ref;
    /* descriptors: the table is indexed by fd number */
    struct rm__rel_fd **fds;
    size_t fds_cap;
    uint32_t next_gen;
    int epfd, wakefd;
    bool polling; /* set up (rm__rel_start) */
};

static inline struct rm__rel_node *rm__rel_of(struct rm_node *node)
{
    return (struct rm__rel_node *)node;
}

/* Sets up the lock and the epoll set, and gives the scheduler its event
   loop hooks (before the workers start). 0, or -1 with err. */
int rm__rel_start(struct rm_node *node, struct rm_error *err);
/* Frees what is left, once the workers have stopped (every process has
   exited). */
void rm__rel_stop(struct rm_node *node);

/* ---- links, monitors, signals (rel.c) --------------------------------- */

/* Links p to the process `to` both ways. 0, 1 when linked already, -1 when
   `to` is gone (or is p). */
int rm__rel_link(struct rm_node *node, struct rm_proc *p, rm_pid to);
/* Links a process not yet in the tables to a live parent (spawn_link). */
int rm__rel_link_new(struct rm_node *node, struct rm_proc *child, struct rm_proc *parent);
/* Removes the link both ways. 0, or -1 when there was none. */
int rm__rel_unlink(struct rm_node *node, struct rm_proc *p, rm_pid to);
/* p monitors `to` (0: no such process, named `label`): the reference (a
   DOWN "noproc" is posted at once when `to` is gone), or 0 when out of
   memory. */
rm_mref rm__rel_monitor(struct rm_node *node, struct rm_proc *p, rm_pid to, const char *label);
/* 0, or -1 when p has no such monitor. */
int rm__rel_demonitor(struct rm_node *node, struct rm_proc *p, rm_mref ref);
/* Sets whether p traps exits; returns the previous setting. */
bool rm__rel_trap(struct rm_node *node, struct rm_proc *p, int on);
bool rm__rel_trapping(struct rm_node *node, struct rm_proc *p);
/* Posts an exit signal from the process `from_pid` labelled `from` to
   `to`. 0, or -1 when `to` is gone. */
int rm__rel_signal(struct rm_node *node, const char *from, rm_pid from_pid, rm_pid to,
                   const char *reason, bool kill);
/* p has left the tables and exits with `reason`: closes its descriptors,
   tells its monitors and its links, drops its own monitors. */
void rm__rel_exit(struct rm_node *node, struct rm_proc *p, const char *reason);

/* What status shows of a process. */
struct rm__rel_info {
    size_t nfds, nlinks, nmonitors, nmonitored_by;
    bool trap;
};
void rm__rel_info(struct rm_node *node, struct rm_proc *p, struct rm__rel_info *out);

/* ---- descriptors (io.c) ----------------------------------------------- */

/* p owns fd from now on. 0, or -1 with errno (EEXIST: owned already). */
int rm__rel_fd_own(struct rm_node *node, struct rm_proc *p, int fd);
/* One READY for events. 0, or -1 when p does not own fd. */
int rm__rel_fd_arm(struct rm_node *node, struct rm_proc *p, int fd, uint32_t events);
/* Hands fd to process `to` (posts GIVEN). 0, or -1. */
int rm__rel_fd_give(struct rm_node *node, struct rm_proc *p, int fd, rm_pid to);
/* Closes fd. 0, or -1 when p does not own it. */
int rm__rel_fd_close(struct rm_node *node, struct rm_proc *p, int fd);
/* Closes every descriptor of an exiting process's record (lock held). */
void rm__rel_fd_close_all(struct rm_node *node, struct rm__proc_rel *rel);
/* Whether p owns fd. */
bool rm__rel_fd_owns(struct rm_node *node, struct rm_proc *p, int fd);
/* Whether p still owns registration (fd, gen): an event about a
   descriptor closed or handed on since is dropped. */
bool rm__rel_fd_current(struct rm_node *node, struct rm_proc *p, int fd, uint32_t gen);

/* ---- sockets (sock.c) ------------------------------------------------- */

/* Opens a listening socket at addr (see rm_listen); -1 with errno. */
int rm__rel_listen(const char *addr, int backlog, int flags);
/* Accepts one connection, non-blocking and close-on-exec; -1 with errno. */
int rm__rel_accept(int fd);
/* Starts a non-blocking connect to addr; -1 with errno. */
int rm__rel_connect(const char *addr);

#endif
