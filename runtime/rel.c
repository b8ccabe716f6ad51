/*
 * rel.c - links, monitors and exit signals between processes (OTP's
 * link/1, monitor/2, exit/2 and trap_exit), and what a process's exit
 * tells the processes tied to it.
 *
 * Both sides of a link or a monitor are recorded, each in its process's
 * record (p->rel), under the layer's one lock. A process's exit marks its
 * record gone under that lock, so a link or a monitor made at the same
 * moment either is seen by the exit (and told) or sees the exit (and gets
 * "noproc"): none is lost. Signals and DOWN are messages, posted after the
 * lock is dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relman/array.h"
#include "rel.h"

/* p's record, allocated when it has none (lock held). NULL when out of
   memory or when p has exited (RM__REL_GONE is returned as NULL too; the
   caller tells them apart with rm__rel_gone). */
static struct rm__proc_rel *rec(struct rm_proc *p)
{
    if (p->rel == RM__REL_GONE)
        return NULL;
    if (!p->rel)
        p->rel = calloc(1, sizeof *p->rel);
    return p->rel;
}

static bool gone(struct rm_proc *p)
{
    return p->rel == RM__REL_GONE;
}

static bool has_link(const struct rm__proc_rel *r, rm_pid pid)
{
    for (size_t i = 0; i < r->nlinks; i++)
        if (r->links[i] == pid)
            return true;
    return false;
}

static int add_link(struct rm__proc_rel *r, rm_pid pid)
{
    if (rm_array_grow(&r->links, &r->caplinks, r->nlinks, sizeof *r->links, 4, NULL) < 0)
        return -1;
    r->links[r->nlinks++] = pid;
    return 0;
}

static bool drop_link(struct rm__proc_rel *r, rm_pid pid)
{
    for (size_t i = 0; i < r->nlinks; i++)
        if (r->links[i] == pid) {
            r->links[i] = r->links[--r->nlinks];
            return true;
        }
    return false;
}

static int add_mon(struct rm__rel_mon **v, size_t *n, size_t *cap, rm_mref ref, rm_pid pid)
{
    if (rm_array_grow(v, cap, *n, sizeof **v, 4, NULL) < 0)
        return -1;
    (*v)[(*n)++] = (struct rm__rel_mon){ref, pid};
    return 0;
}

/* Removes monitor ref from v; the pid it was with, or 0. */
static rm_pid drop_mon(struct rm__rel_mon *v, size_t *n, rm_mref ref)
{
    for (size_t i = 0; i < *n; i++)
        if (v[i].ref == ref) {
            rm_pid pid = v[i].pid;
            v[i] = v[--*n];
            return pid;
        }
    return 0;
}

/* Links two records both ways (lock held). 0, 1 when linked already, -1
   when out of memory (nothing changed). */
static int link_both(struct rm__proc_rel *a, rm_pid apid, struct rm__proc_rel *b, rm_pid bpid)
{
    if (has_link(a, bpid))
        return 1;
    if (add_link(a, bpid) < 0)
        return -1;
    if (add_link(b, apid) < 0) {
        drop_link(a, bpid);
        return -1;
    }
    return 0;
}

int rm__rel_link(struct rm_node *node, struct rm_proc *p, rm_pid to)
{
    struct rm__rel_node *R = rm__rel_of(node);
    if (to == p->pid)
        return -1;
    struct rm_proc *q = rm__proc_get(node, to, NULL);
    if (!q)
        return -1;
    pthread_mutex_lock(&R->lock);
    struct rm__proc_rel *a = rec(p), *b = gone(q) ? NULL : rec(q);
    int rc = a && b ? link_both(a, p->pid, b, to) : -1;
    pthread_mutex_unlock(&R->lock);
    rm__proc_put(q);
    return rc;
}

int rm__rel_link_new(struct rm_node *node, struct rm_proc *child, struct rm_proc *parent)
{
    struct rm__rel_node *R = rm__rel_of(node);
    pthread_mutex_lock(&R->lock);
    struct rm__proc_rel *a = rec(child), *b = rec(parent);
    int rc = a && b ? link_both(a, child->pid, b, parent->pid) : -1;
    pthread_mutex_unlock(&R->lock);
    return rc < 0 ? -1 : 0;
}

int rm__rel_unlink(struct rm_node *node, struct rm_proc *p, rm_pid to)
{
    struct rm__rel_node *R = rm__rel_of(node);
    struct rm_proc *q = rm__proc_get(node, to, NULL);
    pthread_mutex_lock(&R->lock);
    bool had = p->rel && !gone(p) && drop_link(p->rel, to);
    if (q && q->rel && !gone(q))
        drop_link(q->rel, p->pid);
    pthread_mutex_unlock(&R->lock);
    if (q)
        rm__proc_put(q);
    return had ? 0 : -1;
}

/* Posts an event message to pid (ev->who set); -1 when it is gone or out
   of memory. */
static int post_event(struct rm_node *node, rm_pid to, const struct rm__rel_msg *ev,
                      const char *reason)
{
    struct rm_msg *m = rm__rel_msg_new(ev, reason);
    if (!m)
        return -1;
    if (rm__proc_deliver(node, to, m) < 0) {
        free(m);
        return -1;
    }
    return 0;
}

static void post_down(struct rm_node *node, rm_pid watcher, rm_mref ref, const char *who,
                      rm_pid who_pid, const char *reason)
{
    struct rm__rel_msg ev = {.kind = RM__REL_DOWN, .fd = -1, .ref = ref, .pid = who_pid};
    snprintf(ev.who, sizeof ev.who, "%s", who);
    post_event(node, watcher, &ev, reason);
}

rm_mref rm__rel_monitor(struct rm_node *node, struct rm_proc *p, rm_pid to, const char *label)
{
    struct rm__rel_node *R = rm__rel_of(node);
    struct rm_proc *q = !to || to == p->pid ? NULL : rm__proc_get(node, to, NULL);
    pthread_mutex_lock(&R->lock);
    rm_mref ref = ++R->next_ref;
    struct rm__proc_rel *a = rec(p);
    bool down = !q || gone(q);
    if (!a) {
        ref = 0;
    } else if (!down) {
        struct rm__proc_rel *b = rec(q);
        if (!b || add_mon(&a->watching, &a->nwatching, &a->capwatching, ref, to) < 0)
            ref = 0;
        else if (add_mon(&b->watchers, &b->nwatchers, &b->capwatchers, ref, p->pid) < 0) {
            drop_mon(a->watching, &a->nwatching, ref);
            ref = 0;
        }
    }
    pthread_mutex_unlock(&R->lock);
    if (q)
        rm__proc_put(q);
    if (ref && down)
        post_down(node, p->pid, ref, label, to, "noproc");
    return ref;
}

int rm__rel_demonitor(struct rm_node *node, struct rm_proc *p, rm_mref ref)
{
    struct rm__rel_node *R = rm__rel_of(node);
    pthread_mutex_lock(&R->lock);
    rm_pid to = p->rel && !gone(p) ? drop_mon(p->rel->watching, &p->rel->nwatching, ref) : 0;
    pthread_mutex_unlock(&R->lock);
    if (!to)
        return -1;
    struct rm_proc *q = rm__proc_get(node, to, NULL);
    if (q) {
        pthread_mutex_lock(&R->lock);
        if (q->rel && !gone(q))
            drop_mon(q->rel->watchers, &q->rel->nwatchers, ref);
        pthread_mutex_unlock(&R->lock);
        rm__proc_put(q);
    }
    return 0;
}

bool rm__rel_trap(struct rm_node *node, struct rm_proc *p, int on)
{
    struct rm__rel_node *R = rm__rel_of(node);
    pthread_mutex_lock(&R->lock);
    struct rm__proc_rel *r = rec(p);
    bool was = r && r->trap;
    if (r)
        r->trap = on != 0;
    pthread_mutex_unlock(&R->lock);
    return was;
}

bool rm__rel_trapping(struct rm_node *node, struct rm_proc *p)
{
    struct rm__rel_node *R = rm__rel_of(node);
    pthread_mutex_lock(&R->lock);
    bool on = p->rel && !gone(p) && p->rel->trap;
    pthread_mutex_unlock(&R->lock);
    return on;
}

int rm__rel_signal(struct rm_node *node, const char *from, rm_pid from_pid, rm_pid to,
                   const char *reason, bool kill)
{
    struct rm__rel_msg ev = {.kind = RM__REL_EXIT, .fd = -1, .kill = kill, .pid = from_pid};
    snprintf(ev.who, sizeof ev.who, "%s", from);
    return post_event(node, to, &ev, reason);
}

void rm__rel_info(struct rm_node *node, struct rm_proc *p, struct rm__rel_info *out)
{
    struct rm__rel_node *R = rm__rel_of(node);
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&R->lock);
    if (p->rel && !gone(p)) {
        out->nfds = p->rel->nfds;
        out->nlinks = p->rel->nlinks;
        out->nmonitors = p->rel->nwatching;
        out->nmonitored_by = p->rel->nwatchers;
        out->trap = p->rel->trap;
    }
    pthread_mutex_unlock(&R->lock);
}

void rm__rel_exit(struct rm_node *node, struct rm_proc *p, const char *reason)
{
    struct rm__rel_node *R = rm__rel_of(node);
    pthread_mutex_lock(&R->lock);
    struct rm__proc_rel *r = p->rel;
    p->rel = RM__REL_GONE;
    if (r)
        rm__rel_fd_close_all(node, r);
    pthread_mutex_unlock(&R->lock);
    if (!r)
        return;
    char label[RM_LABEL_MAX];
    rm__proc_label_of(p, label, sizeof label);
    /* The other sides: each link and monitor is taken off the process at
       the other end, then told (a process that exits meanwhile has its
       record gone, and the message to it is dropped). */
    for (size_t i = 0; i < r->nlinks; i++) {
        struct rm_proc *q = rm__proc_get(node, r->links[i], NULL);
        if (!q)
            continue;
        pthread_mutex_lock(&R->lock);
        bool linked = q->rel && !gone(q) && drop_link(q->rel, p->pid);
        pthread_mutex_unlock(&R->lock);
        rm__proc_put(q);
        if (linked)
            rm__rel_signal(node, label, p->pid, r->links[i], reason, false);
    }
    for (size_t i = 0; i < r->nwatchers; i++) {
        struct rm_proc *q = rm__proc_get(node, r->watchers[i].pid, NULL);
        if (!q)
            continue;
        pthread_mutex_lock(&R->lock);
        bool watching = q->rel && !gone(q) &&
                        drop_mon(q->rel->watching, &q->rel->nwatching, r->watchers[i].ref);
        pthread_mutex_unlock(&R->lock);
        rm__proc_put(q);
        if (watching)
            post_down(node, r->watchers[i].pid, r->watchers[i].ref, label, p->pid, reason);
    }
    for (size_t i = 0; i < r->nwatching; i++) {
        struct rm_proc *q = rm__proc_get(node, r->watching[i].pid, NULL);
        if (!q)
            continue;
        pthread_mutex_lock(&R->lock);
        if (q->rel && !gone(q))
            drop_mon(q->rel->watchers, &q->rel->nwatchers, r->watching[i].ref);
        pthread_mutex_unlock(&R->lock);
        rm__proc_put(q);
    }
    free(r->links);
    free(r->watching);
    free(r->watchers);
    free(r);
}
