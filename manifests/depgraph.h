/* depgraph.h - the translation of instructions with dependencies. */
#ifndef RELMAN_MANIFESTS_DEPGRAPH_H
#define RELMAN_MANIFESTS_DEPGRAPH_H

#include "plan-internal.h"

/* One translation's inputs and scratch arena. */
struct rm__translate {
    enum rm_direction dir;
    const struct rm_plan_app *target; /* Appls: the release gone to */
    size_t n_target;
    const struct rm_plan_app *current; /* PreAppls: the release left */
    size_t n_current;
    int check_only; /* checks only: no applications, no load_object_code */
    struct rm__arena *arena;
    struct rm_error *err;
};

/*
 * systools_rc's translate_dependent_instrs: builds one dependency graph of
 * the update, load_module and delete_module (with deps) instructions of
 * `after` (refusing a module with two instructions, muldef_module, and a
 * dependency on a module without one, undef_module), and replaces each
 * weakly connected group, at the position of its first instruction, by its
 * suspend, load/remove, code_change and resume instructions; their
 * load_object_code go to `before`. Other instructions keep their order.
 */
int rm__translate_dependent(struct rm__translate *t, const struct rm__wlist *after,
                            struct rm__wlist *before, struct rm__wlist *out);

#endif
