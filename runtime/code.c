/*
 * code.c - the module table: per module a current and an old version,
 * opening a version with every check made before anything switches to it,
 * and the reference counts that keep a shared object open while anything
 * can reach it (a table slot, a process, a transaction).
 */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "relman/elf.h"

struct rm_module *rm__code_module_find(struct rm_node *node, const char *name)
{
    struct rm__code_node *C = rm__code_of(node);
    for (struct rm_module *m = C->modules; m; m = m->next)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

struct rm_module *rm__code_module_get(struct rm_node *node, const char *name)
{
    struct rm__code_node *C = rm__code_of(node);
    struct rm_module *m = rm__code_module_find(node, name);
    if (m)
        return m;
    m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    snprintf(m->name, sizeof m->name, "%s", name);
    m->next = C->modules;
    C->modules = m;
    return m;
}

static bool path_known(struct rm_node *node, const char *path)
{
    struct rm__code_node *C = rm__code_of(node);
    for (size_t i = 0; i < C->npaths; i++)
        if (strcmp(C->paths[i], path) == 0)
            return true;
    return false;
}

int rm__code_path_add(struct rm_node *node, const char *path, struct rm_error *err)
{
    struct rm__code_node *C = rm__code_of(node);
    if (C->npaths == C->cappaths) {
        size_t cap = C->cappaths ? C->cappaths * 2 : 16;
        char **v = realloc(C->paths, cap * sizeof *v);
        if (!v)
            return rm_error_nomem(err);
        C->paths = v;
        C->cappaths = cap;
    }
    char *copy = strdup(path);
    if (!copy)
        return rm_error_nomem(err);
    C->paths[C->npaths++] = copy;
    return 0;
}

static void path_forget(struct rm_node *node, const char *path)
{
    struct rm__code_node *C = rm__code_of(node);
    for (size_t i = 0; i < C->npaths; i++) {
        if (strcmp(C->paths[i], path) == 0) {
            free(C->paths[i]);
            C->paths[i] = C->paths[--C->npaths];
            return;
        }
    }
}

/* Closes a code version nothing references (code_lock held). */
static void code_destroy(struct rm_node *node, struct rm_code *code)
{
    if (!code->dl) { /* built in (rm__code_builtin) */
        free(code);
        return;
    }
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
    struct rm__code_node *C = rm__code_of(node);
    if (atomic_fetch_sub(&code->refs, 1) != 1)
        return;
    if (!locked)
        pthread_mutex_lock(&C->code_lock);
    code_destroy(node, code);
    if (!locked)
        pthread_mutex_unlock(&C->code_lock);
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
    if (d->abi_version < RM_MODULE_ABI_MIN || d->abi_version > RM_MODULE_ABI_VERSION)
        return rm_error_about(err, RM_ELOAD, RM_XNONE, 0, "load", path,
                              ": module ABI version %u, this node loads %d to %d", d->abi_version,
                              RM_MODULE_ABI_MIN, RM_MODULE_ABI_VERSION);
    /* A version-1 descriptor ends where ABI 2 appended handle_event. */
    size_t need = d->abi_version == 1 ? offsetof(struct rm_module_desc, handle_event)
                                      : sizeof(struct rm_module_desc);
    if (d->size < need)
        return rm_error_about(err, RM_ELOAD, RM_XNONE, 0, "load", path,
                              ": module descriptor of %u bytes, ABI %u needs %zu", d->size,
                              d->abi_version, need);
    /* Names and versions follow the one rule of the manifests
       (rm_name_check), so that every loaded module can be named in one. */
    if (!d->name || rm_name_check(d->name, "module name", err) < 0) {
        if (!d->name)
            rm_error_set(err, RM_ELOAD, "the module name is missing");
        if (err)
            err->code = RM_ELOAD;
        return rm_error_lead(err, "load '%s'", path);
    }
    if (!d->version || rm_name_check(d->version, "version", err) < 0) {
        if (!d->version)
            rm_error_set(err, RM_ELOAD, "the version is missing");
        if (err)
            err->code = RM_ELOAD;
        rm_error_prefix(err, "module '%s'", d->name);
        return rm_error_lead(err, "load '%s'", path);
    }
    if (expect_name && strcmp(d->name, expect_name) != 0)
        return rm_error_about(err, RM_ELOAD, RM_XNONE, 0, "load", path,
                              ": module name is '%s', expected '%s'", d->name, expect_name);
    if (expect_vsn && strcmp(d->version, expect_vsn) != 0)
        return rm_error_about(err, RM_ELOAD, RM_XNONE, 0, "load", path,
                              ": module '%s' is version '%s', expected '%s'", d->name, d->version,
                              expect_vsn);
    if (!d->init || !d->handle_call)
        return rm_error_about(err, RM_ELOAD, RM_XNONE, 0, "load", path,
                              ": module '%s' has no %s callback", d->name,
                              d->init ? "handle_call" : "init");
    return 0;
}

/* What a module may not import: a thread of its own would go on running
   code a purge unmaps, and an exit handler would run code unloaded long
   before exit (docs/module-api.md, "What a module may not do"). */
static const char *const forbidden[] = {"pthread_create", "thrd_create", "atexit",
                                        "__cxa_atexit", "on_exit", "__cxa_thread_atexit_impl",
                                        "pthread_atfork"};

static const char *forbidden_why(size_t i)
{
    return i < 2 ? "start threads" : i < 5 ? "register exit handlers" : "register thread or fork handlers";
}

struct forbidden_scan {
    size_t found; /* 1 + the index in forbidden[], 0 for none */
};

static int forbidden_import(const char *name, void *ud)
{
    struct forbidden_scan *scan = ud;
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
        size_t n = strlen(forbidden[i]);
        /* "pthread_create@GLIBC_2.34" in some tables: match the name part */
        if (strncmp(name, forbidden[i], n) == 0 && (name[n] == '\0' || name[n] == '@')) {
            scan->found = i + 1;
            return 1;
        }
    }
    return 0;
}

struct rm_code *rm__code_open(struct rm_node *node, const char *path, const char *expect_name,
                              const char *expect_vsn, struct rm_error *err)
{
    struct rm__code_node *C = rm__code_of(node);
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
        rm_error_about(err, e == ENOENT ? RM_ENOENT : RM_ELOAD, RM_XNONE, 0, "load", path, ": %s",
                       why);
        return NULL;
    }
    pthread_mutex_lock(&C->code_lock);
    bool known = path_known(node, canon);
    pthread_mutex_unlock(&C->code_lock);
    if (known) {
        rm_error_about(err, RM_EEXIST, RM_XNONE, 0, "load", path,
                       ": path already loaded in this node");
        return NULL;
    }
    /* Read before dlopen, which would run the module's constructors. A file
       the reader cannot make sense of goes on to dlopen, whose reason
       ("invalid ELF header") says more. */
    struct forbidden_scan scan = {0};
    struct rm_error ignored;
    if (rm_elf_imports(canon, forbidden_import, &scan, &ignored) != 0 && scan.found) {
        rm_error_about(err, RM_ELOAD, RM_XNONE, 0, "load", path,
                       ": module imports '%s': a module may not %s (docs/module-api.md, \"What a "
                       "module may not do\")",
                       forbidden[scan.found - 1], forbidden_why(scan.found - 1));
        return NULL;
    }
    dlerror();
    void *dl = dlopen(canon, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        rm_error_about(err, RM_ELOAD, RM_XNONE, 0, "load", path, ": %s", dl_reason(canon));
        return NULL;
    }
    const struct rm_module_desc *d = dlsym(dl, RM_MODULE_SYMBOL);
    if (!d) {
        rm_error_about(err, RM_ELOAD, RM_XNONE, 0, "load", path,
                       ": no symbol '%s': not a relman module", RM_MODULE_SYMBOL);
        dlclose(dl);
        return NULL;
    }
    if (check_desc(path, d, expect_name, expect_vsn, err) < 0) {
        dlclose(dl);
        return NULL;
    }
    pthread_mutex_lock(&C->code_lock);
    struct rm_module *same = rm__code_module_find(node, d->name);
    bool builtin = same && atomic_load(&same->current) && !atomic_load(&same->current)->dl;
    pthread_mutex_unlock(&C->code_lock);
    if (builtin) {
        rm_error_about(err, RM_EEXIST, RM_XNONE, 0, "load", path,
                       ": module '%s' is built into the node", d->name);
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
    code->gen = atomic_fetch_add(&C->next_gen, 1) + 1;
    atomic_store(&code->refs, 1);
    return code;
}

int rm__code_builtin(struct rm_node *node, const struct rm_module_desc *desc, struct rm_error *err)
{
    struct rm__code_node *C = rm__code_of(node);
    struct rm_code *code = calloc(1, sizeof *code);
    if (!code)
        return rm_error_nomem(err);
    code->desc = desc;
    code->gen = atomic_fetch_add(&C->next_gen, 1) + 1;
    atomic_store(&code->refs, 1);
    pthread_mutex_lock(&C->code_lock);
    struct rm_module *m = rm__code_module_get(node, desc->name);
    if (m) {
        code->module = m;
        atomic_store(&m->current, code);
    }
    pthread_mutex_unlock(&C->code_lock);
    if (!m) {
        free(code);
        return rm_error_nomem(err);
    }
    return 0;
}

void rm__code_drop(struct rm_node *node, struct rm_code *code)
{
    struct rm__code_node *C = rm__code_of(node);
    pthread_mutex_lock(&C->code_lock);
    code_destroy(node, code);
    pthread_mutex_unlock(&C->code_lock);
}

void rm__code_state_free(struct rm_code *code, void *state)
{
    if (!state)
        return;
    if (code->desc->free_state)
        code->desc->free_state(state);
    else
        free(state);
}

struct rm_code *rm__code_acquire_current(struct rm_node *node, struct rm_module *m, size_t n,
                                         struct rm_error *err)
{
    struct rm__code_node *C = rm__code_of(node);
    pthread_mutex_lock(&C->code_lock);
    struct rm_code *code = m ? atomic_load(&m->current) : NULL;
    if (code) {
        atomic_fetch_add(&code->refs, (uint32_t)n);
        atomic_fetch_add(&code->nprocs, (uint32_t)n);
    }
    pthread_mutex_unlock(&C->code_lock);
    if (!code)
        rm_error_set(err, RM_ENOENT, "module '%s' has no current version", m ? m->name : "?");
    return code;
}

void rm__code_release(struct rm_node *node, struct rm_code *code, size_t n)
{
    atomic_fetch_sub(&code->nprocs, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        rm__code_unref(node, code, false);
}

void rm__code_init(struct rm_node *node)
{
    pthread_mutex_init(&rm__code_of(node)->code_lock, NULL);
}

void rm__code_free(struct rm_node *node)
{
    struct rm__code_node *C = rm__code_of(node);
    pthread_mutex_lock(&C->code_lock);
    struct rm_module *m = C->modules;
    while (m) {
        struct rm_module *next = m->next;
        struct rm_code *cur = atomic_load(&m->current);
        if (m->old)
            rm__code_unref(node, m->old, true);
        if (cur)
            rm__code_unref(node, cur, true);
        free(m);
        m = next;
    }
    C->modules = NULL;
    for (size_t i = 0; i < C->npaths; i++)
        free(C->paths[i]);
    free(C->paths);
    pthread_mutex_unlock(&C->code_lock);
    pthread_mutex_destroy(&C->code_lock);
}

static int cmp_info(const void *a, const void *b)
{
    return strcmp(((const struct rm_module_info *)a)->name,
                  ((const struct rm_module_info *)b)->name);
}

/* A module built into the node (rm__code_builtin): not listed with the
   loaded ones. */
static bool builtin(struct rm_module *m)
{
    struct rm_code *cur = atomic_load(&m->current);
    return cur && !cur->dl;
}

int rm_module_list(struct rm_node *node, struct rm_module_info **out, size_t *n,
                   struct rm_error *err)
{
    struct rm__code_node *C = rm__code_of(node);
    pthread_mutex_lock(&C->code_lock);
    size_t k = 0;
    for (struct rm_module *m = C->modules; m; m = m->next)
        if ((atomic_load(&m->current) || m->old) && !builtin(m))
            k++;
    struct rm_module_info *v = calloc(k + 1, sizeof *v);
    if (!v) {
        pthread_mutex_unlock(&C->code_lock);
        return rm_error_nomem(err);
    }
    size_t i = 0;
    for (struct rm_module *m = C->modules; m; m = m->next) {
        struct rm_code *cur = atomic_load(&m->current);
        if ((!cur && !m->old) || builtin(m))
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
    pthread_mutex_unlock(&C->code_lock);
    qsort(v, k, sizeof *v, cmp_info);
    *out = v;
    *n = k;
    return 0;
}
