/* Growing arrays. */
#include "relman/array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int rm_array_grow(void *arrayp, size_t *cap, size_t n, size_t elem, size_t first,
                  struct rm_error *err)
{
    if (n < *cap)
        return 0;
    size_t want = *cap ? *cap * 2 : (first ? first : 1);
    if (want < *cap || (elem && want > SIZE_MAX / elem))
        return rm_error_nomem(err);
    /* The caller's pointer has its own type: read and write it as bytes. */
    void *old;
    memcpy(&old, arrayp, sizeof old);
    void *v = realloc(old, want * elem);
    if (!v)
        return rm_error_nomem(err);
    memcpy(arrayp, &v, sizeof v);
    *cap = want;
    return 0;
}
