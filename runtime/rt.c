/*
 * rt.c - the node's log sink.
 */
#include <stdarg.h>
#include <stdio.h>

#include "rt.h"

static void emit(struct rm_node *node, const struct rm_log_about *about, int level, const char *fmt,
                 va_list ap)
{
    struct rm__rt_node *rt = rm__rt_of(node);
    char line[2048];
    vsnprintf(line, sizeof line, fmt, ap);
    if (rt->log_about)
        rt->log_about(rt->log_ud, level, line, about);
    else if (rt->log)
        rt->log(rt->log_ud, level, line);
    else
        fprintf(stderr, "%s\n", line);
}

void rm__rt_log(struct rm_node *node, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(node, NULL, level, fmt, ap);
    va_end(ap);
}

void rm__rt_log_about(struct rm_node *node, const struct rm_log_about *about, int level,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(node, about, level, fmt, ap);
    va_end(ap);
}
