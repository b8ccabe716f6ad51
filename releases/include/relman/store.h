/*
 * relman/store.h - the release store of a node's root.
 *
 * ROOT/releases/RELEASES records every release the node knows and its state,
 * after OTP's release_handler:
 *
 *     unpacked   its files are in ROOT; it has never been made permanent
 *     current    installed in the running node but not yet permanent
 *                (in memory only: never written to disk, so a node that dies
 *                before "make permanent" boots the permanent release again and
 *                finds the new one unpacked)
 *     permanent  the release the node boots; exactly one
 *     old        was permanent once; can be booted again (reboot-old)
 *
 * Reading needs no lock (the file is replaced atomically). Every change goes
 * through a store opened with RM_STORE_LOCK: it holds an exclusive flock on
 * ROOT/releases until rm_store_close(), so that the relman program and a
 * running node never lose each other's writes. Each change is written at
 * once with write-temp, fsync, rename, fsync-dir. docs/releases.md gives the
 * file format.
 */
#ifndef RELMAN_STORE_H
#define RELMAN_STORE_H

#include <stddef.h>

#include "relman/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The state of a release, as in OTP's which_releases. */
enum rm_rel_state { RM_REL_UNPACKED = 0, RM_REL_CURRENT, RM_REL_PERMANENT, RM_REL_OLD };

/* One application of a release, stored in ROOT/lib/<name>-<version>. */
struct rm_store_app {
    char *name;
    char *version;
};

/* One release the store knows. `state` is what is on disk (never current). */
struct rm_store_rel {
    char *name;
    char *version;
    enum rm_rel_state state;
    size_t napps;
    struct rm_store_app *apps;
};

/* The store of one root: its releases in file order, and the in-memory
   current release (NULL when none was marked). */
struct rm_store {
    char *root;
    size_t nrels;
    struct rm_store_rel *rels;
    char *current;
    int lock_fd; /* -1 unless opened with RM_STORE_LOCK */
    /* Set (code not 0) when the last change was written and is what every
       reader sees, but flushing its directory failed, so it may not
       survive a crash (rm_fs_replace's RM_FS_UNSYNCED). The change still
       counts as made: the store matches the file. */
    struct rm_error warning;
};

/* Flags of rm_store_open(). */
enum rm_store_flags {
    RM_STORE_LOCK = 1 /* take the store's lock (needed by every change) */
};

/* Longest RELEASES file rm_store_open() reads. */
#define RM_STORE_MAX_FILE (4u * 1024 * 1024)

/*
 * Opens the store of node root `root` and reads ROOT/releases/RELEASES. A
 * missing file gives an empty store (a root not yet initialised); a corrupt
 * or truncated one is an error naming the file, line and problem. With
 * RM_STORE_LOCK, first takes the exclusive lock on ROOT/releases, waiting
 * for another holder; it never creates anything (rm_release_unpack() makes
 * ROOT/releases), and a root without ROOT/releases is refused with
 * RM_ENOENT. Locked, it then settles what a crashed command left: the
 * operation ROOT/releases/INTENT names (its directories are kept when
 * RELEASES knows its release, else deleted unless another release uses
 * them), staging directories and RELEASES.new; a failure to do so is an
 * error. Returns the store (free with rm_store_close()), or NULL with
 * `err` set.
 */
struct rm_store *rm_store_open(const char *root, int flags, struct rm_error *err);

/* Releases the lock if held and frees the store. NULL is allowed. */
void rm_store_close(struct rm_store *store);

/* The release with version `vsn`, or NULL. */
const struct rm_store_rel *rm_store_find(const struct rm_store *store, const char *vsn);

/* The permanent release, or NULL for an empty store. */
const struct rm_store_rel *rm_store_permanent(const struct rm_store *store);

/* The state to show for `rel`: RM_REL_CURRENT when it is the in-memory
   current release and not permanent, else its state on disk. */
enum rm_rel_state rm_store_state(const struct rm_store *store, const struct rm_store_rel *rel);

/* The name of a state: "unpacked", "current", "permanent" or "old". */
const char *rm_rel_state_name(enum rm_rel_state state);

/*
 * Marks release `vsn` as the one installed in the running node, in memory
 * only (nothing is written). Returns 0, or -1 with `err` set when the store
 * does not know `vsn`.
 */
int rm_store_set_current(struct rm_store *store, const char *vsn, struct rm_error *err);

/*
 * Records that release `vsn` was installed in the running node (OTP's
 * install_release): marks it current in memory, as rm_store_set_current()
 * does, and, when it is old on disk, writes it back as unpacked, as OTP's
 * release_handler does with the release it makes current. A node that dies
 * before make permanent then boots the permanent release and finds the
 * release unpacked, never old (it was not made permanent again). Installing
 * the permanent release (a rollback) or an unpacked one writes nothing.
 * Needs RM_STORE_LOCK when it writes. Returns 0, or -1 with `err` set and
 * the store unchanged (RM_ENOENT when the store does not know `vsn`).
 */
int rm_store_set_installed(struct rm_store *store, const char *vsn, struct rm_error *err);

/*
 * Adds a release whose files are already in place in ROOT. The first release
 * of an empty store becomes permanent (the root is initialised from it);
 * any other is unpacked. Refuses a version already known and names or
 * versions that cannot be stored (empty, or holding white space, '=' or
 * control characters); with RM_ELIMIT, more than RM_RELEASE_MAX_APPS
 * applications, or a RELEASES file that would exceed RM_STORE_MAX_FILE
 * (nothing the reader would refuse is written). Needs RM_STORE_LOCK. Writes RELEASES atomically.
 * Returns 0, or -1 with `err` set and the store unchanged.
 */
int rm_store_add(struct rm_store *store, const char *name, const char *vsn,
                 const struct rm_store_app *apps, size_t napps, struct rm_error *err);

/*
 * Makes release `vsn` permanent, as OTP's make_permanent (for the current
 * release) and reboot_old_release (for an old one) do: the previous
 * permanent release becomes old. A release that is only unpacked is refused
 * (install it first); making the permanent release permanent again is
 * success. Needs RM_STORE_LOCK. Returns 0, or -1 with `err` set and the
 * store unchanged.
 */
int rm_store_make_permanent(struct rm_store *store, const char *vsn, struct rm_error *err);

/*
 * Removes release `vsn`: refused for the permanent and the current release.
 * Names ROOT/releases/<vsn> and the ROOT/lib/<app>-<version> directories no
 * remaining release uses in the intent file, writes RELEASES without the
 * release, deletes the directories, then the intent file. A crash at any
 * step is settled by the next rm_store_open() with RM_STORE_LOCK, which
 * finishes the deletion once RELEASES no longer names the release. Needs
 * RM_STORE_LOCK. Returns 0, or -1 with `err` set.
 */
int rm_store_remove(struct rm_store *store, const char *vsn, struct rm_error *err);

/*
 * Renders the store as the RELEASES file holds it, into a new NUL-terminated
 * buffer (free it with free()) and its length. Returns 0, or -1 with `err`
 * set (out of memory).
 */
int rm_store_format(const struct rm_store *store, char **text, size_t *len, struct rm_error *err);

/*
 * Parses RELEASES text (`len` bytes, `path` naming it in messages) into the
 * releases of `store`, which must be empty. A truncated or corrupt text is
 * an error with "path:line: why"; so is a text with no release or not
 * exactly one permanent release. Returns 0, or -1 with `err` set.
 */
int rm_store_parse(struct rm_store *store, const char *text, size_t len, const char *path,
                   struct rm_error *err);

#ifdef __cplusplus
}
#endif
#endif
