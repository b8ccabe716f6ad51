/* relman history [--json]: the audit log of ROOT, one release operation a
   line (audit.h): when, what, its outcome, from and to which release, the
   pause, and who asked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "client.h"

static void print_json(const struct audit_rec *r, int first)
{
    printf("%s\n  {\"time\": ", first ? "" : ",");
    client_json_str(r->time);
    printf(", \"operation\": ");
    client_json_str(r->op);
    printf(", \"result\": ");
    client_json_str(r->result);
    printf(", \"from\": ");
    client_json_str(r->from);
    printf(", \"to\": ");
    client_json_str(r->to);
    if (r->pause_ns >= 0)
        printf(", \"pause_ms\": %.3f", (double)r->pause_ns / 1e6);
    else
        printf(", \"pause_ms\": null");
    printf(", \"uid\": %ld, \"pid\": %ld, \"command\": ", r->uid, r->pid);
    client_json_str(r->cmd);
    printf(", \"error\": ");
    if (r->error[0])
        client_json_str(r->error);
    else
        printf("null");
    putchar('}');
}

static void print_row(const struct audit_rec *r)
{
    char pause[32];
    if (r->pause_ns >= 0)
        snprintf(pause, sizeof pause, "%.3f ms", (double)r->pause_ns / 1e6);
    else
        snprintf(pause, sizeof pause, "-");
    printf("%-24s %-10s %-6s %-8s %-8s %10s %6ld  %s\n", r->time, r->op, r->result,
           r->from[0] ? r->from : "-", r->to[0] ? r->to : "-", pause, r->uid,
           r->cmd[0] ? r->cmd : "-");
    if (r->error[0])
        printf("    %s\n", r->error);
}

static int exec_history(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root;
    int json = 0;
    int rc = cmd_offline_root(self, argc, argv, &root, &json);
    if (rc != 0)
        return rc;
    struct rm_error err;
    char path[4200];
    if (audit_path(root, path, sizeof path, &err) < 0)
        return cmd_fail(&err);
    FILE *f = fopen(path, "r");
    if (!f && errno != ENOENT) {
        rm_error_set(&err, RM_EIO, "audit log '%s': %s", path, strerror(errno));
        return cmd_fail(&err);
    }
    if (json)
        putchar('[');
    else
        printf("%-24s %-10s %-6s %-8s %-8s %10s %6s  %s\n", "TIME", "OPERATION", "RESULT", "FROM",
               "TO", "PAUSE", "UID", "COMMAND");
    /* A line is at most AUDIT_LINE_MAX bytes; a longer one was not written
       by relman and is skipped like any line that is not a record. */
    static char line[AUDIT_LINE_MAX + 2];
    struct audit_rec rec;
    unsigned long lineno = 0, shown = 0;
    while (f && fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        int whole = len && line[len - 1] == '\n';
        if (whole)
            line[--len] = '\0';
        if (!whole && !feof(f)) { /* too long: skip the rest of it */
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
        }
        if (!whole || audit_parse(line, &rec) < 0) {
            fprintf(stderr, "relman: warning: %s:%lu: not an audit record, skipped\n", path,
                    lineno);
            continue;
        }
        if (json)
            print_json(&rec, shown == 0);
        else
            print_row(&rec);
        shown++;
    }
    if (f)
        fclose(f);
    if (json)
        fputs(shown ? "\n]\n" : "]\n", stdout);
    return fflush(stdout) == 0 ? CMD_OK : CMD_FAILED;
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    CMD_OPT_JSON("print a JSON array, one object per operation"),
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_history_entry = {
    .name = "history",
    .args = "[--json]",
    .summary = "the audit log: every release operation, its outcome, pause and who asked",
    .exec = exec_history,
    .options = options,
    .exits = CMD_EXITS_OFFLINE,
    .msg = RM_MSG_NONE,
};
