/*
 * audit.h - the audit log of a node root: one line per release operation
 * (unpack, install, rollback, permanent, reboot-old, remove), written where
 * the operation completes, also when it fails, and read by `relman
 * history`.
 *
 * The log is ROOT/log/audit.log. Each line is one record, its fields
 * separated by tabs, each field NAME=VALUE, in this order:
 *
 *   time=2026-11-29T17:30:01.123Z  op=install  result=ok  from=1  to=2
 *   pause_ms=0.004  uid=1000  pid=4242  cmd=relman install 2  error=
 *
 * Values escape backslash, tab, newline and other control characters
 * (\\, \t, \n, \xHH); pause_ms is "-" when the operation has no pause.
 * A line is appended with one write(2) on a descriptor opened with
 * O_APPEND, then flushed to disk (fdatasync), so concurrent writers (the
 * node serving two clients, a command working offline) never interleave
 * and a power cut keeps every line written before it; a line is at most
 * AUDIT_LINE_MAX bytes (the command line and the error are cut to fit).
 *
 * Which side writes: unpack, and remove without a running node, run in the
 * command itself (cmd-unpack.c, cmd-remove.c); install, rollback,
 * permanent, reboot-old and remove through a node run in the node, which
 * writes the line when its request completes (node-audit.c), naming the
 * client by its uid and command line (its pid from the control socket).
 */
#ifndef RELMAN_AUDIT_H
#define RELMAN_AUDIT_H

#include <stdio.h>
#include <sys/types.h>

#include "relman/error.h"
#include "relman/vocab.h"

/* ROOT/log/audit.log. */
#define AUDIT_DIR  "log"
#define AUDIT_FILE "audit.log"

/* The longest line written, newline included. */
#define AUDIT_LINE_MAX 4096

/* One release operation. */
struct audit_rec {
    char time[32];              /* UTC, ISO 8601 with milliseconds */
    char op[16];                /* "install", ... */
    char result[8];             /* "ok" or "failed" */
    char from[RM_NAME_MAX + 1]; /* the release running when it began; "" unknown */
    char to[RM_NAME_MAX + 1];   /* the release it is about; "" unknown */
    long long pause_ns;         /* suspend-to-resume pause; -1: none */
    long uid;                   /* who asked */
    long pid;                   /* the process that asked */
    char cmd[1024];             /* its command line, words separated by spaces */
    char error[1536];           /* why it failed; "" when it did not */
};

/*
 * Starts a record of operation `op` asked for by process `pid` of user
 * `uid`: the time now, its command line (from /proc/PID/cmdline; "" when
 * it cannot be read), pause -1, everything else empty.
 */
void audit_begin(struct audit_rec *r, const char *op, pid_t pid, uid_t uid);

/* Sets the outcome: "ok" when `err` is NULL, else "failed" and its message. */
void audit_outcome(struct audit_rec *r, const struct rm_error *err);

/*
 * Appends `r` to ROOT/log/audit.log, creating the directory (0755) and the
 * file (0640) when missing, with one write and an fdatasync. Returns 0, or
 * -1 with `err` set ("audit log 'PATH': ..."); a root that does not exist
 * is such a failure (the log is not created without its root).
 */
int audit_append(const char *root, const struct audit_rec *r, struct rm_error *err);

/*
 * Parses one line of the log (without its newline) into *r. Fields it does
 * not know are skipped (a later version may add some). Returns 0, or -1
 * when the line is not a record (no time or op).
 */
int audit_parse(const char *line, struct audit_rec *r);

/* The path of the log of `root` into buf. Returns 0, or -1 with RM_ELIMIT. */
int audit_path(const char *root, char *buf, size_t size, struct rm_error *err);

#endif
