/*
 * relman/apply.h - two module operations the release handler needs beyond
 * relman/runtime.h: calling an exported function of a module's current
 * version (the plan's `apply` instruction) and deleting a module (the
 * plan's `remove` instruction, OTP's code:purge then code:delete).
 *
 * Both are irreversible: a plan that runs one can no longer be rolled back
 * in place (see rm_instr_irreversible() in relman/plan.h).
 */
#ifndef RELMAN_APPLY_H
#define RELMAN_APPLY_H

#include <stddef.h>

#include "relman/error.h"
#include "relman/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The C type of a function a module exports for `apply`. It receives the
 * instruction's arguments as strings and returns 0 on success; on failure it
 * returns -1 and may write a reason (NUL-terminated, at most `size` bytes)
 * into `why`. It runs on the calling thread, outside any process, so it must
 * not call the host API (it has no context); it is meant for one-off work
 * such as migrating a file or a table. A module exports it with default
 * visibility: __attribute__((visibility("default"))).
 */
typedef int (*rm_apply_fn)(const char *const *args, size_t nargs, char *why, size_t size);

/*
 * Calls function `function` of the current version of module `module` with
 * `nargs` string arguments. Refused with RM_ENOENT when the module is not
 * loaded or does not export the function; fails with RM_EINVAL and the
 * function's reason when it returns nonzero. The module's code stays loaded
 * during the call.
 */
int rm_module_apply(struct rm_node *node, const char *module, const char *function,
                    const char *const *args, size_t nargs, struct rm_error *err);

/*
 * Deletes module `module`: its old version (if any) is purged with `mode`,
 * then its current version becomes old and is purged with `mode` too, so
 * that no version of the module remains. RM_PURGE_SOFT refuses, changing
 * nothing, while a process runs the module; RM_PURGE_BRUTAL terminates those
 * processes first (reason "killed"). *killed (when not NULL) receives the
 * number of processes terminated. A module that is not loaded is success.
 */
int rm_module_delete(struct rm_node *node, const char *module, enum rm_purge_mode mode,
                     size_t *killed, struct rm_error *err);

#ifdef __cplusplus
}
#endif
#endif
