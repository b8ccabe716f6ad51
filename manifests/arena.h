/*
 * arena.h - a bump allocator: everything a loaded manifest holds (strings,
 * arrays) lives in one arena and is freed at once.
 */
#ifndef RELMAN_MANIFESTS_ARENA_H
#define RELMAN_MANIFESTS_ARENA_H

#include <stddef.h>

struct rm__arena;

/* Returns a new empty arena, or NULL when out of memory. */
struct rm__arena *rm__arena_new(void);

/* Returns `n` zeroed bytes aligned for any type, or NULL when out of memory. */
void *rm__arena_alloc(struct rm__arena *a, size_t n);

/* Returns `n` zeroed elements of `size` bytes, or NULL on overflow or no memory. */
void *rm__arena_array(struct rm__arena *a, size_t n, size_t size);

/* Copies `n` bytes of `s` and a NUL into the arena; NULL when out of memory. */
char *rm__arena_strndup(struct rm__arena *a, const char *s, size_t n);

/* Copies the NUL-terminated `s` into the arena; NULL when out of memory. */
char *rm__arena_strdup(struct rm__arena *a, const char *s);

/* Frees the arena and everything allocated from it. NULL is accepted. */
void rm__arena_free(struct rm__arena *a);

#endif
