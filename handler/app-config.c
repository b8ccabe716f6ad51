/*
 * The configuration of a release's applications: each one's effective
 * configuration (the manifest's defaults with ROOT/config.yaml over them),
 * handed to the node at boot and after an install commits, with a
 * config_change to the processes of each application whose configuration
 * changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler-internal.h"

void rm__app_config_free(struct rm_cfg **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

int rm__app_config_load(const char *root, const struct rm_handler_rel *r, int flags,
                        struct rm_cfg ***out, struct rm_error *err)
{
    char path[4200];
    if (rm_fs_path(path, sizeof path, err, "%s/%s", root, RM_CONFIG_FILE) < 0)
        return -1;
    struct rm_config_override ov;
    if (rm_config_override_load(path, &ov, err) < 0)
        return -1;
    size_t n = r->rel.n_apps;
    struct rm_cfg **v = calloc(n + 1, sizeof *v);
    int rc = v ? 0 : rm_error_nomem(err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = rm_config_effective(&r->apps[i], &ov, flags, &v[i], err);
    rm_config_override_free(&ov);
    if (rc < 0) {
        rm__app_config_free(v, n);
        return -1;
    }
    *out = v;
    return 0;
}

int rm__app_config_set(struct rm_node *node, const struct rm_app *app, const struct rm_cfg *cfg,
                       struct rm_error *err)
{
    const char **mods = calloc(app->n_modules + 1, sizeof *mods);
    if (!mods)
        return rm_error_nomem(err);
    for (size_t i = 0; i < app->n_modules; i++)
        mods[i] = app->modules[i].name;
    int rc = rm_config_set(node, app->name, mods, app->n_modules, cfg, err);
    free(mods);
    return rc < 0 ? rm_error_prefix(err, "application '%s'", app->name) : 0;
}

/* "[a, b]" of the keys into buf. */
static void key_list(const char *const *keys, size_t n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", keys[i]);
        used += w > 0 ? (size_t)w : 0;
    }
}

int rm__app_config_commit(struct rm_node *node, const struct rm_handler_rel *from,
                          const struct rm_handler_rel *to, struct rm_cfg *const *cfg,
                          struct rm_report *rep, struct rm_error *err)
{
    /* Applications the target no longer holds read nothing from now on. */
    for (size_t i = 0; from->apps && i < from->rel.n_apps; i++)
        if (!rm__rel_app(to, from->rel.apps[i].name))
            rm_config_unset(node, from->rel.apps[i].name);
    for (size_t i = 0; i < to->rel.n_apps; i++) {
        const struct rm_app *app = &to->apps[i];
        uint64_t t0 = rm__exec_now_ns();
        struct rm_cfg *old = rm_config_get_copy(node, app->name);
        struct rm_cfg_diff d;
        if (rm__app_config_set(node, app, cfg[i], err) < 0 || rm_cfg_diff(old, cfg[i], &d, err) < 0) {
            free(old);
            return -1;
        }
        /* An application new to the node starts on its configuration: no
           change to tell of. */
        size_t sent = 0;
        int rc = 0;
        if (old && d.n_changed + d.n_added + d.n_removed > 0) {
            struct rm_config_change ch = {.changed = d.changed,
                                          .n_changed = d.n_changed,
                                          .added = d.added,
                                          .n_added = d.n_added,
                                          .removed = d.removed,
                                          .n_removed = d.n_removed};
            rc = rm_config_notify(node, app->name, &ch, &sent, err);
            char c[48], a[48], r[48], what[sizeof rep->steps[0].what + 64];
            key_list(d.changed, d.n_changed, c, sizeof c);
            key_list(d.added, d.n_added, a, sizeof a);
            key_list(d.removed, d.n_removed, r, sizeof r);
            snprintf(what, sizeof what, "config_change %.40s [changed: %.40s; new: %.40s; removed: %.40s]",
                     app->name, c, a, r);
            if (rc == 0)
                rc = rm_report_add(rep, what, sent, rm__exec_now_ns() - t0, err);
        }
        rm_cfg_diff_free(&d);
        free(old);
        if (rc < 0)
            return rm_error_prefix(err, "application '%s'", app->name);
    }
    return 0;
}
