/*
 * ytree.h - the one YAML layer of the manifests library: a document read
 * with libyaml into a bounded tree whose every node keeps its 1-based line
 * and column, and a schema check that turns a mapping into a C struct from a
 * table of fields, so that unknown keys, missing keys and wrong types are
 * reported by one piece of code for every format.
 *
 * Hostile input is refused with a message: aliases (no alias bombs), nesting
 * deeper than RM__Y_MAX_DEPTH, scalars longer than RM__Y_MAX_SCALAR, more
 * than RM__Y_MAX_NODES nodes, documents larger than RM_MANIFEST_MAX_SIZE,
 * more than one document, invalid UTF-8 (libyaml checks it).
 */
#ifndef RELMAN_MANIFESTS_YTREE_H
#define RELMAN_MANIFESTS_YTREE_H

#include <stdarg.h>
#include <stddef.h>

#include "arena.h"
#include "relman/error.h"
#include "relman/manifest.h"

#define RM__Y_MAX_DEPTH  64
#define RM__Y_MAX_SCALAR (1024 * 1024)
#define RM__Y_MAX_NODES  (2 * 1024 * 1024)

enum rm__ykind { RM__Y_SCALAR, RM__Y_SEQ, RM__Y_MAP };

/* One node. A mapping's items are its keys and values, alternating. */
struct rm__ynode {
    enum rm__ykind kind;
    unsigned line, col; /* 1-based */
    int plain;          /* scalar written without quotes */
    const char *str;    /* scalar text, NUL-terminated */
    size_t len;         /* scalar length */
    struct rm__ynode **items;
    size_t n; /* items (2 per entry in a mapping) */
};

/* A parsed document; its nodes live in `arena`. */
struct rm__ydoc {
    const char *file; /* name used in messages */
    struct rm__ynode *root;
    struct rm__arena *arena;
};

/*
 * Parses `len` bytes of `data` as one YAML document into `doc`, allocating
 * from `arena`. Messages start with "`file`:line:column: ". Returns 0, or -1
 * with `err` set (RM_EPARSE, RM_ELIMIT or RM_ENOMEM).
 */
int rm__ydoc_parse(struct rm__ydoc *doc, struct rm__arena *arena, const char *file,
                   const char *data, size_t len, struct rm_error *err);

/* Sets `err` to "file:line:column: <message>" for node `n` (code RM_EPARSE)
   and returns -1. */
int rm__yerr(const struct rm__ydoc *doc, const struct rm__ynode *n, struct rm_error *err,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The same at an explicit line and column. */
int rm__yerr_at(const struct rm__ydoc *doc, unsigned line, unsigned col, struct rm_error *err,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The one place that writes "file:line:column: <message>" (RM_EPARSE) into
   `err`, for every manifest error; returns -1. */
int rm__yerr_v(const char *file, unsigned line, unsigned col, struct rm_error *err, const char *fmt,
               va_list ap) __attribute__((format(printf, 5, 0)));

/* Tells whether a scalar is YAML's null (~, null, or nothing, unquoted). */
int rm__yis_null(const struct rm__ynode *n);

/* ---- schema ---------------------------------------------------------- */

/* How a field's value is checked and where it is stored. */
enum rm__ftype {
    RM__F_STR,     /* any non-null scalar; const char * */
    RM__F_NAME,    /* a name or version (rm_name_check); const char * */
    RM__F_UINT,    /* a decimal integer >= 0; long */
    RM__F_TIMEOUT, /* an integer > 0 or "infinity"; long (RM_TIMEOUT_INFINITY) */
    RM__F_ENUM,    /* one of `values`; int (its index) */
    RM__F_NAMES,   /* a list of distinct names; struct rm_names */
    RM__F_STRS,    /* a list of strings; struct rm_names */
    RM__F_CONFIG,  /* a mapping of scalars to scalars; struct rm_config */
    RM__F_SEQ,     /* a list, left to the caller (found[]) */
    RM__F_MAP,     /* a mapping, left to the caller (found[]) */
    RM__F_ANY      /* anything, left to the caller (found[]) */
};

#define RM__REQUIRED 1

/* One key of a mapping. A table ends with a field whose key is NULL. */
struct rm__field {
    const char *key;
    enum rm__ftype type;
    int flags;                 /* RM__REQUIRED */
    size_t off;                /* where the value goes in the output struct */
    const char *const *values; /* RM__F_ENUM: NULL-terminated spellings */
};

/* What every loader carries while it converts a document. */
struct rm__yctx {
    const struct rm__ydoc *doc;
    struct rm__arena *arena;
    struct rm_error *err;
};

/*
 * Checks mapping `map` against `fields` and stores each present value at its
 * offset in `out` (absent optional fields keep what `out` held). `what`
 * names the mapping in a message ("release", "instruction"). found[i] (when
 * found is not NULL) receives the value node of fields[i] or NULL. Unknown,
 * duplicate and missing keys and values of the wrong type are refused with
 * their line and column. Returns 0 or -1 with c->err set.
 */
int rm__yfill(struct rm__yctx *c, const struct rm__ynode *map, const char *what,
              const struct rm__field *fields, void *out, const struct rm__ynode **found);

/* Checks that `n` is a list (`what` names it); 0 or -1. */
int rm__yseq(struct rm__yctx *c, const struct rm__ynode *n, const char *what);

/* Converts scalar `n` as field type `type` into `*dst` (see rm__ftype);
   `key` names it in messages. 0 or -1. */
int rm__yvalue(struct rm__yctx *c, const struct rm__ynode *n, const char *key, enum rm__ftype type,
               const char *const *values, void *dst);

/* Allocates a mapping's copy of a string in the context's arena; NULL with
   err set to "out of memory". */
char *rm__ystrdup(struct rm__yctx *c, const char *s);

/* Stores the node's position in `loc`. */
void rm__yloc(const struct rm__ynode *n, struct rm_loc *loc);

/*
 * Reads the file at `path` (at most RM_MANIFEST_MAX_SIZE bytes) and parses it
 * into `doc`, with `path` as the name in messages. 0 or -1.
 */
int rm__ydoc_load(struct rm__ydoc *doc, struct rm__arena *arena, const char *path,
                  struct rm_error *err);

/* Converts a parsed document's root into the struct at `out`. 0 or -1. */
typedef int (*rm__yconvert_fn)(struct rm__yctx *c, const struct rm__ynode *root, void *out);

/*
 * The frame of every loader: makes an arena, reads the file `file` (when
 * `data` is NULL) or parses `len` bytes at `data`, and runs `convert` on the
 * root. On success *arena receives the arena that owns everything converted;
 * on failure nothing is left allocated. 0 or -1 with `err` set.
 */
int rm__yload(const char *file, const char *data, size_t len, rm__yconvert_fn convert, void *out,
              struct rm__arena **arena, struct rm_error *err);

/* Spellings of enum rm_start_type and enum rm_restart, by value,
   NULL-terminated (schema tables use them). */
extern const char *const rm__start_type_names[];
extern const char *const rm__policy_names[];

/* Tells whether the manifest being converted defines module `name`. */
typedef int (*rm__has_module_fn)(const void *owner, const char *name);

/*
 * Converts an application's `config:` (`config`, a mapping or NULL) and
 * `config_schema:` (`schema`, a mapping or NULL) into app->config,
 * app->config_spec and app->config_defaults (config.c), checking each
 * default against its declared type and the limits (RM_CONFIG_MAX_*).
 */
int rm__yconfig(struct rm__yctx *c, struct rm_app *app, const struct rm__ynode *config,
                const struct rm__ynode *schema);

/*
 * Converts the list of processes `seq` (the value of key "processes") into
 * a new array *out of *n entries, checking each against the process schema,
 * refusing a name used twice and a module `has_module` does not know.
 */
int rm__yprocs(struct rm__yctx *c, const struct rm__ynode *seq, rm__has_module_fn has_module,
               const void *owner, struct rm_proc_spec **out, size_t *n);
#endif
