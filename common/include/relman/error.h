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
 *
 * Layers above branch on codes and on the structured part of the record,
 * never on the words of a message: the primary code (what the control
 * protocol carries), an extended code for the finer reasons a caller acts
 * on (sqlite's extended result codes), the subject the failure is about (a
 * process, a module, a plan step), and the length of the message's lead
 * (the operation and its subject, "resume 'z'"), so that a caller can say
 * the operation its own way without parsing the message.
 */
#ifndef RELMAN_ERROR_H
#define RELMAN_ERROR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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

/*
 * The extended codes, as one X-macro: X(NAME, primary, description). Each
 * becomes the constant RM_X<NAME> (positive, never sent on the wire) that
 * refines the primary code RM_E<primary>; rm_xstrerror() returns its text.
 */
#define RM_XERRNO_MAP(X)                                                                           \
    X(OLD_CODE, BUSY, "an old version of the module is in the way")                                \
    X(UPGRADING, BUSY, "part of an upgrade in progress")                                           \
    X(IN_USE, BUSY, "processes still run the code")                                                \
    X(NO_PROCESS, NOENT, "no such process")                                                        \
    X(NO_MODULE, NOENT, "no such module")

/* Extended codes: 0 is none, each refinement a distinct positive number. */
enum rm_xerrcode {
    RM_XNONE = 0,
#define RM__XERRNO_ENUM(name, primary, desc) RM_X##name,
    RM_XERRNO_MAP(RM__XERRNO_ENUM)
#undef RM__XERRNO_ENUM
        RM__XERRNO_LAST
};

/* Longest message an error record holds, terminating NUL included. */
#define RM_ERROR_MAX 1024

/* Longest module name a subject holds, NUL included (RM_NAME_MAX + 1). */
#define RM_ERROR_NAME_MAX 64

/* What a failure is about, when the failing layer knows it. */
struct rm_error_subject {
    uint64_t pid;                   /* the process, 0 when none */
    size_t label_at, label_len;     /* where msg names that process ("z" or "<2>"
                                       between quotes); label_len 0 when it does not */
    char module[RM_ERROR_NAME_MAX]; /* the module, "" when none */
    long step;                      /* 0-based plan step, -1 when none */
};

/* An error: its codes, its subject and a complete message. */
struct rm_error {
    int code;  /* an enum rm_errcode */
    int xcode; /* an enum rm_xerrcode refining it, RM_XNONE when none */
    struct rm_error_subject subject;
    size_t lead; /* bytes of msg that state the operation and its subject
                    ("resume 'z'"), 0 when the message has no marked lead */
    char msg[RM_ERROR_MAX];
};

/*
 * Returns the fixed description of an error code ("bad status"), or
 * "unknown error" for a value that is not one.
 */
const char *rm_strerror(int code);

/* The description of an extended code; "unknown error" for another value. */
const char *rm_xstrerror(int xcode);

/* The primary code an extended code refines (RM_EBUSY for RM_XOLD_CODE);
   RM_OK for RM_XNONE or another value. */
int rm_xcode_primary(int xcode);

/*
 * Fills `err` (when not NULL) with `code` and the printf-style message, and
 * returns -1 so that `return rm_error_set(err, ...)` reads naturally.
 * A message longer than RM_ERROR_MAX is cut, ending in "...". The extended
 * code, subject and lead are cleared (no pid, no module, step -1, lead 0).
 */
int rm_error_set(struct rm_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same as rm_error_set() with a va_list. */
int rm_error_vset(struct rm_error *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/*
 * The same as rm_error_set() with an extended code: the primary code is the
 * one `xcode` refines (rm_xcode_primary). Returns -1.
 */
int rm_error_xset(struct rm_error *err, int xcode, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Puts context in front of the message already in `err`, separated by ": ",
 * keeping its codes and subject: "unpack 'x.tar.gz'" + "bad entry" gives
 * "unpack 'x.tar.gz': bad entry". A marked lead grows by what is put in
 * front. Returns -1. Does nothing when err is NULL.
 */
int rm_error_prefix(struct rm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The same as rm_error_prefix(), and marks what is now in front of the
 * cause ("resume 'z'" of "resume 'z': not suspended") as the message's lead.
 * Returns -1.
 */
int rm_error_lead(struct rm_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Replaces the message's marked lead with the printf-style text, or puts
 * the text in front (as rm_error_prefix) when there is no lead: a caller
 * says the operation its own way ("load 'z' from '/p'" in place of the
 * runtime's "load '/p'"). The new text becomes the lead. Returns -1.
 */
int rm_error_restate(struct rm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records the process a failure is about (when err is not NULL). */
void rm_error_subject_pid(struct rm_error *err, uint64_t pid);

/*
 * Fills `err` with a failure about process `pid` that the message names by
 * `label` (its registered name or "<N>"): "<verb> '<label>'" followed by the
 * printf-style rest (which starts with ": " or " "), with `code` (or, when
 * `xcode` is not RM_XNONE, the primary code it refines). The opening,
 * through the closing quote, is the message's lead; the label's place is
 * recorded in the subject, so that a caller can put the user's own
 * spelling there (rm_error_relabel) or say the operation its own way
 * (rm_error_restate). Returns -1.
 */
int rm_error_about(struct rm_error *err, int code, int xcode, uint64_t pid, const char *verb,
                   const char *label, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/*
 * The same message and subject as rm_error_about(), "<before> '<label>'..."
 * ("no process '<2>'", "process '<2>' exited ..."), with no lead: the
 * opening names the process but is not the operation that failed, so a
 * caller puts its own words in front (rm_error_prefix) instead of in its
 * place. Returns -1.
 */
int rm_error_naming(struct rm_error *err, int code, int xcode, uint64_t pid, const char *before,
                    const char *label, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/*
 * Puts `name` where the message names its subject process (the subject's
 * label), when there is such a place. Keeps codes, subject and lead (whose
 * length follows). Returns -1.
 */
int rm_error_relabel(struct rm_error *err, const char *name);

/* Records the module a failure is about (when err is not NULL). */
void rm_error_subject_module(struct rm_error *err, const char *module);

/* Records the plan step (0-based) a failure happened at. */
void rm_error_subject_step(struct rm_error *err, long step);

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
