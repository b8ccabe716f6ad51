/*
 * releases-internal.h - pieces shared by the files of the releases library:
 * SHA-256 through libcrypto, the checksum list, entry name rules, the store
 * lock and release spec checks.
 */
#ifndef RELMAN_RELEASES_INTERNAL_H
#define RELMAN_RELEASES_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "relman/error.h"
#include "relman/fsutil.h"
#include "relman/vocab.h" /* RM_ASSERT */

/* ---- SHA-256 (sha256.c) ---- */

/* Length of a SHA-256 digest written in lower-case hex, NUL excluded. */
#define RM__SHA256_HEX 64

struct rm__sha256; /* an EVP digest context */

/* A new SHA-256 computation, or NULL (out of memory) with `err` set. */
struct rm__sha256 *rm__sha256_new(struct rm_error *err);
/* Adds `len` bytes. */
void rm__sha256_update(struct rm__sha256 *h, const void *data, size_t len);
/* Writes the digest as hex into `hex` (RM__SHA256_HEX + 1 bytes) and starts
   the context over for the next input. */
void rm__sha256_final(struct rm__sha256 *h, char *hex);
/* Frees the context. NULL is allowed. */
void rm__sha256_free(struct rm__sha256 *h);
/* Digest of a whole buffer into `hex`. 0, or -1 with `err` set. */
int rm__sha256_buf(const void *data, size_t len, char *hex, struct rm_error *err);
/* Digest of the regular file at `path` into `hex`. 0, or -1 with `err`. */
int rm__sha256_file(const char *path, char *hex, struct rm_error *err);

/* Digest of file `rel` of a release in `root` into `hex`, as the checksum
   list holds it (verify.c): a symbolic link stands for the file it points
   to, which must be a regular file inside the link's own
   lib/<app>-<version> or releases/<vsn> directory (else RM_EUNSAFE).
   0, or -1 with `err` set. */
int rm__sha256_in_root(const char *root, const char *rel, char *hex, struct rm_error *err);

/* ---- the checksum list (sums.c) ---- */

/* Name of the checksum list inside releases/<vsn>/. */
#define RM__SUMS_NAME "SHA256SUMS"
/* Largest checksum list accepted. */
#define RM__SUMS_MAX (16u * 1024 * 1024)

/* One line of the list: a path relative to ROOT and its digest. */
struct rm__sum {
    char *path;
    char hex[RM__SHA256_HEX + 1];
    int seen; /* set by unpack when the entry went by */
};

/* A checksum list, sorted by path (byte order), no duplicates. */
struct rm__sums {
    size_t n, cap;
    struct rm__sum *items;
};

/* Appends a line (path copied). 0, or -1 with `err` set. */
int rm__sums_add(struct rm__sums *s, const char *path, const char *hex, struct rm_error *err);
/* Sorts the list; a duplicated path is an error naming it. 0 or -1. */
int rm__sums_sort(struct rm__sums *s, struct rm_error *err);
/* Renders the sorted list as "<hex>  <path>\n" lines (sha256sum's format)
   into a new buffer. 0, or -1 with `err` set. */
int rm__sums_format(const struct rm__sums *s, char **text, size_t *len, struct rm_error *err);
/* Parses a list read from the archive entry `name`: each line a valid
   entry name, sorted, no duplicates. 0, or -1 with `err` ("name:line: why"). */
int rm__sums_parse(struct rm__sums *s, const char *text, size_t len, const char *name,
                   struct rm_error *err);
/* The line for `path`, or NULL. The list must be sorted. */
struct rm__sum *rm__sums_find(const struct rm__sums *s, const char *path);
/* Frees the lines. */
void rm__sums_free(struct rm__sums *s);

/* ---- entry names (names.c) ---- */

/* Longest entry name (or link target) of an archive or checksum list, in
   bytes, NUL excluded: rm__name_check() refuses longer ones, pack and
   unpack alike. */
#define RM__ENTRY_NAME_MAX 1024

/* Flags of rm__name_check(). */
#define RM__NAME_DIR  1 /* a directory: one trailing '/' allowed */
#define RM__NAME_LINK 2 /* a link target: '.', '..' and empty components allowed */

/*
 * Checks a path taken from an archive (or a checksum list): relative,
 * not empty, at most RM__ENTRY_NAME_MAX bytes, valid UTF-8 without control characters or
 * backslashes, made of components that are neither empty, "." nor ".."
 * (unless `flags` says otherwise). Returns 0, or -1 with RM_EUNSAFE and a
 * message naming the entry and the problem.
 */
int rm__name_check(const char *name, int flags, struct rm_error *err);

/* Tells whether `s` can be stored as a name or version token: non-empty,
   printable, no white space, no '=', no '/'. */
int rm__token_ok(const char *s);

/* ---- crash points and the intent file (store-intent.c) ---- */

/* Environment variable naming the step at which rm__crash_point() kills
   the process ("STEP" or "STEP:N" for its N-th passage); inert unless set.
   docs/releases.md lists the steps. */
#define RM__CRASH_ENV "RELMAN_CRASH_AT"

/* Kills the process with SIGKILL, as kill -9 would, when RM__CRASH_ENV
   names `step` (for the N-th time); does nothing otherwise. */
void rm__crash_point(const char *step);

/* The intent file, relative to ROOT. */
#define RM__INTENT_FILE "releases/INTENT"
/* Prefix of unpack's staging directories in ROOT. */
#define RM__STAGING_PREFIX ".unpack-"

struct rm_store;
struct rm_store_app;

/* Writes the intent file durably: operation `op` ("unpack" or "remove") on
   release `vsn`, whose own directories are releases/<vsn> and the `nlibs`
   lib/<name>-<version> of `libs`. 0, or -1 with `err` set. */
int rm__intent_write(const char *root, const char *op, const char *vsn,
                     const struct rm_store_app *libs, size_t nlibs, struct rm_error *err);
/* Deletes the intent file (the operation is complete). 0, or -1. */
int rm__intent_clear(const char *root, struct rm_error *err);
/* Run by rm_store_open() under the lock, after reading RELEASES: removes a
   crashed command's staging directories and RELEASES.new, and settles the
   operation an intent file describes (keeps the release's directories when
   RELEASES knows it, else deletes those no other release uses). 0, or -1
   with `err` set. */
int rm__store_recover(struct rm_store *store, struct rm_error *err);
/* Tells whether a release of `store` uses lib/<app>-<version>. */
int rm__store_app_used(const struct rm_store *store, const struct rm_store_app *app);

/* ---- module descriptors (module-check.c) ---- */

/* Loads the module object at `path` and checks its descriptor carries
   RM_MODULE_ABI_VERSION, module `name` and `version`. 0, or -1 with `err`
   naming the file and the disagreement. */
int rm__module_check(const char *path, const char *name, const char *version, struct rm_error *err);

/* ---- spec checks (spec-check.c) ---- */

struct rm_release;
struct rm_app;
struct rm_release_app;

/*
 * Loads `dir`/releases/<vsn>/release.yaml into `*rel` and checks it names
 * version `vsn`, then that each application has lib/<app>-<version>/ with its
 * spec (matching name and version), its appup when present (loading, same
 * name and version) and every module's <module>.so as a regular file, and
 * that releases/<vsn>/relup.yaml, when present, loads and names `vsn`. Messages name files relative
 * to `dir`, as archive entries. Returns 0 (free *rel with rm_release_free()), or -1 with `err` set.
 */
int rm__release_check(const char *dir, const char *vsn, struct rm_release *rel,
                      struct rm_error *err);

/*
 * Checks the node's override file, `root`/config.yaml (when there is one),
 * against the declared configuration of each application of `rel` laid
 * out under `dir` (rm_config_effective). Messages name the override file
 * by its path. 0, or -1 with `err` set.
 */
int rm__release_config_check(const char *dir, const struct rm_release *rel, const char *root,
                             struct rm_error *err);

/*
 * When `dir`/`rel` exists (*found set to 1, else 0 and nothing checked),
 * loads it as the appup of application `app` version `vsn` (when `app` is
 * not NULL) or as the relup of release `vsn`, naming it `rel` in messages,
 * and checks its application and version. 0, or -1 with `err` set (the
 * loader's "rel:line:column: why" for a document that does not load).
 */
int rm__upgrade_doc_check(const char *dir, const char *rel, const char *app, const char *vsn,
                          int *found, struct rm_error *err);

/* Checks that application spec `app` (read from `file`) has the name and
   version release entry `ra` gives. 0, or -1 with `err` set. */
int rm__app_matches(const struct rm_app *app, const struct rm_release_app *ra, const char *file,
                    struct rm_error *err);

/* Loads a manifest through `parse` reading `dir`/`rel` and naming it `rel`
   in messages (so staging paths never show). 0, or -1 with `err` set. */
int rm__release_read(const char *dir, const char *rel, struct rm_release *out,
                     struct rm_error *err);
int rm__app_read(const char *dir, const char *rel, struct rm_app *out, struct rm_error *err);

#endif
