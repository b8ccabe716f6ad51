/* strset.h - a hash map from strings to indexes, for module lookups. */
#ifndef RELMAN_MANIFESTS_STRSET_H
#define RELMAN_MANIFESTS_STRSET_H

#include <stddef.h>

struct rm__strset {
    const char **keys; /* not copied: they must outlive the set */
    size_t *vals;
    size_t cap, n;
};

/* Returns the value stored for `key`, or (size_t)-1 when absent. */
size_t rm__strset_get(const struct rm__strset *s, const char *key);

/* Stores `val` for `key` (replacing an old value). 0, or -1 out of memory. */
int rm__strset_put(struct rm__strset *s, const char *key, size_t val);

/* Frees the set's tables and empties it. */
void rm__strset_free(struct rm__strset *s);

#endif
