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

int rm_error_prefix(struct rm_error *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char old[RM_ERROR_MAX];
    memcpy(old, err->msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if (n < RM_ERROR_MAX) {
        int m = snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", old);
        mark_truncated(err->msg, n + m);
    } else {
        mark_truncated(err->msg, n);
    }
    return -1;
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
        err->msg[0] = '\0';
    }
}
