/* strbuf.c - a growing string (relman/strbuf.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relman/strbuf.h"

/* Room for `more` bytes and the NUL after them; 0, or -1 (failed set). */
static int room(struct rm_strbuf *b, size_t more)
{
    if (b->failed)
        return -1;
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *nb = realloc(b->buf, cap);
    if (!nb) {
        b->failed = 1;
        return -1;
    }
    b->buf = nb;
    b->cap = cap;
    return 0;
}

void rm_strbuf_add(struct rm_strbuf *b, const char *s, size_t n)
{
    if (room(b, n) < 0)
        return;
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

void rm_strbuf_puts(struct rm_strbuf *b, const char *s)
{
    rm_strbuf_add(b, s, strlen(s));
}

void rm_strbuf_vprintf(struct rm_strbuf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if (room(b, (size_t)n) < 0)
        return;
    vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void rm_strbuf_printf(struct rm_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rm_strbuf_vprintf(b, fmt, ap);
    va_end(ap);
}
