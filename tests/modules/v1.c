/*
 * Module v1: a module as a build against the version-1 module API leaves
 * it: ABI version 1 and a descriptor that ends before handle_event (the
 * first field ABI 2 appended). The host must load and run it unchanged and
 * never read past its end. Answers every call with "v1 <count>".
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "relman/module.h"

static int v_init(struct rm_ctx *ctx, const char *arg, void **state)
{
    long *n = calloc(1, sizeof *n);
    *state = n;
    return n ? RM_CONTINUE : RM_FAIL;
}

static int v_call(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    long *n = *state;
    char buf[32];
    int k = snprintf(buf, sizeof buf, "v1 %ld", ++*n);
    rm_reply(ctx, buf, (size_t)k);
    return RM_CONTINUE;
}

__attribute__((visibility("default"))) const struct rm_module_desc relman_module = {
    .abi_version = 1,
    .size = offsetof(struct rm_module_desc, handle_event),
    .name = "v1",
    .version = "1",
    .init = v_init,
    .handle_call = v_call,
};
