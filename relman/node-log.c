/*
 * The node's log, where the watchdog and the node write each line:
 *
 *   NODE_SINK_STDERR   one write(2) to stderr, no time stamp (a node in the
 *                     foreground, on a terminal or under a supervisor that
 *                     keeps its output)
 *   NODE_SINK_FILE     one write(2) to stderr, which is ROOT/log/node.log,
 *                     time stamped; node_log_reopen() opens the path again
 *                     (SIGHUP, after logrotate renamed the file): a line is
 *                     one write to one descriptor and dup2() swaps the
 *                     descriptor atomically, so each line lands whole in the
 *                     old file or the new one, and none is lost
 *   NODE_SINK_JOURNAL  one sd_journal_sendv() with structured fields
 *                     (node_journal_fields); to stderr when the journal
 *                     refuses it
 *
 * The fields RELMAN_RELEASE (the release the node runs, node_log_release)
 * and RELMAN_PROCESS / RELMAN_MODULE (the runtime's subject of a line)
 * go to the journal; a file or a terminal gets the text alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifdef RELMAN_HAVE_SYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "node.h"
#include "relman/module.h"
#include "relman/vocab.h"

static enum node_log_sink log_sink;
static char log_path[4096];
static char log_root[4096];

/* The release in RELMAN_RELEASE, written by one thread while others log. */
static pthread_mutex_t release_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_release[RM_NAME_MAX + 1];

void node_log_init(enum node_log_sink sink, const char *root, const char *path)
{
    log_sink = sink;
    snprintf(log_root, sizeof log_root, "%s", root ? root : "");
    snprintf(log_path, sizeof log_path, "%s", path ? path : "");
}

enum node_log_sink node_log_sink(void)
{
    return log_sink;
}

int node_log_journal_wanted(void)
{
    if (node_sd_notifying())
        return 1;
    /* JOURNAL_STREAM=DEV:INODE names the stream systemd connected to
       stderr; inherited by a program started from such a service, it must
       still name stderr to count. */
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
           (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void node_log_release(const char *vsn)
{
    pthread_mutex_lock(&release_lock);
    snprintf(log_release, sizeof log_release, "%s", vsn ? vsn : "");
    pthread_mutex_unlock(&release_lock);
}

int node_log_reopen(struct rm_error *err)
{
    if (log_sink != NODE_SINK_FILE)
        return 0;
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
        return rm_error_set(err, RM_EIO, "reopen the log '%s': %s", log_path, strerror(errno));
    /* stdout too: what a module prints goes to the same file. */
    if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) {
        int e = errno;
        close(fd);
        return rm_error_set(err, RM_EIO, "reopen the log '%s': %s", log_path, strerror(e));
    }
    close(fd);
    return 0;
}

/* The syslog priority of a relman log level. */
static int priority_of(int level)
{
    switch (level) {
    case RM_LOG_ERROR:
        return 3; /* LOG_ERR */
    case RM_LOG_WARNING:
        return 4; /* LOG_WARNING */
    case RM_LOG_INFO:
        return 6; /* LOG_INFO */
    default:
        return 7; /* LOG_DEBUG */
    }
}

/* Appends one "NAME=value" field when value is not empty, its value cut
   to the room left. */
static void add_field(struct node_journal_rec *rec, const char *name, const char *value)
{
    if (!value || !*value || rec->n >= NODE_JOURNAL_FIELDS_MAX)
        return;
    size_t used = rec->used, room = sizeof rec->buf - used;
    int k = snprintf(rec->buf + used, room, "%s=%s", name, value);
    if (k < 0 || room <= strlen(name) + 2)
        return;
    if ((size_t)k >= room)
        k = (int)room - 1; /* cut, still NUL-terminated */
    rec->iov[rec->n].iov_base = rec->buf + used;
    rec->iov[rec->n].iov_len = (size_t)k;
    rec->n++;
    rec->used = used + (size_t)k + 1;
}

void node_journal_fields(struct node_journal_rec *rec, int level, const char *line,
                         const struct node_log_subject *subj, const char *release, const char *root)
{
    char prio[4];
    rec->n = 0;
    rec->used = 0;
    snprintf(prio, sizeof prio, "%d", priority_of(level));
    add_field(rec, "PRIORITY", prio);
    add_field(rec, "SYSLOG_IDENTIFIER", "relman");
    add_field(rec, "RELMAN_ROOT", root);
    add_field(rec, "RELMAN_RELEASE", release);
    if (subj) {
        add_field(rec, "RELMAN_PROCESS", subj->process);
        add_field(rec, "RELMAN_MODULE", subj->module);
        add_field(rec, "RELMAN_MODULE_VERSION", subj->version);
    }
    add_field(rec, "MESSAGE", line && *line ? line : "-"); /* last: a long one is cut */
}

/* Sends a line to the journal; -1 when it could not. */
static int journal_line(int level, const char *line, const struct node_log_subject *subj)
{
#ifdef RELMAN_HAVE_SYSTEMD
    struct node_journal_rec rec;
    char release[RM_NAME_MAX + 1];
    pthread_mutex_lock(&release_lock);
    memcpy(release, log_release, sizeof release);
    pthread_mutex_unlock(&release_lock);
    node_journal_fields(&rec, level, line, subj, release, log_root);
    return sd_journal_sendv(rec.iov, (int)rec.n) < 0 ? -1 : 0;
#else
    return -1;
#endif
}

void node_log_about(int level, const char *line, const struct node_log_subject *subj)
{
    if (log_sink == NODE_SINK_JOURNAL && journal_line(level, line, subj) == 0)
        return;
    static const char *const prefix[] = {"error: ", "warning: ", "", ""};
    char buf[2048];
    size_t n = 0;
    if (log_sink == NODE_SINK_FILE) {
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

void node_log_line(void *ud, int level, const char *line)
{
    node_log_about(level, line, NULL);
}

void node_logf(int level, const char *fmt, ...)
{
    char line[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    node_log_about(level, line, NULL);
}
