/* The client side of the release requests: send one, print its report or
   its outcome; and initialising a root from its first release. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "relman/archive.h"
#include "relman/fsutil.h"
#include "relman/report.h"
#include "relman/store.h"

/* Install and rollback wait this long for their reply: the plan's own
   timeouts bound each step, this only bounds a node that hangs. */
#define CLIENT_RELEASE_TIMEOUT_MS (10 * 60 * 1000)

/* Appends the relup FILE to a check or install request: its name and its
   text (read here, so that the node needs no access to it). */
static int put_relup(struct rm_proto_writer *w, const char *file, struct rm_error *err)
{
    char *text;
    size_t len;
    if (rm_fs_read_file(file, RM_PROTO_MAX_PAYLOAD / 2, &text, &len, err) < 0)
        return rm_error_prefix(err, "relup '%s'", file);
    rm_proto_put_str(w, file);
    rm_proto_put_bytes(w, text, len);
    free(text);
    return 0;
}

int client_release_report(const char *root, unsigned type, struct rm_proto_writer *req,
                          const char *relup, const char *verb, int json)
{
    struct client_reply r;
    struct rm_error err;
    struct rm_report rep;
    if (relup && put_relup(req, relup, &err) < 0) {
        if (json)
            client_print_json_error(err.msg);
        return cmd_fail(&err);
    }
    if (client_request(root, type, req, CLIENT_RELEASE_TIMEOUT_MS, &r, &err) < 0) {
        if (json)
            client_print_json_error(err.msg);
        return cmd_fail(&err);
    }
    int rc = rm_report_get(&r.fields, &rep, &err);
    client_reply_release(&r);
    if (rc < 0) {
        if (json)
            client_print_json_error(err.msg);
        return client_bad_reply(&err);
    }
    client_report_print(&rep, verb, json);
    rm_report_free(&rep);
    return CMD_OK;
}

int client_vsn_op(const struct cmd_entry *self, int argc, char **argv, const char *done)
{
    const char *root;
    if (client_args(self, argc, argv, NULL, 1, 1, &root) < 0)
        return CMD_USAGE;
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_str(&w, argv[1]);
    int rc = client_run(root, self->msg, &w, CLIENT_RELEASE_TIMEOUT_MS);
    rm_proto_writer_release(&w);
    if (rc == CMD_OK)
        printf(done, argv[1]);
    return rc;
}

int client_install(const struct cmd_entry *self, int argc, char **argv, int rollback)
{
    const char *root, *timeout = NULL, *relup = NULL;
    int json = 0, ms = 0;
    /* --relup first: rollback takes the others only. */
    const struct client_opt opts[] = {{.name = "--relup", .value = &relup},
                                      {.name = "--timeout", .value = &timeout},
                                      {.name = "--json", .flag = &json},
                                      {0}};
    int nargs = rollback ? 0 : 1;
    if (client_args(self, argc, argv, rollback ? opts + 1 : opts, nargs, nargs, &root) < 0 ||
        (timeout && client_timeout_arg(self, timeout, &ms) < 0))
        return CMD_USAGE;
    if (timeout && ms < 1) /* every suspend and code_change would time out at once */
        return cmd_usage(self, "--timeout must be at least 1 ms (got '%s')", timeout);
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    if (!rollback)
        rm_proto_put_str(&w, argv[1]);
    rm_proto_put_u32(&w, timeout ? (uint32_t)ms : RM_PROTO_TIMEOUT_MANIFEST);
    int rc = client_release_report(root, self->msg, &w, relup,
                                   rollback ? "rolled back to" : "installed", json);
    rm_proto_writer_release(&w);
    return rc;
}

int client_mark_current(const char *root, struct rm_store *st, struct rm_error *err)
{
    struct client_reply r;
    struct rm_error e;
    char vsn[RM_NAME_MAX + 1];
    if (client_request(root, RM_MSG_RH_WHICH, NULL, CLIENT_REPLY_TIMEOUT_MS, &r, &e) < 0)
        return e.code == RM_ENOTRUNNING ? 0 : rm_error_copy(err, &e);
    int rc = rm_proto_get_str(&r.fields, vsn, sizeof vsn, 0, "version", err);
    client_reply_release(&r);
    if (rc < 0)
        return rm_error_prefix(err, "bad reply from the node");
    return vsn[0] && rm_store_find(st, vsn) ? rm_store_set_current(st, vsn, err) : 0;
}

int client_remove(const char *root, const char *vsn)
{
    struct client_reply r;
    struct rm_error err;
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_str(&w, vsn);
    int rc = client_request(root, RM_MSG_RH_REMOVE, &w, CLIENT_RELEASE_TIMEOUT_MS, &r, &err);
    rm_proto_writer_release(&w);
    if (rc < 0)
        return err.code == RM_ENOTRUNNING ? -1 : cmd_fail(&err);
    client_reply_release(&r);
    printf("removed release '%s'\n", vsn);
    return CMD_OK;
}

void client_print_plan_json(const char *doc, size_t len, uint64_t first)
{
    if (!len || doc[0] != '{') {
        fwrite(doc, 1, len, stdout);
        return;
    }
    if (first == 0)
        printf("{\n  \"first_irreversible\": null,");
    else
        printf("{\n  \"first_irreversible\": %llu,", (unsigned long long)first);
    fwrite(doc + 1, 1, len - 1, stdout);
}

int client_plan(const struct cmd_entry *self, const char *root, const char *vsn, int json)
{
    if (!root)
        return cmd_usage(self, "no node named: give --root DIR or set RELMAN_ROOT");
    struct rm_proto_writer w;
    struct client_reply r;
    struct rm_error err;
    rm_proto_writer_init(&w);
    rm_proto_put_str(&w, vsn);
    rm_proto_put_u32(&w, json ? 1 : 0);
    int rc = client_request(root, self->msg, &w, CLIENT_REPLY_TIMEOUT_MS, &r, &err);
    rm_proto_writer_release(&w);
    if (rc < 0)
        return cmd_fail(&err);
    const void *doc;
    size_t len;
    uint64_t first;
    if (rm_proto_get_bytes(&r.fields, &doc, &len, "document", &err) < 0 ||
        rm_proto_get_u64(&r.fields, &first, "first irreversible", &err) < 0 ||
        rm_proto_end(&r.fields, &err) < 0) {
        client_reply_release(&r);
        return client_bad_reply(&err);
    }
    /* Which case the plan is in: a YAML comment after the document keeps
       it valid; JSON gets a first_irreversible field (the 1-based step, or
       null), as the reports of check and install. */
    if (json)
        client_print_plan_json(doc, len, first);
    else
        fwrite(doc, 1, len, stdout);
    if (len && ((const char *)doc)[len - 1] != '\n')
        putchar('\n');
    if (!json && first == 0)
        printf("# every step can be undone: a failure rolls back in place\n");
    else if (!json)
        printf("# step %llu is irreversible: a failure after it restarts the node into its "
               "permanent release\n",
               (unsigned long long)first);
    client_reply_release(&r);
    return CMD_OK;
}

/* The first directory along `path` (an ancestor or itself) that does not
   exist, into buf: what rm_fs_mkdirs(path) creates. "" when it exists. */
static void first_missing(const char *path, char *buf, size_t size)
{
    size_t len = strlen(path);
    buf[0] = '\0';
    if (len >= size)
        return;
    for (size_t i = 1; i <= len; i++)
        if (path[i] == '/' || path[i] == '\0') {
            memcpy(buf, path, i);
            buf[i] = '\0';
            if (!rm_fs_exists(buf))
                return;
        }
    buf[0] = '\0';
}

/* Checks that `root` holds no release and unpacks `archive` into it. */
static int init_root(const char *root, const char *archive, struct rm_error *err)
{
    struct rm_store *st = rm_store_open(root, 0, err);
    if (!st)
        return rm_error_prefix(err, "node start --release '%s'", archive);
    size_t n = st->nrels;
    rm_store_close(st);
    if (n > 0)
        return rm_error_set(err, RM_EEXIST,
                            "node start --release '%s': root '%s' already holds releases (add "
                            "more with 'relman unpack')",
                            archive, root);
    struct rm_unpack_result res;
    int rc = rm_release_unpack(archive, root, NULL, &res, err);
    cmd_audit(root, "unpack", rc == 0 ? res.version : "", rc == 0 ? NULL : err);
    if (rc < 0)
        return rm_error_prefix(err, "node start --release '%s'", archive);
    printf("initialised '%s' from release '%s' version '%s' (permanent)\n", root, res.name,
           res.version);
    fflush(stdout);
    return 0;
}

int client_init_root(const char *root, const char *archive, struct rm_error *err)
{
    char created[4096];
    first_missing(root, created, sizeof created);
    if (rm_fs_mkdirs(root, 0755, err) < 0)
        return rm_error_prefix(err, "node start: root '%s'", root);
    if (init_root(root, archive, err) == 0)
        return 0;
    if (created[0]) /* a refused first release leaves no empty root behind */
        rm_fs_remove_tree(created, NULL);
    return -1;
}
