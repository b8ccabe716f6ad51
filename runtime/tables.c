/*
 * tables.c - the pid and name tables: open addressing with linear probing
 * and backward-shift deletion, holding only process pointers (8 bytes a
 * slot, at most half full), so that an idle process costs little here.
 */
#include <stdlib.h>
#include <string.h>

#include "rt-internal.h"

static size_t hash_pid(rm_pid pid)
{
    uint64_t x = pid * 0x9e3779b97f4a7c15ull;
    return (size_t)(x ^ (x >> 29));
}

static size_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

/* One implementation serves both tables: they differ in the key only. */
struct otable {
    struct rm_proc **slots;
    size_t cap, n;
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

static void ot_insert(struct otable *t, struct rm_proc *p, slot_hash_fn h)
{
    size_t mask = t->cap - 1, i = h(p) & mask;
    while (t->slots[i])
        i = (i + 1) & mask;
    t->slots[i] = p;
    t->n++;
}

static int ot_reserve(struct otable *t, size_t more, slot_hash_fn h)
{
    size_t need = t->n + more;
    if (t->cap && need * 2 <= t->cap)
        return 0;
    size_t cap = t->cap ? t->cap : 16;
    while (need * 2 > cap)
        cap *= 2;
    struct rm_proc **slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    struct otable nt = {slots, cap, 0};
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i])
            ot_insert(&nt, t->slots[i], h);
    free(t->slots);
    *t = nt;
    return 0;
}

static void ot_delete_at(struct otable *t, size_t i, slot_hash_fn h)
{
    size_t mask = t->cap - 1;
    t->slots[i] = NULL;
    t->n--;
    for (size_t j = (i + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
        size_t home = h(t->slots[j]) & mask;
        /* move slot j back to the hole unless its home lies in (i, j] */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            t->slots[i] = t->slots[j];
            t->slots[j] = NULL;
            i = j;
        }
    }
}

int rm__ptable_reserve(struct rm__ptable *t, size_t more)
{
    return ot_reserve((struct otable *)t, more, slot_hash_pid);
}

void rm__ptable_put(struct rm__ptable *t, struct rm_proc *p)
{
    ot_insert((struct otable *)t, p, slot_hash_pid);
}

static size_t ptable_find(const struct rm__ptable *t, rm_pid pid)
{
    size_t mask = t->cap - 1;
    for (size_t i = hash_pid(pid) & mask; t->slots[i]; i = (i + 1) & mask)
        if (t->slots[i]->pid == pid)
            return i;
    return SIZE_MAX;
}

struct rm_proc *rm__ptable_get(const struct rm__ptable *t, rm_pid pid)
{
    size_t i = ptable_find(t, pid);
    return i == SIZE_MAX ? NULL : t->slots[i];
}

void rm__ptable_del(struct rm__ptable *t, rm_pid pid)
{
    size_t i = ptable_find(t, pid);
    if (i != SIZE_MAX)
        ot_delete_at((struct otable *)t, i, slot_hash_pid);
}

void rm__ptable_free(struct rm__ptable *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = t->n = 0;
}

int rm__ntable_reserve(struct rm__ntable *t, size_t more)
{
    return ot_reserve((struct otable *)t, more, slot_hash_name);
}

void rm__ntable_put(struct rm__ntable *t, struct rm_proc *p)
{
    ot_insert((struct otable *)t, p, slot_hash_name);
}

static size_t ntable_find(const struct rm__ntable *t, const char *name)
{
    size_t mask = t->cap - 1;
    for (size_t i = hash_name(name) & mask; t->slots[i]; i = (i + 1) & mask)
        if (strcmp(t->slots[i]->ext->name, name) == 0)
            return i;
    return SIZE_MAX;
}

struct rm_proc *rm__ntable_get(const struct rm__ntable *t, const char *name)
{
    size_t i = ntable_find(t, name);
    return i == SIZE_MAX ? NULL : t->slots[i];
}

void rm__ntable_del(struct rm__ntable *t, const char *name)
{
    size_t i = ntable_find(t, name);
    if (i != SIZE_MAX)
        ot_delete_at((struct otable *)t, i, slot_hash_name);
}

void rm__ntable_free(struct rm__ntable *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = t->n = 0;
}
