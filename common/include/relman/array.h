/*
 * relman/array.h - growing arrays: one helper for the "double the capacity
 * when full" step every library needs.
 */
#ifndef RELMAN_ARRAY_H
#define RELMAN_ARRAY_H

#include <stddef.h>

#include "relman/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Makes room for one more element in an array of `n` used elements of
 * `elem` bytes each: when n equals *cap, the array (`*(void **)arrayp`) is
 * reallocated to twice its capacity (at least `first` elements) and *cap
 * updated. Returns 0, or -1 with RM_ENOMEM in `err` and the array and *cap
 * untouched.
 *
 *     if (rm_array_grow(&l->items, &l->cap, l->n, sizeof *l->items, 8, err) < 0)
 *         return -1;
 *     l->items[l->n++] = item;
 */
int rm_array_grow(void *arrayp, size_t *cap, size_t n, size_t elem, size_t first,
                  struct rm_error *err);

#ifdef __cplusplus
}
#endif
#endif
