/* Module "slow": code_change sleeps `extra` milliseconds (tests of
   suspend and code change time limits); calls "sleep N" sleep N ms. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relman/module.h"

static int s_init(struct rm_ctx *ctx, const char *arg, void **state)
{
    *state = malloc(1);
    return *state ? RM_CONTINUE : RM_FAIL;
}

static int s_call(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    if (strncmp(msg, "sleep ", 6) == 0)
        usleep((useconds_t)strtol((const char *)msg + 6, NULL, 10) * 1000);
    rm_reply(ctx, "ok", 2);
    return RM_CONTINUE;
}

RM_MODULE(.name = "slow", .version = RM_MODULE_BUILD_VERSION, .init = s_init,
          .handle_call = s_call);
