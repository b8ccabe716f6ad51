/* Open addressing with linear probing; FNV-1a hashes. */
#include "strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

size_t rm__strset_get(const struct rm__strset *s, const char *key)
{
    if (!s->cap)
        return (size_t)-1;
    for (size_t i = hash(key) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (!s->keys[i])
            return (size_t)-1;
        if (strcmp(s->keys[i], key) == 0)
            return s->vals[i];
    }
}

static int grow(struct rm__strset *s)
{
    size_t cap = s->cap ? s->cap * 2 : 64;
    const char **keys = calloc(cap, sizeof *keys);
    size_t *vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return -1;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->keys[i])
            continue;
        size_t j = hash(s->keys[i]) & (cap - 1);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = s->keys[i];
        vals[j] = s->vals[i];
    }
    free(s->keys);
    free(s->vals);
    s->keys = keys;
    s->vals = vals;
    s->cap = cap;
    return 0;
}

int rm__strset_put(struct rm__strset *s, const char *key, size_t val)
{
    if ((s->n + 1) * 2 > s->cap && grow(s) < 0)
        return -1;
    size_t i = hash(key) & (s->cap - 1);
    while (s->keys[i] && strcmp(s->keys[i], key) != 0)
        i = (i + 1) & (s->cap - 1);
    if (!s->keys[i]) {
        s->keys[i] = key;
        s->n++;
    }
    s->vals[i] = val;
    return 0;
}

void rm__strset_free(struct rm__strset *s)
{
    free(s->keys);
    free(s->vals);
    memset(s, 0, sizeof *s);
}
