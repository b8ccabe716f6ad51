/* relman load MODULE PATH: load a new version of a module (OTP's
   code:load_file); the current version becomes old. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

static int exec_load(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root;
    if (client_args(self, argc, argv, NULL, 2, 2, &root) < 0 ||
        client_name_arg(self, argv[1], "module name") < 0 ||
        client_name_arg(self, argv[2], "path") < 0)
        return CMD_USAGE;
    /* The node runs elsewhere: a relative path means the caller's directory. */
    char path[4096];
    if (argv[2][0] == '/') {
        snprintf(path, sizeof path, "%s", argv[2]);
    } else {
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd)) {
            struct rm_error err;
            rm_error_set(&err, RM_EIO, "load '%s': current directory: %s", argv[1],
                         strerror(errno));
            return cmd_fail(&err);
        }
        int n = snprintf(path, sizeof path, "%s/%s", cwd, argv[2]);
        if (n < 0 || (size_t)n >= sizeof path)
            return cmd_usage(self, "path '%s' is too long", argv[2]);
    }
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_str(&w, argv[1]);
    rm_proto_put_str(&w, path);
    struct client_reply r;
    struct rm_error err;
    int rc = client_request(root, self->msg, &w, CLIENT_REPLY_TIMEOUT_MS, &r, &err);
    rm_proto_writer_release(&w);
    if (rc < 0)
        return cmd_fail(&err);
    char name[256], vsn[256];
    if (rm_proto_get_str(&r.fields, name, sizeof name, 1, "module", &err) < 0 ||
        rm_proto_get_str(&r.fields, vsn, sizeof vsn, 0, "version", &err) < 0) {
        client_reply_release(&r);
        return client_bad_reply(&err);
    }
    client_reply_release(&r);
    printf("loaded '%s' version '%s' from '%s'\n", name, vsn, path);
    return CMD_OK;
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_load_entry = {
    .name = "load",
    .args = "MODULE PATH",
    .summary = "load a new version of a module (fails if an old version remains)",
    .exec = exec_load,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_LOAD,
};
