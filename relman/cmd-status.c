/* relman status [--json]: the node's processes, one per line, with the
   descriptors each owns and its links and monitors. */
#include <stdio.h>
#include <stdlib.h>

#include "client.h"

/* One process as the status reply describes it. */
struct status_row {
    uint64_t pid;
    char name[256], module[256], version[256];
    uint32_t suspended, tracing;
    uint64_t queue;
    uint32_t fds, links, monitors;
};

static int read_row(struct rm_proto_reader *rd, struct status_row *row, struct rm_error *err)
{
    if (rm_proto_get_u64(rd, &row->pid, "pid", err) < 0 ||
        rm_proto_get_str(rd, row->name, sizeof row->name, 0, "name", err) < 0 ||
        rm_proto_get_str(rd, row->module, sizeof row->module, 1, "module", err) < 0 ||
        rm_proto_get_str(rd, row->version, sizeof row->version, 0, "version", err) < 0 ||
        rm_proto_get_u32(rd, &row->suspended, "suspended", err) < 0 ||
        rm_proto_get_u32(rd, &row->tracing, "tracing", err) < 0 ||
        rm_proto_get_u64(rd, &row->queue, "queue", err) < 0 ||
        rm_proto_get_u32(rd, &row->fds, "descriptors", err) < 0 ||
        rm_proto_get_u32(rd, &row->links, "links", err) < 0 ||
        rm_proto_get_u32(rd, &row->monitors, "monitors", err) < 0)
        return -1;
    return 0;
}

static void print_row(const struct status_row *row, int json, int first)
{
    if (json) {
        printf("%s\n  {\"pid\": %llu, \"name\": ", first ? "" : ",", (unsigned long long)row->pid);
        client_json_str(row->name);
        fputs(", \"module\": ", stdout);
        client_json_str(row->module);
        fputs(", \"version\": ", stdout);
        client_json_str(row->version);
        printf(", \"suspended\": %s, \"tracing\": %s, \"queue\": %llu, \"fds\": %u, "
               "\"links\": %u, \"monitors\": %u}",
               row->suspended ? "true" : "false", row->tracing ? "true" : "false",
               (unsigned long long)row->queue, row->fds, row->links, row->monitors);
        return;
    }
    char pid[32];
    rm_label(NULL, row->pid, pid, sizeof pid);
    printf("%-16s %-8s %-16s %-8s %-9s %-7s %-7llu %-5u %-5u %u\n", row->name[0] ? row->name : "-",
           pid, row->module, row->version, row->suspended ? "yes" : "no",
           row->tracing ? "on" : "off", (unsigned long long)row->queue, row->fds, row->links,
           row->monitors);
}

static int exec_status(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root;
    int json = 0;
    const struct client_opt opts[] = {{.name = "--json", .flag = &json}, {0}};
    if (client_args(self, argc, argv, opts, 0, 0, &root) < 0)
        return CMD_USAGE;
    struct rm_error err;
    /* Page through the table: each reply holds the processes after a pid. */
    uint64_t after = 0;
    uint32_t more = 1, printed = 0;
    while (more) {
        struct rm_proto_writer req;
        rm_proto_writer_init(&req);
        rm_proto_put_u64(&req, after);
        struct client_reply r;
        int rc = client_request(root, self->msg, &req, CLIENT_REPLY_TIMEOUT_MS, &r, &err);
        rm_proto_writer_release(&req);
        if (rc < 0)
            return cmd_fail(&err);
        if (after == 0 && !json) /* the heading, once the node has answered */
            printf("%-16s %-8s %-16s %-8s %-9s %-7s %-7s %-5s %-5s %s\n", "NAME", "PID", "MODULE",
                   "VERSION", "SUSPENDED", "TRACE", "QUEUE", "FDS", "LINKS", "MONITORS");
        else if (after == 0)
            putchar('[');
        uint32_t n;
        struct status_row row;
        rc = rm_proto_get_u32(&r.fields, &n, "count", &err);
        if (rc == 0)
            rc = rm_proto_get_u32(&r.fields, &more, "more", &err);
        for (uint32_t i = 0; rc == 0 && i < n; i++) {
            rc = read_row(&r.fields, &row, &err);
            if (rc == 0) {
                print_row(&row, json, printed++ == 0);
                after = row.pid;
            }
        }
        if (rc == 0 && more && n == 0)
            rc = rm_error_set(&err, RM_EPROTO, "the node said more processes follow but sent none");
        client_reply_release(&r);
        if (rc < 0)
            return client_bad_reply(&err);
    }
    if (json)
        fputs(printed ? "\n]\n" : "]\n", stdout);
    return fflush(stdout) == 0 ? CMD_OK : CMD_FAILED;
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    CMD_OPT_JSON("print a JSON array"),
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_status_entry = {
    .name = "status",
    .args = "[--json]",
    .summary = "list processes: name, pid, module, version, suspended, trace, queue length, "
               "descriptors, links, monitors",
    .exec = exec_status,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_STATUS,
};
