/*
 * Private to the release handler: what its files share. Each name says its
 * file: rm__plan_source_* in plan-source.c, rm__exec_* in exec.c, rm__rel_*
 * in rel.c, rm__describe_* in describe.c, rm__app_config_* in
 * app-config.c. Files call downwards only: requests.c (the requests) over
 * handler.c (the handler and its operations) over plan-source.c (where a
 * plan comes from), exec.c (the executor) and app-config.c (the
 * applications' configuration), over rel.c (a release and its
 * applications) and describe.c.
 */
#ifndef RELMAN_HANDLER_INTERNAL_H
#define RELMAN_HANDLER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "relman/fsutil.h"
#include "relman/handler.h"

/* Finds the application manifest of `name` in `r`; NULL when not there. */
const struct rm_app *rm__rel_app(const struct rm_handler_rel *r, const char *name);

/* Finds module `name` among the applications of `r`; stores its
   application in *app (when not NULL). NULL when no application has it. */
const struct rm_app_module *rm__rel_module(const struct rm_handler_rel *r, const char *name,
                                           const struct rm_app **app);

/* Writes ROOT/lib/<app>-<vsn>/<module>.so into buf. 0, or -1 with RM_ELIMIT. */
int rm__rel_module_path(const char *root, const char *app, const char *vsn, const char *module,
                        char *buf, size_t size, struct rm_error *err);

/*
 * Starts application `app` of `r` on `node` as its start type says: loads
 * its modules that are not loaded yet (start type load and up), and for
 * permanent, transient and temporary starts its processes with their
 * restart policies; none does nothing. Returns 0, or -1 with `err` set
 * (processes already started stay: a node that fails to boot exits).
 */
int rm__rel_app_start(struct rm_node *node, const char *root, const struct rm_handler_rel *r,
                      const struct rm_release_app *app, struct rm_error *err);

/* Stops every process that application `app` (a manifest) starts and that
   runs: registered names from the manifest. *count receives the number. */
int rm__rel_app_stop(struct rm_node *node, const struct rm_app *app, size_t *count,
                     struct rm_error *err);

/*
 * The effective configuration of each application of `r` (its manifest's
 * defaults with ROOT/config.yaml over them, checked against the declared
 * types), into a new array *out of r->rel.n_apps trees, in release order.
 * `flags` as rm_config_effective's (boot skips keys the release does not
 * declare). Returns 0, or -1 with `err` naming the file, line and column
 * at fault. Free with rm__app_config_free(*out, r->rel.n_apps).
 */
int rm__app_config_load(const char *root, const struct rm_handler_rel *r, int flags,
                        struct rm_cfg ***out, struct rm_error *err);
void rm__app_config_free(struct rm_cfg **v, size_t n);

/* Gives the node the configuration `cfg` of application `app`, for the
   processes of its modules. 0 or -1. */
int rm__app_config_set(struct rm_node *node, const struct rm_app *app, const struct rm_cfg *cfg,
                       struct rm_error *err);

/*
 * After an install from `from` to `to` committed: forgets the
 * configuration of the applications `to` no longer holds, sets each of
 * `to`'s to cfg[i], and for each application the node already had whose
 * configuration differs, sends a config_change with the keys changed, new
 * and removed to its processes and appends a step to `rep` ("config_change
 * counter [changed: port; new: ; removed: ]", with the processes told).
 * 0 or -1.
 */
int rm__app_config_commit(struct rm_node *node, const struct rm_handler_rel *from,
                          const struct rm_handler_rel *to, struct rm_cfg *const *cfg,
                          struct rm_report *rep, struct rm_error *err);

/* A plan to run: the target release, the plan, and the relup whose entry
   it is (plan.v then points into relup; zeroed when it comes from the
   appups). */
struct rm__plan_source {
    struct rm_handler_rel to;
    struct rm_plan plan;
    struct rm_appup relup;
};

/*
 * The target release `vsn` of ROOT and the plan from `running` to it, into
 * *p: from `given` when not NULL (its up entry from the running release
 * when it is the target's relup, its down entry to the target when it is
 * the running release's), else from ROOT's relups or the appups. The
 * release must be known to the store and not the running one. Returns 0
 * (free *p with rm__plan_source_free), or -1 with `err` set (RM_ESTATE: no
 * release runs; RM_EEXIST: it runs already; RM_ENOENT: unknown; RM_ENOPATH:
 * a relup without the entry needed) with nothing in *p to free.
 */
int rm__plan_source_choose(const char *root, const struct rm_handler_rel *running,
                           const char *vsn, const struct rm_handler_relup *given,
                           struct rm__plan_source *p, struct rm_error *err);

/* Frees what a plan source holds. */
void rm__plan_source_free(struct rm__plan_source *p);

/* Monotonic time in nanoseconds, for the reports. */
uint64_t rm__exec_now_ns(void);

/*
 * The index of the first step of `plan` that cannot be undone on `node` as
 * it is now, or -1: the first irreversible instruction
 * (rm_instr_irreversible), or an earlier load of a module whose old version
 * processes still run, whose brutal pre-purge kills them.
 */
long rm__exec_first_irreversible(struct rm_node *node, const struct rm_plan *plan);

/* Describes instruction `in` on one line ("code_change up [z extra]"). */
void rm__describe_instr(const struct rm_instr *in, char *buf, size_t size);

#endif
