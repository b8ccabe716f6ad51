/* The error record: formatting, prefixing and the code table. */
#include "relman/error.h"

#include <stdio.h>
#include <string.h>

const char *rm_strerror(int code)
{
    switch (code) {
    case RM_OK:
        return "success";
#define RM__ERRNO_CASE(name, desc)                                                                 \
    case RM_E##name:                                                                               \
        return desc;
        RM_ERRNO_MAP(RM__ERRNO_CASE)
#undef RM__ERRNO_CASE
    default:
        return "unknown error";
    }
}

const char *rm_xstrerror(int xcode)
{
    switch (xcode) {
#define RM__XERRNO_CASE(name, primary, desc)                                                       \
    case RM_X##name:                                                                               \
        return desc;
        RM_XERRNO_MAP(RM__XERRNO_CASE)
#undef RM__XERRNO_CASE
    default:
        return "unknown error";
    }
}

int rm_xcode_primary(int xcode)
{
    switch (xcode) {
#define RM__XERRNO_PRIMARY(name, primary, desc)                                                    \
    case RM_X##name:                                                                               \
        return RM_E##primary;
        RM_XERRNO_MAP(RM__XERRNO_PRIMARY)
#undef RM__XERRNO_PRIMARY
    default:
        return RM_OK;
    }
}

/* Marks a message cut at the end of the buffer with "...". */
static void mark_truncated(char *msg, int wanted)
{
    if (wanted >= RM_ERROR_MAX)
        memcpy(msg + RM_ERROR_MAX - 4, "...", 4);
}

int rm_error_vset(struct rm_error *err, int code, const char *fmt, va_list ap)
{
    if (!err)
        return -1;
    err->code = code;
    err->xcode = RM_XNONE;
    err->subject = (struct rm_error_subject){.step = -1};
    err->lead = 0;
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    if (n < 0)
        snprintf(err->msg, sizeof err->msg, "%s", rm_strerror(code));
    else
        mark_truncated(err->msg, n);
    return -1;
}

int rm_error_set(struct rm_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rm_error_vset(err, code, fmt, ap);
    va_end(ap);
    return -1;
}

int rm_error_xset(struct rm_error *err, int xcode, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rm_error_vset(err, rm_xcode_primary(xcode), fmt, ap);
    va_end(ap);
    if (err)
        err->xcode = xcode;
    return -1;
}

/* Puts the formatted text in front of the message from byte `keep` on,
   joined by `sep`; returns the length of the text put in front. */
static size_t vput_front(struct rm_error *err, size_t keep, const char *sep, const char *fmt,
                         va_list ap)
{
    char old[RM_ERROR_MAX];
    memcpy(old, err->msg, sizeof old);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    if (n < 0)
        n = 0;
    if (n < RM_ERROR_MAX) {
        int m = snprintf(err->msg + n, sizeof err->msg - (size_t)n, "%s%s", sep, old + keep);
        mark_truncated(err->msg, n + m);
        return (size_t)n;
    }
    mark_truncated(err->msg, n);
    return RM_ERROR_MAX - 1;
}

int rm_error_prefix(struct rm_error *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    size_t n = vput_front(err, 0, ": ", fmt, ap);
    va_end(ap);
    if (err->lead)
        err->lead = n + 2 + err->lead < RM_ERROR_MAX ? n + 2 + err->lead : 0;
    if (err->subject.label_len)
        err->subject.label_at += n + 2;
    return -1;
}

int rm_error_lead(struct rm_error *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    size_t n = vput_front(err, 0, ": ", fmt, ap);
    va_end(ap);
    err->lead = n < RM_ERROR_MAX - 1 ? n : 0;
    if (err->subject.label_len)
        err->subject.label_at += n + 2;
    return -1;
}

int rm_error_restate(struct rm_error *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    size_t keep = err->lead;
    va_list ap;
    va_start(ap, fmt);
    size_t n = vput_front(err, keep, keep ? "" : ": ", fmt, ap);
    va_end(ap);
    err->lead = n < RM_ERROR_MAX - 1 ? n : 0;
    if (err->subject.label_len && err->subject.label_at < keep)
        err->subject.label_len = 0; /* the label was in the lead replaced */
    else if (err->subject.label_len)
        err->subject.label_at = err->subject.label_at - keep + n + (keep ? 0 : 2);
    return -1;
}

void rm_error_subject_pid(struct rm_error *err, uint64_t pid)
{
    if (err)
        err->subject.pid = pid;
}

/* rm_error_about and rm_error_naming: the message, its label and pid, and
   (with `lead`) its lead. */
static int vabout(struct rm_error *err, int code, int xcode, uint64_t pid, const char *verb,
                  const char *label, int lead, const char *fmt, va_list ap)
{
    if (!err)
        return -1;
    char rest[RM_ERROR_MAX];
    vsnprintf(rest, sizeof rest, fmt, ap);
    const char *sp = *verb ? " " : "";
    rm_error_set(err, xcode != RM_XNONE ? rm_xcode_primary(xcode) : code, "%s%s'%s'%s", verb, sp,
                 label, rest);
    err->xcode = xcode;
    err->subject.pid = pid;
    size_t at = strlen(verb) + strlen(sp) + 1, end = at + strlen(label) + 1;
    if (end < RM_ERROR_MAX - 1) { /* the opening was not cut */
        err->subject.label_at = at;
        err->subject.label_len = strlen(label);
        err->lead = lead ? end : 0;
    }
    return -1;
}

int rm_error_about(struct rm_error *err, int code, int xcode, uint64_t pid, const char *verb,
                   const char *label, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vabout(err, code, xcode, pid, verb, label, 1, fmt, ap);
    va_end(ap);
    return -1;
}

int rm_error_naming(struct rm_error *err, int code, int xcode, uint64_t pid, const char *before,
                    const char *label, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vabout(err, code, xcode, pid, before, label, 0, fmt, ap);
    va_end(ap);
    return -1;
}

int rm_error_relabel(struct rm_error *err, const char *name)
{
    if (!err || !err->subject.label_len)
        return -1;
    size_t at = err->subject.label_at, len = err->subject.label_len, nlen = strlen(name);
    char msg[RM_ERROR_MAX];
    int n = snprintf(msg, sizeof msg, "%.*s%s%s", (int)at, err->msg, name, err->msg + at + len);
    mark_truncated(msg, n);
    memcpy(err->msg, msg, sizeof msg);
    if (err->lead > at)
        err->lead = err->lead + nlen - len < RM_ERROR_MAX ? err->lead + nlen - len : 0;
    err->subject.label_len = nlen;
    return -1;
}

void rm_error_subject_module(struct rm_error *err, const char *module)
{
    if (err)
        snprintf(err->subject.module, sizeof err->subject.module, "%s", module);
}

void rm_error_subject_step(struct rm_error *err, long step)
{
    if (err)
        err->subject.step = step;
}

int rm_error_copy(struct rm_error *dst, const struct rm_error *src)
{
    if (dst && src && dst != src)
        *dst = *src;
    return -1;
}

int rm_error_nomem(struct rm_error *err)
{
    return rm_error_set(err, RM_ENOMEM, "out of memory");
}

void rm_error_clear(struct rm_error *err)
{
    if (err) {
        err->code = RM_OK;
        err->xcode = RM_XNONE;
        err->subject = (struct rm_error_subject){.step = -1};
        err->lead = 0;
        err->msg[0] = '\0';
    }
}
