/*
 * Private to the release handler: what its files share. Each name says its
 * file: rm__rel_* in rel.c, rm__exec_* in exec.c, rm__describe_* in
 * describe.c. Files call downwards only: handler.c and requests.c (the
 * handler and its requests) over exec.c (the executor) over rel.c and
 * describe.c.
 */
#ifndef RELMAN_HANDLER_INTERNAL_H
#define RELMAN_HANDLER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

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
