/*
 * code.h - the code table layer: module versions (one dlopen handle each),
 * per module a current and an old version, and the reference counts that
 * keep a shared object open while anything can reach it. Which process
 * runs which version is the process layer's business; moving processes
 * between versions is the load layer's.
 */
#ifndef RELMAN_CODE_H
#define RELMAN_CODE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relman/module.h"
#include "sched-int.h"

/* One loaded version of a module (one dlopen handle). */
struct rm_code {
    _Atomic uint32_t refs;   /* table slots + processes + transient holders */
    _Atomic uint32_t nprocs; /* processes whose code this is */
    void *dl;
    const struct rm_module_desc *desc;
    struct rm_module *module; /* NULL until attached to the table */
    char *path;               /* canonical path */
    uint64_t gen;             /* unique in the node: which code built a state */
};

/* A module: its current and old versions. Never freed before the node. */
struct rm_module {
    struct rm_module *next;
    char name[RM_NAME_MAX + 1];
    struct rm_code *_Atomic current;
    struct rm_code *old;
    /* set while the open upgrade transaction has prepared or loaded code of
       it (the transaction layer's): a process of it started from a module
       (rm_spawn) meanwhile would run code whose state layout the upgrade is
       changing under it, so such starts are refused until the end */
    _Atomic uint32_t upgrading;
};

struct rm__code_node {
    struct rm__sched_node sched;
    pthread_mutex_t code_lock;
    struct rm_module *modules;
    _Atomic uint64_t next_gen; /* last rm_code.gen given */
    char **paths;              /* canonical paths loaded in this node */
    size_t npaths, cappaths;
};

static inline struct rm__code_node *rm__code_of(struct rm_node *node)
{
    return (struct rm__code_node *)node;
}

void rm__code_init(struct rm_node *node);
/* Drops every module and version (no process left). */
void rm__code_free(struct rm_node *node);

/* Takes a reference on a code version (caller keeps it reachable). */
void rm__code_ref(struct rm_code *code);
/* Drops a reference; the last one closes the object. Takes code_lock
   unless `locked` says the caller holds it. */
void rm__code_unref(struct rm_node *node, struct rm_code *code, bool locked);
/* Opens and checks `path` without attaching it to a module. */
struct rm_code *rm__code_open(struct rm_node *node, const char *path, const char *expect_name,
                              const char *expect_vsn, struct rm_error *err);
/* Registers a module built into the node: `desc` (static) is its current
   code for good, with no object (dl NULL, path NULL); loading a module of
   that name is refused. 0, or -1 with RM_ENOMEM. */
int rm__code_builtin(struct rm_node *node, const struct rm_module_desc *desc, struct rm_error *err);
/* Discards a code version that was never attached. */
void rm__code_drop(struct rm_node *node, struct rm_code *code);
/* Finds a module by name (code_lock held); NULL when unknown. */
struct rm_module *rm__code_module_find(struct rm_node *node, const char *name);
/* Finds or creates a module entry (code_lock held); NULL when out of memory. */
struct rm_module *rm__code_module_get(struct rm_node *node, const char *name);
/* Records `path` as loaded (code_lock held). 0 or -1 (out of memory). */
int rm__code_path_add(struct rm_node *node, const char *path, struct rm_error *err);
/* Takes the module's current code for n new processes (a reference and a
   process count each); NULL with RM_ENOENT when it has none. */
struct rm_code *rm__code_acquire_current(struct rm_node *node, struct rm_module *m, size_t n,
                                         struct rm_error *err);
/* Gives back what rm__code_acquire_current took for n processes. */
void rm__code_release(struct rm_node *node, struct rm_code *code, size_t n);
/* Calls the module's free_state (or free) on a state of `code`. */
void rm__code_state_free(struct rm_code *code, void *state);

/* A descriptor's callback `field` when the module's descriptor is large
   enough to have it (a module built for an older ABI has a shorter one),
   else NULL. */
#define RM__CODE_CALLBACK(desc, field)                                                           \
    ((desc)->size >= offsetof(struct rm_module_desc, field) + sizeof((desc)->field)            \
         ? (desc)->field                                                                        \
         : NULL)

#endif
