/*
 * txn.h - the transaction layer: upgrade transactions, every step undoable
 * until commit (the public side is in relman/runtime.h).
 */
#ifndef RELMAN_TXN_H
#define RELMAN_TXN_H

#include <stdbool.h>

#include "load.h"

struct rm__txn_node {
    struct rm__load_node load;
    struct rm_txn *txn; /* the open transaction, or NULL (sys_lock) */
    /* The entry array of the last large transaction, all zero, kept for
       the next one (sys_lock): a large fresh array is faulted in page by
       page inside the pause. */
    void *spare;
    size_t capspare;
};

/* Frees the spare entry array (node teardown). */
void rm__txn_drop_spare(struct rm_node *node);

static inline struct rm__txn_node *rm__txn_of(struct rm_node *node)
{
    return (struct rm__txn_node *)node;
}

/* The load layer's in_upgrade hook: whether the open transaction has
   loaded or prepared code of m. */
bool rm__txn_in_upgrade(struct rm_node *node, struct rm_module *m);

/* The sys layer's state_before hook: the state and code a process had
   before the open transaction changed it (sys_lock held). */
bool rm__txn_state_before(struct rm_node *node, struct rm_proc *p, void **state,
                          struct rm_code **code);

#endif
