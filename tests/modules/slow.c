/* Module "slow": call "sleep N" sleeps N ms; when the init argument names a
   file, the callback creates it first, so a test knows the process is
   inside its callback. Every call answers "ok". code_change sleeps `extra`
   milliseconds and keeps the state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relman/module.h"

static int s_init(struct rm_ctx *ctx, const char *arg, void **state)
{
    *state = strdup(arg);
    return *state ? RM_CONTINUE : RM_FAIL;
}

static int s_call(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    const char *marker = *state;
    if (strncmp(msg, "sleep ", 6) == 0) {
        if (*marker) {
            FILE *f = fopen(marker, "w");
            if (f)
                fclose(f);
        }
        usleep((useconds_t)strtol((const char *)msg + 6, NULL, 10) * 1000);
    }
    rm_reply(ctx, "ok", 2);
    return RM_CONTINUE;
}

static int s_code_change(struct rm_ctx *ctx, enum rm_direction dir, const char *vsn,
                         const void *old_state, const char *extra, void **new_state)
{
    usleep((useconds_t)strtol(extra, NULL, 10) * 1000);
    *new_state = strdup(old_state);
    return *new_state ? RM_CONTINUE : RM_FAIL;
}

RM_MODULE(.name = "slow", .version = RM_MODULE_BUILD_VERSION, .init = s_init, .handle_call = s_call,
          .code_change = s_code_change);
