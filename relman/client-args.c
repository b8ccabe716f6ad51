/* What the process commands share: argument parsing, running a request,
   and the one body of suspend and resume. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

int client_args(const struct cmd_entry *self, int argc, char **argv, const struct client_opt *opts,
                int min, int max, const char **root)
{
    const char *root_opt = NULL;
    argc = cmd_common_opts(self, argc, argv, &root_opt, NULL, 1);
    if (argc < 0)
        return -1;
    int out = 1, only_args = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_args || a[0] != '-' || a[1] == '\0') {
            argv[out++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_args = 1;
            continue;
        }
        const struct client_opt *o = opts;
        while (o && o->name && strcmp(o->name, a) != 0)
            o++;
        if (!o || !o->name) {
            cmd_usage(self, "unknown option '%s'", a);
            return -1;
        }
        if (o->value) {
            if (i + 1 >= argc) {
                cmd_usage(self, "option '%s' needs a value", a);
                return -1;
            }
            *o->value = argv[++i];
        } else {
            *o->flag = 1;
        }
    }
    argv[out] = NULL;
    int n = out - 1;
    if (n < min || (max >= 0 && n > max)) {
        if (n < min)
            cmd_usage(self, "'%s' needs %s", self->name, self->args);
        else
            cmd_usage(self, "too many arguments for '%s' (it takes %s)", self->name, self->args);
        return -1;
    }
    *root = cmd_root(root_opt);
    if (!*root) {
        cmd_usage(self, "no node named: give --root DIR or set RELMAN_ROOT");
        return -1;
    }
    return n;
}

int client_timeout_arg(const struct cmd_entry *self, const char *s, int *ms)
{
    if (!s) {
        *ms = CLIENT_DEFAULT_TIMEOUT_MS;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end || errno || v > RM_PROTO_MAX_TIMEOUT_MS) {
        cmd_usage(self, "timeout '%s' is not a number of milliseconds from 0 to %u", s,
                  RM_PROTO_MAX_TIMEOUT_MS);
        return -1;
    }
    *ms = (int)v;
    return 0;
}

int client_name_arg(const struct cmd_entry *self, const char *arg, const char *what)
{
    if (arg[0] == '\0') {
        cmd_usage(self, "%s is empty", what);
        return -1;
    }
    return 0;
}

int client_run(const char *root, unsigned type, const struct rm_proto_writer *req, int timeout_ms)
{
    struct client_reply r;
    struct rm_error err;
    if (client_request(root, type, req, timeout_ms, &r, &err) < 0)
        return cmd_fail(&err);
    client_reply_release(&r);
    return CMD_OK;
}

int client_suspend_resume(const struct cmd_entry *self, int argc, char **argv, unsigned type)
{
    const char *root, *timeout_arg = NULL;
    const struct client_opt opts[] = {{.name = "--timeout", .value = &timeout_arg}, {0}};
    int suspend = type == RM_MSG_SUSPEND;
    int n = client_args(self, argc, argv, suspend ? opts : NULL, 1, -1, &root);
    int timeout = 0;
    if (n < 0 || (suspend && client_timeout_arg(self, timeout_arg, &timeout) < 0))
        return CMD_USAGE;
    for (int i = 1; i <= n; i++) {
        if (client_name_arg(self, argv[i], "process name") < 0)
            return CMD_USAGE;
        for (int j = 1; j < i; j++)
            if (strcmp(argv[j], argv[i]) == 0)
                return cmd_usage(self, "process '%s' is named twice", argv[i]);
    }
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    if (suspend)
        rm_proto_put_u32(&w, (uint32_t)timeout);
    for (int i = 1; i <= n; i++)
        rm_proto_put_str(&w, argv[i]);
    int rc = client_run(root, type, &w, timeout + CLIENT_REPLY_TIMEOUT_MS);
    rm_proto_writer_release(&w);
    return rc;
}

int client_bad_reply(struct rm_error *err)
{
    rm_error_prefix(err, "bad reply from the node");
    return cmd_fail(err);
}
