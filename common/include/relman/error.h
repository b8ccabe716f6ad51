/*
 * relman/error.h - the error record every relman library fills.
 *
 * A fallible function returns 0 (or a pointer) on success and -1 (or NULL)
 * on failure, and fills the `struct rm_error *err` passed as its last
 * argument with a code and a complete message ready to print. On success the
 * record is left untouched, so calls can be chained and checked once.
 * Passing NULL for `err` is allowed: the failure is then only signalled by the
 * return value.
 *
 * Messages follow one style: lower case, no full stop, the subject in quotes,
 * what failed first, then where, then why:
 *
 *     install '2': lib/counter-1/counter.appup.yaml:12:5: unknown key 'vsn'
 */
#ifndef RELMAN_ERROR_H
#define RELMAN_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The error codes, as one X-macro: X(NAME, description). Each becomes the
 * constant RM_E<NAME> (negative) and a string returned by rm_strerror().
 */
#define RM_ERRNO_MAP(X)                                                                            \
    X(INVAL, "invalid argument")                                                                   \
    X(NOENT, "not found")                                                                          \
    X(EXIST, "already exists")                                                                     \
    X(IO, "input/output error")                                                                    \
    X(NOMEM, "out of memory")                                                                      \
    X(PARSE, "malformed input")                                                                    \
    X(STATE, "bad status")                                                                         \
    X(BUSY, "in use")                                                                              \
    X(TIMEOUT, "timed out")                                                                        \
    X(LOAD, "module load failed")                                                                  \
    X(CODECHANGE, "code change failed")                                                            \
    X(PROTO, "protocol error")                                                                     \
    X(NOTRUNNING, "node not running")                                                              \
    X(UNSAFE, "unsafe archive entry")                                                              \
    X(NOPATH, "no upgrade path")                                                                   \
    X(CHECKSUM, "checksum mismatch")                                                               \
    X(LIMIT, "limit exceeded")

/* Error codes: 0 is success, each failure a distinct negative number. */
enum rm_errcode {
    RM_OK = 0,
#define RM__ERRNO_ENUM(name, desc) RM_E##name,
    RM__ERRNO_FIRST = -1000,
    RM_ERRNO_MAP(RM__ERRNO_ENUM)
#undef RM__ERRNO_ENUM
        RM__ERRNO_LAST
};

/* Longest message an error record holds, terminating NUL included. */
#define RM_ERROR_MAX 1024

/* An error: its code (an enum rm_errcode) and a complete message. */
struct rm_error {
    int code;
    char msg[RM_ERROR_MAX];
};

/*
 * Returns the fixed description of an error code ("bad status"), or
 * "unknown error" for a value that is not one.
 */
const char *rm_strerror(int code);

/*
 * Fills `err` (when not NULL) with `code` and the printf-style message, and
 * returns -1 so that `return rm_error_set(err, ...)` reads naturally.
 * A message longer than RM_ERROR_MAX is cut, ending in "...".
 */
int rm_error_set(struct rm_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same as rm_error_set() with a va_list. */
int rm_error_vset(struct rm_error *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/*
 * Puts context in front of the message already in `err`, separated by ": ",
 * keeping its code: "unpack 'x.tar.gz'" + "bad entry" gives
 * "unpack 'x.tar.gz': bad entry". Returns -1. Does nothing when err is NULL.
 */
int rm_error_prefix(struct rm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copies `src` into `dst` (when dst is not NULL). Returns -1. */
int rm_error_copy(struct rm_error *dst, const struct rm_error *src);

/* Sets `err` to RM_ENOMEM "out of memory" and returns -1. */
int rm_error_nomem(struct rm_error *err);

/* Empties `err`: code 0 and an empty message. */
void rm_error_clear(struct rm_error *err);

#ifdef __cplusplus
}
#endif
#endif
