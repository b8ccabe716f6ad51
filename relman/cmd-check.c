/* relman check VSN [--relup FILE] [--json]: everything install does short
   of touching a process: the plan (from the relup FILE when given), the
   files, the object code loaded and validated but not switched to, the
   old-code precondition; and whether the plan can be undone in place at
   every step. */
#include "client.h"

static int exec_check(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root, *relup = NULL;
    int json = 0;
    const struct client_opt opts[] = {
        {.name = "--json", .flag = &json}, {.name = "--relup", .value = &relup}, {0}};
    if (client_args(self, argc, argv, opts, 1, 1, &root) < 0)
        return CMD_USAGE;
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_str(&w, argv[1]);
    int rc = client_release_report(root, self->msg, &w, relup, "checked", json);
    rm_proto_writer_release(&w);
    return rc;
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {.name = "--relup", .value = "FILE", .help = "plan with this relup instead of the releases' own"},
    CMD_OPT_JSON("print the report as one JSON object"),
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_check_entry = {
    .name = "check",
    .args = "VSN [--relup FILE] [--json]",
    .summary = "dry run of install VSN: files, object code, plan; says if it is undoable",
    .exec = exec_check,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_RH_CHECK,
};
