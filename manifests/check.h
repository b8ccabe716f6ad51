/* check.h - splitting a script at point_of_no_return, and the checks of
   systools_rc's check_script. */
#ifndef RELMAN_MANIFESTS_CHECK_H
#define RELMAN_MANIFESTS_CHECK_H

#include "plan-internal.h"
#include "script.h"

/*
 * systools_rc's split_script: appends the instructions before the only
 * point_of_no_return to `before` (refusing any but load_object_code and
 * apply) and those after it to `after`, moving every load_object_code to
 * `before`. Without a point_of_no_return all go after. 0 or -1.
 */
int rm__split(const struct rm__wi *v, size_t n, struct rm__wlist *before, struct rm__wlist *after,
              struct rm_error *err);

/* systools_rc's check_script: loads have object code, suspend/resume and
   stop/start come in pairs, code_change only on suspended modules. 0/-1. */
int rm__check_script(const struct rm__wlist *before, const struct rm__wlist *after,
                     struct rm_error *err);

#endif
