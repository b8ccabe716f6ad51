/*
 * config.h - the config layer: each application's configuration as the
 * release handler sets it (rm_config_set), which modules read it, and the
 * config_change messages an install sends to their processes.
 *
 * A configuration is kept as a snapshot with a reference count: a callback
 * that reads it takes the snapshot of its application once and drops it
 * when the callback returns (host.c), so the strings it was given stay
 * valid while a new configuration replaces the old one.
 */
#ifndef RELMAN_CONFIG_H_RUNTIME
#define RELMAN_CONFIG_H_RUNTIME

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "relman/config.h"
#include "rel.h"

/* One application's configuration as it stands. */
struct rm__config_snap {
    _Atomic uint32_t refs;
    struct rm_cfg *value; /* a map; one block */
};

/* One application: its name, its modules, its configuration. */
struct rm__config_app {
    struct rm__config_app *next;
    char *name;
    char **modules;
    size_t nmodules;
    struct rm__config_snap *snap;
};

struct rm__config_node {
    struct rm__rel_node rel;
    pthread_mutex_t config_lock; /* a leaf: the list below */
    struct rm__config_app *apps;
};

static inline struct rm__config_node *rm__config_of(struct rm_node *node)
{
    return (struct rm__config_node *)node;
}

void rm__config_init(struct rm_node *node);
/* Drops every application's configuration. */
void rm__config_free(struct rm_node *node);
/* The configuration of the application module `module` belongs to, with
   a reference the caller drops with rm__config_put; NULL when none. */
struct rm__config_snap *rm__config_take(struct rm_node *node, const char *module);
void rm__config_put(struct rm__config_snap *s);
/* Reads a config_change message's payload into *out; the key arrays are
   in one new block at *keys (free() it). 0, or -1 when malformed or out
   of memory. */
int rm__config_change_decode(const char *data, size_t len, struct rm_config_change *out,
                             const char ***keys);

#endif
