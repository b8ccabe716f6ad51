/* The node's log: each line one write(2) to stderr, which is the terminal in
   the foreground and ROOT/log/node.log for a detached node. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "node.h"

static int log_stamped;

void node_log_init(int stamped)
{
    log_stamped = stamped;
}

void node_log_line(void *ud, int level, const char *line)
{
    static const char *const prefix[] = {"error: ", "warning: ", "", ""};
    char buf[2048];
    size_t n = 0;
    if (log_stamped) {
        struct timeval tv;
        struct tm tm;
        gettimeofday(&tv, NULL);
        localtime_r(&tv.tv_sec, &tm);
        n = strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
        n += (size_t)snprintf(buf + n, sizeof buf - n, ".%03ld [%ld] ", (long)tv.tv_usec / 1000,
                              (long)getpid());
    }
    int k = snprintf(buf + n, sizeof buf - n, "%s%s\n",
                     level >= 0 && level <= 3 ? prefix[level] : "", line);
    if (k < 0)
        return;
    n = n + (size_t)k < sizeof buf ? n + (size_t)k : sizeof buf - 1;
    buf[n - 1] = '\n'; /* a cut line still ends the line */
    ssize_t w = write(STDERR_FILENO, buf, n);
    (void)w; /* nowhere left to report a failing log */
}

void node_logf(int level, const char *fmt, ...)
{
    char line[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    node_log_line(NULL, level, line);
}
