/*
 * The release handler of a running node: boot the permanent release, and
 * plan, check, install, make permanent, roll back, reboot an old release,
 * remove one. The running ("current") release lives in memory only.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relman/archive.h"
#include "relman/fsutil.h"
#include "relman/store.h"
#include "handler-internal.h"

struct rm_handler {
    struct rm_node *node;
    char *root;
    char lib[4096];
    pthread_mutex_t lock;
    struct rm_handler_rel running; /* the release the node runs (lock) */
    /* A copy of running's version for readers that must not wait for an
       install (which release runs): a leaf lock, taken under `lock` by the
       writers. */
    pthread_mutex_t current_lock;
    char current[RM_NAME_MAX + 1];
    void (*restart)(void *ud, const char *why);
    void *restart_ud;
};

struct rm_handler *rm_handler_new(const struct rm_handler_opts *opts, struct rm_error *err)
{
    struct rm_handler *rh = calloc(1, sizeof *rh);
    if (!rh || !(rh->root = strdup(opts->root))) {
        free(rh);
        rm_error_nomem(err);
        return NULL;
    }
    int k = snprintf(rh->lib, sizeof rh->lib, "%s/lib", opts->root);
    if (k < 0 || (size_t)k >= sizeof rh->lib) {
        free(rh->root);
        free(rh);
        rm_error_set(err, RM_ELIMIT, "root '%s' is too long", opts->root);
        return NULL;
    }
    rh->node = opts->node;
    rh->restart = opts->restart;
    rh->restart_ud = opts->restart_ud;
    pthread_mutex_init(&rh->lock, NULL);
    pthread_mutex_init(&rh->current_lock, NULL);
    return rh;
}

void rm_handler_free(struct rm_handler *rh)
{
    if (!rh)
        return;
    rm_handler_rel_free(&rh->running);
    pthread_mutex_destroy(&rh->lock);
    pthread_mutex_destroy(&rh->current_lock);
    free(rh->root);
    free(rh);
}

char *rm_handler_current(struct rm_handler *rh, char *buf, size_t size)
{
    pthread_mutex_lock(&rh->current_lock);
    snprintf(buf, size, "%s", rh->current);
    pthread_mutex_unlock(&rh->current_lock);
    return buf;
}

/* The running release's version (lock held). */
static const char *running_vsn(const struct rm_handler *rh)
{
    return rh->running.rel.version ? rh->running.rel.version : "";
}

/* Makes `r` the running release, taking it over (lock held). */
static void set_running(struct rm_handler *rh, struct rm_handler_rel *r)
{
    rm_handler_rel_free(&rh->running);
    rh->running = *r;
    memset(r, 0, sizeof *r);
    pthread_mutex_lock(&rh->current_lock);
    snprintf(rh->current, sizeof rh->current, "%s", running_vsn(rh));
    pthread_mutex_unlock(&rh->current_lock);
}

/* ROOT/run/boot-once: the release a plan ending in restart_node runs after
   the restart. Read and removed at boot, so that it boots once: a node that
   dies again boots the permanent release. */
static void boot_once_path(const struct rm_handler *rh, char *buf, size_t size)
{
    snprintf(buf, size, "%s/" RM_NODE_RUN_DIR "/boot-once", rh->root);
}

/* The release a restart_node asked for, if any (consumed), into vsn. */
static int take_boot_once(struct rm_handler *rh, const struct rm_store *st, char *vsn, size_t size)
{
    char path[4200], *text;
    size_t len;
    boot_once_path(rh, path, sizeof path);
    if (rm_fs_read_file(path, 256, &text, &len, NULL) < 0)
        return 0;
    unlink(path);
    text[strcspn(text, "\n")] = '\0';
    int found = rm_store_find(st, text) != NULL;
    if (found)
        snprintf(vsn, size, "%s", text);
    free(text);
    return found;
}

int rm_handler_boot(struct rm_handler *rh, struct rm_error *err)
{
    struct rm_store *st = rm_store_open(rh->root, 0, err);
    if (!st)
        return rm_error_prefix(err, "boot");
    const struct rm_store_rel *perm = rm_store_permanent(st);
    char once[RM_NAME_MAX + 1];
    if (perm && take_boot_once(rh, st, once, sizeof once))
        perm = rm_store_find(st, once);
    if (!perm) {
        rm_store_close(st);
        return rm_error_set(err, RM_ENOENT,
                            "boot: no permanent release in '%s' (initialise it with 'relman node "
                            "start --root %s --release FILE.tar.gz')",
                            rh->root, rh->root);
    }
    struct rm_handler_rel r = {0};
    size_t *order = NULL;
    struct rm_cfg **cfg = NULL;
    int rc = rm_handler_rel_load(rh->root, perm->version, &r, err);
    if (rc == 0 && !(order = calloc(r.rel.n_apps + 1, sizeof *order)))
        rc = rm_error_nomem(err);
    if (rc == 0)
        rc = rm_release_start_order(&r.rel, r.apps, order, err);
    if (rc == 0)
        rc = rm__app_config_load(rh->root, &r, RM_CONFIG_SKIP_UNKNOWN, &cfg, err);
    /* Every application's configuration is in place before any starts. */
    for (size_t i = 0; rc == 0 && i < r.rel.n_apps; i++)
        rc = rm__app_config_set(rh->node, &r.apps[i], cfg[i], err);
    if (rc < 0)
        rm_error_prefix(err, "boot release '%s'", perm->version);
    for (size_t i = 0; rc == 0 && i < r.rel.n_apps; i++) /* dependencies first */
        if (rm__rel_app_start(rh->node, rh->root, &r, &r.rel.apps[order[i]], err) < 0)
            rc = rm_error_prefix(err, "boot release '%s'", perm->version);
    rm__app_config_free(cfg, r.rel.n_apps);
    free(order);
    rm_store_close(st);
    if (rc < 0) {
        rm_handler_rel_free(&r);
        return -1;
    }
    pthread_mutex_lock(&rh->lock);
    set_running(rh, &r);
    pthread_mutex_unlock(&rh->lock);
    return 0;
}

char *rm_handler_plan(struct rm_handler *rh, const char *vsn, int json, long *first_irreversible,
                      struct rm_error *err)
{
    struct rm__plan_source p;
    char *doc = NULL;
    pthread_mutex_lock(&rh->lock);
    if (rm__plan_source_choose(rh->root, &rh->running, vsn, NULL, &p, err) == 0) {
        const char *from = running_vsn(rh);
        doc = json ? rm_plan_to_json(&p.plan, p.plan.dir, from, vsn, err)
                   : rm_plan_to_yaml(&p.plan, p.plan.dir, from, vsn, err);
        *first_irreversible = rm__exec_first_irreversible(rh->node, &p.plan);
        rm__plan_source_free(&p);
    }
    pthread_mutex_unlock(&rh->lock);
    if (!doc)
        rm_error_prefix(err, "plan '%s'", vsn);
    return doc;
}

/* After an install committed: an old release made current is written back
   as unpacked (rm_store_set_installed, as OTP's install_release), so that a
   node dying before make permanent finds it unpacked. The install stands
   whatever happens here; a failure shows as the report's last step. */
static void record_installed(struct rm_handler *rh, const char *vsn, struct rm_report *rep)
{
    struct rm_error e;
    uint64_t t0 = rm__exec_now_ns();
    struct rm_store *st = rm_store_open(rh->root, RM_STORE_LOCK, &e);
    if (!st || rm_store_set_installed(st, vsn, &e) < 0) {
        char what[sizeof rep->steps[0].what];
        snprintf(what, sizeof what, "RELEASES not updated (a crash now boots it as old): %.140s",
                 e.msg);
        rm_report_add(rep, what, 0, rm__exec_now_ns() - t0, NULL);
    }
    rm_store_close(st);
}

/* Runs (or checks) the plan to `vsn` (lock held); `cfg_flags` says how the
   override file is read (rm_config_effective). */
static int run(struct rm_handler *rh, const char *vsn, const struct rm_handler_relup *given,
               int check, int timeout_ms, int cfg_flags, struct rm_report *rep,
               struct rm_error *err)
{
    struct rm__plan_source p;
    memset(rep, 0, sizeof *rep);
    const char *op = check ? "check" : "install";
    uint64_t t0 = rm__exec_now_ns();
    size_t nsums;
    if (rm__plan_source_choose(rh->root, &rh->running, vsn, given, &p, err) < 0)
        return rm_error_prefix(err, "%s '%s'", op, vsn);
    struct rm_cfg **cfg = NULL;
    if (rm_release_verify(rh->root, vsn, &nsums, err) < 0 ||
        rm__app_config_load(rh->root, &p.to, cfg_flags, &cfg, err) < 0) {
        rm__plan_source_free(&p);
        if (check)
            return rm_error_prefix(err, "check '%s'", vsn);
        /* Nothing ran: the same words as any install undone in place. */
        return rm_error_prefix(err, "install '%s' rolled back, release '%s' still runs", vsn,
                               running_vsn(rh));
    }
    if (check) {
        char what[64];
        if (nsums)
            snprintf(what, sizeof what, "verify SHA256SUMS [%zu files]", nsums);
        else
            snprintf(what, sizeof what, "verify SHA256SUMS [no list: recorded by hand]");
        int rc = rm_report_add(rep, what, 0, rm__exec_now_ns() - t0, err);
        snprintf(what, sizeof what, "check configuration [%zu applications]", p.to.rel.n_apps);
        if (rc == 0)
            rc = rm_report_add(rep, what, 0, 0, err);
        if (rc < 0) {
            rm__app_config_free(cfg, p.to.rel.n_apps);
            rm__plan_source_free(&p);
            return -1;
        }
    }
    snprintf(rep->from, sizeof rep->from, "%s", running_vsn(rh));
    snprintf(rep->to, sizeof rep->to, "%s", vsn);
    rep->dir = (enum rm_direction)p.plan.dir;
    struct rm_handler_exec_env env = {.node = rh->node,
                                      .root = rh->root,
                                      .from = &rh->running,
                                      .to = &p.to,
                                      .timeout_ms = timeout_ms,
                                      .check_only = check};
    enum rm_handler_fail fail;
    size_t ncfg = p.to.rel.n_apps; /* p.to is taken over when the install commits */
    /* An application the node does not run yet may be started by the plan
       (add_application): its configuration must be there first. */
    int rc = 0;
    for (size_t i = 0; rc == 0 && !check && i < p.to.rel.n_apps; i++)
        if (!rm__rel_app(&rh->running, p.to.rel.apps[i].name))
            rc = rm__app_config_set(rh->node, &p.to.apps[i], cfg[i], err);
    if (rc == 0)
        rc = rm_handler_exec_plan(&env, &p.plan, rep, &fail, err);
    else
        fail = RM_HANDLER_FAIL_UNDONE;
    if (rc < 0 && !check && fail == RM_HANDLER_FAIL_UNDONE)
        for (size_t i = 0; i < p.to.rel.n_apps; i++)
            if (!rm__rel_app(&rh->running, p.to.rel.apps[i].name))
                rm_config_unset(rh->node, p.to.rel.apps[i].name);
    if (rc == 0 && !check) {
        /* The install stands: a failure to tell of the new configuration
           shows as the report's last step. */
        struct rm_error e;
        if (rm__app_config_commit(rh->node, &rh->running, &p.to, cfg, rep, &e) < 0) {
            char what[sizeof rep->steps[0].what];
            snprintf(what, sizeof what, "configuration not delivered: %.160s", e.msg);
            rm_report_add(rep, what, 0, 0, NULL);
        }
        set_running(rh, &p.to);
        record_installed(rh, vsn, rep);
    }
    rm__app_config_free(cfg, ncfg);
    rm__plan_source_free(&p);
    if (rc < 0 && check)
        rm_error_prefix(err, "check '%s'", vsn);
    else if (rc < 0 && fail == RM_HANDLER_FAIL_UNDONE)
        rm_error_prefix(err, "install '%s' rolled back, release '%s' still runs", vsn, rep->from);
    else if (rc < 0)
        rm_error_prefix(err,
                        "install '%s' failed after an irreversible step: the node restarts "
                        "into its permanent release",
                        vsn);
    if (rc == 0 && fail == RM_HANDLER_FAIL_RESTART) {
        /* restart_node: the node comes back on the release just installed,
           once (as OTP's restart_emulator), then permanent is still needed. */
        char path[4200], text[RM_NAME_MAX + 2];
        boot_once_path(rh, path, sizeof path);
        int k = snprintf(text, sizeof text, "%s\n", vsn);
        rm_fs_write_atomic(path, text, (size_t)k, 0600, NULL);
    }
    if (fail == RM_HANDLER_FAIL_RESTART && rh->restart)
        rh->restart(rh->restart_ud, rc < 0 ? "install failed after an irreversible step"
                                           : "the plan ends with restart_node");
    if (rc < 0)
        rm_report_free(rep);
    return rc;
}

int rm_handler_check(struct rm_handler *rh, const char *vsn, const struct rm_handler_relup *relup,
                     struct rm_report *rep, struct rm_error *err)
{
    pthread_mutex_lock(&rh->lock);
    int rc = run(rh, vsn, relup, 1, -1, 0, rep, err);
    pthread_mutex_unlock(&rh->lock);
    return rc;
}

int rm_handler_install(struct rm_handler *rh, const char *vsn, const struct rm_handler_relup *relup,
                       int timeout_ms, struct rm_report *rep, struct rm_error *err)
{
    pthread_mutex_lock(&rh->lock);
    int rc = run(rh, vsn, relup, 0, timeout_ms, 0, rep, err);
    pthread_mutex_unlock(&rh->lock);
    return rc;
}

int rm_handler_rollback(struct rm_handler *rh, int timeout_ms, struct rm_report *rep,
                        struct rm_error *err)
{
    pthread_mutex_lock(&rh->lock);
    struct rm_store *st = rm_store_open(rh->root, 0, err);
    char perm[RM_NAME_MAX + 1] = "";
    if (st && rm_store_permanent(st))
        snprintf(perm, sizeof perm, "%s", rm_store_permanent(st)->version);
    rm_store_close(st);
    int rc;
    if (!st)
        rc = rm_error_prefix(err, "rollback");
    else if (!perm[0])
        rc = rm_error_set(err, RM_ENOENT, "rollback: no permanent release in '%s'", rh->root);
    else if (strcmp(perm, running_vsn(rh)) == 0)
        rc = rm_error_set(err, RM_ESTATE,
                          "rollback: nothing to roll back, release '%s' is current and permanent",
                          perm);
    /* Back to the permanent release: the override file may already set
       keys only the newer release declares (as at boot, they are left out). */
    else if ((rc = run(rh, perm, NULL, 0, timeout_ms, RM_CONFIG_SKIP_UNKNOWN, rep, err)) < 0)
        rm_error_prefix(err, "rollback to permanent release '%s'", perm);
    pthread_mutex_unlock(&rh->lock);
    return rc;
}

/* Opens the store locked, with the running release marked current. */
static struct rm_store *store_locked(struct rm_handler *rh, struct rm_error *err)
{
    struct rm_store *st = rm_store_open(rh->root, RM_STORE_LOCK, err);
    if (st && rm_store_find(st, running_vsn(rh)) &&
        rm_store_set_current(st, running_vsn(rh), err) < 0) {
        rm_store_close(st);
        return NULL;
    }
    return st;
}

/* The release `vsn` of the store, or NULL with RM_ENOENT (st NULL: NULL,
   err already set by store_locked). */
static const struct rm_store_rel *known(const struct rm_store *st, const char *vsn,
                                        struct rm_error *err)
{
    const struct rm_store_rel *rel = st ? rm_store_find(st, vsn) : NULL;
    if (st && !rel)
        rm_error_set(err, RM_ENOENT, "release '%s' is not known", vsn);
    return rel;
}

int rm_handler_permanent(struct rm_handler *rh, const char *vsn, struct rm_error *err)
{
    pthread_mutex_lock(&rh->lock);
    struct rm_store *st = store_locked(rh, err);
    const struct rm_store_rel *rel = known(st, vsn, err);
    int rc = rel ? 0 : -1;
    /* Already permanent: nothing to do, as OTP's make_permanent. */
    bool to_do = rel && rel->state != RM_REL_PERMANENT;
    if (to_do && strcmp(vsn, running_vsn(rh)) != 0)
        rc = rm_error_set(err, RM_ESTATE,
                          "bad status: release '%s' is %s, not current (release '%s' runs; "
                          "install '%s' first%s)",
                          vsn, rm_rel_state_name(rm_store_state(st, rel)), running_vsn(rh), vsn,
                          rel->state == RM_REL_OLD ? ", or use reboot-old" : "");
    else if (to_do)
        rc = rm_store_make_permanent(st, vsn, err);
    rm_store_close(st);
    pthread_mutex_unlock(&rh->lock);
    return rc < 0 ? rm_error_prefix(err, "permanent '%s'", vsn) : 0;
}

int rm_handler_reboot_old(struct rm_handler *rh, const char *vsn, struct rm_error *err)
{
    pthread_mutex_lock(&rh->lock);
    struct rm_store *st = store_locked(rh, err);
    const struct rm_store_rel *rel = known(st, vsn, err);
    int rc = rel ? 0 : -1;
    if (rel && rel->state != RM_REL_OLD)
        rc = rm_error_set(err, RM_ESTATE, "bad status: release '%s' is %s, not old", vsn,
                          rm_rel_state_name(rm_store_state(st, rel)));
    else if (rel)
        rc = rm_store_make_permanent(st, vsn, err);
    rm_store_close(st);
    pthread_mutex_unlock(&rh->lock);
    if (rc < 0)
        return rm_error_prefix(err, "reboot-old '%s'", vsn);
    if (rh->restart)
        rh->restart(rh->restart_ud, "reboot-old");
    return 0;
}

int rm_handler_remove(struct rm_handler *rh, const char *vsn, struct rm_error *err)
{
    pthread_mutex_lock(&rh->lock);
    struct rm_store *st = store_locked(rh, err);
    int rc = st ? rm_store_remove(st, vsn, err) : -1;
    rm_store_close(st);
    pthread_mutex_unlock(&rh->lock);
    return rc < 0 ? rm_error_prefix(err, "remove '%s'", vsn) : 0;
}
