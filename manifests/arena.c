/* A bump allocator in chunks: one free() per chunk when the arena goes. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN (64 * 1024)
#define ALIGN     (sizeof(max_align_t))

struct chunk {
    struct chunk *next;
    size_t used;
    size_t size;
    max_align_t data[];
};

struct rm__arena {
    struct chunk *head;
};

struct rm__arena *rm__arena_new(void)
{
    return calloc(1, sizeof(struct rm__arena));
}

void *rm__arena_alloc(struct rm__arena *a, size_t n)
{
    if (n > SIZE_MAX / 2)
        return NULL;
    n = (n + ALIGN - 1) / ALIGN * ALIGN;
    if (n == 0)
        n = ALIGN;
    struct chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > CHUNK_MIN ? n : CHUNK_MIN;
        c = malloc(sizeof *c + size);
        if (!c)
            return NULL;
        c->used = 0;
        c->size = size;
        /* A big allocation goes behind the current chunk so that the
           current chunk's free space stays usable. */
        if (a->head && size == n) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

void *rm__arena_array(struct rm__arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / 2 / size)
        return NULL;
    return rm__arena_alloc(a, n * size);
}

char *rm__arena_strndup(struct rm__arena *a, const char *s, size_t n)
{
    char *p = rm__arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *rm__arena_strdup(struct rm__arena *a, const char *s)
{
    return rm__arena_strndup(a, s, strlen(s));
}

void rm__arena_free(struct rm__arena *a)
{
    if (!a)
        return;
    for (struct chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}
