/*
 * relman/config.h - an application's configuration as a tree of typed
 * values, shared by the libraries that build it (manifests: the defaults
 * of an application manifest merged with the node's override file), keep
 * it (runtime: what a process reads through the module API) and compare it
 * (handler: which keys an install changed).
 *
 * A value is a string, an integer, a boolean, a list of values or a map
 * from keys to values (enum rm_config_type, relman/module.h). A tree built
 * by rm_cfg_copy() lives in one block of memory released with free(), so it
 * can be handed between threads and libraries as one pointer.
 */
#ifndef RELMAN_CONFIG_H
#define RELMAN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "relman/error.h"
#include "relman/module.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The name of the per-node override file in a node's root (OTP's
   sys.config): ROOT/config.yaml. */
#define RM_CONFIG_FILE "config.yaml"

/* Limits on one application's configuration, checked where it is read
   (the manifest and the override file), each named in its message. */
#define RM_CONFIG_MAX_DEPTH  16          /* lists and maps nested this deep */
#define RM_CONFIG_MAX_VALUES 10000       /* values in all, containers included */
#define RM_CONFIG_MAX_BYTES  (1 << 20)   /* bytes of keys and strings in all */
#define RM_CONFIG_KEY_MAX    63          /* a key: 1 to 63 of [A-Za-z0-9_-] */

/* One value. */
struct rm_cfg {
    enum rm_config_type type;
    int64_t i;            /* RM_CONFIG_INTEGER; RM_CONFIG_BOOLEAN: 0 or 1 */
    const char *s;        /* RM_CONFIG_STRING: NUL-terminated */
    size_t n;             /* RM_CONFIG_LIST, RM_CONFIG_MAP: number of items */
    struct rm_cfg *items; /* the items, in the order written */
    const char **keys;    /* RM_CONFIG_MAP: keys[k] names items[k] */
};

/* Tells whether `key` is a valid configuration key (1) or not (0). */
int rm_cfg_key_ok(const char *key);

/* Copies the tree `v` into one new block (free() it); NULL when out of
   memory. */
struct rm_cfg *rm_cfg_copy(const struct rm_cfg *v);

/* Tells whether two trees hold the same values (maps: the same keys with
   equal values, in any order). NULL equals only NULL. */
int rm_cfg_equal(const struct rm_cfg *a, const struct rm_cfg *b);

/* The value of `key` in map `map`; NULL when `map` is NULL, not a map, or
   has no such key. */
const struct rm_cfg *rm_cfg_get(const struct rm_cfg *map, const char *key);

/* The value at `path` under `root` ("" is root itself; "db.host",
   "peers.0.host": keys and list indexes separated by dots), or NULL. */
const struct rm_cfg *rm_cfg_lookup(const struct rm_cfg *root, const char *path);

/*
 * The top-level keys that differ between two maps `old` and `new` (either
 * may be NULL: no keys), into *out: keys of both with unequal values
 * (changed, in new's order), keys of new only (added, in new's order) and
 * keys of old only (removed, in old's order). The key strings point into
 * the trees; free the arrays with rm_cfg_diff_free(). Returns 0, or -1
 * with RM_ENOMEM. Nothing differs when all three counts are 0.
 */
struct rm_cfg_diff {
    const char **changed;
    size_t n_changed;
    const char **added;
    size_t n_added;
    const char **removed;
    size_t n_removed;
};
int rm_cfg_diff(const struct rm_cfg *old, const struct rm_cfg *new_, struct rm_cfg_diff *out,
                struct rm_error *err);
void rm_cfg_diff_free(struct rm_cfg_diff *d);

/*
 * Writes `v` as JSON (json != 0) or as YAML in flow style into a new
 * NUL-terminated string (free() it), such as {port: 6379, peers: [a, b]}.
 * Strings are quoted where YAML would read them otherwise. NULL when out of
 * memory.
 */
char *rm_cfg_format(const struct rm_cfg *v, int json);

#ifdef __cplusplus
}
#endif
#endif
