/*
 * apply.c - the release handler's module operations beyond the runtime's
 * own API (relman/apply.h): call a function a module exports, delete a
 * module. Part of the load layer, built on the code table (code.h), with
 * the lock order: sys_lock, then code_lock.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "relman/apply.h"
#include "load.h"

int rm_module_apply(struct rm_node *node, const char *module, const char *function,
                    const char *const *args, size_t nargs, struct rm_error *err)
{
    struct rm__code_node *C = rm__code_of(node);
    pthread_mutex_lock(&C->code_lock);
    struct rm_module *m = rm__code_module_find(node, module);
    struct rm_code *cur = m ? atomic_load(&m->current) : NULL;
    if (cur)
        rm__code_ref(cur); /* keeps the object mapped during the call */
    pthread_mutex_unlock(&C->code_lock);
    if (!cur)
        return rm_error_set(err, RM_ENOENT, "apply '%s:%s': module '%s' is not loaded", module,
                            function, module);
    dlerror();
    void *sym = dlsym(cur->dl, function);
    if (!sym) {
        rm_error_set(err, RM_ENOENT,
                     "apply '%s:%s': version '%s' of module '%s' exports no function '%s'", module,
                     function, cur->desc->version, module, function);
        rm__code_unref(node, cur, false);
        return -1;
    }
    rm_apply_fn fn;
    memcpy(&fn, &sym, sizeof fn);
    char why[256] = "";
    int r = fn(args, nargs, why, sizeof why);
    why[sizeof why - 1] = '\0';
    rm__code_unref(node, cur, false);
    if (r != 0)
        return rm_error_set(err, RM_EINVAL, "apply '%s:%s': %s", module, function,
                            why[0] ? why : "the function failed");
    return 0;
}

int rm_module_delete(struct rm_node *node, const char *module, enum rm_purge_mode mode,
                     size_t *killed, struct rm_error *err)
{
    struct rm__sys_node *Y = rm__sys_of(node);
    struct rm__code_node *C = rm__code_of(node);
    struct rm_proc_info *ps;
    size_t n, nkilled = 0;
    if (rm_proc_list(node, module, &ps, &n, err) < 0)
        return -1;
    if (n > 0 && mode == RM_PURGE_SOFT) {
        free(ps);
        return rm_error_xset(err, RM_XIN_USE,
                             "delete '%s': %zu process%s still run%s the module (soft purge)",
                             module, n, n == 1 ? "" : "es", n == 1 ? "s" : "");
    }
    /* Stopped rather than killed by a purge: their restart policy must not
       start them again on a module that is going away. */
    for (size_t i = 0; i < n; i++)
        if (rm_proc_stop(node, ps[i].pid, "killed", NULL) == 0)
            nkilled++;
    free(ps);
    pthread_mutex_lock(&Y->sys_lock);
    pthread_mutex_lock(&C->code_lock);
    struct rm_module *m = rm__code_module_find(node, module);
    struct rm_code *cur = m ? atomic_load(&m->current) : NULL;
    struct rm_code *old = m ? m->old : NULL;
    int r = 0;
    if ((cur && atomic_load(&cur->nprocs) > 0) || (old && atomic_load(&old->nprocs) > 0)) {
        r = rm_error_xset(err, RM_XIN_USE,
                          "delete '%s': a process of the module was started meanwhile", module);
    } else if (m) {
        m->old = NULL;
        atomic_store(&m->current, NULL);
    }
    pthread_mutex_unlock(&C->code_lock);
    if (r == 0) {
        /* No process runs either version: the table's references are the
           last but those of running callbacks, which close it once done. */
        if (old)
            rm__code_unref(node, old, false);
        if (cur)
            rm__code_unref(node, cur, false);
    }
    pthread_mutex_unlock(&Y->sys_lock);
    if (r == 0 && killed)
        *killed = nkilled;
    return r;
}
