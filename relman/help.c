/* Help printed from the command table: the list of commands (`relman
   help`) and one command's synopsis, options and exit statuses (`relman
   COMMAND --help`, `relman help COMMAND`). The man page and the shell
   completion are generated from the same table (gen-*.c). */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

const char cmd_version[] = RELMAN_VERSION;

const char *const cmd_status_text[CMD_NOT_RUNNING + 1] = {
    [CMD_OK] = "done",
    [CMD_FAILED] = "the operation failed (the message is on stderr)",
    [CMD_USAGE] = "usage error",
    [CMD_NOT_RUNNING] = "the node is not running",
};

const struct cmd_entry *cmd_find(int argc, char **argv, int *words)
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

void cmd_help_list(FILE *f)
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
    fputs("\n'relman COMMAND --help' or 'relman help COMMAND' shows a command's options,\n"
          "'relman --version' the version, 'man relman' all of it.\n\nexit status:\n",
          f);
    for (int s = CMD_OK; s <= CMD_NOT_RUNNING; s++)
        fprintf(f, "  %d  %s\n", s, cmd_status_text[s]);
}

void cmd_help_print(const struct cmd_entry *e, FILE *f)
{
    fprintf(f, "usage: relman %s%s%s\n\n%s\n", e->name, e->args[0] ? " " : "", e->args, e->summary);
    int width = 0;
    char head[128];
    for (const struct cmd_option *o = e->options; o && o->name; o++) {
        int len =
            snprintf(head, sizeof head, "%s%s%s%s%s", o->alias ? o->alias : "",
                     o->alias ? ", " : "", o->name, o->value ? " " : "", o->value ? o->value : "");
        width = len > width ? len : width;
    }
    if (e->options && e->options->name)
        fputs("\noptions:\n", f);
    for (const struct cmd_option *o = e->options; o && o->name; o++) {
        snprintf(head, sizeof head, "%s%s%s%s%s", o->alias ? o->alias : "", o->alias ? ", " : "",
                 o->name, o->value ? " " : "", o->value ? o->value : "");
        fprintf(f, "  %-*s  %s\n", width, head, o->help);
    }
    fputs("\nexit status:\n", f);
    for (int s = CMD_OK; s <= CMD_NOT_RUNNING; s++)
        if (e->exits & (1u << s))
            fprintf(f, "  %d  %s\n", s, cmd_status_text[s]);
}
