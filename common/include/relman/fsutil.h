/*
 * relman/fsutil.h - small file-system helpers shared by the libraries:
 * durable atomic writes, whole-file reads, directory trees.
 */
#ifndef RELMAN_FSUTIL_H
#define RELMAN_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "relman/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Replaces the file at `path` with `len` bytes of `data`, durably and
 * atomically: write `path`.new, fsync it, rename it over `path`, fsync the
 * directory. A crash at any moment leaves either the old or the new file,
 * never a torn one. The file gets `mode`. Returns 0, or -1 with `err` set
 * (the old file is then untouched and no temporary file remains).
 */
int rm_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                       struct rm_error *err);

/* What rm_fs_replace() returns when the new file is in place but the
   directory could not be flushed afterwards. */
#define RM_FS_UNSYNCED 1

/*
 * The same as rm_fs_write_atomic(), telling apart the one failure that
 * comes after the rename: when flushing the directory fails, the new file
 * is already in place (every reader sees it) but may not survive a crash;
 * that returns RM_FS_UNSYNCED with `err` saying so, and the caller must
 * treat the change as made (it cannot be rolled back). Returns 0, -1 with
 * `err` set and the old file untouched, or RM_FS_UNSYNCED.
 */
int rm_fs_replace(const char *path, const void *data, size_t len, mode_t mode,
                  struct rm_error *err);

/*
 * Reads the whole file at `path` into a new NUL-terminated buffer stored in
 * `*data` (free it with free()) and its length in `*len`. Refuses files
 * larger than `max` bytes with RM_ELIMIT. Returns 0, or -1 with `err` set.
 */
int rm_fs_read_file(const char *path, size_t max, char **data, size_t *len, struct rm_error *err);

/*
 * Creates directory `path` and any missing parents with `mode`, like
 * `mkdir -p`. An existing directory is success. Returns 0 or -1 with `err`.
 */
int rm_fs_mkdirs(const char *path, mode_t mode, struct rm_error *err);

/*
 * Removes `path` and everything below it without following symbolic links,
 * like `rm -rf`. A missing path is success. Returns 0 or -1 with `err`.
 */
int rm_fs_remove_tree(const char *path, struct rm_error *err);

/* Flushes directory `path` to disk (after a rename in it). 0 or -1 with `err`. */
int rm_fs_sync_dir(const char *path, struct rm_error *err);

/*
 * Formats a path with printf-style `fmt` into `buf` of `size` bytes (give
 * PATH_MAX). Returns 0, or -1 with RM_EINVAL "path too long '<start>...'"
 * in `err` when it does not fit: a path is never silently cut.
 */
int rm_fs_path(char *buf, size_t size, struct rm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Returns a new string "a/b" (free() it), or NULL with RM_ENOMEM. */
char *rm_fs_join(const char *a, const char *b, struct rm_error *err);

/* Tells whether `path` exists (as anything, links not followed). */
int rm_fs_exists(const char *path);

#ifdef __cplusplus
}
#endif
#endif
