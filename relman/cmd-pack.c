/* relman pack: build a release archive from a release spec and built modules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "relman/archive.h"

static int exec_pack(const struct cmd_entry *self, int argc, char **argv)
{
    const char *out = NULL, *spec = NULL;
    const char **path = calloc((size_t)argc + 1, sizeof *path);
    if (!path)
        return cmd_usage(self, "out of memory");
    size_t npath = 0;
    int status = CMD_OK;
    for (int i = 1; i < argc && status == CMD_OK; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 || strcmp(a, "--path") == 0) {
            if (i + 1 >= argc) {
                status = cmd_usage(self, "option '%s' needs a value", a);
                break;
            }
            if (strcmp(a, "--path") == 0)
                path[npath++] = argv[++i];
            else
                out = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            status = cmd_usage(self, "unknown option '%s'", a);
        } else if (!spec) {
            spec = a;
        } else {
            status = cmd_usage(self, "unexpected argument '%s'", a);
        }
    }
    if (status == CMD_OK && (!spec || !out))
        status = cmd_usage(self, "a release spec and '-o FILE' are needed");
    if (status != CMD_OK) {
        free(path);
        return status;
    }
    struct rm_pack_opts opts = {.path = path, .npath = npath};
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    if (epoch && *epoch) {
        char *end;
        long long t = strtoll(epoch, &end, 10);
        if (*end || t < 0) {
            free(path);
            return cmd_usage(self, "SOURCE_DATE_EPOCH '%s' is not a number of seconds", epoch);
        }
        opts.mtime = t;
    }
    struct rm_error err;
    int rc = rm_release_pack(spec, out, &opts, &err);
    free(path);
    if (rc < 0)
        return cmd_fail(&err);
    printf("packed '%s'\n", out);
    return CMD_OK;
}

/* clang-format off */
static const struct cmd_option options[] = {
    {.name = "--output", .alias = "-o", .value = "FILE", .help = "the archive to write"},
    {.name = "--path", .value = "DIR", .help = "search DIR for application files, in the order given (repeatable)"},
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_pack_entry = {
    .name = "pack",
    .args = "RELEASE.yaml -o FILE [--path DIR]...",
    .summary = "build a release archive from a spec and built modules",
    .exec = exec_pack,
    .options = options,
    .exits = CMD_EXITS_OFFLINE,
    .msg = RM_MSG_NONE,
};
