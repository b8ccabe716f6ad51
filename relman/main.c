/* relman: the command-line program. Finds the command in the table and runs it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void print_help(FILE *f)
{
    fputs("usage: relman COMMAND [ARGS]\n\n"
          "Hot code upgrades for C programs, after Erlang/OTP's release handling.\n"
          "Commands name their node with --root DIR or the RELMAN_ROOT variable.\n\n",
          f);
    /* Synopses up to HEAD_MAX characters share one column for the
       summaries; a longer one has its line, the summary indented below. */
    enum { HEAD_MAX = 40 };
    int width = 0;
    for (const struct cmd_entry *const *e = cmd_table; *e; e++) {
        int len = (int)(strlen((*e)->name) + 1 + strlen((*e)->args));
        if (len <= HEAD_MAX && len > width)
            width = len;
    }
    for (const struct cmd_entry *const *e = cmd_table; *e; e++) {
        int len = (int)(strlen((*e)->name) + 1 + strlen((*e)->args));
        if (len > HEAD_MAX)
            fprintf(f, "  %s %s\n  %*s  %s\n", (*e)->name, (*e)->args, width, "", (*e)->summary);
        else
            fprintf(f, "  %s %s%*s  %s\n", (*e)->name, (*e)->args, width - len, "", (*e)->summary);
    }
    fputs("\nExit status: 0 done, 1 the operation failed, 2 usage error, 3 node not running.\n", f);
}

/* Finds the command named by argv[1] (and argv[2] for two-word commands). */
static const struct cmd_entry *find_command(int argc, char **argv, int *words)
{
    for (const struct cmd_entry *const *e = cmd_table; *e; e++) {
        const char *name = (*e)->name;
        const char *space = strchr(name, ' ');
        if (!space && strcmp(name, argv[1]) == 0) {
            *words = 1;
            return *e;
        }
        if (space && argc > 2 && strncmp(name, argv[1], (size_t)(space - name)) == 0 &&
            argv[1][space - name] == '\0' && strcmp(space + 1, argv[2]) == 0) {
            *words = 2;
            return *e;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return CMD_USAGE;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        print_help(stdout);
        return CMD_OK;
    }
    int words = 0;
    const struct cmd_entry *e = find_command(argc, argv, &words);
    if (!e)
        return cmd_usage(NULL, "unknown command '%s'", argv[1]);
    /* The command's last word becomes its argv[0], as cmd.h says. */
    return e->exec(e, argc - words, argv + words);
}
