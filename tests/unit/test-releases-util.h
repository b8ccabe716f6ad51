/*
 * test-releases-util.h - helpers of the releases suites: temporary
 * directories, a builder of release archives (well-formed or hostile)
 * written with libarchive, and a listing of a directory tree to prove that
 * nothing was written.
 */
#ifndef TEST_RELEASES_UTIL_H
#define TEST_RELEASES_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Kinds of entries the builder writes. */
enum tb_kind { TB_FILE, TB_DIR, TB_SYMLINK, TB_HARDLINK, TB_CHR, TB_BLK, TB_FIFO };

/* One entry of an archive being built. */
struct tb_entry {
    char *name;
    enum tb_kind kind;
    char *data; /* file contents */
    size_t len;
    char *link;       /* symlink or hardlink target */
    int64_t declared; /* size written in the header when not -1 */
    int unlisted;     /* left out of the checksum list */
    char *sum;        /* checksum written in the list instead of the real one */
};

/* An archive being built: entries in order, the release version. */
struct tb {
    char vsn[64];
    struct tb_entry *v;
    size_t n;
    int no_sums;   /* write no checksum list */
    int sums_last; /* write the checksum list last instead of first */
    char **extra;  /* extra lines of the list (for files not in the archive) */
    size_t nextra;
    uint64_t cut; /* stop the output after this many bytes (0: never) */
};

/* Starts an archive of release `vsn`. */
void tb_init(struct tb *b, const char *vsn);
/* Adds an entry; returns it for tweaks. `data` may hold NULs (len bytes). */
struct tb_entry *tb_add(struct tb *b, enum tb_kind kind, const char *name, const char *data,
                        size_t len, const char *link);
/* Adds a regular file with a string as contents. */
struct tb_entry *tb_file(struct tb *b, const char *name, const char *text);
/* Adds a valid release `vsn` of application `app` version `appvsn`
   holding one module "m" (fake bytes: unpack never loads modules). */
void tb_release(struct tb *b, const char *app, const char *appvsn);
/* Adds a line to the checksum list for a file that is not in the archive. */
void tb_extra_line(struct tb *b, const char *path, const char *text);
/* Writes the archive (gzip tar) to `path`. */
void tb_write(struct tb *b, const char *path);
/* Frees the builder. */
void tb_free(struct tb *b);

/* A new temporary directory (free the string; remove with rm_tree). */
char *test_tmpdir(void);
/* Removes a tree. */
void rm_tree(const char *path);
/* A listing of every file under `dir` (its parent's whole area when the
   caller passes it): path, type, size, mode, link target and a digest of
   the contents, one line each, sorted; a root's audit log (log/audit.log
   and its directory) left out. Free the string. */
char *tree_listing(const char *dir);
/* SHA-256 of a buffer in hex into `hex` (65 bytes). */
void test_sha256(const void *data, size_t len, char *hex);
/* Runs a shell command; returns its exit status. */
int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs a command and captures stdout+stderr into a new string. */
char *run_capture(int *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
