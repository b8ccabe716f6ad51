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

#include "relman/error.h"
#include "relman/protocol.h"

/* Exit statuses of relman (DESIGN.md). */
enum cmd_status {
    CMD_OK = 0,         /* done */
    CMD_FAILED = 1,     /* the operation failed; the message is on stderr */
    CMD_USAGE = 2,      /* usage error */
    CMD_NOT_RUNNING = 3 /* the node is not running */
};

/* One command. */
struct cmd_entry {
    const char *name;    /* as typed: "status", "node start" */
    const char *args;    /* synopsis of its arguments: "PROC MESSAGE" */
    const char *summary; /* one line for `relman help` */
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

/* Prints "relman: <message>" from `err` on stderr and returns the exit
   status that fits its code (CMD_NOT_RUNNING for RM_ENOTRUNNING, else
   CMD_FAILED). */
int cmd_fail(const struct rm_error *err);

/* Prints "relman: <why>" and the command's usage line on stderr and returns
   CMD_USAGE. */
int cmd_usage(const struct cmd_entry *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

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

#endif
