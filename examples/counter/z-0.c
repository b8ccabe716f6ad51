/*
 * Module z, version "0": the classic counter. Its state is a plain integer.
 * The call "boom" answers the count and increments it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relman/module.h"

static int z_init(struct rm_ctx *ctx, const char *arg, void **state)
{
    long *n = malloc(sizeof *n);
    if (!n) {
        rm_fail(ctx, "out of memory");
        return RM_FAIL;
    }
    *n = arg && *arg ? strtol(arg, NULL, 10) : 0;
    *state = n;
    return RM_CONTINUE;
}

static int z_call(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    long *n = *state;
    if (len == 4 && memcmp(msg, "boom", 4) == 0) {
        char buf[32];
        int k = snprintf(buf, sizeof buf, "%ld", (*n)++);
        rm_reply(ctx, buf, (size_t)k);
        return RM_CONTINUE;
    }
    rm_reply(ctx, "unknown request", 15);
    return RM_CONTINUE;
}

static int z_format(const void *state, char *buf, size_t size)
{
    return snprintf(buf, size, "%ld", *(const long *)state);
}

RM_MODULE(.name = "z", .version = "0", .init = z_init, .handle_call = z_call,
          .format_state = z_format);
