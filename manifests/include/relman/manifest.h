/*
 * relman/manifest.h - the YAML manifests a user writes: releases,
 * applications and the boot file, parsed into typed structs.
 *
 * Every loader reads one YAML document, checks it against its format
 * (unknown keys, missing keys, wrong types, bad names) and either fills the
 * caller's struct or leaves it untouched and fills `err` with a message that
 * names the file, the 1-based line and column, and the offending key or
 * value:
 *
 *     releases/2/release.yaml:4:5: unknown key 'vsn'
 *
 * Everything a loaded struct points to lives in memory owned by the struct
 * and is released by its free function. The formats are described, with
 * examples, in docs/manifests.md. Appups, relups and plans are in
 * relman/plan.h.
 */
#ifndef RELMAN_MANIFEST_H
#define RELMAN_MANIFEST_H

#include <stddef.h>

#include "relman/config.h"
#include "relman/error.h"
#include "relman/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest manifest file accepted, in bytes. */
#define RM_MANIFEST_MAX_SIZE (16 * 1024 * 1024)

/* Most applications one release may hold. The release loader refuses more
   (RM_ELIMIT, naming the limit), so pack and unpack refuse such a release,
   and the release store reads and writes exactly this many per release. */
#define RM_RELEASE_MAX_APPS 1024

/* File names of the manifests in a node's root (see docs/manifests.md). */
#define RM_RELEASE_FILE      "release.yaml" /* ROOT/releases/<vsn>/release.yaml */
#define RM_APP_FILE_SUFFIX   ".app.yaml"    /* ROOT/lib/<app>-<vsn>/<app>.app.yaml */
#define RM_APPUP_FILE_SUFFIX ".appup.yaml"  /* ROOT/lib/<app>-<vsn>/<app>.appup.yaml */

/* Timeouts in milliseconds: a positive number or one of these. */
#define RM_TIMEOUT_DEFAULT  (-2L) /* not given: the executor's default */
#define RM_TIMEOUT_INFINITY (-1L) /* no limit */

struct rm__arena;
struct rm__ynode;

/* Where a node of a manifest was written: 1-based line and column. */
struct rm_loc {
    unsigned line;
    unsigned col;
};

/* A list of names (modules, applications). */
struct rm_names {
    const char **v;
    size_t n;
};

/* One configuration entry: a top-level key of an application's `config:`
   and its value as written (a scalar's text, "" for null), or NULL when
   the value is a list or a map (read those from rm_app.config_defaults). */
struct rm_kv {
    const char *key;
    const char *value;
};

/* A configuration: keys in the order written, each at most once. */
struct rm_config {
    struct rm_kv *v;
    size_t n;
};

/*
 * The type an application declares for a configuration value (its
 * `config_schema:`, or else the type of its default in `config:`; see
 * docs/manifests.md).
 */
struct rm_config_spec {
    enum rm_config_type type;          /* what a value must be */
    const struct rm_config_spec *item; /* RM_CONFIG_LIST: each item's type;
                                          RM_CONFIG_MAP with any_key: each value's */
    int any_key;                       /* RM_CONFIG_MAP: any key ({"*": TYPE}) */
    const char **keys;                 /* RM_CONFIG_MAP without any_key: its keys */
    const struct rm_config_spec *fields; /* ... and their types (n of each) */
    size_t n;
    struct rm_loc loc; /* where it was declared (or its default written) */
};

/* ---- release ---------------------------------------------------------- */

/* How an application of a release is started (OTP's start types). */
enum rm_start_type {
    RM_START_PERMANENT = 0, /* its failure stops the node */
    RM_START_TRANSIENT,     /* an abnormal exit stops the node */
    RM_START_TEMPORARY,     /* its exit is only reported */
    RM_START_LOAD,          /* loaded, not started */
    RM_START_NONE           /* neither loaded nor started */
};

/* The spelling of a start type ("permanent"). */
const char *rm_start_type_name(enum rm_start_type t);

/* One application of a release. */
struct rm_release_app {
    const char *name;
    const char *version;
    enum rm_start_type start; /* default RM_START_PERMANENT */
    struct rm_loc loc;
};

/* A release: ROOT/releases/<vsn>/release.yaml. */
struct rm_release {
    const char *file; /* the name used in messages */
    const char *name;
    const char *version;
    struct rm_release_app *apps;
    size_t n_apps;
    struct rm_loc loc;
    struct rm__arena *arena; /* owns everything above */
};

/*
 * Loads the release manifest at `path` into `*out`. Refuses (besides the
 * format's own errors) an application listed twice. Returns 0, or -1 with
 * `err` set and `*out` untouched. Free with rm_release_free().
 */
int rm_release_load(const char *path, struct rm_release *out, struct rm_error *err);

/* The same from `len` bytes at `data`; `file` is the name in messages. */
int rm_release_parse(const char *file, const char *data, size_t len, struct rm_release *out,
                     struct rm_error *err);

/* Finds application `name` in `rel`; NULL when it is not there. */
const struct rm_release_app *rm_release_find(const struct rm_release *rel, const char *name);

/* Frees what `rel` holds and zeroes it. Accepts a zeroed struct. */
void rm_release_free(struct rm_release *rel);

/* ---- application ------------------------------------------------------ */

/* A module of an application and the version of its object. */
struct rm_app_module {
    const char *name;
    const char *version; /* default: the application's version */
    struct rm_loc loc;
};

/* A process an application or a boot file starts. */
struct rm_proc_spec {
    const char *name;               /* registered name */
    const char *module;             /* one of the modules of the same manifest */
    const char *arg;                /* init argument, default "" */
    enum rm_restart restart; /* default RM_RESTART_PERMANENT */
    struct rm_loc loc;
};

/* An application: ROOT/lib/<app>-<vsn>/<app>.app.yaml. */
struct rm_app {
    const char *file;
    const char *name;
    const char *version;
    const char *description; /* default "" */
    struct rm_app_module *modules;
    size_t n_modules;
    struct rm_proc_spec *processes; /* in start order */
    size_t n_processes;
    struct rm_names applications; /* applications it depends on: each must be
                                     in the same release, and starts first */
    struct rm_config config; /* the top-level keys of `config:` as written */
    /* The declared configuration: a map of the top-level keys, from
       `config_schema:` and the defaults' own types; never NULL. */
    const struct rm_config_spec *config_spec;
    /* The defaults (`config:`), typed: a map, never NULL. */
    const struct rm_cfg *config_defaults;
    struct rm_loc loc;
    struct rm__arena *arena;
};

/*
 * Loads the application manifest at `path` into `*out`. Refuses besides the
 * format's errors: a module or process listed twice, a process whose module
 * is not one of the application's. Returns 0, or -1 with `err` set and `*out`
 * untouched. Free with rm_app_free().
 */
int rm_app_load(const char *path, struct rm_app *out, struct rm_error *err);

/* The same from `len` bytes at `data`; `file` is the name in messages. */
int rm_app_parse(const char *file, const char *data, size_t len, struct rm_app *out,
                 struct rm_error *err);

/* Finds module `name` in `app`; NULL when it is not there. */
const struct rm_app_module *rm_app_find_module(const struct rm_app *app, const char *name);

/* Frees what `app` holds and zeroes it. Accepts a zeroed struct. */
void rm_app_free(struct rm_app *app);

/* ---- a release's applications ----------------------------------------- */

/*
 * Loads the application manifest of every application of `rel`, in release
 * order, into a new array of rel->n_apps at `*apps`. Application <app>
 * version <vsn> is read from <dir>/<app>-<vsn>/<app>.app.yaml, <dir> being
 * the first of the `n_dirs` directories `dirs` that holds <app>-<vsn>/ (a
 * node passes its ROOT/lib). Refuses, with the file, line and column:
 *   - an application in none of `dirs`;
 *   - a manifest that names another application or version than `rel`:
 *     "application 'a' version '1' does not match release '2', which names
 *     'a' version '2'";
 *   - a dependency (`applications`) that `rel` does not hold, as OTP's
 *     systools: "application 'a' depends on 'b', which release '2' does not
 *     hold";
 *   - applications that depend on each other (see rm_release_start_order).
 * Returns 0, or -1 with `err` set and `*apps` untouched. Free the array with
 * rm_release_apps_free(*apps, rel->n_apps).
 */
int rm_release_load_apps(const struct rm_release *rel, const char *const *dirs, size_t n_dirs,
                         struct rm_app **apps, struct rm_error *err);

/* Frees the `n` applications of an array from rm_release_load_apps() and the
   array. Accepts NULL. */
void rm_release_apps_free(struct rm_app *apps, size_t n);

/*
 * Orders the applications of `rel` (whose manifests `apps` holds, in release
 * order, as rm_release_load_apps() gives them) so that every application
 * comes after the applications it depends on, and otherwise in release
 * order: the order in which a node starts them (and the reverse, the order
 * in which it stops them). Fills order[0 .. rel->n_apps) with indexes into
 * rel->apps and `apps`. Refuses a dependency `rel` does not hold and a cycle:
 * "file:line:column: applications of release '2' depend on each other: 'a'
 * -> 'b' -> 'a'". Returns 0, or -1 with `err` set (`order` is then
 * unspecified).
 */
int rm_release_start_order(const struct rm_release *rel, const struct rm_app *apps, size_t *order,
                           struct rm_error *err);

/* ---- configuration: the node's override file ---------------------------- */

/*
 * The per-node override file, ROOT/config.yaml (OTP's sys.config): a
 * mapping from application names to mappings of configuration keys. What
 * it sets wins over an application manifest's defaults: a map merges key
 * by key, anything else is replaced. An application the file names but a
 * release does not hold is left alone (the file serves every release of
 * the node).
 */
struct rm_config_override {
    const char *file; /* the name in messages; NULL when there is no file */
    size_t n_apps;
    const char **apps;                   /* the applications it sets, in order */
    const struct rm__ynode **values;     /* private: each one's mapping */
    struct rm__arena *arena;
};

/*
 * Reads the override file at `path` into *out. A file that does not exist
 * is an empty override (out->file NULL). Refuses, with file, line and
 * column: a document that is not a mapping, an application name that is
 * not a name, one given twice, a value that is not a mapping (or null).
 * Keys and types are checked per application by rm_config_effective().
 * Returns 0, or -1 with `err` set and *out untouched. Free with
 * rm_config_override_free().
 */
int rm_config_override_load(const char *path, struct rm_config_override *out,
                            struct rm_error *err);

/* The same from `len` bytes at `data`; `file` is the name in messages. */
int rm_config_override_parse(const char *file, const char *data, size_t len,
                             struct rm_config_override *out, struct rm_error *err);

/* Frees what `ov` holds and zeroes it. Accepts a zeroed struct. */
void rm_config_override_free(struct rm_config_override *ov);

/*
 * The effective configuration of application `app`: its defaults with what
 * `ov` (NULL: none) sets for it, into a new tree *out (a map; free() it).
 * Every value the override sets is checked against the declared types and
 * the limits (RM_CONFIG_MAX_*); refused with the override file's line and
 * column: "config.yaml:3:11: application 'counter': 'port' must be an
 * integer, not the string \"80\"", "config.yaml:4:5: unknown key 'prot' in
 * the configuration of application 'counter' version '2'". Returns 0, or
 * -1 with `err` set (RM_EPARSE, RM_ELIMIT, RM_ENOMEM) and *out untouched.
 * `flags`: 0 or RM_CONFIG_SKIP_UNKNOWN.
 */
int rm_config_effective(const struct rm_app *app, const struct rm_config_override *ov, int flags,
                        struct rm_cfg **out, struct rm_error *err);

/* A flag of rm_config_effective(): keys the application does not declare
   are left out rather than refused (a node booting its permanent release
   while the override file already serves a newer one). Types are checked
   all the same. */
#define RM_CONFIG_SKIP_UNKNOWN 1

/* ---- boot file -------------------------------------------------------- */

/* A module the boot file loads. */
struct rm_boot_module {
    const char *name;
    const char *version;
    const char *path; /* as resolved: relative paths are made relative to the
                         boot file's directory */
    struct rm_loc loc;
};

/* A boot file: the modules to load and processes to start, in order. */
struct rm_boot {
    const char *file;
    struct rm_boot_module *modules;
    size_t n_modules;
    struct rm_proc_spec *processes; /* in start order */
    size_t n_processes;
    struct rm__arena *arena;
};

/*
 * Loads the boot file at `path`. A module path that is not absolute is
 * joined to the directory of `path`. Refuses besides the format's errors: a
 * module or process listed twice, a process whose module is not loaded by
 * the file. Returns 0, or -1 with `err` set and `*out` untouched. Free with
 * rm_boot_free().
 */
int rm_boot_load(const char *path, struct rm_boot *out, struct rm_error *err);

/* The same from `len` bytes at `data`; relative module paths are joined to
   the directory of `file`. */
int rm_boot_parse(const char *file, const char *data, size_t len, struct rm_boot *out,
                  struct rm_error *err);

/* Frees what `boot` holds and zeroes it. Accepts a zeroed struct. */
void rm_boot_free(struct rm_boot *boot);

#ifdef __cplusplus
}
#endif
#endif
