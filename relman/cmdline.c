/* What every command shares on its command line: failing with the right
   status, usage errors, the node root, the common options (cmd.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "cmd.h"

int cmd_fail(const struct rm_error *err)
{
    fprintf(stderr, "relman: %s\n", err->msg[0] ? err->msg : rm_strerror(err->code));
    return err->code == RM_ENOTRUNNING ? CMD_NOT_RUNNING : CMD_FAILED;
}

int cmd_usage(const struct cmd_entry *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("relman: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (self)
        fprintf(stderr, "usage: relman %s %s\n", self->name, self->args);
    else
        fputs("usage: relman COMMAND [ARGS] (see 'relman help')\n", stderr);
    return CMD_USAGE;
}

const char *cmd_root(const char *opt)
{
    if (opt && *opt)
        return opt;
    const char *env = getenv("RELMAN_ROOT");
    return env && *env ? env : NULL;
}

int cmd_common_opts(const struct cmd_entry *self, int argc, char **argv, const char **root,
                    int *json, int keep_unknown)
{
    int out = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (i < argc)
                argv[out++] = argv[i++];
            break;
        }
        if (root && (strcmp(a, "--root") == 0 || strcmp(a, "-r") == 0)) {
            if (i + 1 >= argc) {
                cmd_usage(self, "option '%s' needs a directory", a);
                return -1;
            }
            *root = argv[++i];
        } else if (root && strncmp(a, "--root=", 7) == 0) {
            *root = a + 7;
        } else if (json && strcmp(a, "--json") == 0) {
            *json = 1;
        } else if (a[0] == '-' && a[1] != '\0' && !keep_unknown) {
            cmd_usage(self, "unknown option '%s'", a);
            return -1;
        } else {
            argv[out++] = argv[i];
        }
    }
    argv[out] = NULL;
    return out;
}

int cmd_offline_root(const struct cmd_entry *self, int argc, char **argv, const char **root,
                     int *json)
{
    *root = NULL;
    argc = cmd_common_opts(self, argc, argv, root, json, 0);
    if (argc < 0)
        return CMD_USAGE;
    if (argc != 1)
        return cmd_usage(self, "unexpected argument '%s'", argv[1]);
    *root = cmd_root(*root);
    if (!*root)
        return cmd_usage(self, "no node root: give --root DIR or set RELMAN_ROOT");
    struct stat st;
    if (stat(*root, &st) < 0 || !S_ISDIR(st.st_mode)) {
        struct rm_error err;
        rm_error_set(&err, RM_ENOENT, "node root '%s' is not a directory", *root);
        return cmd_fail(&err);
    }
    return 0;
}

void cmd_audit(const char *root, const char *op, const char *to, const struct rm_error *failed)
{
    struct stat st;
    if (!root || stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
        return;
    struct audit_rec rec;
    struct rm_error err;
    audit_begin(&rec, op, getpid(), getuid());
    snprintf(rec.to, sizeof rec.to, "%s", to ? to : "");
    audit_outcome(&rec, failed);
    if (audit_append(root, &rec, &err) < 0)
        fprintf(stderr, "relman: warning: %s\n", err.msg);
}
