/* File-system helpers: atomic durable writes, whole-file reads, trees. */
#define _GNU_SOURCE
#include "relman/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rm_fs_sync_dir(const char *path, struct rm_error *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return rm_error_set(err, RM_EIO, "cannot open directory '%s': %s", path, strerror(errno));
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    if (rc < 0 && saved != EINVAL)
        return rm_error_set(err, RM_EIO, "cannot sync directory '%s': %s", path, strerror(saved));
    return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int rm_fs_replace(const char *path, const void *data, size_t len, mode_t mode, struct rm_error *err)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.new", path) >= (int)sizeof tmp)
        return rm_error_set(err, RM_EINVAL, "path too long '%s'", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return rm_error_set(err, RM_EIO, "cannot create '%s': %s", tmp, strerror(errno));
    if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        return rm_error_set(err, RM_EIO, "cannot write '%s': %s", tmp, strerror(saved));
    }
    if (close(fd) < 0) {
        int saved = errno;
        unlink(tmp);
        return rm_error_set(err, RM_EIO, "cannot write '%s': %s", tmp, strerror(saved));
    }
    if (rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        return rm_error_set(err, RM_EIO, "cannot rename '%s' to '%s': %s", tmp, path,
                            strerror(saved));
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path); /* shorter than tmp, which fit */
    if (rm_fs_sync_dir(dirname(dir), err) < 0) {
        rm_error_prefix(err, "'%s' was replaced but may not survive a crash", path);
        return RM_FS_UNSYNCED;
    }
    return 0;
}

int rm_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                       struct rm_error *err)
{
    return rm_fs_replace(path, data, len, mode, err) == 0 ? 0 : -1;
}

int rm_fs_read_file(const char *path, size_t max, char **data, size_t *len, struct rm_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rm_error_set(err, errno == ENOENT ? RM_ENOENT : RM_EIO, "cannot open '%s': %s", path,
                            strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return rm_error_set(err, RM_EIO, "cannot read '%s': not a regular file", path);
    }
    if ((size_t)st.st_size > max) {
        close(fd);
        return rm_error_set(err, RM_ELIMIT, "cannot read '%s': %lld bytes, more than the limit %zu",
                            path, (long long)st.st_size, max);
    }
    size_t cap = (size_t)st.st_size + 1, used = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return rm_error_nomem(err);
    }
    for (;;) {
        if (used + 1 >= cap) {
            if (cap > max) {
                free(buf);
                close(fd);
                return rm_error_set(err, RM_ELIMIT,
                                    "cannot read '%s': more than the limit of %zu bytes", path,
                                    max);
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                close(fd);
                return rm_error_nomem(err);
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + used, cap - used - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            free(buf);
            close(fd);
            return rm_error_set(err, RM_EIO, "cannot read '%s': %s", path, strerror(saved));
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    buf[used] = '\0';
    *data = buf;
    *len = used;
    return 0;
}

int rm_fs_mkdirs(const char *path, mode_t mode, struct rm_error *err)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return rm_error_set(err, RM_EINVAL, "path too long '%s'", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return rm_error_set(err, RM_EIO, "cannot create directory '%s': %s", buf,
                                    strerror(errno));
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return rm_error_set(err, RM_EIO, "cannot create directory '%s': not a directory", path);
    return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int rm_fs_remove_tree(const char *path, struct rm_error *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT
                   ? 0
                   : rm_error_set(err, RM_EIO, "cannot remove '%s': %s", path, strerror(errno));
    if (nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS) < 0)
        return rm_error_set(err, RM_EIO, "cannot remove '%s': %s", path, strerror(errno));
    return 0;
}

int rm_fs_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int rm_fs_path(char *buf, size_t size, struct rm_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size)
        return rm_error_set(err, RM_EINVAL, "path too long '%.64s...' (%d bytes, limit %zu)", buf,
                            n, size - 1);
    return 0;
}

char *rm_fs_join(const char *a, const char *b, struct rm_error *err)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p) {
        rm_error_nomem(err);
        return NULL;
    }
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}
