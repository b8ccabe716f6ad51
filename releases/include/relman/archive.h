/*
 * relman/archive.h - release archives: packing a release from its spec and
 * built modules, and unpacking an untrusted archive into a node's root.
 *
 * An archive is a gzip-compressed tar laid out as the root holds it:
 *
 *     releases/<vsn>/SHA256SUMS          the checksum list (first entry)
 *     releases/<vsn>/release.yaml
 *     releases/<vsn>/relup.yaml          (when the release has one)
 *     lib/<app>-<version>/<app>.app.yaml
 *     lib/<app>-<version>/<app>.appup.yaml   (when the application has one)
 *     lib/<app>-<version>/<module>.so
 *
 * SHA256SUMS lists every other file as "<sha-256 hex>  <path>", sorted by
 * path (the format of sha256sum). docs/releases.md describes the layout,
 * the search path of pack and every rule unpack enforces.
 */
#ifndef RELMAN_ARCHIVE_H
#define RELMAN_ARCHIVE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "relman/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Name of a release's hand-written relup, beside its release.yaml: the
   release spec's directory when packing, ROOT/releases/<vsn>/ unpacked. */
#define RM_RELUP_FILE "relup.yaml"

/* Default limits of rm_release_unpack(). */
#define RM_UNPACK_MAX_FILE_SIZE (1024ull * 1024 * 1024) /* one file: 1 GiB */
#define RM_UNPACK_MAX_RATIO     100.0                   /* expanded bytes per archive byte */
#define RM_UNPACK_MAX_ENTRIES   100000                  /* entries of any kind, links included */

/* Options of rm_release_pack(). */
struct rm_pack_opts {
    /* Directories searched, in order, for each file of an application
       `<app>-<version>/<file>` (its spec, appup and modules); each file is
       taken from the first directory holding it. When empty, the release
       spec's own directory and its "lib" subdirectory are searched. */
    const char *const *path;
    size_t npath;
    /* Modification time given to every entry (seconds since the epoch). */
    int64_t mtime;
};

/*
 * Packs the release described by the release spec at `spec` into the
 * archive `out` (written atomically). Every application of the release needs
 * its spec `<app>.app.yaml`, whose name and version must match the release;
 * its appup `<app>.appup.yaml` is taken when found, and so is the relup
 * RM_RELUP_FILE lying beside the spec (stored as releases/<vsn>/relup.yaml),
 * each loaded and checked against the application or release it belongs
 * to. Every module of an
 * application needs `<module>.so`, whose descriptor (read by loading the
 * object with dlopen, RTLD_LAZY | RTLD_LOCAL: it must be the user's own
 * build output) must carry the ABI version, module name and version the
 * application spec gives. The archive is reproducible: entries sorted, the
 * checksum list first, owner root:root (0:0), modes 0644 (0755 for modules),
 * `mtime` for every entry, no gzip timestamp. Returns 0, or -1 with `err`
 * naming the missing or disagreeing file; `out` is then not created.
 */
int rm_release_pack(const char *spec, const char *out, const struct rm_pack_opts *opts,
                    struct rm_error *err);

/* Options of rm_release_unpack(). A zeroed struct gives the defaults. */
struct rm_unpack_opts {
    uint64_t max_file_size; /* largest single file; 0: RM_UNPACK_MAX_FILE_SIZE */
    double max_ratio;       /* largest expanded/compressed ratio; 0: RM_UNPACK_MAX_RATIO */
    uint64_t max_entries;   /* most entries (links and directories count); 0: the default */
    int no_sync;            /* skip flushing the files to disk before they land */
    /* Called now and then with the archive bytes read so far and the
       archive's size (NULL: none). */
    void (*progress)(void *arg, uint64_t done, uint64_t total);
    void *progress_arg;
    /* When not NULL and set non-zero (by a signal handler, say), unpack
       stops before the next entry or data block, and before landing, and is
       refused with "interrupted" like any refusal: nothing new remains. */
    volatile sig_atomic_t *cancel;
};

/* What rm_release_unpack() unpacked. */
struct rm_unpack_result {
    char name[64];
    char version[64];
    int permanent; /* 1 when it initialised the root and is permanent */
    /* Empty, or why the release, unpacked and recorded, may not survive a
       crash (flushing ROOT/releases after writing RELEASES failed). */
    char warning[RM_ERROR_MAX];
};

/*
 * Verifies the release archive `file` and unpacks it into the node root
 * `root` (created when missing), holding the store's lock throughout. The
 * archive is extracted through libarchive into a staging directory inside
 * ROOT while every entry is checked and hashed; then the checksum list and
 * the specs are verified, and only then are lib/<app>-<version> directories
 * and releases/<vsn> renamed into place and the release recorded in RELEASES
 * as unpacked (as permanent for the root's first release). An existing
 * lib/<app>-<version> is never overwritten: it is kept when its files match
 * the archive's and the archive is refused otherwise.
 *
 * Refused, with RM_EUNSAFE, RM_ECHECKSUM, RM_ELIMIT, RM_EEXIST or RM_EPARSE
 * and a message naming the entry: ".." components, absolute paths, names
 * that are not valid UTF-8 or hold control characters or backslashes,
 * symbolic or hard links resolving outside their application or release
 * directory or through another link, symbolic links that point to no file
 * of the archive or whose listed digest is not that file's (a link stands
 * for the file it points to), entries written through a link,
 * devices, fifos and sockets, entries outside the layout, entries missing
 * from the checksum list, listed files missing from the archive, checksum
 * mismatches, duplicate entries, a version already known, a file larger
 * than the size limit, an archive expanding beyond the ratio limit or
 * holding more entries than the entry limit (symbolic links carry no data,
 * so only this limit bounds them), corrupt
 * or truncated compression, and specs, appups or a relup that do not load
 * (the loader's file:line:column message) or do not match the archive. On any
 * refusal nothing new remains in ROOT.
 *
 * Returns 0 and fills `res` (when not NULL), or -1 with `err` set.
 */
int rm_release_unpack(const char *file, const char *root, const struct rm_unpack_opts *opts,
                      struct rm_unpack_result *res, struct rm_error *err);

/*
 * Records release `vsn` whose files were placed in ROOT by other means (OTP's
 * set_unpacked): ROOT/releases/<vsn>/release.yaml must load and name `vsn`,
 * and every application's directory, spec and modules must be there. The
 * root's first release becomes permanent, any other unpacked. Takes the
 * store's lock. Returns 0, or -1 with `err` set and nothing changed.
 */
int rm_release_set_unpacked(const char *root, const char *vsn, struct rm_error *err);

/*
 * Verifies unpacked release `vsn` in `root`: every file its checksum list
 * (ROOT/releases/<vsn>/SHA256SUMS, written by unpack) names must still have
 * its SHA-256, so that a file changed on disk since unpack is refused before
 * anything loads it. A release recorded with rm_release_set_unpacked() has
 * no list and passes with *nfiles = 0. Returns 0 with the number of files
 * checked in *nfiles, or -1 with `err` naming the file (RM_ECHECKSUM when it
 * changed). A symbolic link is verified by the file it points to, as
 * sha256sum -c reads it; one that no longer points to a regular file of its
 * own directory is refused with RM_EUNSAFE.
 */
int rm_release_verify(const char *root, const char *vsn, size_t *nfiles, struct rm_error *err);

#ifdef __cplusplus
}
#endif
#endif
