/*
 * node.c - the node: its assembly from the layers' parts, the hooks by
 * which lower layers reach upper ones, and its teardown.
 */
#include <stdlib.h>
#include <unistd.h>

#include "txn.h"

/* The whole node: the top layer's part, which holds every other one. */
struct rm_node {
    struct rm__txn_node txn;
};

#define RM__NODE_MAX_WORKERS 256

struct rm_node *rm_node_new(const struct rm_node_opts *opts, struct rm_error *err)
{
    struct rm_node *node = calloc(1, sizeof *node);
    if (!node) {
        rm_error_nomem(err);
        return NULL;
    }
    struct rm__rt_node *rt = rm__rt_of(node);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    rt->nworkers = opts && opts->workers ? opts->workers : (cores > 0 ? (unsigned)cores : 1);
    if (rt->nworkers > RM__NODE_MAX_WORKERS)
        rt->nworkers = RM__NODE_MAX_WORKERS;
    rt->log = opts ? opts->log : NULL;
    rt->log_ud = opts ? opts->log_ud : NULL;
    rt->log_about = opts ? opts->log_about : NULL;
    atomic_store(&rm__call_of(node)->next_from, 1);
    rm__sched_init(node);
    rm__code_init(node);
    rm__config_init(node);
    pthread_mutex_init(&rm__sys_of(node)->sys_lock, NULL);
    /* the hooks: lower layers reach these upper ones only through them */
    rm__load_of(node)->in_upgrade = rm__txn_in_upgrade;
    rm__sys_of(node)->state_before = rm__txn_state_before;
    rm__rel_of(node)->spawn = rm__life_spawn;
    if (rm__sup_init(node, err) < 0 || rm__proc_init(node, err) < 0 ||
        rm__timer_start(node, err) < 0 || rm__rel_start(node, err) < 0)
        goto fail;
    if (rm__sched_start(node, rm__life_run, err) < 0) {
        rm_node_free(node);
        return NULL;
    }
    return node;
fail:
    rm__rel_stop(node);
    rm__timer_stop(node);
    rm__proc_free(node);
    rm__code_free(node);
    rm__sched_free(node);
    rm__config_free(node);
    rm__sup_free(node);
    pthread_mutex_destroy(&rm__sys_of(node)->sys_lock);
    free(node);
    return NULL;
}

static bool any_proc(struct rm_proc *p, void *ud)
{
    return true;
}

void rm_node_free(struct rm_node *node)
{
    if (!node)
        return;
    struct rm__sys_node *Y = rm__sys_of(node);
    if (rm__txn_of(node)->txn)
        rm_txn_abort(rm__txn_of(node)->txn);
    rm__txn_drop_spare(node);
    rm__timer_stop(node);
    rm__sup_stopping(node);

    /* Stop every process, without restarts, until none is left. */
    pthread_mutex_lock(&Y->sys_lock);
    for (;;) {
        struct rm_proc **procs = NULL;
        size_t n = 0;
        if (rm__proc_collect(node, any_proc, NULL, &procs, &n, NULL) < 0 || n == 0) {
            free(procs);
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (!rm__proc_dead(procs[i])) {
                rm__sys_pin(node, procs[i], -1, "stop", NULL);
                if (!rm__proc_dead(procs[i]))
                    rm__life_exit(node, procs[i], "shutdown", false, 0);
            }
        }
        rm__proc_release_all(procs, n);
    }
    pthread_mutex_unlock(&Y->sys_lock);

    rm__sched_stop(node);
    rm__rel_stop(node); /* after the workers, which run its event loop */
    rm__code_free(node);
    rm__proc_free(node);
    rm__sched_free(node);
    rm__config_free(node);
    rm__sup_free(node);
    pthread_mutex_destroy(&Y->sys_lock);
    free(node);
}
