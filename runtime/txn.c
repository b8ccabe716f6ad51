/*
 * txn.c - upgrade transactions: every step of an upgrade stays undoable
 * until commit.
 *
 * The transaction keeps, per process it suspended, the code and the state
 * the process had before any code_change, and per module the version its
 * load replaced. Processes it suspended are resumed only at commit (or
 * abort), so no message is handled by a state that could still be undone,
 * and their queues are never touched: abort gives back exactly the old
 * code, the old state and the same queue in the same order.
 *
 * It is the upgrade's only undo log: it also records the processes the
 * upgrade started (stopped first on abort), the prepares deferred until an
 * old version is purged at load, the modules to purge after commit, and
 * whether a step that cannot be undone has begun.
 */
#include <stdlib.h>
#include <string.h>

#include "txn.h"

struct txn_prep {
    struct rm_code *code; /* one table-slot reference, until loaded */
    bool loaded;
};

struct txn_load {
    struct rm_module *m;
    struct rm_code *replaced; /* the previous current version, or NULL */
    struct rm_code *loaded;
};

/* A prepare deferred for an old version in the way (rm_txn_prepare_deferred). */
struct txn_defer {
    char *module;            /* the object's module */
    char *path;              /* NULL once run */
    char *expect_name, *vsn; /* as given (NULL: not checked) */
};

struct txn_proc {
    struct rm_proc *p;          /* referenced */
    struct rm_code *old_code;   /* referenced once changed */
    void *old_state;            /* kept until commit */
    void *new_state;            /* what code_change built */
    struct rm_code *state_code; /* the code that frees new_state on abort */
    uint64_t old_gen;           /* the process's state_gen before */
    bool changed, resume;
};

struct rm_txn {
    struct rm_node *node;
    struct txn_prep *preps;
    size_t nprep, capprep;
    struct txn_load *loads;
    size_t nload, capload;
    struct txn_proc *procs;
    size_t nproc, capproc;
    size_t touched;   /* entries the suspend engine may have written */
    uint64_t t_first; /* first suspend, 0 before */
    /* Touched only by the transaction's caller, so without sys_lock. */
    struct rm_module **marked; /* modules whose `upgrading` it set */
    size_t nmarked, capmarked;
    rm_pid *spawned; /* processes started in it, oldest first */
    size_t nspawned, capspawned;
    struct txn_defer *defers;
    size_t ndefer, capdefer;
    char **purges; /* modules to purge after commit */
    size_t npurge, cappurge;
    size_t killed;     /* processes the deferred pre-purges killed */
    bool irreversible; /* a step that cannot be undone has begun */
};

/* Grows an array of elements of `size` bytes to hold one more. */
static int grow(void **v, size_t *cap, size_t n, size_t size, size_t more)
{
    if (n + more <= *cap)
        return 0;
    size_t c = *cap ? *cap : 8;
    while (c < n + more)
        c *= 2;
    void *nv = realloc(*v, c * size);
    if (!nv)
        return -1;
    *v = nv;
    *cap = c;
    return 0;
}

static bool touches(struct rm_txn *txn, struct rm_module *m)
{
    for (size_t i = 0; i < txn->nload; i++)
        if (txn->loads[i].m == m)
            return true;
    for (size_t i = 0; i < txn->nprep; i++)
        if (strcmp(txn->preps[i].code->desc->name, m->name) == 0)
            return true;
    return false;
}

bool rm__txn_in_upgrade(struct rm_node *node, struct rm_module *m)
{
    struct rm_txn *t = rm__txn_of(node)->txn;
    return t && touches(t, m);
}

bool rm__txn_state_before(struct rm_node *node, struct rm_proc *p, void **state,
                          struct rm_code **code)
{
    struct rm_txn *t = rm__txn_of(node)->txn;
    if (!t || !rm__proc_migrated(p))
        return false;
    for (size_t i = 0; i < t->nproc; i++) {
        struct txn_proc *e = &t->procs[i];
        if (e->p == p && e->changed) {
            *state = e->old_state;
            *code = e->old_code;
            return true;
        }
    }
    return false;
}

/* Lets go of a process the transaction held: the one resume path drops
   the transaction's hold (one suspended by hand stays suspended) and its
   migrated mark, and `also` (the keep mark on abort). */
static void txn_release(struct rm_node *node, struct rm_proc *p, unsigned also)
{
    rm__proc_release(node, p, RM__PROC_HOLD_TXN, RM__PROC_ALSO_MIGRATED | also);
}

struct rm_txn *rm_txn_begin(struct rm_node *node, struct rm_error *err)
{
    struct rm__txn_node *T = rm__txn_of(node);
    struct rm__sys_node *Y = rm__sys_of(node);
    pthread_mutex_lock(&Y->sys_lock);
    struct rm_txn *t = NULL;
    if (T->txn) {
        rm_error_xset(err, RM_XUPGRADING, "an upgrade is already in progress on this node");
    } else if (!(t = calloc(1, sizeof *t))) {
        rm_error_nomem(err);
    } else {
        t->node = node;
        T->txn = t;
    }
    pthread_mutex_unlock(&Y->sys_lock);
    return t;
}

/* Marks m as part of this upgrade until it ends (sys_lock held). Out of
   memory leaves it unmarked: module spawns then go on as before. */
static void mark_upgrading(struct rm_txn *t, struct rm_module *m)
{
    if (!m || atomic_load(&m->upgrading) ||
        grow((void **)&t->marked, &t->capmarked, t->nmarked, sizeof *t->marked, 1) < 0)
        return;
    t->marked[t->nmarked++] = m;
    atomic_store(&m->upgrading, 1);
}

static struct txn_prep *find_prep(struct rm_txn *t, const char *module)
{
    for (size_t i = 0; i < t->nprep; i++)
        if (strcmp(t->preps[i].code->desc->name, module) == 0)
            return &t->preps[i];
    return NULL;
}

static char *dup_or_null(const char *s, bool *failed)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *failed = true;
    return d;
}

/* Records a prepare of `path` for its load (sys_lock held). */
static int defer_add(struct rm_txn *t, const char *module, const char *path,
                     const char *expect_name, const char *expect_vsn, struct rm_error *err)
{
    if (grow((void **)&t->defers, &t->capdefer, t->ndefer, sizeof *t->defers, 1) < 0)
        return rm_error_nomem(err);
    bool failed = false;
    struct txn_defer d = {dup_or_null(module, &failed), dup_or_null(path, &failed),
                          dup_or_null(expect_name, &failed), dup_or_null(expect_vsn, &failed)};
    if (failed) {
        free(d.module);
        free(d.path);
        free(d.expect_name);
        free(d.vsn);
        return rm_error_nomem(err);
    }
    t->defers[t->ndefer++] = d;
    return 0;
}

/* rm_txn_prepare, or with `defer` rm_txn_prepare_deferred. */
static int txn_prepare(struct rm_txn *t, const char *path, const char *expect_name,
                       const char *expect_vsn, bool defer, struct rm_error *err)
{
    struct rm_node *node = t->node;
    struct rm__sys_node *Y = rm__sys_of(node);
    struct rm__code_node *C = rm__code_of(node);
    pthread_mutex_lock(&Y->sys_lock);
    int r = 0;
    struct rm_code *code = rm__code_open(node, path, expect_name, expect_vsn, err);
    if (!code) {
        pthread_mutex_unlock(&Y->sys_lock);
        return -1;
    }
    const char *name = code->desc->name, *vsn = code->desc->version;
    pthread_mutex_lock(&C->code_lock);
    struct rm_module *m = rm__code_module_find(node, name);
    struct rm_code *cur = m ? atomic_load(&m->current) : NULL;
    if (find_prep(t, name))
        r = rm_error_set(err, RM_EEXIST,
                         "prepare '%s': module '%s' already prepared in this upgrade", path, name);
    else if (m && m->old && defer)
        r = defer_add(t, name, path, expect_name, expect_vsn, err) < 0 ? -1 : 1;
    else if (m && m->old)
        r = rm_error_xset(err, RM_XOLD_CODE, "prepare '%s': old code of '%s' not purged", path,
                          name);
    else if (cur && strcmp(cur->desc->version, vsn) == 0)
        r = rm_error_set(err, RM_EEXIST, "prepare '%s': version '%s' of '%s' is already current",
                         path, vsn, name);
    else if (grow((void **)&t->preps, &t->capprep, t->nprep, sizeof *t->preps, 1) < 0 ||
             rm__code_path_add(node, code->path, err) < 0)
        r = rm_error_nomem(err);
    else
        t->preps[t->nprep++] = (struct txn_prep){code, false};
    if (r == 0)
        mark_upgrading(t, m);
    pthread_mutex_unlock(&C->code_lock);
    if (r != 0) /* refused, or deferred: prepared again at its load */
        rm__code_unref(node, code, false);
    pthread_mutex_unlock(&Y->sys_lock);
    return r < 0 ? -1 : 0;
}

int rm_txn_prepare(struct rm_txn *t, const char *path, const char *expect_name,
                   const char *expect_vsn, struct rm_error *err)
{
    return txn_prepare(t, path, expect_name, expect_vsn, false, err);
}

int rm_txn_prepare_deferred(struct rm_txn *t, const char *path, const char *expect_name,
                            const char *expect_vsn, struct rm_error *err)
{
    return txn_prepare(t, path, expect_name, expect_vsn, true, err);
}

/* Whether processes run the old version of `module` (a purge would kill
   them). */
static bool old_in_use(struct rm_node *node, const char *module)
{
    struct rm__code_node *C = rm__code_of(node);
    pthread_mutex_lock(&C->code_lock);
    struct rm_module *m = rm__code_module_find(node, module);
    bool used = m && m->old && atomic_load(&m->old->nprocs) > 0;
    pthread_mutex_unlock(&C->code_lock);
    return used;
}

/* Whether `module` has an old version. */
static bool has_old(struct rm_node *node, const char *module)
{
    struct rm__code_node *C = rm__code_of(node);
    pthread_mutex_lock(&C->code_lock);
    struct rm_module *m = rm__code_module_find(node, module);
    bool old = m && m->old;
    pthread_mutex_unlock(&C->code_lock);
    return old;
}

/* Runs the prepares of `module` deferred for its load: the old version is
   purged brutally (its processes killed: the transaction becomes
   irreversible), then the object is prepared for real. Called without
   sys_lock: the purge and the prepare take it. A deferred prepare runs once,
   whether it succeeds or not. */
static int run_deferred(struct rm_txn *t, const char *module, struct rm_error *err)
{
    for (size_t i = 0; i < t->ndefer; i++) {
        struct txn_defer *d = &t->defers[i];
        if (!d->path || strcmp(d->module, module) != 0)
            continue;
        if (old_in_use(t->node, module))
            t->irreversible = true;
        size_t killed = 0;
        if (has_old(t->node, module) &&
            rm_module_purge(t->node, module, RM_PURGE_BRUTAL, &killed, err) < 0)
            return rm_error_prefix(err, "pre-purge of module '%s'", module);
        t->killed += killed;
        int rc = txn_prepare(t, d->path, d->expect_name, d->vsn, false, err);
        free(d->path);
        d->path = NULL;
        if (rc < 0)
            return rm_error_prefix(err, "module '%s'", module);
    }
    return 0;
}

struct mod_set {
    const char *const *names;
    size_t n;
};

static bool in_set(const struct mod_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0)
            return true;
    return false;
}

/* Makes room for `most` more entries after t->nproc, for the suspend
   engine to write their processes in (in parallel). A new array is
   calloc'ed rather than realloc'ed: large, it comes zeroed from the kernel
   page by page as the engine's threads first touch it, so no thread clears
   it beforehand; entries past t->nproc hold nothing but maybe a process
   pointer (from a suspend that timed out). */
#define RM__TXN_CALLOC_MIN (128u * 1024) /* glibc's default mmap threshold */

static void *txn_room(void *ud, size_t most)
{
    struct rm_txn *t = ud;
    if (t->nproc + most > t->capproc) {
        size_t c = t->capproc ? t->capproc : 8;
        while (c < t->nproc + most)
            c *= 2;
        /* calloc only where it pays: a small one would bypass malloc's
           per-thread cache */
        size_t bytes = c * sizeof(struct txn_proc);
        struct rm__txn_node *T = rm__txn_of(t->node);
        struct txn_proc *v;
        if (bytes >= RM__TXN_CALLOC_MIN && T->spare && T->capspare >= c) {
            v = T->spare; /* all zero, faulted in already */
            c = T->capspare;
            T->spare = NULL;
            T->capspare = 0;
        } else {
            v = bytes >= RM__TXN_CALLOC_MIN ? calloc(c, sizeof *v) : malloc(bytes);
            if (!v)
                return NULL;
            if (bytes < RM__TXN_CALLOC_MIN) /* past what is copied below */
                memset(v + t->nproc, 0, (c - t->nproc) * sizeof *v);
        }
        if (t->nproc)
            memcpy(v, t->procs, t->nproc * sizeof *v);
        free(t->procs);
        t->procs = v;
        t->capproc = c;
    }
    if (t->nproc + most > t->touched)
        t->touched = t->nproc + most;
    return &t->procs[t->nproc].p;
}

/* A process suspended by hand is taken in too (it is between callbacks):
   migrated with the others, it stays suspended at the end, as the user
   left it. One whose state was changed down by hand is not: it waits for
   its version's code (the process layer refuses that hold). */
int rm_txn_suspend(struct rm_txn *t, const char *const *modules, size_t n, int timeout_ms,
                   size_t *count, struct rm_error *err)
{
    struct rm_node *node = t->node;
    struct rm__sys_node *Y = rm__sys_of(node);
    pthread_mutex_lock(&Y->sys_lock);
    uint64_t t0 = rm__rt_now_ns();
    struct rm__sys_susp rq = {.why = RM__PROC_HOLD_TXN,
                              .modules = modules,
                              .nmodules = n,
                              .room = txn_room,
                              .ud = t,
                              .stride = sizeof(struct txn_proc),
                              .timeout_ms = timeout_ms};
    int r = rm__sys_suspend(node, &rq, err);
    if (r == 0) {
        if (!t->t_first && rq.nheld)
            t->t_first = t0;
        t->nproc += rq.nheld;
        if (count)
            *count = rq.nheld;
    }
    pthread_mutex_unlock(&Y->sys_lock);
    return r;
}

int rm_txn_load(struct rm_txn *t, const char *module, struct rm_error *err)
{
    if (module && run_deferred(t, module, err) < 0)
        return -1;
    struct rm_node *node = t->node;
    struct rm__sys_node *Y = rm__sys_of(node);
    struct rm__code_node *C = rm__code_of(node);
    pthread_mutex_lock(&Y->sys_lock);
    int r = 0;
    struct txn_prep *pr = module ? find_prep(t, module) : NULL;
    pthread_mutex_lock(&C->code_lock);
    struct rm_module *m = NULL;
    if (!pr || pr->loaded)
        r = rm_error_set(err, RM_ENOENT, "load '%s': %s in this upgrade", module ? module : "",
                         pr ? "already loaded" : "no code prepared");
    else if (grow((void **)&t->loads, &t->capload, t->nload, sizeof *t->loads, 1) < 0 ||
             !(m = rm__code_module_get(node, module)))
        r = rm_error_nomem(err);
    else if (m->old)
        r = rm_error_xset(err, RM_XOLD_CODE, "load '%s': old code of '%s' not purged", module,
                          module);
    if (r == 0) {
        struct rm_code *cur = atomic_load(&m->current);
        pr->code->module = m;
        pr->loaded = true;
        m->old = cur;
        atomic_store(&m->current, pr->code);
        t->loads[t->nload++] = (struct txn_load){m, cur, pr->code};
        mark_upgrading(t, m);
    }
    pthread_mutex_unlock(&C->code_lock);
    /* The transaction's own processes need no mark: those not migrated are
       moved to the current code when commit purges the replaced one. */
    if (r == 0 && atomic_load(&rm__proc_of(node)->nuser_susp) > 0)
        rm__load_mark_keep(node, m);
    pthread_mutex_unlock(&Y->sys_lock);
    return r;
}

/* ---- parallel code change --------------------------------------------- */

/* Reference and process counts gathered by one thread and added to the
   code versions once, so that parallel migrations do not fight over the
   same counters. All codes involved stay referenced meanwhile (the table,
   the transaction, or the processes themselves). */
struct refbatch {
    struct rm_code *code[4];
    uint32_t refs[4];
    int nprocs[4];
    unsigned n;
};

static void rb_flush(struct refbatch *b)
{
    for (unsigned i = 0; i < b->n; i++) {
        if (b->refs[i])
            atomic_fetch_add(&b->code[i]->refs, b->refs[i]);
        if (b->nprocs[i] > 0)
            atomic_fetch_add(&b->code[i]->nprocs, (uint32_t)b->nprocs[i]);
        else if (b->nprocs[i] < 0)
            atomic_fetch_sub(&b->code[i]->nprocs, (uint32_t)-b->nprocs[i]);
    }
    b->n = 0;
}

static void rb_add(struct refbatch *b, struct rm_code *code, uint32_t refs, int nprocs)
{
    unsigned i = 0;
    while (i < b->n && b->code[i] != code)
        i++;
    if (i == b->n) {
        if (b->n == 4)
            rb_flush(b);
        i = b->n++;
        b->code[i] = code;
        b->refs[i] = 0;
        b->nprocs[i] = 0;
    }
    b->refs[i] += refs;
    b->nprocs[i] += nprocs;
}

struct cc_work {
    struct rm_txn *t;
    struct txn_proc **e; /* the entries to migrate */
    size_t n;
    _Atomic size_t next;
    _Atomic int failed;
    enum rm_direction dir;
    const char *down_vsn, *extra;
    uint64_t limit_ns; /* per code_change; UINT64_MAX: none */
    pthread_mutex_t lock;
    struct txn_proc *bad; /* the first failure and its reason */
    char reason[256];
};

static void cc_fail(struct cc_work *w, struct txn_proc *e, const char *reason)
{
    pthread_mutex_lock(&w->lock);
    if (!w->bad) {
        w->bad = e;
        snprintf(w->reason, sizeof w->reason, "%s", reason);
    }
    pthread_mutex_unlock(&w->lock);
    atomic_store(&w->failed, 1);
}

static struct rm_code *state_owner(struct rm_txn *t, struct txn_proc *e, enum rm_direction dir,
                                   const char *down_vsn);

/* Switches a migrated process to its new state (and, up, to the current
   code), keeping the old state and code in its entry. The process's
   reference on its old code moves to the entry. */
static void cc_apply(struct txn_proc *e, void *ns, struct rm_code *owner, enum rm_direction dir,
                     struct refbatch *b)
{
    struct rm_proc *p = e->p;
    struct rm_code *old = p->code;
    e->old_state = p->state;
    e->new_state = ns;
    e->old_code = old;
    e->state_code = owner;
    e->old_gen = p->state_gen;
    e->changed = true;
    p->state_gen = owner->gen;
    rb_add(b, owner, 1, 0);
    rm__proc_set_migrated(p, true);
    p->state = ns;
    struct rm_code *cur = atomic_load(&p->module->current);
    if (dir == RM_UP && cur != old) {
        rm__proc_set_keep(p, false);
        rb_add(b, cur, 1, 1);
        rb_add(b, old, 0, -1);
        __atomic_store_n(&p->code, cur, __ATOMIC_RELEASE);
    } else {
        rb_add(b, old, 1, 0); /* the process keeps its own reference */
    }
}

static void cc_run(void *arg)
{
    struct cc_work *w = arg;
    struct rm_txn *t = w->t;
    struct refbatch b = {.n = 0};
    uint64_t t0 = w->limit_ns != UINT64_MAX ? rm__rt_now_ns() : 0;
    for (;;) {
        size_t i = atomic_fetch_add(&w->next, 64);
        if (i >= w->n)
            break;
        size_t end = i + 64 < w->n ? i + 64 : w->n;
        for (; i < end; i++) {
            if (atomic_load_explicit(&w->failed, memory_order_relaxed))
                goto out;
            struct txn_proc *e = w->e[i];
            struct rm_proc *p = e->p;
            struct rm_code *in = w->dir == RM_UP ? atomic_load(&p->module->current) : p->code;
            const char *vsn = w->dir == RM_UP ? p->code->desc->version : w->down_vsn;
            char why[256];
            void *ns = NULL;
            if (rm__sys_code_change(t->node, p, in, w->dir, vsn, w->extra, &ns, why, sizeof why) <
                0) {
                cc_fail(w, e, why);
                continue;
            }
            struct rm_code *owner = state_owner(t, e, w->dir, w->down_vsn);
            cc_apply(e, ns, owner, w->dir, &b);
            if (t0) {
                uint64_t now = rm__rt_now_ns();
                if (now - t0 > w->limit_ns) {
                    snprintf(why, sizeof why, "timed out (over %llu ms)",
                             (unsigned long long)(w->limit_ns / 1000000u));
                    cc_fail(w, e, why);
                }
                t0 = now;
            }
        }
    }
out:
    rb_flush(&b);
}

/* Puts back one migrated process (its new state freed). */
static void cc_undo(struct rm_node *node, struct txn_proc *e)
{
    struct rm__code_node *C = rm__code_of(node);
    struct rm_proc *p = e->p;
    if (!rm__proc_dead(p)) {
        void *ns = p->state;
        pthread_mutex_lock(&C->code_lock);
        p->state = e->old_state;
        p->state_gen = e->old_gen;
        if (p->code != e->old_code) {
            /* the entry's reference on the old code goes back to the process */
            struct rm_code *cur = p->code;
            atomic_fetch_add(&e->old_code->nprocs, 1);
            atomic_fetch_sub(&cur->nprocs, 1);
            p->code = e->old_code;
            pthread_mutex_unlock(&C->code_lock);
            rm__code_unref(node, cur, false);
        } else {
            pthread_mutex_unlock(&C->code_lock);
            rm__code_unref(node, e->old_code, false);
        }
        if (ns != e->old_state)
            rm__code_state_free(e->state_code, ns);
    } else {
        /* its exit freed the new state and dropped its code */
        if (e->old_state != e->new_state)
            rm__code_state_free(e->old_code, e->old_state);
        rm__code_unref(node, e->old_code, false);
    }
    rm__code_unref(node, e->state_code, false);
    rm__proc_set_migrated(p, false);
    e->changed = false;
}

/* The code that frees a state code_change built: the new code on the way
   up; on the way down the older version's code when the transaction or the
   table has it, else the code that ran. */
static struct rm_code *state_owner(struct rm_txn *t, struct txn_proc *e, enum rm_direction dir,
                                   const char *down_vsn)
{
    struct rm_module *m = e->p->module;
    if (dir == RM_UP)
        return atomic_load(&m->current);
    struct txn_prep *pr = find_prep(t, m->name);
    if (pr && strcmp(pr->code->desc->version, down_vsn) == 0)
        return pr->code;
    struct rm_code *cur = atomic_load(&m->current);
    if (cur && strcmp(cur->desc->version, down_vsn) == 0)
        return cur;
    if (m->old && strcmp(m->old->desc->version, down_vsn) == 0)
        return m->old;
    return e->p->code;
}

int rm_txn_code_change(struct rm_txn *t, const char *module, enum rm_direction dir,
                       const char *down_vsn, const char *extra, int timeout_ms, size_t *count,
                       struct rm_error *err)
{
    struct rm_node *node = t->node;
    struct rm__sys_node *Y = rm__sys_of(node);
    if (dir == RM_DOWN && !down_vsn)
        return rm_error_set(err, RM_EINVAL, "code change of '%s' down: no version to go back to",
                            module ? module : "");
    pthread_mutex_lock(&Y->sys_lock);
    struct cc_work w = {.t = t, .dir = dir, .down_vsn = down_vsn, .extra = extra};
    w.limit_ns = timeout_ms < 0 ? UINT64_MAX : (uint64_t)timeout_ms * 1000000u;
    pthread_mutex_init(&w.lock, NULL);
    int r = 0;
    w.e = malloc((t->nproc + 1) * sizeof *w.e);
    if (!w.e)
        r = rm_error_nomem(err);
    const char *last = NULL;
    for (size_t i = 0; r == 0 && i < t->nproc; i++) {
        struct txn_proc *e = &t->procs[i];
        if (e->p->module->name != last) {
            if (strcmp(e->p->module->name, module) != 0)
                continue;
            last = e->p->module->name;
        }
        if (rm__proc_dead(e->p))
            continue;
        if (e->changed)
            r = rm_error_set(err, RM_ESTATE,
                             "code change of '%s': its processes were already changed in this "
                             "upgrade",
                             module);
        w.e[w.n++] = e;
    }
    if (r == 0 && w.n > 0) {
        if (w.n >= 256 && rm__rt_of(node)->nworkers > 1)
            rm__sched_parallel(node, cc_run, &w);
        else
            cc_run(&w);
    }
    if (r == 0 && w.bad) {
        char label[RM_NAME_MAX + 24];
        rm__proc_label_of(w.bad->p, label, sizeof label);
        struct rm_code *cur = atomic_load(&w.bad->p->module->current);
        const char *from =
            w.bad->changed ? w.bad->old_code->desc->version : w.bad->p->code->desc->version;
        const char *to = dir == RM_UP ? (cur ? cur->desc->version : "?") : down_vsn;
        r = rm_error_set(err, RM_ECODECHANGE,
                         "code change of '%s' (module '%s', version '%s' to '%s'): %s", label,
                         module, from, to, w.reason);
        /* Put back this call's work. */
        for (size_t i = 0; i < w.n; i++)
            if (w.e[i]->changed)
                cc_undo(node, w.e[i]);
    }
    if (r == 0 && count)
        *count = w.n;
    free(w.e);
    pthread_mutex_destroy(&w.lock);
    pthread_mutex_unlock(&Y->sys_lock);
    return r;
}

int rm_txn_resume(struct rm_txn *t, const char *const *modules, size_t n, size_t *count,
                  struct rm_error *err)
{
    pthread_mutex_lock(&rm__sys_of(t->node)->sys_lock);
    struct mod_set set = {modules, n};
    size_t k = 0;
    for (size_t i = 0; i < t->nproc; i++) {
        if (!t->procs[i].resume && in_set(&set, t->procs[i].p->module->name)) {
            t->procs[i].resume = true;
            k++;
        }
    }
    if (count)
        *count = k;
    pthread_mutex_unlock(&rm__sys_of(t->node)->sys_lock);
    return 0;
}

/* ---- the rest of the undo log ---------------------------------------- */

int rm_txn_spawn(struct rm_txn *t, const struct rm_spawn_opts *opts, rm_pid *pid,
                 struct rm_error *err)
{
    /* room first: a process started is always recorded */
    if (grow((void **)&t->spawned, &t->capspawned, t->nspawned, sizeof *t->spawned, 1) < 0)
        return rm_error_nomem(err);
    rm_pid p;
    if (rm_proc_spawn(t->node, opts, &p, err) < 0)
        return -1;
    t->spawned[t->nspawned++] = p;
    if (pid)
        *pid = p;
    return 0;
}

int rm_txn_purge_at_commit(struct rm_txn *t, const char *module, struct rm_error *err)
{
    char *name = module ? strdup(module) : NULL;
    if (!name || grow((void **)&t->purges, &t->cappurge, t->npurge, sizeof *t->purges, 1) < 0) {
        free(name);
        return rm_error_nomem(err);
    }
    t->purges[t->npurge++] = name;
    return 0;
}

void rm_txn_mark_irreversible(struct rm_txn *t)
{
    t->irreversible = true;
}

int rm_txn_irreversible(const struct rm_txn *t)
{
    return t->irreversible ? 1 : 0;
}

size_t rm_txn_killed(const struct rm_txn *t)
{
    return t->killed;
}

/* Stops the processes the transaction started, newest first (before abort
   unloads the code they run). Without sys_lock: a stop takes it. */
static void stop_spawned(struct rm_txn *t)
{
    for (size_t i = t->nspawned; i-- > 0;)
        rm_proc_stop(t->node, t->spawned[i], "shutdown", NULL);
}

/* ---- the end ---------------------------------------------------------- */

struct resume_work {
    struct rm_txn *t;
    unsigned also;
    _Atomic size_t next;
};

static void resume_run(void *arg)
{
    struct resume_work *w = arg;
    struct rm_txn *t = w->t;
    for (;;) {
        size_t i = atomic_fetch_add(&w->next, 256);
        if (i >= t->nproc)
            return;
        size_t end = i + 256 < t->nproc ? i + 256 : t->nproc;
        for (; i < end; i++)
            if (!rm__proc_dead(t->procs[i].p))
                txn_release(t->node, t->procs[i].p, w->also);
    }
}

/* Resumes every process the transaction suspended (those suspended by hand
   stay suspended), in parallel when many. */
static void resume_all(struct rm_txn *t, unsigned also)
{
    struct resume_work w = {.t = t, .also = also};
    if (t->nproc >= 4096 && rm__rt_of(t->node)->nworkers > 1)
        rm__sched_parallel(t->node, resume_run, &w);
    else
        resume_run(&w);
}

/* Keeps a large entry array for the next transaction, cleared (after the
   pause: commit and abort have resumed every process by now). */
static void keep_spare(struct rm_txn *t)
{
    struct rm__txn_node *T = rm__txn_of(t->node);
    if (t->capproc * sizeof *t->procs < RM__TXN_CALLOC_MIN || t->capproc <= T->capspare) {
        free(t->procs);
        return;
    }
    memset(t->procs, 0, t->touched * sizeof *t->procs);
    free(T->spare);
    T->spare = t->procs;
    T->capspare = t->capproc;
}

void rm__txn_drop_spare(struct rm_node *node)
{
    struct rm__txn_node *T = rm__txn_of(node);
    free(T->spare);
    T->spare = NULL;
    T->capspare = 0;
}

static void txn_free(struct rm_txn *t)
{
    for (size_t i = 0; i < t->nmarked; i++)
        atomic_store(&t->marked[i]->upgrading, 0);
    free(t->marked);
    for (size_t i = 0; i < t->nproc; i++)
        rm__proc_put(t->procs[i].p);
    keep_spare(t);
    free(t->loads);
    free(t->preps);
    free(t->spawned);
    for (size_t i = 0; i < t->ndefer; i++) {
        free(t->defers[i].module);
        free(t->defers[i].path);
        free(t->defers[i].expect_name);
        free(t->defers[i].vsn);
    }
    free(t->defers);
    for (size_t i = 0; i < t->npurge; i++)
        free(t->purges[i]);
    free(t->purges);
    rm__txn_of(t->node)->txn = NULL;
    free(t);
}

/* Releases the prepared code the transaction never loaded. */
static void drop_unloaded(struct rm_txn *t)
{
    for (size_t i = 0; i < t->nprep; i++)
        if (!t->preps[i].loaded)
            rm__code_unref(t->node, t->preps[i].code, false);
}

int rm_txn_commit(struct rm_txn *t, uint64_t *pause_ns)
{
    struct rm_node *node = t->node;
    struct rm__sys_node *Y = rm__sys_of(node);
    struct rm__code_node *C = rm__code_of(node);
    pthread_mutex_lock(&Y->sys_lock);
    resume_all(t, 0);
    uint64_t end = rm__rt_now_ns();
    if (pause_ns)
        *pause_ns = t->t_first ? end - t->t_first : 0;
    for (size_t i = 0; i < t->nproc; i++) {
        struct txn_proc *e = &t->procs[i];
        if (!e->changed)
            continue;
        if (e->old_state != e->new_state)
            rm__code_state_free(e->old_code, e->old_state);
        rm__code_unref(node, e->old_code, false);
        rm__code_unref(node, e->state_code, false);
    }
    for (size_t i = 0; i < t->nload; i++) {
        struct txn_load *l = &t->loads[i];
        if (!l->replaced || l->m->old != l->replaced)
            continue;
        rm__load_move_all(node, l->m, l->replaced, 0);
        pthread_mutex_lock(&C->code_lock);
        l->m->old = NULL;
        pthread_mutex_unlock(&C->code_lock);
        rm__code_unref(node, l->replaced, false);
    }
    drop_unloaded(t);
    /* The modules to purge once more: after the transaction is gone, as a
       purge refuses modules of an upgrade in progress. */
    char **purges = t->purges;
    size_t npurge = t->npurge;
    t->purges = NULL;
    t->npurge = 0;
    txn_free(t);
    pthread_mutex_unlock(&Y->sys_lock);
    for (size_t i = 0; i < npurge; i++) {
        rm_module_purge(node, purges[i], RM_PURGE_BRUTAL, NULL, NULL);
        free(purges[i]);
    }
    free(purges);
    return 0;
}

void rm_txn_abort(struct rm_txn *t)
{
    struct rm_node *node = t->node;
    struct rm__sys_node *Y = rm__sys_of(node);
    struct rm__code_node *C = rm__code_of(node);
    stop_spawned(t);
    pthread_mutex_lock(&Y->sys_lock);
    for (size_t i = t->nproc; i-- > 0;)
        if (t->procs[i].changed)
            cc_undo(node, &t->procs[i]);
    for (size_t i = t->nload; i-- > 0;) {
        struct txn_load *l = &t->loads[i];
        pthread_mutex_lock(&C->code_lock);
        atomic_store(&l->m->current, l->replaced);
        l->m->old = NULL;
        pthread_mutex_unlock(&C->code_lock);
        /* Back go the processes this upgrade moved; those that started on
           (or were changed by hand to) the loaded code keep it, which
           stays as the module's old code until purged. */
        size_t kept = l->replaced ? rm__load_move_all(node, l->m, l->loaded, l->loaded->gen) : 0;
        if (!l->replaced) {
            pthread_mutex_lock(&C->code_lock);
            kept = atomic_load(&l->loaded->nprocs);
            pthread_mutex_unlock(&C->code_lock);
        }
        if (kept > 0) {
            pthread_mutex_lock(&C->code_lock);
            l->m->old = l->loaded;
            pthread_mutex_unlock(&C->code_lock);
        } else {
            rm__code_unref(node, l->loaded, false);
        }
    }
    drop_unloaded(t);
    resume_all(t, RM__PROC_ALSO_KEEP);
    txn_free(t);
    pthread_mutex_unlock(&Y->sys_lock);
}
