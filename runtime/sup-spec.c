/*
 * sup-spec.c - supervisor specs: checking them, the node's table of the
 * specs rm_sup_define recorded, and copies a supervisor takes of one.
 */
#include <stdlib.h>
#include <string.h>

#include "sup.h"

struct rm__sup_def {
    struct rm__sup_def *next;
    struct rm__sup_copy copy;
};

static char *dup_or_empty(const char *s, bool *oom)
{
    char *d = strdup(s ? s : "");
    if (!d)
        *oom = true;
    return d;
}

void rm__sup_child_clear(struct rm_sup_child *c)
{
    free((char *)c->id);
    free((char *)c->module);
    free((char *)c->arg);
    free((char *)c->name);
    memset(c, 0, sizeof *c);
}

int rm__sup_child_copy(struct rm_sup_child *dst, const struct rm_sup_child *src, const char *arg)
{
    bool oom = false;
    *dst = *src;
    dst->id = dup_or_empty(src->id, &oom);
    dst->module = dup_or_empty(src->module, &oom);
    dst->arg = dup_or_empty(arg ? arg : src->arg, &oom);
    dst->name = src->name && src->name[0] ? dup_or_empty(src->name, &oom) : NULL;
    if (oom) {
        rm__sup_child_clear(dst);
        return -1;
    }
    return 0;
}

void rm__sup_copy_clear(struct rm__sup_copy *c)
{
    for (size_t i = 0; i < c->spec.n_children; i++)
        rm__sup_child_clear(&c->children[i]);
    free(c->children);
    free((char *)c->spec.name);
    free((char *)c->spec.app);
    memset(c, 0, sizeof *c);
}

static int copy_spec(struct rm__sup_copy *dst, const struct rm_sup_spec *src)
{
    bool oom = false;
    memset(dst, 0, sizeof *dst);
    dst->spec = *src;
    dst->spec.children = NULL;
    dst->spec.n_children = 0;
    dst->spec.name = dup_or_empty(src->name, &oom);
    dst->spec.app = dup_or_empty(src->app, &oom);
    dst->children = calloc(src->n_children ? src->n_children : 1, sizeof *dst->children);
    if (oom || !dst->children) {
        rm__sup_copy_clear(dst);
        return -1;
    }
    for (size_t i = 0; i < src->n_children; i++) {
        if (rm__sup_child_copy(&dst->children[i], &src->children[i], NULL) < 0) {
            rm__sup_copy_clear(dst);
            return -1;
        }
        dst->spec.n_children = i + 1;
    }
    dst->spec.children = dst->children;
    return 0;
}

/* Everything rm_sup_define refuses. */
static int check_spec(const struct rm_sup_spec *s, struct rm_error *err)
{
    if (!s || rm_name_check(s->name, "supervisor name", err) < 0)
        return s ? rm_error_prefix(err, "define supervisor") : rm_error_set(err, RM_EINVAL, "define supervisor: no spec");
    if ((unsigned)s->strategy > RM_SUP_SIMPLE_ONE_FOR_ONE)
        return rm_error_set(err, RM_EINVAL, "supervisor '%s': invalid strategy %d", s->name,
                            (int)s->strategy);
    if (s->period == 0)
        return rm_error_set(err, RM_EINVAL, "supervisor '%s': period must be above 0 seconds",
                            s->name);
    if (s->n_children && !s->children)
        return rm_error_set(err, RM_EINVAL, "supervisor '%s': no children given", s->name);
    if (s->strategy == RM_SUP_SIMPLE_ONE_FOR_ONE && s->n_children != 1)
        return rm_error_set(err, RM_EINVAL,
                            "supervisor '%s': simple_one_for_one needs exactly one child spec, "
                            "not %zu",
                            s->name, s->n_children);
    for (size_t i = 0; i < s->n_children; i++) {
        const struct rm_sup_child *c = &s->children[i];
        if (rm_name_check(c->id, "child id", err) < 0 ||
            rm_name_check(c->module, c->supervisor ? "supervisor name" : "module name", err) < 0 ||
            (c->name && c->name[0] && rm_name_check(c->name, "process name", err) < 0))
            return rm_error_prefix(err, "supervisor '%s': child %zu", s->name, i + 1);
        if ((unsigned)c->restart > RM_RESTART_PERMANENT)
            return rm_error_set(err, RM_EINVAL, "supervisor '%s': child '%s': invalid restart %d",
                                s->name, c->id, (int)c->restart);
        if (c->shutdown_ms < RM_SHUTDOWN_INFINITY)
            return rm_error_set(err, RM_EINVAL, "supervisor '%s': child '%s': invalid shutdown %d",
                                s->name, c->id, c->shutdown_ms);
        if (c->supervisor && c->module && strcmp(c->module, s->name) == 0)
            return rm_error_set(err, RM_EINVAL, "supervisor '%s': child '%s' is the supervisor itself",
                                s->name, c->id);
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->children[j].id, c->id) == 0)
                return rm_error_set(err, RM_EINVAL, "supervisor '%s': child id '%s' is given twice",
                                    s->name, c->id);
    }
    return 0;
}

int rm_sup_define(struct rm_node *node, const struct rm_sup_spec *spec, struct rm_error *err)
{
    struct rm__sup_node *S = rm__sup_of(node);
    if (check_spec(spec, err) < 0)
        return -1;
    struct rm__sup_def *d = calloc(1, sizeof *d);
    if (!d || copy_spec(&d->copy, spec) < 0) {
        free(d);
        return rm_error_nomem(err);
    }
    pthread_mutex_lock(&S->sup_lock);
    struct rm__sup_def **pp = &S->defs;
    while (*pp && strcmp((*pp)->copy.spec.name, spec->name) != 0)
        pp = &(*pp)->next;
    struct rm__sup_def *old = *pp;
    d->next = old ? old->next : NULL;
    *pp = d;
    pthread_mutex_unlock(&S->sup_lock);
    if (old) {
        rm__sup_copy_clear(&old->copy);
        free(old);
    }
    return 0;
}

int rm__sup_lookup(struct rm_node *node, const char *name, struct rm__sup_copy *out,
                   struct rm_error *err)
{
    struct rm__sup_node *S = rm__sup_of(node);
    pthread_mutex_lock(&S->sup_lock);
    struct rm__sup_def *d = S->defs;
    while (d && strcmp(d->copy.spec.name, name) != 0)
        d = d->next;
    int rc = d ? copy_spec(out, &d->copy.spec) : 1;
    pthread_mutex_unlock(&S->sup_lock);
    if (rc > 0)
        return rm_error_set(err, RM_ENOENT, "no supervisor '%s' is defined", name);
    return rc < 0 ? rm_error_nomem(err) : 0;
}

void rm_sup_set_exit_hook(struct rm_node *node, rm_sup_exit_fn fn, void *ud)
{
    struct rm__sup_node *S = rm__sup_of(node);
    pthread_mutex_lock(&S->sup_lock);
    S->hook = fn;
    S->hook_ud = ud;
    pthread_mutex_unlock(&S->sup_lock);
}

void rm__sup_report(struct rm_node *node, const char *sup, const char *app, const char *reason)
{
    struct rm__sup_node *S = rm__sup_of(node);
    if (atomic_load(&S->stopping))
        return;
    pthread_mutex_lock(&S->sup_lock);
    rm_sup_exit_fn fn = S->hook;
    void *ud = S->hook_ud;
    pthread_mutex_unlock(&S->sup_lock);
    if (fn)
        fn(ud, sup, app, reason);
}

void rm__sup_stopping(struct rm_node *node)
{
    atomic_store(&rm__sup_of(node)->stopping, true);
}

bool rm__sup_is_stopping(struct rm_node *node)
{
    return atomic_load(&rm__sup_of(node)->stopping);
}

void rm__sup_free(struct rm_node *node)
{
    struct rm__sup_node *S = rm__sup_of(node);
    struct rm__sup_def *d = S->defs;
    while (d) {
        struct rm__sup_def *next = d->next;
        rm__sup_copy_clear(&d->copy);
        free(d);
        d = next;
    }
    S->defs = NULL;
    pthread_mutex_destroy(&S->sup_lock);
}
