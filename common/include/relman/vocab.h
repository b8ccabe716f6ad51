/*
 * relman/vocab.h - the words every relman layer shares, defined once.
 *
 * The runtime, the manifests, the release store, the release handler and
 * the command line all speak of directions, purge modes, restart policies,
 * names and versions, process labels and time. Each is defined here, in the
 * lowest library, so that no layer keeps a copy that could disagree with
 * another's. The direction of a code change is the module ABI's own
 * (enum rm_direction in relman/module.h, which this header includes).
 */
#ifndef RELMAN_VOCAB_H
#define RELMAN_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "relman/error.h"
#include "relman/module.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- names ---------------------------------------------------------------- */

/* Longest name or version (module, application, release, process), NUL
   excluded. */
#define RM_NAME_MAX 63

/* Longest process label ("name" or "<N>"), NUL included. */
#define RM_LABEL_MAX (RM_NAME_MAX + 24)

/*
 * Tells whether `s` is a valid module, application or release name or
 * version: 1 to RM_NAME_MAX letters, digits, '_', '.', '-', '+' or '@', not
 * starting with '.' or '-'. The one rule for manifests, archives and the
 * module descriptors the runtime loads.
 */
bool rm_name_valid(const char *s);

/*
 * The same as rm_name_valid(), explained: returns 0, or -1 with RM_EINVAL
 * "<what> '<s>' is not a valid name: <why>" in `err`.
 */
int rm_name_check(const char *s, const char *what, struct rm_error *err);

/*
 * Writes the label of a process, its registered name when it has one (not
 * NULL or empty), else "<pid>", into buf (size bytes, RM_LABEL_MAX is
 * enough). Returns buf.
 */
char *rm_label(const char *name, uint64_t pid, char *buf, size_t size);

/* ---- purge modes and restart policies -------------------------------------- */

/* How old code still in use is purged (OTP's soft_purge and brutal_purge).
   The numbers are the control protocol's too. */
enum rm_purge_mode {
    RM_PURGE_SOFT = 0,  /* refuse while any process runs the old version */
    RM_PURGE_BRUTAL = 1 /* terminate those processes (reason "killed") first */
};

/* The spelling of a purge mode ("soft", "brutal"); "?" for another value. */
const char *rm_purge_mode_name(enum rm_purge_mode mode);

/* What happens when a process exits (OTP's child restart types). */
enum rm_restart {
    RM_RESTART_TEMPORARY = 0, /* never restarted */
    RM_RESTART_TRANSIENT = 1, /* restarted after an abnormal exit only */
    RM_RESTART_PERMANENT = 2  /* always restarted */
};

/* The spelling of a restart policy ("permanent"); "?" for another value. */
const char *rm_restart_name(enum rm_restart restart);

/* A supervisor's restart strategy (OTP's). */
enum rm_sup_strategy {
    RM_SUP_ONE_FOR_ONE = 0,        /* a child that exits is restarted alone */
    RM_SUP_ONE_FOR_ALL = 1,        /* ... and all its siblings with it */
    RM_SUP_REST_FOR_ONE = 2,       /* ... and the siblings started after it */
    RM_SUP_SIMPLE_ONE_FOR_ONE = 3  /* one_for_one over dynamic children of one spec */
};

/* The spelling of a strategy ("one_for_all"); "?" for another value. */
const char *rm_sup_strategy_name(enum rm_sup_strategy s);

/* A child's shutdown besides a timeout in milliseconds (above 0). */
#define RM_SHUTDOWN_BRUTAL_KILL 0   /* killed at once, terminate not run */
#define RM_SHUTDOWN_INFINITY    (-1) /* told to shut down, waited for without limit */

/* The spelling of a direction ("up", "down"); "?" for another value. */
const char *rm_direction_name(enum rm_direction dir);

/* ---- time ----------------------------------------------------------------- */

/* Monotonic time in nanoseconds (CLOCK_MONOTONIC): the one clock of every
   deadline, pause and report. Inline: the runtime reads it on hot paths. */
static inline uint64_t rm_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- invariants ------------------------------------------------------------ */

/*
 * Checks an invariant: a broken one is a bug in relman, never a user's
 * mistake, and aborts with the file, line and condition on stderr.
 */
#define RM_ASSERT(cond) ((cond) ? (void)0 : rm__assert_fail(#cond, __FILE__, __LINE__))

/* Prints "relman: internal error: FILE:LINE: COND" and aborts. */
_Noreturn void rm__assert_fail(const char *cond, const char *file, int line);

#ifdef __cplusplus
}
#endif
#endif
