/*
 * load.h - the load layer: code switching. Loading a module version,
 * purging the old one, moving processes between versions.
 */
#ifndef RELMAN_LOAD_H
#define RELMAN_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys.h"

struct rm__load_node {
    struct rm__sys_node sys;
    /* Hook of the transaction layer: whether the upgrade in progress has
       loaded or prepared code of m (a purge then waits for its commit).
       NULL or false when none is open. */
    bool (*in_upgrade)(struct rm_node *node, struct rm_module *m);
};

static inline struct rm__load_node *rm__load_of(struct rm_node *node)
{
    return (struct rm__load_node *)node;
}

/* After a load of m: suspended processes not migrated yet keep their code,
   the others move to the new code at their next message. */
void rm__load_mark_keep(struct rm_node *node, struct rm_module *m);
/* After a load of m: moves the processes of m whose state was changed down
   to the version now current onto it (sys_lock held). */
void rm__load_move_downgraded(struct rm_node *node, struct rm_module *m);
/* Moves every process of `module` that runs `code` to the current code,
   pinning each between callbacks (sys_lock held); those whose state_gen is
   `keep_gen` (when not 0) stay, marked as keeping their code. Returns how
   many stayed. */
size_t rm__load_move_all(struct rm_node *node, struct rm_module *m, struct rm_code *code,
                         uint64_t keep_gen);

#endif
