/*
 * plan-internal.h - the work lists translation and checking share.
 */
#ifndef RELMAN_MANIFESTS_PLAN_INTERNAL_H
#define RELMAN_MANIFESTS_PLAN_INTERNAL_H

#include "arena.h"
#include "relman/plan.h"

/* An instruction at work and the file it came from. */
struct rm__wi {
    struct rm_instr in;
    const char *file;
};

/* A growing list of instructions at work. */
struct rm__wlist {
    struct rm__wi *v;
    size_t n, cap;
};

/* Appends a copy of `in`; 0, or -1 with `err` set when out of memory. */
int rm__wlist_push(struct rm__wlist *l, const struct rm_instr *in, const char *file,
                   struct rm_error *err);

/* Frees the list's array and empties it. */
void rm__wlist_free(struct rm__wlist *l);

/* Sets `err` to "file:line:column: <message>" for a work item. -1. */
int rm__wi_err(struct rm_error *err, const struct rm__wi *w, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The checks of an appup entry that need no application: the
 * point_of_no_return rules, suspend/resume and start/stop pairs, each
 * module at most once and dependencies on modules with instructions. 0/-1.
 */
int rm__script_check_syntax(const struct rm_script *script, struct rm_error *err);

/* Copies `src` into `dst` with every string and array in `arena`. 0 or -1. */
int rm__instr_copy(struct rm__arena *arena, struct rm_instr *dst, const struct rm_instr *src);

#endif
