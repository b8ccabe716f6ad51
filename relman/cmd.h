/*
 * cmd.h - the command table of the relman program.
 *
 * Each command lives in its own file relman/cmd-<name>.c, defines one
 * `const struct cmd_entry cmd_<name>_entry` and has one line in the table in
 * commands.c. Commands talk to a node through the control protocol only
 * (client.h): no header of the runtime, the control server or the release
 * handler is on their include path. `relman help` prints from the table, so help cannot drift from
 * the code.
 */
#ifndef RELMAN_CMD_H
#define RELMAN_CMD_H

#include <stdio.h>

#include "relman/error.h"
#include "relman/protocol.h"

/* Exit statuses of relman (DESIGN.md). */
enum cmd_status {
    CMD_OK = 0,         /* done */
    CMD_FAILED = 1,     /* the operation failed; the message is on stderr */
    CMD_USAGE = 2,      /* usage error */
    CMD_NOT_RUNNING = 3 /* the node is not running */
};

/* The statuses a command may exit with, as a bit set (1u << CMD_OK, ...):
   what its help and the man page list under "Exit status". */
#define CMD_EXITS_OFFLINE ((1u << CMD_OK) | (1u << CMD_FAILED) | (1u << CMD_USAGE))
#define CMD_EXITS_NODE    (CMD_EXITS_OFFLINE | (1u << CMD_NOT_RUNNING))

/* What each exit status means, indexed by enum cmd_status (help.c). */
extern const char *const cmd_status_text[CMD_NOT_RUNNING + 1];

/* One option of a command, as its help, the man page and the shell
   completion show it. A command's options are an array ended by a zeroed
   row; tests check that each is accepted and appears in the synopsis. */
struct cmd_option {
    const char *name;  /* with its dashes: "--timeout" */
    const char *alias; /* a short spelling ("-r"), or NULL */
    const char *value; /* the placeholder of its value ("MS"), NULL for a flag */
    const char *help;  /* one line, lower case, no full stop */
};

/* The rows most commands share. */
#define CMD_OPT_ROOT                                                                               \
    {                                                                                              \
        .name = "--root", .alias = "-r", .value = "DIR",                                           \
        .help = "the node's root directory (default: $RELMAN_ROOT)"                                \
    }
#define CMD_OPT_JSON(what)                                                                         \
    {                                                                                              \
        .name = "--json", .help = (what)                                                           \
    }
#define CMD_OPT_TIMEOUT(what)                                                                      \
    {                                                                                              \
        .name = "--timeout", .value = "MS", .help = (what)                                         \
    }

/* One command. */
struct cmd_entry {
    const char *name;    /* as typed: "status", "node start" */
    const char *args;    /* synopsis of its arguments: "PROC MESSAGE" */
    const char *summary; /* one line for `relman help` */
    /* Its options, ended by a zeroed row (NULL: none). The synopsis `args`
       names each one except --root. */
    const struct cmd_option *options;
    unsigned exits; /* the statuses it may exit with: CMD_EXITS_NODE or _OFFLINE */
    /* Runs the command with argv[0] = its name and the rest its arguments;
       returns an enum cmd_status. */
    int (*exec)(const struct cmd_entry *self, int argc, char **argv);
    /* The request it sends to the node (relman/protocol.h), RM_MSG_NONE for
       an offline command. The node serves each type with the function its
       table gives (relman/node-requests.c), so a command's two sides are
       found from here. */
    enum rm_msg_type msg;
};

/* The table, NULL-terminated, in the order `relman help` lists it. */
extern const struct cmd_entry *const cmd_table[];

/* The command named by argv[1] (and argv[2] for a two-word command such as
   "node start"), with the number of words its name took in *words; NULL
   when none has that name. */
const struct cmd_entry *cmd_find(int argc, char **argv, int *words);

/* Prints the list of commands, one synopsis and summary a line, and the
   exit statuses (`relman help`). */
void cmd_help_list(FILE *f);

/* Prints one command's help: its synopsis, summary, options and exit
   statuses (`relman COMMAND --help`, `relman help COMMAND`). */
void cmd_help_print(const struct cmd_entry *e, FILE *f);

/* The program's version ("0.1.0"). */
extern const char cmd_version[];

/* Prints "relman: <message>" from `err` on stderr and returns the exit
   status that fits its code (CMD_NOT_RUNNING for RM_ENOTRUNNING, else
   CMD_FAILED). */
int cmd_fail(const struct rm_error *err);

/* Prints "relman: <why>" and the command's usage line on stderr and returns
   CMD_USAGE. */
int cmd_usage(const struct cmd_entry *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Appends the audit line of a release operation this command ran itself
 * (unpack, remove without a node) to ROOT's audit log (audit.h): operation
 * `op` on release `to` ("" unknown), failed with `failed` or done (NULL).
 * Skipped when `root` is not a directory; a log that cannot be written is
 * a warning on stderr.
 */
void cmd_audit(const char *root, const char *op, const char *to, const struct rm_error *failed);

/* The node root: `opt` when given (--root), else $RELMAN_ROOT, else NULL. */
const char *cmd_root(const char *opt);

/*
 * Parses the options every command shares and leaves the rest in place:
 * --root DIR (or -r DIR) into *root and --json into *json (either pointer
 * may be NULL when the command does not take that option). Returns the
 * number of arguments kept in argv (compacted, argv[0] kept), or -1 after
 * printing a usage error for an option the command does not know or a
 * missing value. Unknown options starting with "--" are left in place when
 * `keep_unknown` is set, for the command's own parsing.
 */
int cmd_common_opts(const struct cmd_entry *self, int argc, char **argv, const char **root,
                    int *json, int keep_unknown);

/*
 * The start of a command that reads ROOT's files and takes no argument but
 * --root and --json: parses them, then finds the root (cmd_root) and checks
 * that it is a directory. Returns 0 with *root set, or the exit status
 * after printing why (CMD_USAGE, or CMD_FAILED for a root that is no
 * directory).
 */
int cmd_offline_root(const struct cmd_entry *self, int argc, char **argv, const char **root,
                     int *json);

#endif
