/* A module descriptor with an ABI version this host does not have. */
#include "relman/module.h"

static int b_init(struct rm_ctx *ctx, const char *arg, void **state)
{
    return RM_CONTINUE;
}

static int b_call(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    return RM_CONTINUE;
}

__attribute__((visibility("default"))) const struct rm_module_desc relman_module = {
    .abi_version = 99,
    .size = sizeof(struct rm_module_desc),
    .name = "b",
    .version = "1",
    .init = b_init,
    .handle_call = b_call,
};
