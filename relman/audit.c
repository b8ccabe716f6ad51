/* The audit log of a node root: writing a record as one line, reading it
   back (audit.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"

/* Reads /proc/PID/cmdline into buf, its words joined by spaces. */
static void read_cmdline(pid_t pid, char *buf, size_t size)
{
    char path[64];
    buf[0] = '\0';
    snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return;
    while (n > 0 && buf[n - 1] == '\0')
        n--;
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    buf[n] = '\0';
}

void audit_begin(struct audit_rec *r, const char *op, pid_t pid, uid_t uid)
{
    memset(r, 0, sizeof *r);
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t k = strftime(r->time, sizeof r->time, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(r->time + k, sizeof r->time - k, ".%03ldZ", ts.tv_nsec / 1000000);
    snprintf(r->op, sizeof r->op, "%s", op);
    r->pause_ns = -1;
    r->uid = (long)uid;
    r->pid = (long)pid;
    read_cmdline(pid, r->cmd, sizeof r->cmd);
}

void audit_outcome(struct audit_rec *r, const struct rm_error *err)
{
    snprintf(r->result, sizeof r->result, "%s", err ? "failed" : "ok");
    if (err)
        snprintf(r->error, sizeof r->error, "%s", err->msg[0] ? err->msg : rm_strerror(err->code));
    else
        r->error[0] = '\0';
}

int audit_path(const char *root, char *buf, size_t size, struct rm_error *err)
{
    int n = snprintf(buf, size, "%s/%s/%s", root, AUDIT_DIR, AUDIT_FILE);
    if (n < 0 || (size_t)n >= size)
        return rm_error_set(err, RM_ELIMIT, "audit log: root '%.100s...' is too long", root);
    return 0;
}

/* Appends NAME=VALUE (escaped, and cut to `max` bytes of the escaped text)
   to the line being built in buf at *len. */
static void put_field(char *buf, size_t *len, const char *name, const char *value, size_t max)
{
    size_t k = *len, end = k + strlen(name) + 2 + max;
    if (end > AUDIT_LINE_MAX - 1)
        end = AUDIT_LINE_MAX - 1;
    k += (size_t)snprintf(buf + k, AUDIT_LINE_MAX - k, "%s%s=", k ? "\t" : "", name);
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        char esc[8];
        if (*p == '\\')
            snprintf(esc, sizeof esc, "\\\\");
        else if (*p == '\t')
            snprintf(esc, sizeof esc, "\\t");
        else if (*p == '\n')
            snprintf(esc, sizeof esc, "\\n");
        else if (*p < 0x20 || *p == 0x7f)
            snprintf(esc, sizeof esc, "\\x%02x", *p);
        else
            esc[0] = (char)*p, esc[1] = '\0';
        size_t e = strlen(esc);
        if (k + e > end)
            break;
        memcpy(buf + k, esc, e);
        k += e;
    }
    buf[k] = '\0';
    *len = k;
}

int audit_append(const char *root, const struct audit_rec *r, struct rm_error *err)
{
    char path[4200], dir[4200];
    if (audit_path(root, path, sizeof path, err) < 0)
        return -1;
    snprintf(dir, sizeof dir, "%s/%s", root, AUDIT_DIR);
    struct stat st;
    if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
        return rm_error_set(err, RM_ENOENT, "audit log '%s': root '%s' is not a directory", path,
                            root);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return rm_error_set(err, RM_EIO, "audit log '%s': %s", path, strerror(errno));
    char line[AUDIT_LINE_MAX], pause[32];
    size_t len = 0;
    if (r->pause_ns >= 0)
        snprintf(pause, sizeof pause, "%.3f", (double)r->pause_ns / 1e6);
    else
        snprintf(pause, sizeof pause, "-");
    char uid[24], pid[24];
    snprintf(uid, sizeof uid, "%ld", r->uid);
    snprintf(pid, sizeof pid, "%ld", r->pid);
    /* Short fields first; the command line and the error share what is
       left, the error first (it says what happened). */
    put_field(line, &len, "time", r->time, 64);
    put_field(line, &len, "op", r->op, 64);
    put_field(line, &len, "result", r->result, 64);
    put_field(line, &len, "from", r->from, 4 * RM_NAME_MAX);
    put_field(line, &len, "to", r->to, 4 * RM_NAME_MAX);
    put_field(line, &len, "pause_ms", pause, 64);
    put_field(line, &len, "uid", uid, 64);
    put_field(line, &len, "pid", pid, 64);
    size_t room = AUDIT_LINE_MAX - 1 - len - sizeof "\tcmd=\terror=";
    put_field(line, &len, "cmd", r->cmd, room / 3);
    put_field(line, &len, "error", r->error, AUDIT_LINE_MAX);
    line[len++] = '\n';
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return rm_error_set(err, RM_EIO, "audit log '%s': %s", path, strerror(errno));
    /* One write: O_APPEND places it whole at the end, whoever else
       appends. A short write (disk full) is reported, not retried, so a
       line is never split in two. */
    ssize_t n = write(fd, line, len);
    int saved = errno;
    if (n == (ssize_t)len && fdatasync(fd) < 0)
        n = -1, saved = errno;
    close(fd);
    if (n != (ssize_t)len)
        return rm_error_set(err, RM_EIO, "audit log '%s': %s", path,
                            n < 0 ? strerror(saved) : "short write (disk full?)");
    return 0;
}

/* Copies the escaped value at s (up to a tab or the end) into buf,
   unescaped; returns where it stopped. */
static const char *get_value(const char *s, char *buf, size_t size)
{
    size_t k = 0;
    for (; *s && *s != '\t'; s++) {
        char c = *s;
        if (c == '\\' && s[1]) {
            s++;
            if (*s == 't')
                c = '\t';
            else if (*s == 'n')
                c = '\n';
            else if (*s == 'x' && s[1] && s[2]) {
                char hex[3] = {s[1], s[2], '\0'};
                c = (char)strtol(hex, NULL, 16);
                s += 2;
            } else
                c = *s;
        }
        if (k + 1 < size)
            buf[k++] = c;
    }
    buf[k] = '\0';
    return s;
}

int audit_parse(const char *line, struct audit_rec *r)
{
    memset(r, 0, sizeof *r);
    r->pause_ns = -1;
    char scratch[AUDIT_LINE_MAX];
    for (const char *s = line; *s;) {
        const char *eq = strchr(s, '='), *tab = strchr(s, '\t');
        if (!eq || (tab && tab < eq)) { /* not NAME=VALUE */
            s = tab ? tab + 1 : s + strlen(s);
            continue;
        }
        size_t nl = (size_t)(eq - s);
        const struct {
            const char *name;
            char *buf;
            size_t size;
        } fields[] = {
            {"time", r->time, sizeof r->time},
            {"op", r->op, sizeof r->op},
            {"result", r->result, sizeof r->result},
            {"from", r->from, sizeof r->from},
            {"to", r->to, sizeof r->to},
            {"cmd", r->cmd, sizeof r->cmd},
            {"error", r->error, sizeof r->error},
            {"pause_ms", NULL, 0},
            {"uid", NULL, 0},
            {"pid", NULL, 0},
        };
        size_t i = 0, n = sizeof fields / sizeof fields[0];
        while (i < n && !(strlen(fields[i].name) == nl && strncmp(fields[i].name, s, nl) == 0))
            i++;
        const char *end = get_value(eq + 1, i < n && fields[i].buf ? fields[i].buf : scratch,
                                    i < n && fields[i].buf ? fields[i].size : sizeof scratch);
        if (i < n && !fields[i].buf) {
            char *stop;
            if (fields[i].name[0] == 'p' && fields[i].name[1] == 'a') {
                double ms = strtod(scratch, &stop);
                r->pause_ns = stop != scratch && !*stop ? (long long)(ms * 1e6 + 0.5) : -1;
            } else {
                long v = strtol(scratch, &stop, 10);
                *(fields[i].name[0] == 'u' ? &r->uid : &r->pid) = v;
            }
        }
        s = *end ? end + 1 : end;
    }
    return r->time[0] && r->op[0] ? 0 : -1;
}
