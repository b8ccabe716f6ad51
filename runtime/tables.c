/*
 * tables.c - the pid and name tables: open addressing with linear probing
 * and tombstones, holding only process pointers (8 bytes a slot, at most
 * half full), so that an idle process costs little here.
 */
#include <stdlib.h>
#include <string.h>

#include "proc.h"

/* Pids are handed out in sequence, so the identity spreads them perfectly
   over a power-of-two table and keeps table order close to allocation
   order: scans of all processes then walk memory forwards. */
static size_t hash_pid(rm_pid pid)
{
    return (size_t)pid;
}

static size_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

/* One implementation serves both tables: they differ in the key only.
   Deletion leaves a tombstone (RM__PROC_SLOT_DEAD): sequential pids hash to one
   long run of slots, where shifting entries back would cost a scan of the
   whole run per deletion. Tombstones are dropped when the table is rebuilt,
   once live and dead slots fill three quarters of it. */
struct otable {
    struct rm_proc **slots;
    size_t cap, n, ndead;
};

typedef size_t (*slot_hash_fn)(const struct rm_proc *p);

static size_t slot_hash_pid(const struct rm_proc *p)
{
    return hash_pid(p->pid);
}

static size_t slot_hash_name(const struct rm_proc *p)
{
    return hash_name(p->ext->name);
}

/* Places p (absent from the table) in the first free or dead slot. */
static void ot_insert(struct otable *t, struct rm_proc *p, slot_hash_fn h)
{
    size_t mask = t->cap - 1, i = h(p) & mask;
    while (RM__PROC_SLOT_LIVE(t->slots[i]))
        i = (i + 1) & mask;
    if (t->slots[i] == RM__PROC_SLOT_DEAD)
        t->ndead--;
    t->slots[i] = p;
    t->n++;
}

static int ot_reserve(struct otable *t, size_t more, slot_hash_fn h)
{
    size_t need = t->n + more;
    if (t->cap && need * 2 <= t->cap && (need + t->ndead) * 4 <= t->cap * 3)
        return 0;
    size_t cap = t->cap ? t->cap : 16;
    while (need * 2 > cap)
        cap *= 2;
    struct rm_proc **slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    struct otable nt = {slots, cap, 0, 0};
    for (size_t i = 0; i < t->cap; i++)
        if (RM__PROC_SLOT_LIVE(t->slots[i]))
            ot_insert(&nt, t->slots[i], h);
    free(t->slots);
    *t = nt;
    return 0;
}

static void ot_delete_at(struct otable *t, size_t i)
{
    t->slots[i] = RM__PROC_SLOT_DEAD;
    t->n--;
    t->ndead++;
}

int rm__proc_ptable_reserve(struct rm__proc_ptable *t, size_t more)
{
    return ot_reserve((struct otable *)t, more, slot_hash_pid);
}

void rm__proc_ptable_put(struct rm__proc_ptable *t, struct rm_proc *p)
{
    ot_insert((struct otable *)t, p, slot_hash_pid);
}

static size_t ptable_find(const struct rm__proc_ptable *t, rm_pid pid)
{
    size_t mask = t->cap - 1;
    for (size_t i = hash_pid(pid) & mask; t->slots[i]; i = (i + 1) & mask)
        if (RM__PROC_SLOT_LIVE(t->slots[i]) && t->slots[i]->pid == pid)
            return i;
    return SIZE_MAX;
}

struct rm_proc *rm__proc_ptable_get(const struct rm__proc_ptable *t, rm_pid pid)
{
    size_t i = ptable_find(t, pid);
    return i == SIZE_MAX ? NULL : t->slots[i];
}

void rm__proc_ptable_del(struct rm__proc_ptable *t, rm_pid pid)
{
    size_t i = ptable_find(t, pid);
    if (i != SIZE_MAX)
        ot_delete_at((struct otable *)t, i);
}

void rm__proc_ptable_free(struct rm__proc_ptable *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = t->n = t->ndead = 0;
}

int rm__proc_ntable_reserve(struct rm__proc_ntable *t, size_t more)
{
    return ot_reserve((struct otable *)t, more, slot_hash_name);
}

void rm__proc_ntable_put(struct rm__proc_ntable *t, struct rm_proc *p)
{
    ot_insert((struct otable *)t, p, slot_hash_name);
}

static size_t ntable_find(const struct rm__proc_ntable *t, const char *name)
{
    size_t mask = t->cap - 1;
    for (size_t i = hash_name(name) & mask; t->slots[i]; i = (i + 1) & mask)
        if (RM__PROC_SLOT_LIVE(t->slots[i]) && strcmp(t->slots[i]->ext->name, name) == 0)
            return i;
    return SIZE_MAX;
}

struct rm_proc *rm__proc_ntable_get(const struct rm__proc_ntable *t, const char *name)
{
    size_t i = ntable_find(t, name);
    return i == SIZE_MAX ? NULL : t->slots[i];
}

void rm__proc_ntable_del(struct rm__proc_ntable *t, const char *name)
{
    size_t i = ntable_find(t, name);
    if (i != SIZE_MAX)
        ot_delete_at((struct otable *)t, i);
}

void rm__proc_ntable_free(struct rm__proc_ntable *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = t->n = t->ndead = 0;
}
