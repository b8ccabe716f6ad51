/* Small helpers of the releases library: path joins. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "releases-internal.h"

char *rm__path_join(const char *a, const char *b, struct rm_error *err)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p) {
        rm_error_nomem(err);
        return NULL;
    }
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}
