/*
 * module.c - the module table: per module a current and an old version,
 * loading with every check made before anything switches, purging, and the
 * reference counts that keep a shared object open while anything can reach
 * it (a table slot, a process, a transaction).
 */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "rt-internal.h"

struct rm_module *rm__module_find(struct rm_node *node, const char *name)
{
    for (struct rm_module *m = node->modules; m; m = m->next)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

struct rm_module *rm__module_get(struct rm_node *node, const char *name)
{
    struct rm_module *m = rm__module_find(node, name);
    if (m)
        return m;
    m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    snprintf(m->name, sizeof m->name, "%s", name);
    m->next = node->modules;
    node->modules = m;
    return m;
}

static bool path_known(struct rm_node *node, const char *path)
{
    for (size_t i = 0; i < node->npaths; i++)
        if (strcmp(node->paths[i], path) == 0)
            return true;
    return false;
}

int rm__path_add(struct rm_node *node, const char *path, struct rm_error *err)
{
    if (node->npaths == node->cappaths) {
        size_t cap = node->cappaths ? node->cappaths * 2 : 16;
        char **v = realloc(node->paths, cap * sizeof *v);
        if (!v)
            return rm_error_nomem(err);
        node->paths = v;
        node->cappaths = cap;
    }
    char *copy = strdup(path);
    if (!copy)
        return rm_error_nomem(err);
    node->paths[node->npaths++] = copy;
    return 0;
}

static void path_forget(struct rm_node *node, const char *path)
{
    for (size_t i = 0; i < node->npaths; i++) {
        if (strcmp(node->paths[i], path) == 0) {
            free(node->paths[i]);
            node->paths[i] = node->paths[--node->npaths];
            return;
        }
    }
}

/* Closes a code version nothing references (code_lock held). */
static void code_destroy(struct rm_node *node, struct rm_code *code)
{
    dlclose(code->dl);
    /* Only an object really gone from memory may be loaded again from the
       same path (a downgrade does): dlopen would otherwise hand back the
       old mapping. */
    void *still = dlopen(code->path, RTLD_LAZY | RTLD_NOLOAD);
    if (still)
        dlclose(still);
    else
        path_forget(node, code->path);
    free(code->path);
    free(code);
}

void rm__code_ref(struct rm_code *code)
{
    atomic_fetch_add(&code->refs, 1);
}

void rm__code_unref(struct rm_node *node, struct rm_code *code, bool locked)
{
    if (atomic_fetch_sub(&code->refs, 1) != 1)
        return;
    if (!locked)
        pthread_mutex_lock(&node->code_lock);
    code_destroy(node, code);
    if (!locked)
        pthread_mutex_unlock(&node->code_lock);
}

void rm__proc_to_current(struct rm_node *node, struct rm_proc *p)
{
    pthread_mutex_lock(&node->code_lock);
    struct rm_code *cur = atomic_load(&p->module->current);
    struct rm_code *old = p->code;
    if (p->down_vsn && (!cur || strcmp(cur->desc->version, p->down_vsn) != 0)) {
        /* its state is for another version: it waits for that one */
        pthread_mutex_unlock(&node->code_lock);
        return;
    }
    if (p->down_vsn && cur)
        p->state_gen = cur->gen;
    free(p->down_vsn);
    p->down_vsn = NULL;
    atomic_fetch_and(&p->flags, ~(uint32_t)RM__F_KEEP);
    if (cur && cur != old) {
        rm__code_ref(cur);
        atomic_fetch_add(&cur->nprocs, 1);
        p->code = cur;
        atomic_fetch_sub(&old->nprocs, 1);
        rm__code_unref(node, old, true);
    }
    pthread_mutex_unlock(&node->code_lock);
}

struct keep_ctx {
    struct rm_module *m;
};

static int keep_one(struct rm_proc *p, void *ud)
{
    struct keep_ctx *k = ud;
    if (p->module != k->m)
        return 0;
    uint32_t f = atomic_load(&p->flags);
    if ((f & RM__F_SUSPENDED) && !(f & RM__F_MIGRATED))
        atomic_fetch_or(&p->flags, RM__F_KEEP);
    else
        atomic_fetch_and(&p->flags, ~(uint32_t)RM__F_KEEP);
    return 0;
}

void rm__mark_keep(struct rm_node *node, struct rm_module *m)
{
    struct keep_ctx k = {m};
    pthread_rwlock_rdlock(&node->tab_lock);
    rm__proc_foreach(node, keep_one, &k);
    pthread_rwlock_unlock(&node->tab_lock);
}

static bool valid_word(const char *s, bool module_name)
{
    if (!s || !*s || strlen(s) > RM_NAME_MAX)
        return false;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (module_name ? !(isalnum(ch) || ch == '_' || ch == '-' || ch == '.')
                        : (ch <= ' ' || ch >= 127))
            return false;
    }
    return true;
}

/* The dlerror() text without the "path: " it starts with. */
static const char *dl_reason(const char *canon)
{
    const char *e = dlerror();
    if (!e)
        return "unknown dynamic loader error";
    size_t n = strlen(canon);
    if (strncmp(e, canon, n) == 0 && e[n] == ':' && e[n + 1] == ' ')
        return e + n + 2;
    return e;
}

static int check_desc(const char *path, const struct rm_module_desc *d, const char *expect_name,
                      const char *expect_vsn, struct rm_error *err)
{
    if (d->abi_version != RM_MODULE_ABI_VERSION)
        return rm_error_set(err, RM_ELOAD, "load '%s': module ABI version %u, this node needs %d",
                            path, d->abi_version, RM_MODULE_ABI_VERSION);
    if (d->size < sizeof(struct rm_module_desc))
        return rm_error_set(err, RM_ELOAD,
                            "load '%s': module descriptor of %u bytes, this node needs %zu", path,
                            d->size, sizeof(struct rm_module_desc));
    if (!valid_word(d->name, true))
        return rm_error_set(err, RM_ELOAD,
                            "load '%s': module name missing or invalid (letters, digits, '_', "
                            "'-', '.', at most %d)",
                            path, RM_NAME_MAX);
    if (!valid_word(d->version, false))
        return rm_error_set(err, RM_ELOAD,
                            "load '%s': module '%s' has a missing or invalid version", path,
                            d->name);
    if (expect_name && strcmp(d->name, expect_name) != 0)
        return rm_error_set(err, RM_ELOAD, "load '%s': module name is '%s', expected '%s'", path,
                            d->name, expect_name);
    if (expect_vsn && strcmp(d->version, expect_vsn) != 0)
        return rm_error_set(err, RM_ELOAD, "load '%s': module '%s' is version '%s', expected '%s'",
                            path, d->name, d->version, expect_vsn);
    if (!d->init || !d->handle_call)
        return rm_error_set(err, RM_ELOAD, "load '%s': module '%s' has no %s callback", path,
                            d->name, d->init ? "handle_call" : "init");
    return 0;
}

struct rm_code *rm__code_open(struct rm_node *node, const char *path, const char *expect_name,
                              const char *expect_vsn, struct rm_error *err)
{
    char canon[PATH_MAX];
    if (!path || !*path) {
        rm_error_set(err, RM_EINVAL, "load: no path given");
        return NULL;
    }
    if (!realpath(path, canon)) {
        int e = errno;
        char why[128];
        snprintf(why, sizeof why, "%s", strerror(e));
        why[0] = (char)tolower((unsigned char)why[0]);
        rm_error_set(err, e == ENOENT ? RM_ENOENT : RM_ELOAD, "load '%s': %s", path, why);
        return NULL;
    }
    pthread_mutex_lock(&node->code_lock);
    bool known = path_known(node, canon);
    pthread_mutex_unlock(&node->code_lock);
    if (known) {
        rm_error_set(err, RM_EEXIST, "load '%s': path already loaded in this node", path);
        return NULL;
    }
    dlerror();
    void *dl = dlopen(canon, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        rm_error_set(err, RM_ELOAD, "load '%s': %s", path, dl_reason(canon));
        return NULL;
    }
    const struct rm_module_desc *d = dlsym(dl, RM_MODULE_SYMBOL);
    if (!d) {
        rm_error_set(err, RM_ELOAD, "load '%s': no symbol '%s': not a relman module", path,
                     RM_MODULE_SYMBOL);
        dlclose(dl);
        return NULL;
    }
    if (check_desc(path, d, expect_name, expect_vsn, err) < 0) {
        dlclose(dl);
        return NULL;
    }
    struct rm_code *code = calloc(1, sizeof *code);
    char *cp = strdup(canon);
    if (!code || !cp) {
        free(code);
        free(cp);
        dlclose(dl);
        rm_error_nomem(err);
        return NULL;
    }
    code->dl = dl;
    code->desc = d;
    code->path = cp;
    code->gen = atomic_fetch_add(&node->next_gen, 1) + 1;
    atomic_store(&code->refs, 1);
    return code;
}

/* Discards a code version that was never attached. */
static void code_drop(struct rm_node *node, struct rm_code *code)
{
    pthread_mutex_lock(&node->code_lock);
    code_destroy(node, code);
    pthread_mutex_unlock(&node->code_lock);
}

int rm_module_load(struct rm_node *node, const char *path, const char *expect_name,
                   const char *expect_vsn, char *name_out, struct rm_error *err)
{
    pthread_mutex_lock(&node->sys_lock);
    struct rm_code *code = rm__code_open(node, path, expect_name, expect_vsn, err);
    if (!code) {
        pthread_mutex_unlock(&node->sys_lock);
        return -1;
    }
    const char *name = code->desc->name;
    int r = 0;
    pthread_mutex_lock(&node->code_lock);
    struct rm_module *m = rm__module_find(node, name);
    struct rm_code *cur = m ? atomic_load(&m->current) : NULL;
    if (m && m->old)
        r = rm_error_set(err, RM_EBUSY, "load '%s': old code of '%s' not purged", path, name);
    else if (cur && strcmp(cur->desc->version, code->desc->version) == 0)
        r = rm_error_set(err, RM_EEXIST, "load '%s': version '%s' of '%s' is already current", path,
                         code->desc->version, name);
    else if (!(m = rm__module_get(node, name)) || rm__path_add(node, code->path, err) < 0)
        r = rm_error_nomem(err);
    if (r == 0) {
        code->module = m;
        m->old = cur;
        atomic_store(&m->current, code);
        if (name_out)
            snprintf(name_out, RM_NAME_MAX + 1, "%s", name);
    }
    pthread_mutex_unlock(&node->code_lock);
    if (r < 0) {
        code_drop(node, code);
    } else {
        rm__mark_keep(node, m);
        rm__move_downgraded(node, m);
    }
    pthread_mutex_unlock(&node->sys_lock);
    return r;
}

struct purge_match {
    struct rm_module *m;
    struct rm_code *code;
};

static bool runs_code(struct rm_proc *p, void *ud)
{
    struct purge_match *pm = ud;
    return p->module == pm->m && p->code == pm->code;
}

static bool waits_for_current(struct rm_proc *p, void *ud)
{
    struct rm_module *m = ud;
    struct rm_code *cur = atomic_load(&m->current);
    return p->module == m && p->down_vsn && cur && strcmp(cur->desc->version, p->down_vsn) == 0;
}

/* Pins each process of v[0..n-1], moves it to its module's current code
   and releases it; drops the references. */
static void move_each(struct rm_node *node, struct rm_proc **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool resume;
        rm__pin(node, v[i], -1, "move", &resume, NULL);
        if (!(atomic_load(&v[i]->flags) & RM__F_DEAD))
            rm__proc_to_current(node, v[i]);
        rm__unpin(node, v[i], resume);
    }
    rm__release_all(v, n);
}

void rm__move_downgraded(struct rm_node *node, struct rm_module *m)
{
    struct rm_proc **v;
    size_t n;
    pthread_mutex_lock(&node->code_lock);
    int r = rm__collect(node, waits_for_current, m, &v, &n, NULL);
    pthread_mutex_unlock(&node->code_lock);
    if (r == 0)
        move_each(node, v, n);
    /* out of memory: they stay suspended, refused a resume until moved */
}

size_t rm__move_all(struct rm_node *node, struct rm_module *m, struct rm_code *code,
                    uint64_t keep_gen)
{
    struct purge_match pm = {m, code};
    struct rm_proc **v;
    size_t n, kept = 0;
    pthread_mutex_lock(&node->code_lock);
    int r = rm__collect(node, runs_code, &pm, &v, &n, NULL);
    pthread_mutex_unlock(&node->code_lock);
    if (r < 0)
        return 0; /* out of memory: they move at their next message */
    for (size_t i = 0, k = 0; i < n; i++) {
        if (keep_gen && v[i]->state_gen == keep_gen) {
            atomic_fetch_or(&v[i]->flags, RM__F_KEEP);
            rm__proc_put(v[i]);
            kept++;
        } else {
            v[k++] = v[i];
        }
    }
    move_each(node, v, n - kept);
    return kept;
}

/* Whether a process on the old code only waits for its next message to
   move to the current one (a load without code change): neither suspended
   nor kept on its code. */
static bool will_move(struct rm_proc *p)
{
    return !(atomic_load(&p->flags) & (RM__F_SUSPENDED | RM__F_KEEP)) && !p->down_vsn;
}

/* Purges the old code `old` of m (sys_lock held): collects its processes,
   pins them all (at most RM__PIN_MS, else nothing changes), then moves
   those that would move at their next message and, for a brutal purge,
   kills the others. */
static int purge_old(struct rm_node *node, struct rm_module *m, struct rm_code *old,
                     enum rm_purge_mode mode, size_t *nkilled, struct rm_error *err)
{
    struct purge_match pm = {m, old};
    struct rm_proc **v;
    size_t n, users = 0;
    pthread_mutex_lock(&node->code_lock);
    int r = rm__collect(node, runs_code, &pm, &v, &n, err);
    pthread_mutex_unlock(&node->code_lock);
    if (r < 0)
        return -1;
    /* mine[i]: this purge pinned v[i]; move[i]: v[i] moves, not killed
       (decided before pinning sets SUSPENDED) */
    bool *mine = malloc(2 * n + 2), *move = mine ? mine + n + 1 : NULL;
    if (mine) {
        pthread_mutex_lock(&node->code_lock);
        for (size_t i = 0; i < n; i++)
            users += !(move[i] = will_move(v[i]));
        pthread_mutex_unlock(&node->code_lock);
    }
    if (!mine) {
        r = rm_error_nomem(err);
    } else if (users > 0 && mode == RM_PURGE_SOFT) {
        r = rm_error_set(
            err, RM_EBUSY, "purge '%s': %zu process%s still run%s the old code (version '%s')",
            m->name, users, users == 1 ? "" : "es", users == 1 ? "s" : "", old->desc->version);
    } else if (rm__suspend(node, v, n, 0, false, RM__PIN_MS, mine, err) < 0) {
        r = rm_error_prefix(err, "purge '%s'", m->name);
    }
    for (size_t i = 0; r == 0 && i < n; i++) {
        struct rm_proc *p = v[i];
        bool dead = atomic_load(&p->flags) & RM__F_DEAD;
        if (!dead && p->code == old && move[i]) {
            rm__proc_to_current(node, p);
        } else if (!dead && p->code == old) {
            rm__proc_exit(node, p, "killed", true, 0);
            (*nkilled)++;
            continue;
        }
        rm__unpin(node, p, mine[i]);
    }
    free(mine);
    rm__release_all(v, n);
    if (r == 0) {
        pthread_mutex_lock(&node->code_lock);
        m->old = NULL;
        pthread_mutex_unlock(&node->code_lock);
        rm__code_unref(node, old, false);
    }
    return r;
}

int rm_module_purge(struct rm_node *node, const char *name, enum rm_purge_mode mode, size_t *killed,
                    struct rm_error *err)
{
    size_t nkilled = 0;
    pthread_mutex_lock(&node->sys_lock);
    pthread_mutex_lock(&node->code_lock);
    struct rm_module *m = name ? rm__module_find(node, name) : NULL;
    struct rm_code *old = m ? m->old : NULL;
    pthread_mutex_unlock(&node->code_lock);
    int r = 0;
    if (!m)
        r = rm_error_set(err, RM_ENOENT, "purge '%s': module not loaded", name ? name : "");
    else if (old && node->txn && rm__txn_touches(node->txn, m))
        r = rm_error_set(err, RM_EBUSY, "purge '%s': the module is part of an upgrade in progress",
                         name);
    else if (old)
        r = purge_old(node, m, old, mode, &nkilled, err);
    pthread_mutex_unlock(&node->sys_lock);
    if (r == 0 && killed)
        *killed = nkilled;
    return r;
}

static int cmp_info(const void *a, const void *b)
{
    return strcmp(((const struct rm_module_info *)a)->name,
                  ((const struct rm_module_info *)b)->name);
}

int rm_module_list(struct rm_node *node, struct rm_module_info **out, size_t *n,
                   struct rm_error *err)
{
    pthread_mutex_lock(&node->code_lock);
    size_t k = 0;
    for (struct rm_module *m = node->modules; m; m = m->next)
        if (atomic_load(&m->current) || m->old)
            k++;
    struct rm_module_info *v = calloc(k + 1, sizeof *v);
    if (!v) {
        pthread_mutex_unlock(&node->code_lock);
        return rm_error_nomem(err);
    }
    size_t i = 0;
    for (struct rm_module *m = node->modules; m; m = m->next) {
        struct rm_code *cur = atomic_load(&m->current);
        if (!cur && !m->old)
            continue;
        struct rm_module_info *x = &v[i++];
        snprintf(x->name, sizeof x->name, "%s", m->name);
        if (cur) {
            snprintf(x->current_vsn, sizeof x->current_vsn, "%s", cur->desc->version);
            snprintf(x->current_path, sizeof x->current_path, "%s", cur->path);
            x->procs_current = atomic_load(&cur->nprocs);
        }
        if (m->old) {
            snprintf(x->old_vsn, sizeof x->old_vsn, "%s", m->old->desc->version);
            x->procs_old = atomic_load(&m->old->nprocs);
        }
    }
    pthread_mutex_unlock(&node->code_lock);
    qsort(v, k, sizeof *v, cmp_info);
    *out = v;
    *n = k;
    return 0;
}
