/* Helpers shared by the manifests suites. */
#ifndef RELMAN_TESTS_MANIFESTS_HELPERS_H
#define RELMAN_TESTS_MANIFESTS_HELPERS_H

#include <stddef.h>

#include "relman/plan.h"

/*
 * Renders a plan in the notation of the issue and of OTP's test suite, one
 * instruction after another separated by "; ": "load_object_code test [foo,
 * bar]; point_of_no_return; suspend [foo, bar 7000]; load bar; code_change
 * up [baz \"baz\", bar]; resume [bar, foo]". Returns a static buffer.
 */
const char *plan_str(const struct rm_plan *plan);

/* Reads a whole file into a new NUL-terminated buffer (free() it), or NULL. */
char *slurp(const char *path);

#endif
