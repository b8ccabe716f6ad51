/* A module that breaks the rules: it starts a thread of its own. The node
   must refuse to load it, naming the import. */
#include <pthread.h>

#include "relman/module.h"

static void *spin(void *arg)
{
    return arg;
}

static int th_init(struct rm_ctx *ctx, const char *arg, void **state)
{
    pthread_t t;
    return pthread_create(&t, NULL, spin, NULL) == 0 ? RM_CONTINUE : RM_FAIL;
}

static int th_call(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    return RM_CONTINUE;
}

RM_MODULE(.name = "threads", .version = "1", .init = th_init, .handle_call = th_call);
