/* relman purge MODULE [--brutal]: drop a module's old version (OTP's
   code:soft_purge, or code:purge with --brutal). */
#include <stdio.h>

#include "client.h"

static int exec_purge(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root;
    int brutal = 0;
    const struct client_opt opts[] = {{.name = "--brutal", .flag = &brutal}, {0}};
    if (client_args(self, argc, argv, opts, 1, 1, &root) < 0 ||
        client_name_arg(self, argv[1], "module name") < 0)
        return CMD_USAGE;
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_str(&w, argv[1]);
    rm_proto_put_u32(&w, brutal ? RM_PURGE_BRUTAL : RM_PURGE_SOFT);
    struct client_reply r;
    struct rm_error err;
    int rc = client_request(root, self->msg, &w, CLIENT_REPLY_TIMEOUT_MS, &r, &err);
    rm_proto_writer_release(&w);
    if (rc < 0)
        return cmd_fail(&err);
    uint64_t killed;
    if (rm_proto_get_u64(&r.fields, &killed, "killed", &err) < 0) {
        client_reply_release(&r);
        return client_bad_reply(&err);
    }
    client_reply_release(&r);
    if (killed)
        printf("purge '%s': %llu process%s killed\n", argv[1], (unsigned long long)killed,
               killed == 1 ? "" : "es");
    return CMD_OK;
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {.name = "--brutal", .help = "kill the processes still running the old version"},
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_purge_entry = {
    .name = "purge",
    .args = "MODULE [--brutal]",
    .summary = "drop a module's old version (soft; --brutal kills its users)",
    .exec = exec_purge,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_PURGE,
};
