/* relman config: the effective configuration of a release's applications. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "relman/config.h"
#include "relman/fsutil.h"
#include "relman/manifest.h"
#include "relman/store.h"

/* The release to show: `given`, else the one the node runs, else the
   permanent one, into vsn. */
static int pick_release(const char *root, const char *given, char *vsn, size_t size,
                        struct rm_error *err)
{
    struct rm_store *st = rm_store_open(root, 0, err);
    if (!st)
        return -1;
    int rc = client_mark_current(root, st, err);
    const struct rm_store_rel *pick = NULL;
    for (size_t i = 0; rc == 0 && i < st->nrels; i++) {
        const struct rm_store_rel *r = &st->rels[i];
        if (given ? strcmp(r->version, given) == 0 : rm_store_state(st, r) == RM_REL_CURRENT)
            pick = r;
    }
    if (rc == 0 && !pick && !given)
        pick = rm_store_permanent(st);
    if (rc == 0 && !pick)
        rc = given ? rm_error_set(err, RM_ENOENT, "release '%s' is not known", given)
                   : rm_error_set(err, RM_ENOENT, "node root '%s' has no permanent release", root);
    if (rc == 0)
        snprintf(vsn, size, "%s", pick->version);
    rm_store_close(st);
    return rc;
}

static int exec_config(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root = NULL, *given = NULL, *only = NULL;
    int json = 0;
    argc = cmd_common_opts(self, argc, argv, &root, &json, 1);
    if (argc < 0)
        return CMD_USAGE;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--release") == 0 && i + 1 < argc)
            given = argv[++i];
        else if (argv[i][0] == '-')
            return cmd_usage(self, "unknown option '%s'", argv[i]);
        else if (!only)
            only = argv[i];
        else
            return cmd_usage(self, "unexpected argument '%s'", argv[i]);
    }
    root = cmd_root(root);
    if (!root)
        return cmd_usage(self, "no node root: give --root DIR or set RELMAN_ROOT");
    struct rm_error err;
    char vsn[RM_NAME_MAX + 1], path[4200], lib[4200];
    if (pick_release(root, given, vsn, sizeof vsn, &err) < 0 ||
        rm_fs_path(path, sizeof path, &err, "%s/releases/%s/%s", root, vsn, RM_RELEASE_FILE) < 0 ||
        rm_fs_path(lib, sizeof lib, &err, "%s/lib", root) < 0)
        return cmd_fail(&err);
    struct rm_release rel = {0};
    struct rm_app *apps = NULL;
    struct rm_config_override ov = {0};
    const char *dirs[1] = {lib};
    char ovpath[4200];
    int rc = rm_release_load(path, &rel, &err);
    if (rc == 0)
        rc = rm_release_load_apps(&rel, dirs, 1, &apps, &err);
    if (rc == 0)
        rc = rm_fs_path(ovpath, sizeof ovpath, &err, "%s/%s", root, RM_CONFIG_FILE);
    if (rc == 0)
        rc = rm_config_override_load(ovpath, &ov, &err);
    int shown = 0;
    if (rc == 0 && json && !only)
        printf("{");
    for (size_t i = 0; rc == 0 && i < rel.n_apps; i++) {
        if (only && strcmp(apps[i].name, only) != 0)
            continue;
        struct rm_cfg *cfg;
        /* What the node reads: keys only another release declares are left
           out (relman check and unpack refuse them for theirs). */
        if ((rc = rm_config_effective(&apps[i], &ov, RM_CONFIG_SKIP_UNKNOWN, &cfg, &err)) < 0)
            break;
        char *text = rm_cfg_format(cfg, json);
        free(cfg);
        if (!text) {
            rc = rm_error_nomem(&err);
            break;
        }
        if (json && only)
            printf("%s\n", text);
        else if (json)
            printf("%s\"%s\": %s", shown ? ", " : "", apps[i].name, text);
        else
            printf("%s: %s\n", apps[i].name, text);
        free(text);
        shown++;
    }
    if (rc == 0 && json && !only)
        printf("}\n");
    if (rc == 0 && only && !shown)
        rc = rm_error_set(&err, RM_ENOENT, "release '%s' has no application '%s'", vsn, only);
    rm_config_override_free(&ov);
    rm_release_apps_free(apps, rel.n_apps);
    rm_release_free(&rel);
    return rc < 0 ? cmd_fail(&err) : CMD_OK;
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {"--release", NULL, "VSN", "the configuration release VSN would have (default: the running one)"},
    CMD_OPT_JSON("print JSON: an object of application to configuration, or one configuration with APP"),
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_config_entry = {
    .name = "config",
    .args = "[APP] [--release VSN] [--json]",
    .summary = "print the effective configuration of the running release's applications "
               "(defaults with ROOT/config.yaml over them)",
    .exec = exec_config,
    .options = options,
    .exits = CMD_EXITS_OFFLINE,
    .msg = RM_MSG_RH_WHICH,
};
