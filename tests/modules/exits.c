/* A module that breaks the rules: it registers an exit handler, which
   would run code unloaded long before exit. The node must refuse it. */
#include <stdlib.h>

#include "relman/module.h"

static void bye(void)
{
}

static int ex_init(struct rm_ctx *ctx, const char *arg, void **state)
{
    return atexit(bye) == 0 ? RM_CONTINUE : RM_FAIL;
}

static int ex_call(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    return RM_CONTINUE;
}

RM_MODULE(.name = "exits", .version = "1", .init = ex_init, .handle_call = ex_call);
