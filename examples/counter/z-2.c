/*
 * Module z, version "2" (application counter "3", release "3"): the counter's
 * third version, whose migration has a limit, to show a failed upgrade
 * rolled back in place. Its state is {tschak, N}, as version "1"'s. Its code_change takes
 * version "0"'s integer or version "1"'s {tschak, N}, but refuses a count
 * larger than the limit its extra gives ("max M"), the way a real
 * migration meets data it cannot convert: the failed-install scenario.
 * Extra "sleep N" (before "max") makes each code_change take N ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    long n;
    if (strcmp(vsn, "0") == 0 && dir == RM_UP)
        n = *(const long *)old_state;
    else if (strcmp(vsn, "1") == 0 || dir == RM_DOWN)
        n = ((const struct tschak *)old_state)->n;
    else {
        rm_fail(ctx, "no conversion for that version");
        return RM_FAIL;
    }
    if (strncmp(extra, "sleep ", 6) == 0) {
        char *end;
        usleep((useconds_t)strtol(extra + 6, &end, 10) * 1000);
        extra = *end == ' ' ? end + 1 : end;
    }
    if (strncmp(extra, "max ", 4) == 0 && n > strtol(extra + 4, NULL, 10)) {
        char why[96];
        snprintf(why, sizeof why, "count %ld is over the limit %s", n, extra + 4);
        rm_fail(ctx, why);
        return RM_FAIL;
    }
    if (dir == RM_DOWN && strcmp(vsn, "0") == 0) {
        long *p = malloc(sizeof *p);
        if (!p) {
            rm_fail(ctx, "out of memory");
            return RM_FAIL;
        }
        *p = n;
        *new_state = p;
        return RM_CONTINUE;
    }
    struct tschak *t = tschak_new(ctx, n);
    if (!t)
        return RM_FAIL;
    *new_state = t;
    return RM_CONTINUE;
}

static int z_format(const void *state, char *buf, size_t size)
{
    return snprintf(buf, size, "{tschak,%ld}", ((const struct tschak *)state)->n);
}

RM_MODULE(.name = "z", .version = "2", .init = z_init, .handle_call = z_call,
          .code_change = z_code_change, .format_state = z_format);
