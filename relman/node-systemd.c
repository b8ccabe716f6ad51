/*
 * The node under a service manager (systemd's Type=notify protocol, through
 * libsystemd's sd_notify): readiness once the permanent release has booted,
 * STATUS= lines while a release operation runs, STOPPING=1, and WATCHDOG=1
 * keep-alives when the manager set WATCHDOG_USEC. Built without libsystemd
 * (RELMAN_HAVE_SYSTEMD undefined) every function here does nothing, and
 * node_sd_watchdog_usec says there is no watchdog.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "node.h"
#include "relman/module.h"

#ifdef RELMAN_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

int node_sd_notifying(void)
{
    const char *s = getenv("NOTIFY_SOCKET");
    return s && *s;
}

/* Sends one notification; "unset_environment" is 0 so that later STATUS=
   and WATCHDOG=1 lines still find the socket. */
static void notify(const char *text)
{
#ifdef RELMAN_HAVE_SYSTEMD
    int r = sd_notify(0, text);
    if (r < 0)
        node_logf(RM_LOG_WARNING, "cannot notify the service manager ('%.40s'): error %d", text,
                  -r);
#else
    (void)text;
#endif
}

void node_sd_ready(const char *fmt, ...)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "READY=1\nSTATUS=");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
    va_end(ap);
    notify(buf);
}

void node_sd_status(const char *fmt, ...)
{
    char buf[1024] = "STATUS=";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + 7, sizeof buf - 7, fmt, ap);
    va_end(ap);
    notify(buf);
}

void node_sd_stopping(void)
{
    notify("STOPPING=1\nSTATUS=stopping");
}

uint64_t node_sd_watchdog_usec(void)
{
#ifdef RELMAN_HAVE_SYSTEMD
    uint64_t usec = 0;
    /* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is us. */
    if (sd_watchdog_enabled(0, &usec) > 0)
        return usec;
#endif
    return 0;
}

void node_sd_watchdog_ping(void)
{
    notify("WATCHDOG=1");
}
