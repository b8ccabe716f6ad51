/*
 * relman/strbuf.h - a growing string: the one text builder the printers
 * (plans, configuration) share.
 */
#ifndef RELMAN_STRBUF_H
#define RELMAN_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A NUL-terminated string in a buffer that grows. Zero it to start. Once
   an allocation fails, `failed` is set and every later addition is
   ignored: check it once at the end, then free(buf) either way or keep
   buf (NULL when nothing was ever added). */
struct rm_strbuf {
    char *buf;
    size_t len, cap;
    int failed;
};

/* Appends n bytes of s. */
void rm_strbuf_add(struct rm_strbuf *b, const char *s, size_t n);
/* Appends the string s. */
void rm_strbuf_puts(struct rm_strbuf *b, const char *s);
/* Appends printf-style text. */
void rm_strbuf_printf(struct rm_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void rm_strbuf_vprintf(struct rm_strbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#ifdef __cplusplus
}
#endif
#endif
