/*
 * Module z, version "1": the counter keeps {tschak, N}. Its code_change
 * turns version "0"'s integer N into {tschak, N}, and back on a downgrade.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relman/module.h"

struct tschak {
    char tag[8]; /* "tschak" */
    long n;
};

static struct tschak *tschak_new(struct rm_ctx *ctx, long n)
{
    struct tschak *t = malloc(sizeof *t);
    if (!t) {
        rm_fail(ctx, "out of memory");
        return NULL;
    }
    memcpy(t->tag, "tschak", 7);
    t->n = n;
    return t;
}

static int z_init(struct rm_ctx *ctx, const char *arg, void **state)
{
    struct tschak *t = tschak_new(ctx, arg && *arg ? strtol(arg, NULL, 10) : 0);
    if (!t)
        return RM_FAIL;
    *state = t;
    return RM_CONTINUE;
}

static int z_call(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    struct tschak *t = *state;
    if (len == 4 && memcmp(msg, "boom", 4) == 0) {
        char buf[32];
        int k = snprintf(buf, sizeof buf, "%ld", t->n++);
        rm_reply(ctx, buf, (size_t)k);
        return RM_CONTINUE;
    }
    rm_reply(ctx, "unknown request", 15);
    return RM_CONTINUE;
}

static int z_code_change(struct rm_ctx *ctx, enum rm_direction dir, const char *vsn,
                         const void *old_state, const char *extra, void **new_state)
{
    if (strcmp(vsn, "0") != 0) {
        rm_fail(ctx, "no conversion for that version");
        return RM_FAIL;
    }
    if (dir == RM_UP) { /* N -> {tschak, N} */
        struct tschak *t = tschak_new(ctx, *(const long *)old_state);
        if (!t)
            return RM_FAIL;
        *new_state = t;
        return RM_CONTINUE;
    }
    long *n = malloc(sizeof *n); /* {tschak, N} -> N */
    if (!n) {
        rm_fail(ctx, "out of memory");
        return RM_FAIL;
    }
    *n = ((const struct tschak *)old_state)->n;
    *new_state = n;
    return RM_CONTINUE;
}

static int z_format(const void *state, char *buf, size_t size)
{
    return snprintf(buf, size, "{tschak,%ld}", ((const struct tschak *)state)->n);
}

RM_MODULE(.name = "z", .version = "1", .init = z_init, .handle_call = z_call,
          .code_change = z_code_change, .format_state = z_format);
