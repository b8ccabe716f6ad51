/*
 * rt.c - the node's log sink.
 */
#include <stdarg.h>
#include <stdio.h>

#include "rt.h"

void rm__rt_log(struct rm_node *node, int level, const char *fmt, ...)
{
    struct rm__rt_node *rt = rm__rt_of(node);
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (rt->log)
        rt->log(rt->log_ud, level, line);
    else
        fprintf(stderr, "%s\n", line);
}
