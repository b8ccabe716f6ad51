/*
 * config.c - the configuration of each application, what a process reads
 * through the module API, and the config_change messages.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

void rm__config_init(struct rm_node *node)
{
    pthread_mutex_init(&rm__config_of(node)->config_lock, NULL);
}

static void app_free(struct rm__config_app *a)
{
    for (size_t i = 0; i < a->nmodules; i++)
        free(a->modules[i]);
    free(a->modules);
    free(a->name);
    rm__config_put(a->snap);
    free(a);
}

void rm__config_free(struct rm_node *node)
{
    struct rm__config_node *G = rm__config_of(node);
    while (G->apps) {
        struct rm__config_app *a = G->apps;
        G->apps = a->next;
        app_free(a);
    }
    pthread_mutex_destroy(&G->config_lock);
}

void rm__config_put(struct rm__config_snap *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
        free(s->value);
        free(s);
    }
}

/* The application of `module` (config_lock held); NULL when none. */
static struct rm__config_app *app_of_module(struct rm__config_node *G, const char *module)
{
    for (struct rm__config_app *a = G->apps; a; a = a->next)
        for (size_t i = 0; i < a->nmodules; i++)
            if (strcmp(a->modules[i], module) == 0)
                return a;
    return NULL;
}

static struct rm__config_app **find_app(struct rm__config_node *G, const char *name)
{
    struct rm__config_app **pp = &G->apps;
    while (*pp && strcmp((*pp)->name, name) != 0)
        pp = &(*pp)->next;
    return pp;
}

struct rm__config_snap *rm__config_take(struct rm_node *node, const char *module)
{
    struct rm__config_node *G = rm__config_of(node);
    pthread_mutex_lock(&G->config_lock);
    struct rm__config_app *a = app_of_module(G, module);
    struct rm__config_snap *s = a ? a->snap : NULL;
    if (s)
        atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&G->config_lock);
    return s;
}

int rm_config_set(struct rm_node *node, const char *app, const char *const *modules, size_t n,
                  const struct rm_cfg *value, struct rm_error *err)
{
    if (!value || value->type != RM_CONFIG_MAP)
        return rm_error_set(err, RM_EINVAL, "configuration of '%s': not a map", app);
    struct rm__config_app *a = calloc(1, sizeof *a);
    struct rm__config_snap *s = calloc(1, sizeof *s);
    if (!a || !s || !(a->name = strdup(app)) || !(s->value = rm_cfg_copy(value)) ||
        !(a->modules = calloc(n ? n : 1, sizeof *a->modules))) {
        if (s)
            free(s->value);
        free(s);
        if (a)
            free(a->name);
        free(a);
        return rm_error_nomem(err);
    }
    atomic_store(&s->refs, 1);
    a->snap = s;
    for (; a->nmodules < n; a->nmodules++)
        if (!(a->modules[a->nmodules] = strdup(modules[a->nmodules]))) {
            app_free(a);
            return rm_error_nomem(err);
        }
    struct rm__config_node *G = rm__config_of(node);
    pthread_mutex_lock(&G->config_lock);
    struct rm__config_app **pp = find_app(G, app), *old = *pp;
    a->next = old ? old->next : NULL;
    *pp = a;
    /* A module belongs to one application: another that claimed it lets go. */
    for (struct rm__config_app *o = G->apps; o; o = o->next)
        for (size_t i = 0; o != a && i < o->nmodules;) {
            int mine = 0;
            for (size_t j = 0; j < n && !mine; j++)
                mine = strcmp(o->modules[i], modules[j]) == 0;
            if (mine) {
                free(o->modules[i]);
                o->modules[i] = o->modules[--o->nmodules];
            } else {
                i++;
            }
        }
    pthread_mutex_unlock(&G->config_lock);
    if (old)
        app_free(old);
    return 0;
}

void rm_config_unset(struct rm_node *node, const char *app)
{
    struct rm__config_node *G = rm__config_of(node);
    pthread_mutex_lock(&G->config_lock);
    struct rm__config_app **pp = find_app(G, app), *old = *pp;
    if (old)
        *pp = old->next;
    pthread_mutex_unlock(&G->config_lock);
    if (old)
        app_free(old);
}

struct rm_cfg *rm_config_get_copy(struct rm_node *node, const char *app)
{
    struct rm__config_node *G = rm__config_of(node);
    pthread_mutex_lock(&G->config_lock);
    struct rm__config_app *a = *find_app(G, app);
    struct rm_cfg *copy = a ? rm_cfg_copy(a->snap->value) : NULL;
    pthread_mutex_unlock(&G->config_lock);
    return copy;
}

/* ---- config_change messages ------------------------------------------- */

/* The payload: three counts (uint32_t each), then every key NUL-terminated,
   changed first, then added, then removed. */
static char *encode(const struct rm_config_change *ch, size_t *len)
{
    const char *const *lists[3] = {ch->changed, ch->added, ch->removed};
    size_t counts[3] = {ch->n_changed, ch->n_added, ch->n_removed}, size = 3 * sizeof(uint32_t);
    for (int l = 0; l < 3; l++) {
        if (counts[l] > UINT32_MAX)
            return NULL;
        for (size_t k = 0; k < counts[l]; k++)
            size += strlen(lists[l][k]) + 1;
    }
    char *buf = malloc(size), *p = buf + 3 * sizeof(uint32_t);
    if (!buf)
        return NULL;
    for (int l = 0; l < 3; l++) {
        uint32_t c = (uint32_t)counts[l];
        memcpy(buf + l * sizeof c, &c, sizeof c);
        for (size_t k = 0; k < counts[l]; k++) {
            size_t n = strlen(lists[l][k]) + 1;
            memcpy(p, lists[l][k], n);
            p += n;
        }
    }
    *len = size;
    return buf;
}

int rm__config_change_decode(const char *data, size_t len, struct rm_config_change *out,
                             const char ***keys)
{
    uint32_t c[3];
    if (len < sizeof c)
        return -1;
    memcpy(c, data, sizeof c);
    size_t total = (size_t)c[0] + c[1] + c[2];
    if (total > len)
        return -1;
    const char **v = malloc((total ? total : 1) * sizeof *v);
    if (!v)
        return -1;
    const char *p = data + sizeof c, *end = data + len;
    for (size_t k = 0; k < total; k++) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        if (!nul) {
            free(v);
            return -1;
        }
        v[k] = p;
        p = nul + 1;
    }
    *out = (struct rm_config_change){.changed = c[0] ? v : NULL,
                                     .n_changed = c[0],
                                     .added = c[1] ? v + c[0] : NULL,
                                     .n_added = c[1],
                                     .removed = c[2] ? v + c[0] + c[1] : NULL,
                                     .n_removed = c[2]};
    *keys = v;
    return 0;
}

struct modules {
    char **v;
    size_t n;
};

static bool of_modules(struct rm_proc *p, void *ud)
{
    const struct modules *m = ud;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(p->module->name, m->v[i]) == 0)
            return true;
    return false;
}

int rm_config_notify(struct rm_node *node, const char *app, const struct rm_config_change *change,
                     size_t *notified, struct rm_error *err)
{
    struct rm__config_node *G = rm__config_of(node);
    struct modules mods = {0};
    int rc = 0;
    pthread_mutex_lock(&G->config_lock);
    struct rm__config_app *a = *find_app(G, app);
    if (!a) {
        rc = rm_error_set(err, RM_ENOENT, "config_change of '%s': no such application", app);
    } else if (!(mods.v = calloc(a->nmodules + 1, sizeof *mods.v))) {
        rc = rm_error_nomem(err);
    } else {
        for (; mods.n < a->nmodules && rc == 0; mods.n++)
            if (!(mods.v[mods.n] = strdup(a->modules[mods.n])))
                rc = rm_error_nomem(err);
    }
    pthread_mutex_unlock(&G->config_lock);
    size_t len = 0, sent = 0;
    char *payload = rc == 0 ? encode(change, &len) : NULL;
    if (rc == 0 && !payload)
        rc = rm_error_nomem(err);
    struct rm_proc **procs = NULL;
    size_t n = 0;
    if (rc == 0)
        rc = rm__proc_collect(node, of_modules, &mods, &procs, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct rm_msg *m = rm__mbox_msg_new(RM__MBOX_CONFIG, payload, len);
        if (!m) {
            rc = rm_error_nomem(err);
            break;
        }
        if (rm__proc_post(node, procs[i], m) < 0)
            free(m); /* it exited meanwhile */
        else
            sent++;
    }
    rm__proc_release_all(procs, n);
    free(payload);
    for (size_t i = 0; i < mods.n; i++)
        free(mods.v[i]);
    free(mods.v);
    if (notified)
        *notified = sent;
    return rc;
}
