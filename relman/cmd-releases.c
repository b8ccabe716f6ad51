/* relman releases: the releases of a node root and their states. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "client.h"
#include "cmd.h"
#include "relman/store.h"

static void print_json(const struct rm_store *st)
{
    printf("[");
    for (size_t i = 0; i < st->nrels; i++) {
        const struct rm_store_rel *r = &st->rels[i];
        printf("%s{\"name\":", i ? "," : "");
        client_json_str(r->name);
        printf(",\"version\":");
        client_json_str(r->version);
        printf(",\"state\":\"%s\",\"applications\":[", rm_rel_state_name(rm_store_state(st, r)));
        for (size_t j = 0; j < r->napps; j++) {
            printf("%s{\"name\":", j ? "," : "");
            client_json_str(r->apps[j].name);
            printf(",\"version\":");
            client_json_str(r->apps[j].version);
            printf("}");
        }
        printf("]}");
    }
    printf("]\n");
}

static void print_table(const struct rm_store *st)
{
    int wn = 4, wv = 7;
    for (size_t i = 0; i < st->nrels; i++) {
        int n = (int)strlen(st->rels[i].name), v = (int)strlen(st->rels[i].version);
        wn = n > wn ? n : wn;
        wv = v > wv ? v : wv;
    }
    printf("%-*s  %-*s  %-9s  %s\n", wn, "NAME", wv, "VERSION", "STATE", "APPLICATIONS");
    for (size_t i = 0; i < st->nrels; i++) {
        const struct rm_store_rel *r = &st->rels[i];
        printf("%-*s  %-*s  %-9s  ", wn, r->name, wv, r->version,
               rm_rel_state_name(rm_store_state(st, r)));
        for (size_t j = 0; j < r->napps; j++)
            printf("%s%s-%s", j ? " " : "", r->apps[j].name, r->apps[j].version);
        putchar('\n');
    }
}

static int exec_releases(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root;
    int json = 0;
    int rc = cmd_offline_root(self, argc, argv, &root, &json);
    if (rc != 0)
        return rc;
    struct rm_error err;
    struct stat sb;
    char list[4096];
    if (snprintf(list, sizeof list, "%s/releases/RELEASES", root) >= (int)sizeof list ||
        stat(list, &sb) < 0) {
        rm_error_set(&err, RM_ENOENT,
                     "node root '%s' holds no release ('releases/RELEASES' is missing): unpack "
                     "one first",
                     root);
        return cmd_fail(&err);
    }
    struct rm_store *st = rm_store_open(root, 0, &err);
    if (!st)
        return cmd_fail(&err);
    if (client_mark_current(root, st, &err) < 0) { /* a live node's current release */
        rm_store_close(st);
        return cmd_fail(&err);
    }
    if (json)
        print_json(st);
    else
        print_table(st);
    rm_store_close(st);
    return CMD_OK;
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    CMD_OPT_JSON("print a JSON array"),
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_releases_entry = {
    .name = "releases",
    .args = "[--json]",
    .summary = "list the releases of ROOT: name, version, state, applications",
    .exec = exec_releases,
    .options = options,
    .exits = CMD_EXITS_OFFLINE,
    .msg = RM_MSG_RH_WHICH,
};
