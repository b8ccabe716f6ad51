/*
 * relman/plan.h - upgrade instructions, appups, relups and plans.
 *
 * An appup (ROOT/lib/<app>-<vsn>/<app>.appup.yaml) says, for one version of
 * an application, how to get there from older versions (`up` entries) and
 * back (`down` entries), in high-level instructions (update, load_module,
 * add_module, delete_module, apply, add_application, remove_application,
 * restart_application, restart_node) or low-level ones. A relup is the same
 * document for a whole release, in low-level instructions only.
 *
 * rm_plan_translate() turns high-level instructions into a low-level plan
 * exactly as OTP's systools_rc does, and refuses what systools_rc refuses.
 * The plan is what the release handler executes, step by step, against the
 * node; rm_instr_irreversible() tells which steps cannot be undone.
 *
 * Messages name the file, the 1-based line and column, and the instruction
 * or value at fault. Everything a struct points to is owned by it and
 * released by its free function.
 */
#ifndef RELMAN_PLAN_H
#define RELMAN_PLAN_H

#include <stddef.h>

#include "relman/error.h"
#include "relman/manifest.h"
#include "relman/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Every instruction kind, one row each: adding an instruction is one row
 * here plus its reader syntax and its executor function, and a kind that
 * lacks either does not compile (both tables are built from these rows).
 *
 *   X(ID, spelling, level, irreversible, pre)
 *
 *   ID            the enum constant RM_I_<ID>
 *   spelling      how manifests write it; also names the reader's syntax
 *                 row (syntax_<spelling>, manifests/instr-read.c) and the
 *                 executor's function (exec_<spelling>, the handler)
 *   level         HIGH (appups only), BOTH (appups and relups) or LOW
 *                 (relups, and the plans translation produces)
 *   irreversible  1 when executing it after point_of_no_return cannot be
 *                 undone in place: a failure after it restarts the node
 *                 instead of rolling back (before point_of_no_return a
 *                 failure never restarts it, as in OTP)
 *   pre           1 when it may precede point_of_no_return; `relman check`
 *                 runs what precedes it (and every load_object_code), as
 *                 OTP's check_install_release does
 *
 * The fields each kind uses are listed beside it.
 */
#define RM_INSTR_KINDS(X)                                                                          \
    /* module, change, extra, type, timeout, purges, deps */                                       \
    X(UPDATE, update, HIGH, 0, 0)                                                                  \
    X(LOAD_MODULE, load_module, HIGH, 0, 0)                 /* module, purges, deps */             \
    X(ADD_MODULE, add_module, HIGH, 0, 0)                   /* module, deps */                     \
    X(DELETE_MODULE, delete_module, HIGH, 1, 0)             /* module, deps */                     \
    X(ADD_APPLICATION, add_application, HIGH, 0, 0)         /* application, start */               \
    X(REMOVE_APPLICATION, remove_application, HIGH, 1, 0)   /* application */                      \
    X(RESTART_APPLICATION, restart_application, HIGH, 1, 0) /* application */                      \
    X(APPLY, apply, BOTH, 1, 1)                             /* apply_module, function, args */     \
    X(RESTART_NODE, restart_node, BOTH, 1, 0)               /* no fields; always last */           \
    X(LOAD_OBJECT_CODE, load_object_code, LOW, 0, 1)        /* application, version, items */      \
    X(POINT_OF_NO_RETURN, point_of_no_return, LOW, 0, 0)    /* no fields */                        \
    X(LOAD, load, LOW, 0, 0)                                /* module, purges */                   \
    X(REMOVE, remove, LOW, 1, 0)                            /* module, purges */                   \
    X(PURGE, purge, LOW, 0, 0)                              /* items (modules) */                  \
    X(SUSPEND, suspend, LOW, 0, 0)                          /* items (module and timeout) */       \
    X(RESUME, resume, LOW, 0, 0)                            /* items (modules) */                  \
    X(CODE_CHANGE, code_change, LOW, 0, 0)                  /* dir, items (module and extra) */    \
    X(STOP, stop, LOW, 1, 0)                                /* items (modules) */                  \
    X(START, start, LOW, 0, 0)                              /* items (modules) */

/* Every instruction, in the order of RM_INSTR_KINDS. */
enum rm_instr_kind {
#define RM__INSTR_ENUM(id, spelling, level, irreversible, checked) RM_I_##id,
    RM_INSTR_KINDS(RM__INSTR_ENUM)
#undef RM__INSTR_ENUM
        RM_I__COUNT
};

/* The spelling of an instruction kind in manifests ("load_object_code"). */
const char *rm_instr_name(enum rm_instr_kind kind);

/* Tells whether an instruction kind is a low-level one (a relup's). */
int rm_instr_is_low_level(enum rm_instr_kind kind);

/* Tells whether an instruction of this kind may precede point_of_no_return
   (load_object_code and apply, as systools_rc allows). */
int rm_instr_pre_commit(enum rm_instr_kind kind);

/* update's change: soft (same state layout) or advanced (code_change). */
enum rm_change { RM_CHANGE_SOFT = 0, RM_CHANGE_ADVANCED = 1 };

/* Module types: dynamic modules change code down before the old code is
   loaded on a downgrade, static ones after (dynamic is the default). */
enum rm_mod_type { RM_MOD_DYNAMIC = 0, RM_MOD_STATIC = 1 };

/* One module of a low-level instruction's list. */
struct rm_mod_item {
    const char *module;
    long timeout;      /* suspend: RM_TIMEOUT_DEFAULT, RM_TIMEOUT_INFINITY or ms */
    const char *extra; /* code_change: the string handed to code_change, or NULL */
};

/* One instruction. Fields a kind does not use are zero (see the kinds). */
struct rm_instr {
    enum rm_instr_kind kind;
    struct rm_loc loc; /* where it was written (generated ones: their source's) */
    const char *module;
    const char *application;
    const char *version;           /* load_object_code: the application version */
    enum rm_change change;         /* update */
    const char *extra;             /* update, advanced: NULL when none is given */
    enum rm_mod_type mod_type;     /* update */
    long timeout;                  /* update: suspend timeout (RM_TIMEOUT_DEFAULT) */
    enum rm_purge_mode pre_purge;  /* update, load_module, load, remove (default brutal) */
    enum rm_purge_mode post_purge; /* update, load_module, load, remove (default brutal) */
    struct rm_names deps;          /* update, load_module, add_module, delete_module */
    enum rm_start_type start;      /* add_application (default permanent) */
    enum rm_direction dir;         /* code_change */
    struct rm_mod_item *items;     /* the low-level module lists */
    size_t n_items;
    const char *apply_module; /* apply */
    const char *function;     /* apply */
    struct rm_names args;     /* apply: its arguments, as strings */
};

/*
 * Tells whether executing `instr` cannot be undone in place (the
 * `irreversible` column of RM_INSTR_KINDS: apply, stop, remove,
 * delete_module, remove_application, restart_application, restart_node). A plan whose steps before
 * its failure were all reversible is rolled back in place; after an irreversible one the node must
 * restart.
 */
int rm_instr_irreversible(const struct rm_instr *instr);

/* A list of instructions and the file they were read from (for messages). */
struct rm_script {
    const char *file;
    struct rm_instr *v;
    size_t n;
};

/* One `up` or `down` entry of an appup or relup. */
struct rm_appup_entry {
    const char *version; /* the exact version, or the regex when is_regex */
    int is_regex;        /* matches whole version strings (POSIX extended) */
    void *regex;         /* the compiled regex_t (private) */
    struct rm_script script;
    struct rm_loc loc;
};

/* An appup (`application` set) or a relup (`application` NULL). */
struct rm_appup {
    const char *file;
    const char *application;
    const char *version; /* the application's (or release's) version */
    struct rm_appup_entry *up;
    size_t n_up;
    struct rm_appup_entry *down;
    size_t n_down;
    struct rm_loc loc;
    struct rm__arena *arena;
};

/*
 * Loads the appup at `path`: application, version, up and down entries,
 * high- or low-level instructions with OTP's defaults for omitted fields.
 * Checks the syntax of every entry as systools_rc does (each module at most
 * once, dependencies on modules with instructions, point_of_no_return rules,
 * suspend/resume pairs). Returns 0, or -1 with `err` set and `*out` untouched.
 */
int rm_appup_load(const char *path, struct rm_appup *out, struct rm_error *err);

/* The same from `len` bytes at `data`; `file` is the name in messages. */
int rm_appup_parse(const char *file, const char *data, size_t len, struct rm_appup *out,
                   struct rm_error *err);

/*
 * Loads a relup: `version` (the release's), `up` and `down` entries of
 * low-level instructions, each checked with rm_plan_check(). 0 or -1.
 */
int rm_relup_load(const char *path, struct rm_appup *out, struct rm_error *err);

/* The same from `len` bytes at `data`. */
int rm_relup_parse(const char *file, const char *data, size_t len, struct rm_appup *out,
                   struct rm_error *err);

/*
 * Returns the first entry of `doc` for going `dir` from (up) or to (down)
 * version `vsn`, matching exact versions or whole-string regexes, or NULL.
 */
const struct rm_appup_entry *rm_appup_find(const struct rm_appup *doc, enum rm_direction dir,
                                           const char *vsn);

/* Frees what `doc` holds and zeroes it. Accepts a zeroed struct. */
void rm_appup_free(struct rm_appup *doc);

/* ---- plans ------------------------------------------------------------ */

/* A low-level plan. */
struct rm_plan {
    enum rm_direction dir; /* the direction it was translated for */
    struct rm_instr *v;
    size_t n;
    struct rm__arena *arena;
};

/*
 * An application as translation sees it: its name, version and modules
 * (from its manifest; `app` NULL means every module named by the scripts
 * belongs to it, for an appup planned alone) and its start type.
 */
struct rm_plan_app {
    const char *name;
    const char *version;
    const struct rm_app *app;
    enum rm_start_type start;
};

/*
 * Translates high-level `scripts` into one low-level plan, as systools_rc's
 * translate_scripts(Mode, Scripts, Appls, PreAppls): `target` are the
 * applications of the release gone to, `current` those of the release left.
 * Low-level instructions in the scripts pass through. Fails, leaving *out
 * untouched, with the message of the first rule broken. 0 or -1.
 */
int rm_plan_translate(enum rm_direction dir, const struct rm_script *scripts, size_t n_scripts,
                      const struct rm_plan_app *target, size_t n_target,
                      const struct rm_plan_app *current, size_t n_current, struct rm_plan *out,
                      struct rm_error *err);

/*
 * Checks a low-level script as the release handler will run it: low-level
 * instructions only; at most one point_of_no_return, with only
 * load_object_code and apply before it; every load has a load_object_code;
 * suspended modules resumed and only those; code_change only on suspended
 * modules; stop and start in pairs; restart_node last. 0 or -1.
 */
int rm_plan_check(const struct rm_script *script, struct rm_error *err);

/*
 * The plan of one appup: its entry for going `dir` from/to `vsn`, translated
 * with the application at version doc->version (up) or `vsn` (down), whose
 * manifests `newer` and `older` give the module lists when not NULL. Fails
 * with RM_ENOPATH "no upgrade path ..." when no entry matches. 0 or -1.
 */
int rm_plan_appup(const struct rm_appup *doc, enum rm_direction dir, const char *vsn,
                  const struct rm_app *newer, const struct rm_app *older, struct rm_plan *out,
                  struct rm_error *err);

/*
 * The plan from release `from` to release `to`, whose application manifests
 * `from_apps` and `to_apps` are loaded by rm_release_load_apps() (one per
 * application, in release order); each application's appup, when it has
 * one, is <app>.appup.yaml beside its manifest and must name the same
 * application and version. The plan holds remove_application for
 * applications gone, add_application for new ones, and for changed ones the
 * up entry of the target's appup (or the down entry of the current one's
 * appup). Fails with RM_EINVAL "release '1' to itself: nothing to plan" when
 * both have the same version, with RM_ENOPATH naming the application and both
 * versions when neither entry exists, and when some applications go up and
 * others down. Returns 0, or -1 with `err` set and `*out` untouched.
 */
int rm_plan_release_apps(const struct rm_release *from, const struct rm_app *from_apps,
                         const struct rm_release *to, const struct rm_app *to_apps,
                         struct rm_plan *out, struct rm_error *err);

/*
 * The same, loading the applications of `from` from directory `from_lib` and
 * those of `to` from `to_lib` with rm_release_load_apps() (and its checks:
 * names and versions, dependencies in the same release, no cycles).
 */
int rm_plan_releases(const struct rm_release *from, const char *from_lib,
                     const struct rm_release *to, const char *to_lib, struct rm_plan *out,
                     struct rm_error *err);

/* Returns the index of the plan's point_of_no_return, or -1 when it has
   none (then every step counts as after it). */
long rm_plan_point_of_no_return(const struct rm_plan *plan);

/* Returns the index of the plan's first irreversible instruction after its
   point_of_no_return (rm_instr_irreversible), or -1: a failure from there on
   restarts the node, a failure before it is rolled back in place. */
long rm_plan_first_irreversible(const struct rm_plan *plan);

/*
 * Writes `plan` as a relup document that rm_relup_parse() reads back to the
 * same plan, one instruction per line. `from` is the version left and `to`
 * the version gone to; the relup belongs to the newer one: with RM_UP
 * it is "version: to" with one up entry from `from`, with RM_DOWN
 * "version: from" with one down entry to `to`. Returns a new NUL-terminated
 * string (free() it), or NULL with `err` set (a plan holding high-level
 * instructions is refused).
 */
char *rm_plan_to_yaml(const struct rm_plan *plan, enum rm_direction dir, const char *from,
                      const char *to, struct rm_error *err);

/* The same plan as a JSON document with the same fields. */
char *rm_plan_to_json(const struct rm_plan *plan, enum rm_direction dir, const char *from,
                      const char *to, struct rm_error *err);

/* Frees what `plan` holds and zeroes it. Accepts a zeroed struct. */
void rm_plan_free(struct rm_plan *plan);

#ifdef __cplusplus
}
#endif
#endif
