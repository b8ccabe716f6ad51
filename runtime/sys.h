/*
 * sys.h - the sys layer: OTP's sys (suspend, resume, change_code, status,
 * format_state, trace, stop) and the one suspend engine that sys, pins,
 * purges and transactions share.
 */
#ifndef RELMAN_SYS_H
#define RELMAN_SYS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "sup.h"

struct rm__sys_node {
    struct rm__sup_node sup;
    pthread_mutex_t sys_lock;
    /* The transaction layer's hook (node.c): when the open transaction has
       changed p's state, sets *state and *code to the state p had before
       it and the code that built it, and returns true (sys_lock held). */
    bool (*state_before)(struct rm_node *node, struct rm_proc *p, void **state,
                         struct rm_code **code);
};

static inline struct rm__sys_node *rm__sys_of(struct rm_node *node)
{
    return (struct rm__sys_node *)node;
}

/* How long an operation that pins processes (stop, format_state, purge)
   waits for them to leave their callbacks. */
#define RM__SYS_PIN_MS 5000

/* A request to the suspend engine. */
struct rm__sys_susp {
    enum rm__proc_hold why;
    /* user: refuse the whole request (nothing changed, RM_ESTATE "suspend
       '<label>': already suspended") when any process is suspended */
    bool strict;
    /* the candidates: procs[0..n-1] (referenced by the caller), or, when
       procs is NULL (table mode), every process of the pid table whose
       module is one of the names modules[0..nmodules-1] */
    struct rm_proc **procs;
    size_t n;
    const char *const *modules;
    size_t nmodules;
    int timeout_ms;
    const char *what; /* starts the timeout message; NULL: "suspend" */
    /* table mode: called under tab_lock with the most processes the
       request can hold; returns where to write them, one struct rm_proc *
       every `stride` bytes, or NULL when out of memory. Each process
       written there has a reference of its own. */
    void *(*room)(void *ud, size_t most);
    void *ud;
    size_t stride;
    /* out: how many processes this request holds now (taken or joined) */
    size_t nheld;
};

/* Puts the hold `why` on every candidate the process layer lets it (see
   rm__proc_hold: dead ones, and those the hold cannot join, are skipped),
   in parallel when there are many, then waits with one deadline for those
   a worker was running to leave their callbacks. On timeout every hold
   this request put is released again (in table mode with the references
   it took) and -1 is returned with RM_ETIMEOUT:
   "<what> '<label>': still in a callback after N ms". sys_lock held. */
int rm__sys_suspend(struct rm_node *node, struct rm__sys_susp *rq, struct rm_error *err);
/* Pins a process between callbacks (a pin hold, joining any hold it has),
   waiting at most timeout_ms (negative: forever); errors as
   rm__sys_suspend with `what`. A dead process is "pinned" at once.
   sys_lock held. */
int rm__sys_pin(struct rm_node *node, struct rm_proc *p, int timeout_ms, const char *what,
                struct rm_error *err);
/* Drops the pin hold (the process runs again when nothing else holds it). */
void rm__sys_unpin(struct rm_node *node, struct rm_proc *p);
/* Runs code_change of `in` for p (held) into *new_state. On failure
   returns -1 with the module's reason in `reason`. A module without
   code_change keeps the state: *new_state is then p->state itself. */
int rm__sys_code_change(struct rm_node *node, struct rm_proc *p, struct rm_code *in,
                        enum rm_direction dir, const char *vsn, const char *extra, void **new_state,
                        char *reason, size_t rsize);

#endif
