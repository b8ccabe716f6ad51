/*
 * proc.c - processes: spawning, delivering messages, exits and restarts.
 *
 * A process is visible (in the pid table) only once its init succeeded; it
 * leaves the table before its queued calls are failed, so that no message
 * can arrive after that. Restarts give the process a new pid under the same
 * registered name, as an OTP supervisor does.
 */
#include <stdlib.h>
#include <string.h>

#include "rt-internal.h"

struct rm_msg *rm__msg_new(int kind, const void *data, size_t len)
{
    struct rm_msg *m = malloc(sizeof *m + len + 1);
    if (!m)
        return NULL;
    m->next = NULL;
    m->from = 0;
    m->sender = 0;
    m->len = len;
    m->kind = (uint8_t)kind;
    if (len)
        memcpy(m->data, data, len);
    m->data[len] = '\0';
    return m;
}

bool rm__proc_want_run(struct rm_proc *p)
{
    uint32_t f = atomic_load(&p->flags);
    if (!p->mhead || (f & (RM__F_QUEUED | RM__F_SUSPENDED | RM__F_DEAD)))
        return false;
    atomic_fetch_or(&p->flags, RM__F_QUEUED);
    atomic_fetch_add(&p->refs, 1);
    return true;
}

int rm__deliver(struct rm_node *node, rm_pid pid, struct rm_msg *m)
{
    pthread_rwlock_rdlock(&node->tab_lock);
    struct rm_proc *p = rm__ptable_get(&node->pids, pid);
    if (!p) {
        pthread_rwlock_unlock(&node->tab_lock);
        return -1;
    }
    rm__spin_lock(&p->mlock);
    if (atomic_load(&p->flags) & RM__F_DEAD) {
        rm__spin_unlock(&p->mlock);
        pthread_rwlock_unlock(&node->tab_lock);
        return -1;
    }
    m->next = NULL;
    if (p->mtail)
        p->mtail->next = m;
    else
        p->mhead = m;
    p->mtail = m;
    p->qlen++;
    bool push = rm__proc_want_run(p);
    rm__spin_unlock(&p->mlock);
    if (push)
        rm__runq_push(node, p);
    pthread_rwlock_unlock(&node->tab_lock);
    return 0;
}

static rm_pid parse_pid(const char *s)
{
    if (s[0] != '<' || s[1] < '1' || s[1] > '9')
        return 0;
    rm_pid v = 0;
    const char *q = s + 1;
    for (; *q >= '0' && *q <= '9'; q++) {
        if (v > (UINT64_MAX - 9) / 10)
            return 0;
        v = v * 10 + (rm_pid)(*q - '0');
    }
    return q[0] == '>' && q[1] == '\0' ? v : 0;
}

rm_pid rm__resolve_locked(struct rm_node *node, const char *name)
{
    if (!name)
        return 0;
    struct rm_proc *p;
    if (name[0] == '<') {
        rm_pid pid = parse_pid(name);
        p = pid ? rm__ptable_get(&node->pids, pid) : NULL;
    } else {
        p = rm__ntable_get(&node->names, name);
    }
    return p ? p->pid : 0;
}

rm_pid rm__resolve(struct rm_node *node, const char *name)
{
    pthread_rwlock_rdlock(&node->tab_lock);
    rm_pid pid = rm__resolve_locked(node, name);
    pthread_rwlock_unlock(&node->tab_lock);
    return pid;
}

void rm__proc_label(struct rm_node *node, rm_pid pid, char *buf, size_t size)
{
    if (pid == 0) {
        snprintf(buf, size, "<client>");
        return;
    }
    pthread_rwlock_rdlock(&node->tab_lock);
    struct rm_proc *p = rm__ptable_get(&node->pids, pid);
    if (p && p->ext && p->ext->name)
        snprintf(buf, size, "%s", p->ext->name);
    else
        snprintf(buf, size, "<%llu>", (unsigned long long)pid);
    pthread_rwlock_unlock(&node->tab_lock);
}

struct rm_proc *rm__proc_get(struct rm_node *node, rm_pid pid, struct rm_error *err)
{
    pthread_rwlock_rdlock(&node->tab_lock);
    struct rm_proc *p = rm__ptable_get(&node->pids, pid);
    if (p)
        atomic_fetch_add(&p->refs, 1);
    pthread_rwlock_unlock(&node->tab_lock);
    if (!p)
        rm_error_set(err, RM_ENOENT, "no process '<%llu>'", (unsigned long long)pid);
    return p;
}

void rm__proc_put(struct rm_proc *p)
{
    if (atomic_fetch_sub(&p->refs, 1) == 1) {
        free(p->down_vsn);
        free(p);
    }
}

void rm__state_free(struct rm_code *code, void *state)
{
    if (!state)
        return;
    if (code->desc->free_state)
        code->desc->free_state(state);
    else
        free(state);
}

void rm__proc_foreach(struct rm_node *node, int (*fn)(struct rm_proc *p, void *ud), void *ud)
{
    for (size_t i = 0; i < node->pids.cap; i++)
        if (RM__SLOT_LIVE(node->pids.slots[i]) && fn(node->pids.slots[i], ud))
            return;
}

int rm__collect(struct rm_node *node, bool (*pred)(struct rm_proc *p, void *ud), void *ud,
                struct rm_proc ***out, size_t *n, struct rm_error *err)
{
    pthread_rwlock_rdlock(&node->tab_lock);
    struct rm_proc **v = malloc((node->pids.n + 1) * sizeof *v);
    if (!v) {
        pthread_rwlock_unlock(&node->tab_lock);
        return rm_error_nomem(err);
    }
    size_t k = 0;
    for (size_t i = 0; i < node->pids.cap; i++) {
        struct rm_proc *p = node->pids.slots[i];
        if (RM__SLOT_LIVE(p) && pred(p, ud)) {
            atomic_fetch_add(&p->refs, 1);
            v[k++] = p;
        }
    }
    pthread_rwlock_unlock(&node->tab_lock);
    *out = v;
    *n = k;
    return 0;
}

void rm__release_all(struct rm_proc **procs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (procs[i])
            rm__proc_put(procs[i]);
    free(procs);
}

/* ---- spawning --------------------------------------------------------- */

static int check_name(const char *name, struct rm_error *err)
{
    size_t len = strlen(name);
    if (len == 0 || len > RM_NAME_MAX || name[0] == '<')
        return rm_error_set(err, RM_EINVAL,
                            "invalid process name '%s': 1 to %d characters, not starting with '<'",
                            name, RM_NAME_MAX);
    for (const char *q = name; *q; q++)
        if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 127)
            return rm_error_set(err, RM_EINVAL,
                                "invalid process name '%s': only printable characters, no spaces",
                                name);
    return 0;
}

static void ext_free(struct rm__ext *x)
{
    if (!x)
        return;
    free(x->name);
    free(x->arg);
    free(x);
}

static struct rm__ext *ext_new(const struct rm_spawn_opts *o)
{
    unsigned maxr = o->max_restarts, maxs = o->max_seconds;
    if (maxr == 0 && maxs == 0) {
        maxr = 3;
        maxs = 5;
    }
    struct rm__ext *x = calloc(1, sizeof *x + maxr * sizeof x->hist[0]);
    if (!x)
        return NULL;
    x->restart = o->restart;
    x->max_restarts = maxr;
    x->max_seconds = maxs;
    if ((o->name && !(x->name = strdup(o->name))) || (o->arg && !(x->arg = strdup(o->arg)))) {
        ext_free(x);
        return NULL;
    }
    return x;
}

/* Takes the module's current code for n new processes. */
static struct rm_code *acquire_current(struct rm_node *node, struct rm_module *m, size_t n,
                                       struct rm_error *err)
{
    pthread_mutex_lock(&node->code_lock);
    struct rm_code *code = m ? atomic_load(&m->current) : NULL;
    if (code) {
        atomic_fetch_add(&code->refs, (uint32_t)n);
        atomic_fetch_add(&code->nprocs, (uint32_t)n);
    }
    pthread_mutex_unlock(&node->code_lock);
    if (!code)
        rm_error_set(err, RM_ENOENT, "module '%s' has no current version", m ? m->name : "?");
    return code;
}

static struct rm_module *find_module(struct rm_node *node, const char *name, struct rm_error *err)
{
    pthread_mutex_lock(&node->code_lock);
    struct rm_module *m = rm__module_find(node, name);
    pthread_mutex_unlock(&node->code_lock);
    if (!m)
        rm_error_set(err, RM_ENOENT, "module '%s' is not loaded", name);
    return m;
}

static void release_code(struct rm_node *node, struct rm_code *code, size_t n)
{
    atomic_fetch_sub(&code->nprocs, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        rm__code_unref(node, code, false);
}

/* Builds a process and runs its init on this thread. The proc owns one
   process reference of `code` from then on. */
static struct rm_proc *proc_init(struct rm_node *node, struct rm_code *code, struct rm__ext *ext,
                                 const char *arg, rm_pid pid, struct rm_error *err)
{
    struct rm_proc *p = calloc(1, sizeof *p);
    if (!p) {
        rm_error_nomem(err);
        return NULL;
    }
    p->pid = pid;
    p->code = code;
    p->state_gen = code->gen;
    p->module = code->module;
    p->ext = ext;
    atomic_store(&p->refs, 1);
    struct rm__ctx c;
    rm__ctx_init(&c, node, p);
    void *state = NULL;
    int rc = code->desc->init(&c.pub, arg ? arg : "", &state);
    if (rc != RM_CONTINUE) {
        rm_error_set(err, RM_ESTATE, "init of '%s' (module '%s' version '%s') failed: %s",
                     ext && ext->name ? ext->name : "process", code->module->name,
                     code->desc->version, rm__ctx_reason(&c));
        rm__ctx_done(&c);
        free(p);
        return NULL;
    }
    rm__ctx_done(&c);
    p->state = state;
    return p;
}

/* Undoes proc_init for a process that never became visible. */
static void proc_discard(struct rm_node *node, struct rm_proc *p)
{
    if (p->code->desc->terminate) {
        struct rm__ctx c;
        rm__ctx_init(&c, node, p);
        p->code->desc->terminate(&c.pub, "shutdown", p->state);
        rm__ctx_done(&c);
    }
    rm__state_free(p->code, p->state);
    free(p);
}

/* Starts one process of module m with `ext` (consumed on success). */
static int proc_start(struct rm_node *node, struct rm_module *m, struct rm__ext *ext,
                      rm_pid *pid_out, struct rm_error *err)
{
    const char *name = ext ? ext->name : NULL;
    if (name && rm__resolve(node, name))
        return rm_error_set(err, RM_EEXIST, "name '%s' is already registered", name);
    struct rm_code *code = acquire_current(node, m, 1, err);
    if (!code)
        return -1;
    pthread_rwlock_wrlock(&node->tab_lock);
    rm_pid pid = node->next_pid++;
    pthread_rwlock_unlock(&node->tab_lock);
    struct rm_proc *p = proc_init(node, code, ext, ext ? ext->arg : NULL, pid, err);
    if (!p) {
        release_code(node, code, 1);
        return -1;
    }
    pthread_rwlock_wrlock(&node->tab_lock);
    bool taken = name && rm__ntable_get(&node->names, name);
    if (taken || rm__ptable_reserve(&node->pids, 1) < 0 ||
        (name && rm__ntable_reserve(&node->names, 1) < 0)) {
        pthread_rwlock_unlock(&node->tab_lock);
        p->ext = NULL;
        proc_discard(node, p);
        release_code(node, code, 1);
        if (taken)
            return rm_error_set(err, RM_EEXIST, "name '%s' is already registered", name);
        return rm_error_nomem(err);
    }
    rm__ptable_put(&node->pids, p);
    if (name)
        rm__ntable_put(&node->names, p);
    pthread_rwlock_unlock(&node->tab_lock);
    if (pid_out)
        *pid_out = pid;
    return 0;
}

static int check_opts(const struct rm_spawn_opts *opts, struct rm_error *err)
{
    if (!opts || !opts->module)
        return rm_error_set(err, RM_EINVAL, "spawn: no module given");
    if (opts->restart != RM_RESTART_TEMPORARY && opts->restart != RM_RESTART_TRANSIENT &&
        opts->restart != RM_RESTART_PERMANENT)
        return rm_error_set(err, RM_EINVAL, "spawn: invalid restart type %d", (int)opts->restart);
    if (opts->name && check_name(opts->name, err) < 0)
        return -1;
    if (opts->max_restarts > 0 && opts->max_seconds == 0)
        return rm_error_set(err, RM_EINVAL,
                            "spawn: max_restarts %u needs max_seconds above 0 (a window of 0 s "
                            "never fills)",
                            opts->max_restarts);
    return 0;
}

int rm_proc_spawn(struct rm_node *node, const struct rm_spawn_opts *opts, rm_pid *pid,
                  struct rm_error *err)
{
    if (check_opts(opts, err) < 0)
        return -1;
    struct rm_module *m = find_module(node, opts->module, err);
    if (!m)
        return -1;
    struct rm__ext *ext = ext_new(opts);
    if (!ext)
        return rm_error_nomem(err);
    if (proc_start(node, m, ext, pid, err) < 0) {
        ext_free(ext);
        return -1;
    }
    return 0;
}

int rm_proc_spawn_many(struct rm_node *node, const struct rm_spawn_opts *opts, size_t n,
                       rm_pid *pids, struct rm_error *err)
{
    if (check_opts(opts, err) < 0)
        return -1;
    if (opts->name)
        return rm_error_set(err, RM_EINVAL, "spawn many: processes cannot share the name '%s'",
                            opts->name);
    if (n == 0)
        return 0;
    if (n > UINT32_MAX / 2)
        return rm_error_set(err, RM_ELIMIT, "spawn many: %zu processes is too many", n);
    struct rm_module *m = find_module(node, opts->module, err);
    if (!m)
        return -1;
    struct rm_proc **v = malloc(n * sizeof *v);
    if (!v)
        return rm_error_nomem(err);
    struct rm_code *code = acquire_current(node, m, n, err);
    if (!code) {
        free(v);
        return -1;
    }
    bool need_ext = opts->restart != RM_RESTART_TEMPORARY;
    pthread_rwlock_wrlock(&node->tab_lock);
    rm_pid first = node->next_pid;
    node->next_pid += n;
    pthread_rwlock_unlock(&node->tab_lock);
    size_t k = 0;
    for (; k < n; k++) {
        struct rm__ext *ext = need_ext ? ext_new(opts) : NULL;
        if (need_ext && !ext) {
            rm_error_nomem(err);
            break;
        }
        v[k] = proc_init(node, code, ext, opts->arg, first + k, err);
        if (!v[k]) {
            ext_free(ext);
            break;
        }
    }
    if (k == n) {
        pthread_rwlock_wrlock(&node->tab_lock);
        if (rm__ptable_reserve(&node->pids, n) == 0) {
            for (size_t i = 0; i < n; i++) {
                rm__ptable_put(&node->pids, v[i]);
                pids[i] = v[i]->pid;
            }
            pthread_rwlock_unlock(&node->tab_lock);
            free(v);
            return 0;
        }
        pthread_rwlock_unlock(&node->tab_lock);
        rm_error_nomem(err);
    }
    for (size_t i = 0; i < k; i++) {
        struct rm__ext *ext = v[i]->ext;
        proc_discard(node, v[i]);
        ext_free(ext);
    }
    release_code(node, code, n);
    free(v);
    return -1;
}

/* ---- exits and restarts ----------------------------------------------- */

static bool abnormal(const char *reason)
{
    return strcmp(reason, "normal") != 0 && strcmp(reason, "shutdown") != 0;
}

static void restart(struct rm_node *node, struct rm_module *m, struct rm__ext *x, const char *label)
{
    for (;;) {
        uint64_t now = rm__now_ns(), window = (uint64_t)x->max_seconds * 1000000000u;
        unsigned k = 0;
        for (unsigned i = 0; i < x->nhist; i++)
            if (now - x->hist[i] < window)
                x->hist[k++] = x->hist[i];
        x->nhist = k;
        if (x->nhist >= x->max_restarts) {
            rm__log(node, RM_LOG_ERROR,
                    "process '%s' (module '%s') reached its restart intensity (%u restarts in "
                    "%u s): not restarted",
                    label, m->name, x->max_restarts, x->max_seconds);
            ext_free(x);
            return;
        }
        x->hist[x->nhist++] = now;
        struct rm_error e;
        rm_pid pid;
        if (proc_start(node, m, x, &pid, &e) == 0) {
            rm__log(node, RM_LOG_INFO, "process '%s' (module '%s') restarted as <%llu>", label,
                    m->name, (unsigned long long)pid);
            return;
        }
        rm__log(node, RM_LOG_ERROR, "restart of '%s' failed: %s", label, e.msg);
    }
}

void rm__proc_exit(struct rm_node *node, struct rm_proc *p, const char *reason, bool may_restart,
                   rm_from current)
{
    char label[RM_NAME_MAX + 24];
    if (p->ext && p->ext->name)
        snprintf(label, sizeof label, "%s", p->ext->name);
    else
        snprintf(label, sizeof label, "<%llu>", (unsigned long long)p->pid);
    struct rm_code *code = p->code;
    if (code->desc->terminate) {
        struct rm__ctx c;
        rm__ctx_init(&c, node, p);
        code->desc->terminate(&c.pub, reason, p->state);
        rm__ctx_done(&c);
    }
    rm__state_free(code, p->state);
    p->state = NULL;

    pthread_rwlock_wrlock(&node->tab_lock);
    rm__ptable_del(&node->pids, p->pid);
    if (p->ext && p->ext->name)
        rm__ntable_del(&node->names, p->ext->name);
    pthread_rwlock_unlock(&node->tab_lock);

    rm__spin_lock(&p->mlock);
    if (atomic_fetch_or(&p->flags, RM__F_DEAD) & RM__F_USER)
        atomic_fetch_sub(&node->nuser_susp, 1);
    struct rm_msg *m = p->mhead;
    p->mhead = p->mtail = NULL;
    p->qlen = 0;
    rm__spin_unlock(&p->mlock);
    if (current)
        rm__call_complete(node, current, NULL, 0, RM_ESTATE, reason, NULL);
    while (m) {
        struct rm_msg *next = m->next;
        if (m->kind == RM__MSG_CALL)
            rm__call_complete(node, m->from, NULL, 0, RM_ESTATE, reason, NULL);
        free(m);
        m = next;
    }
    rm__notify_suspend(node);

    bool bad = abnormal(reason);
    if (bad)
        rm__log(node, RM_LOG_ERROR, "process '%s' (module '%s' version '%s') exited: %s", label,
                code->module->name, code->desc->version, reason);
    struct rm_module *mod = p->module;
    struct rm__ext *x = p->ext;
    p->ext = NULL;
    p->code = NULL;
    release_code(node, code, 1);
    rm__proc_put(p);
    if (!x)
        return;
    bool again = may_restart && (x->restart == RM_RESTART_PERMANENT ||
                                 (x->restart == RM_RESTART_TRANSIENT && bad));
    if (again)
        restart(node, mod, x, label);
    else
        ext_free(x);
}

/* ---- public API ------------------------------------------------------- */

int rm_proc_resolve(struct rm_node *node, const char *name, rm_pid *pid, struct rm_error *err)
{
    rm_pid r = rm__resolve(node, name);
    if (!r)
        return rm_error_set(err, RM_ENOENT, "no process '%s'", name ? name : "");
    *pid = r;
    return 0;
}

int rm_proc_call(struct rm_node *node, rm_pid pid, const void *msg, size_t len, int timeout_ms,
                 char **reply, size_t *reply_len, struct rm_error *err)
{
    return rm__call(node, 0, pid, msg, len, timeout_ms, reply, reply_len, err);
}

static int post(struct rm_node *node, int kind, rm_pid pid, const void *msg, size_t len,
                struct rm_error *err)
{
    struct rm_msg *m = rm__msg_new(kind, msg, len);
    if (!m)
        return rm_error_nomem(err);
    if (rm__deliver(node, pid, m) < 0) {
        free(m);
        return rm_error_set(err, RM_ENOENT, "no process '<%llu>'", (unsigned long long)pid);
    }
    return 0;
}

int rm_proc_cast(struct rm_node *node, rm_pid pid, const void *msg, size_t len,
                 struct rm_error *err)
{
    return post(node, RM__MSG_CAST, pid, msg, len, err);
}

int rm_proc_send(struct rm_node *node, rm_pid pid, const void *msg, size_t len,
                 struct rm_error *err)
{
    return post(node, RM__MSG_INFO, pid, msg, len, err);
}

int rm_proc_stop(struct rm_node *node, rm_pid pid, const char *reason, struct rm_error *err)
{
    pthread_mutex_lock(&node->sys_lock);
    struct rm_proc *p = rm__proc_get(node, pid, err);
    if (!p) {
        pthread_mutex_unlock(&node->sys_lock);
        return -1;
    }
    bool resume;
    int r = rm__pin(node, p, RM__PIN_MS, "stop", &resume, err);
    /* r < 0: still in a callback after RM__PIN_MS, nothing changed */
    if (r == 0 && (atomic_load(&p->flags) & RM__F_DEAD))
        r = rm_error_set(err, RM_ENOENT, "no process '<%llu>'", (unsigned long long)pid);
    else if (r == 0)
        rm__proc_exit(node, p, reason ? reason : "shutdown", false, 0);
    rm__proc_put(p);
    pthread_mutex_unlock(&node->sys_lock);
    return r;
}
