/* relman: the command-line program. Finds the command in the table and runs
   it, or prints help from the table. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

/* Whether a command's arguments ask for its help: --help or -h before any
   "--" (after which every word is an argument). */
static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

/* A usage error for a word that names no command: a command group ("node")
   lists its subcommands. */
static int unknown_command(int argc, char **argv)
{
    char subs[256] = "";
    size_t len = strlen(argv[1]);
    for (const struct cmd_entry *const *e = cmd_table; *e; e++)
        if (strncmp((*e)->name, argv[1], len) == 0 && (*e)->name[len] == ' ' &&
            strlen(subs) + strlen((*e)->name) + 3 < sizeof subs) {
            strcat(subs, subs[0] ? ", " : "");
            strcat(subs, (*e)->name + len + 1);
        }
    if (subs[0] && argc > 2)
        return cmd_usage(NULL, "unknown command '%s %s' ('%s' takes %s)", argv[1], argv[2], argv[1],
                         subs);
    if (subs[0])
        return cmd_usage(NULL, "'%s' needs a subcommand: %s", argv[1], subs);
    return cmd_usage(NULL, "unknown command '%s'", argv[1]);
}

/* `relman help [COMMAND]`. */
static int help(int argc, char **argv)
{
    if (argc < 3) {
        cmd_help_list(stdout);
        return CMD_OK;
    }
    int words = 0;
    const struct cmd_entry *e = cmd_find(argc - 1, argv + 1, &words);
    if (!e)
        return unknown_command(argc - 1, argv + 1);
    if (argc - 1 > words + 1)
        return cmd_usage(NULL, "'help' takes one command (got '%s' after '%s')", argv[words + 2],
                         e->name);
    cmd_help_print(e, stdout);
    return CMD_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cmd_help_list(stderr);
        return CMD_USAGE;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0)
        return help(argc, argv);
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        if (argc > 2)
            return cmd_usage(NULL, "'%s' takes no arguments", argv[1]);
        printf("relman %s\n", cmd_version);
        return CMD_OK;
    }
    int words = 0;
    const struct cmd_entry *e = cmd_find(argc, argv, &words);
    if (!e)
        return unknown_command(argc, argv);
    if (wants_help(argc - words, argv + words)) {
        cmd_help_print(e, stdout);
        return CMD_OK;
    }
    /* The command's last word becomes its argv[0], as cmd.h says. */
    return e->exec(e, argc - words, argv + words);
}
