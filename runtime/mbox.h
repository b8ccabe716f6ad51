/*
 * mbox.h - the mailbox layer (this header alone): messages and the queue
 * of one process's messages, under its own spinlock. The process layer keeps its run state
 * under the same lock, so that a message's arrival and the decision to
 * schedule the process are one step.
 */
#ifndef RELMAN_MBOX_H
#define RELMAN_MBOX_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

/* What a message is. EVENT carries what the relations layer (rel.h) tells
   a process: readiness, a descriptor handed over, DOWN or an exit signal;
   CONFIG a config_change (config.c encodes it, host.c hands it over). */
enum rm__mbox_kind {
    RM__MBOX_CALL = 0,
    RM__MBOX_CAST = 1,
    RM__MBOX_INFO = 2,
    RM__MBOX_EVENT = 3,
    RM__MBOX_CONFIG = 4
};

/* One message in a mailbox: payload inline, NUL-terminated. */
struct rm_msg {
    struct rm_msg *next;
    rm_from from;  /* the call's token (calls only) */
    rm_pid sender; /* calling process; 0 for a client outside the node */
    size_t len;
    uint8_t kind;
    /* Aligned: EVENT and CONFIG payloads are structs (rel.h, config.c). */
    _Alignas(max_align_t) char data[];
};

/* A mailbox: 24 bytes, meant to sit in the first cache line of what
   owns it. */
struct rm__mbox {
    _Atomic uint32_t lock; /* spinlock: the queue and its owner's run state */
    uint32_t qlen;
    struct rm_msg *head, *tail;
};

/* Allocates a message of len bytes (NUL-terminated after them) for the
   caller to fill; NULL when out of memory. */
static inline struct rm_msg *rm__mbox_msg_alloc(int kind, size_t len)
{
    struct rm_msg *m = malloc(sizeof *m + len + 1);
    if (!m)
        return NULL;
    m->next = NULL;
    m->from = 0;
    m->sender = 0;
    m->len = len;
    m->kind = (uint8_t)kind;
    m->data[len] = '\0';
    return m;
}

/* Allocates a message holding a copy of data; NULL when out of memory. */
static inline struct rm_msg *rm__mbox_msg_new(int kind, const void *data, size_t len)
{
    struct rm_msg *m = rm__mbox_msg_alloc(kind, len);
    if (m && len)
        memcpy(m->data, data, len);
    return m;
}

static inline void rm__mbox_lock(struct rm__mbox *b)
{
    rm__rt_spin_lock(&b->lock);
}

static inline void rm__mbox_unlock(struct rm__mbox *b)
{
    rm__rt_spin_unlock(&b->lock);
}

/* Appends m (lock held). */
static inline void rm__mbox_put(struct rm__mbox *b, struct rm_msg *m)
{
    m->next = NULL;
    if (b->tail)
        b->tail->next = m;
    else
        b->head = m;
    b->tail = m;
    b->qlen++;
}

/* Takes the first message (lock held, queue not empty). */
static inline struct rm_msg *rm__mbox_get(struct rm__mbox *b)
{
    struct rm_msg *m = b->head;
    b->head = m->next;
    if (!b->head)
        b->tail = NULL;
    b->qlen--;
    return m;
}

/* Empties the queue and returns its messages as a list (lock held). */
static inline struct rm_msg *rm__mbox_take_all(struct rm__mbox *b)
{
    struct rm_msg *m = b->head;
    b->head = b->tail = NULL;
    b->qlen = 0;
    return m;
}

#endif
