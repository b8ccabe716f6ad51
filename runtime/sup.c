/*
 * sup.c - OTP's supervisor, built into the node as the module
 * "supervisor": a process that starts its children linked to it, traps
 * their exits, restarts them by its strategy (one_for_one, one_for_all,
 * rest_for_one, simple_one_for_one) within its intensity, stops them in
 * reverse start order with their shutdown, and gives up (exit "shutdown",
 * reported through the exit hook) when restarts come too fast.
 *
 * Its init argument is the name of a spec recorded with rm_sup_define;
 * its process is registered under that name. Stopping a child: unlink it
 * (so its exit sends no EXIT that could be mistaken for a later child's),
 * send it an exit signal, wait for its death, bounded by its shutdown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relman/array.h"
#include "sup.h"

/* Requests a supervisor answers besides RM__HOST_START_CHILD. */
#define SUP_WHICH  "\001which_children"
#define SUP_CHANGE "\001change"

struct kid {
    struct rm_sup_child c; /* its own copy */
    rm_pid pid;            /* 0: not running */
};

struct sup {
    struct rm__sup_copy spec; /* strategy, intensity, period, name, app */
    struct kid *kids;         /* in start order */
    size_t n, cap;
    uint64_t *hist; /* times of the latest restarts, at most intensity + 1 */
    size_t nhist;
    rm_pid *stale; /* stopped children whose EXIT was already under way */
    size_t nstale, capstale;
    bool gave_up;
};

static struct rm__host_ctx *hc(struct rm_ctx *ctx)
{
    return (struct rm__host_ctx *)(void *)ctx; /* pub is its first member */
}

static bool abnormal(const char *reason)
{
    return strcmp(reason, "normal") != 0 && strcmp(reason, "shutdown") != 0;
}

static const char *name_of(const struct sup *s)
{
    return s->spec.spec.name;
}

/* ---- children --------------------------------------------------------- */

static int start_kid(struct rm__host_ctx *c, struct sup *s, struct kid *k, struct rm_error *err)
{
    struct rm_spawn_spec sp = {.module = k->c.supervisor ? RM__SUP_MODULE : k->c.module,
                               .arg = k->c.supervisor ? k->c.module : k->c.arg,
                               .name = k->c.supervisor ? k->c.module : k->c.name,
                               .restart = RM_RESTART_TEMPORARY, /* only we restart it */
                               .link = 1};
    if (rm__life_spawn(c->node, c->proc, &sp, &k->pid, err) < 0) {
        k->pid = 0;
        return rm_error_prefix(err, "supervisor '%s': start child '%s'", name_of(s), k->c.id);
    }
    return 0;
}

static void wait_dead(struct rm_node *node, struct rm_proc *q, uint64_t ms, bool *dead)
{
    uint64_t deadline = rm__rt_now_ns() + ms * 1000000u;
    *dead = rm__proc_wait_dead(node, q, deadline);
}

/* Stops one running child: unlinked, told, waited for (bounded by its
   shutdown; then killed, and waited for RM__SUP_KILL_MS more). */
static void stop_kid(struct rm__host_ctx *c, struct sup *s, struct kid *k)
{
    rm_pid pid = k->pid;
    k->pid = 0;
    if (!pid)
        return;
    if (rm__rel_unlink(c->node, c->proc, pid) < 0 &&
        rm_array_grow(&s->stale, &s->capstale, s->nstale, sizeof *s->stale, 4, NULL) == 0)
        s->stale[s->nstale++] = pid; /* it exited already: its EXIT is on its way */
    struct rm_proc *q = rm__proc_get(c->node, pid, NULL);
    if (!q)
        return;
    char self[RM_LABEL_MAX];
    rm_label(name_of(s), c->self_pid, self, sizeof self);
    int ms = k->c.shutdown_ms;
    bool brutal = ms == RM_SHUTDOWN_BRUTAL_KILL, dead = false;
    rm__sched_block(c->node); /* a worker steps in while this one waits */
    rm__rel_signal(c->node, self, c->self_pid, pid, brutal ? "killed" : "shutdown", brutal);
    if (ms == RM_SHUTDOWN_INFINITY)
        dead = rm__proc_wait_dead(c->node, q, UINT64_MAX);
    else if (!brutal)
        wait_dead(c->node, q, (uint64_t)ms, &dead);
    if (!dead && !brutal) {
        rm__rt_log(c->node, RM_LOG_WARNING,
                   "supervisor '%s': child '%s' <%llu> did not stop within %d ms: killed",
                   name_of(s), k->c.id, (unsigned long long)pid, ms);
        rm__rel_signal(c->node, self, c->self_pid, pid, "killed", true);
    }
    if (!dead)
        wait_dead(c->node, q, RM__SUP_KILL_MS, &dead);
    rm__sched_unblock(c->node);
    if (!dead)
        rm__rt_log(c->node, RM_LOG_ERROR,
                   "supervisor '%s': child '%s' <%llu> still runs %d ms after its kill "
                   "(suspended?); going on without it",
                   name_of(s), k->c.id, (unsigned long long)pid, RM__SUP_KILL_MS);
    rm__proc_put(q);
}

/* Stops the running children of [from, to) in reverse order; temporary
   ones are then forgotten (they are never started again). */
static void stop_range(struct rm__host_ctx *c, struct sup *s, size_t from, size_t to)
{
    for (size_t i = to; i-- > from;)
        if (s->kids[i].pid) {
            stop_kid(c, s, &s->kids[i]);
            if (s->kids[i].c.restart == RM_RESTART_TEMPORARY)
                s->kids[i].c.restart = -1; /* marked: dropped by compact() */
        }
}

static void drop_kid(struct sup *s, size_t i)
{
    rm__sup_child_clear(&s->kids[i].c);
    memmove(&s->kids[i], &s->kids[i + 1], (s->n - i - 1) * sizeof *s->kids);
    s->n--;
}

static void compact(struct sup *s)
{
    for (size_t i = s->n; i-- > 0;)
        if ((int)s->kids[i].c.restart == -1)
            drop_kid(s, i);
}

/* Starts the children of [from, to) that do not run, in order. */
static int start_range(struct rm__host_ctx *c, struct sup *s, size_t from, size_t to,
                       struct rm_error *err)
{
    for (size_t i = from; i < to; i++)
        if (!s->kids[i].pid && (int)s->kids[i].c.restart != -1 &&
            start_kid(c, s, &s->kids[i], err) < 0)
            return -1;
    return 0;
}

static int add_kid(struct sup *s, const struct rm_sup_child *spec, const char *arg)
{
    if (rm_array_grow(&s->kids, &s->cap, s->n, sizeof *s->kids, 8, NULL) < 0)
        return -1;
    struct kid *k = &s->kids[s->n];
    k->pid = 0;
    if (rm__sup_child_copy(&k->c, spec, arg) < 0)
        return -1;
    s->n++;
    return 0;
}

/* ---- restarts --------------------------------------------------------- */

/* Records one more restart; false when it is one too many. */
static bool restart_allowed(struct sup *s)
{
    uint64_t now = rm__rt_now_ns(), window = (uint64_t)s->spec.spec.period * 1000000000u;
    size_t k = 0;
    for (size_t i = 0; i < s->nhist; i++)
        if (now - s->hist[i] < window)
            s->hist[k++] = s->hist[i];
    s->nhist = k;
    if (s->nhist >= s->spec.spec.intensity)
        return false;
    s->hist[s->nhist++] = now;
    return true;
}

static int give_up(struct rm_ctx *ctx, struct sup *s)
{
    struct rm__host_ctx *c = hc(ctx);
    rm__rt_log(c->node, RM_LOG_ERROR,
               "supervisor '%s' reached its restart intensity (%u restarts in %u s): shutting "
               "down",
               name_of(s), s->spec.spec.intensity, s->spec.spec.period);
    s->gave_up = true;
    ctx->host->fail(ctx, "shutdown");
    return RM_FAIL; /* terminate stops the children */
}

/* Child i exited with `reason`: restart what the strategy says. */
static int kid_exited(struct rm_ctx *ctx, struct sup *s, size_t i, const char *reason)
{
    struct rm__host_ctx *c = hc(ctx);
    struct kid *k = &s->kids[i];
    k->pid = 0;
    bool again = k->c.restart == RM_RESTART_PERMANENT ||
                 (k->c.restart == RM_RESTART_TRANSIENT && abnormal(reason));
    if (!again) {
        if (k->c.restart == RM_RESTART_TEMPORARY || s->spec.spec.strategy == RM_SUP_SIMPLE_ONE_FOR_ONE)
            drop_kid(s, i);
        return RM_CONTINUE;
    }
    if (rm__sup_is_stopping(c->node))
        return RM_CONTINUE;
    rm__rt_log(c->node, RM_LOG_INFO, "supervisor '%s': child '%s' exited (%s): restarting (%s)",
               name_of(s), k->c.id, reason, rm_sup_strategy_name(s->spec.spec.strategy));
    for (;;) {
        if (!restart_allowed(s))
            return give_up(ctx, s);
        size_t from = i, to = i + 1;
        if (s->spec.spec.strategy == RM_SUP_ONE_FOR_ALL)
            from = 0, to = s->n;
        else if (s->spec.spec.strategy == RM_SUP_REST_FOR_ONE)
            to = s->n;
        stop_range(c, s, from, to);
        /* i stays in place: only temporary siblings, which are never i
           (i is restarted), are dropped, and only after the start */
        struct rm_error err;
        int rc = start_range(c, s, from, to, &err);
        compact(s);
        if (rc == 0)
            return RM_CONTINUE;
        rm__rt_log(c->node, RM_LOG_ERROR, "%s", err.msg);
    }
}

/* ---- callbacks -------------------------------------------------------- */

static void sup_free(void *state)
{
    struct sup *s = state;
    for (size_t i = 0; i < s->n; i++)
        rm__sup_child_clear(&s->kids[i].c);
    free(s->kids);
    free(s->hist);
    free(s->stale);
    rm__sup_copy_clear(&s->spec);
    free(s);
}

/* Takes the spec `copy` (consumed) as s's own: strategy, intensity, hist. */
static int take_spec(struct sup *s, struct rm__sup_copy *copy)
{
    uint64_t *h = calloc(copy->spec.intensity + 1u, sizeof *h);
    if (!h) {
        rm__sup_copy_clear(copy);
        return -1;
    }
    free(s->hist);
    s->hist = h;
    s->nhist = 0;
    rm__sup_copy_clear(&s->spec);
    s->spec = *copy;
    return 0;
}

static int sup_init(struct rm_ctx *ctx, const char *arg, void **state)
{
    struct rm__host_ctx *c = hc(ctx);
    struct rm_error err;
    struct rm__sup_copy copy;
    struct sup *s = calloc(1, sizeof *s);
    if (!s) {
        ctx->host->fail(ctx, "out of memory");
        return RM_FAIL;
    }
    if (rm__sup_lookup(c->node, arg, &copy, &err) < 0 ||
        (take_spec(s, &copy) < 0 && rm_error_nomem(&err) < 0)) {
        ctx->host->fail(ctx, err.msg);
        sup_free(s);
        return RM_FAIL;
    }
    rm__rel_trap(c->node, c->proc, 1);
    int rc = 0;
    if (s->spec.spec.strategy != RM_SUP_SIMPLE_ONE_FOR_ONE)
        for (size_t i = 0; rc == 0 && i < s->spec.spec.n_children; i++)
            rc = add_kid(s, &s->spec.children[i], NULL) < 0 ? rm_error_nomem(&err) : 0;
    if (rc == 0)
        rc = start_range(c, s, 0, s->n, &err);
    if (rc < 0) {
        stop_range(c, s, 0, s->n);
        ctx->host->fail(ctx, err.msg);
        sup_free(s);
        return RM_FAIL;
    }
    *state = s;
    return RM_CONTINUE;
}

static void sup_terminate(struct rm_ctx *ctx, const char *reason, void *state)
{
    struct rm__host_ctx *c = hc(ctx);
    struct sup *s = state;
    stop_range(c, s, 0, s->n);
    if (s->gave_up || abnormal(reason))
        rm__sup_report(c->node, name_of(s), s->spec.spec.app,
                       s->gave_up ? "reached_max_restart_intensity" : reason);
}

static int sup_event(struct rm_ctx *ctx, const struct rm_event *ev, void **state)
{
    struct sup *s = *state;
    if (ev->kind != RM_EVENT_EXIT)
        return RM_CONTINUE;
    for (size_t i = 0; ev->pid && i < s->n; i++)
        if (s->kids[i].pid == ev->pid)
            return kid_exited(ctx, s, i, ev->reason);
    for (size_t i = 0; i < s->nstale; i++)
        if (s->stale[i] == ev->pid) {
            s->stale[i] = s->stale[--s->nstale];
            return RM_CONTINUE;
        }
    /* another linked process, such as our own supervisor, went: OTP's
       supervisor exits with its reason, unless that is "normal" */
    if (strcmp(ev->reason, "normal") == 0)
        return RM_CONTINUE;
    ctx->host->fail(ctx, ev->reason);
    return RM_FAIL;
}

static int reply_text(struct rm_ctx *ctx, const char *fmt, const char *a, const char *b)
{
    char buf[RM_LABEL_MAX + 512];
    int n = snprintf(buf, sizeof buf, fmt, a, b);
    ctx->host->reply_to(ctx, ctx->host->caller(ctx), buf,
                        (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    return RM_CONTINUE;
}

static int start_child(struct rm_ctx *ctx, struct sup *s, const char *arg)
{
    struct rm__host_ctx *c = hc(ctx);
    if (s->spec.spec.strategy != RM_SUP_SIMPLE_ONE_FOR_ONE)
        return reply_text(ctx, "error supervisor '%s' is %s, not simple_one_for_one", name_of(s),
                          rm_sup_strategy_name(s->spec.spec.strategy));
    if (add_kid(s, &s->spec.children[0], arg) < 0)
        return reply_text(ctx, "error %s%s", "out of memory", "");
    struct rm_error err;
    struct kid *k = &s->kids[s->n - 1];
    if (start_kid(c, s, k, &err) < 0) {
        rm__rt_log(c->node, RM_LOG_ERROR, "%s", err.msg);
        drop_kid(s, s->n - 1);
        return reply_text(ctx, "error %s%s", err.msg, "");
    }
    char who[RM_LABEL_MAX];
    rm_label(k->c.name, k->pid, who, sizeof who);
    return reply_text(ctx, "ok %s%s", who, "");
}

/* One line per child: id, pid, "s" or "w", module (or supervisor). */
static int which_children(struct rm_ctx *ctx, struct sup *s)
{
    size_t cap = 64 + s->n * (2 * RM_NAME_MAX + 32), len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return reply_text(ctx, "error %s%s", "out of memory", "");
    for (size_t i = 0; i < s->n; i++) {
        const struct kid *k = &s->kids[i];
        len += (size_t)snprintf(buf + len, cap - len, "%s\t%llu\t%s\t%s\n", k->c.id,
                                (unsigned long long)k->pid, k->c.supervisor ? "s" : "w",
                                k->c.module);
    }
    ctx->host->reply_to(ctx, ctx->host->caller(ctx), buf, len);
    free(buf);
    return RM_CONTINUE;
}

/* OTP's supervisor code_change: the spec as now defined replaces ours;
   running children keep their pids and take their new spec, children no
   longer named are stopped, new ones wait for an instruction to start
   them (they are not started here). */
static int change(struct rm_ctx *ctx, struct sup *s)
{
    struct rm__host_ctx *c = hc(ctx);
    struct rm_error err;
    struct rm__sup_copy copy;
    if (rm__sup_lookup(c->node, name_of(s), &copy, &err) < 0)
        return reply_text(ctx, "error %s%s", err.msg, "");
    bool simple = copy.spec.strategy == RM_SUP_SIMPLE_ONE_FOR_ONE;
    if (simple != (s->spec.spec.strategy == RM_SUP_SIMPLE_ONE_FOR_ONE)) {
        rm__sup_copy_clear(&copy);
        return reply_text(ctx, "error supervisor '%s': cannot change to or from %s",
                          name_of(s), "simple_one_for_one");
    }
    if (simple) { /* running children keep their spec; new ones take the new one */
        for (size_t i = 0; i < s->n; i++) {
            s->kids[i].c.restart = copy.children[0].restart;
            s->kids[i].c.shutdown_ms = copy.children[0].shutdown_ms;
        }
    } else {
        for (size_t i = s->n; i-- > 0;) {
            const struct rm_sup_child *now = NULL;
            for (size_t j = 0; j < copy.spec.n_children && !now; j++)
                if (strcmp(copy.children[j].id, s->kids[i].c.id) == 0)
                    now = &copy.children[j];
            if (!now) {
                stop_kid(c, s, &s->kids[i]);
                drop_kid(s, i);
                continue;
            }
            struct rm_sup_child fresh;
            if (rm__sup_child_copy(&fresh, now, NULL) == 0) {
                rm__sup_child_clear(&s->kids[i].c);
                s->kids[i].c = fresh;
            }
        }
        for (size_t j = 0; j < copy.spec.n_children; j++) {
            bool known = false;
            for (size_t i = 0; i < s->n && !known; i++)
                known = strcmp(s->kids[i].c.id, copy.children[j].id) == 0;
            if (!known && add_kid(s, &copy.children[j], NULL) < 0)
                return reply_text(ctx, "error %s%s", "out of memory", "");
        }
    }
    if (take_spec(s, &copy) < 0)
        return reply_text(ctx, "error %s%s", "out of memory", "");
    return reply_text(ctx, "ok%s%s", "", "");
}

static int sup_call(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    struct sup *s = *state;
    size_t plen = strlen(RM__HOST_START_CHILD);
    if (len >= plen && memcmp(msg, RM__HOST_START_CHILD, plen) == 0)
        return start_child(ctx, s, (const char *)msg + plen); /* the host ends msg with a NUL */
    if (len == strlen(SUP_WHICH) && memcmp(msg, SUP_WHICH, len) == 0)
        return which_children(ctx, s);
    if (len == strlen(SUP_CHANGE) && memcmp(msg, SUP_CHANGE, len) == 0)
        return change(ctx, s);
    return reply_text(ctx, "error supervisor '%s': unknown request%s", name_of(s), "");
}

static int sup_format(const void *state, char *buf, size_t size)
{
    const struct sup *s = state;
    return snprintf(buf, size, "{supervisor,%s,%s,%zu children}", name_of(s),
                    rm_sup_strategy_name(s->spec.spec.strategy), s->n);
}

static const struct rm_module_desc sup_desc = {
    .abi_version = RM_MODULE_ABI_VERSION,
    .size = sizeof(struct rm_module_desc),
    .name = RM__SUP_MODULE,
    .version = "1",
    .init = sup_init,
    .handle_call = sup_call,
    .terminate = sup_terminate,
    .free_state = sup_free,
    .format_state = sup_format,
    .handle_event = sup_event,
};

int rm__sup_init(struct rm_node *node, struct rm_error *err)
{
    pthread_mutex_init(&rm__sup_of(node)->sup_lock, NULL);
    return rm__code_builtin(node, &sup_desc, err);
}

/* ---- public API ------------------------------------------------------- */

int rm_sup_start(struct rm_node *node, const char *name, rm_pid *pid, struct rm_error *err)
{
    struct rm__sup_copy probe;
    if (!name || rm__sup_lookup(node, name, &probe, err) < 0)
        return name ? -1 : rm_error_set(err, RM_EINVAL, "start supervisor: no name given");
    rm__sup_copy_clear(&probe);
    struct rm_spawn_opts o = {
        .module = RM__SUP_MODULE, .name = name, .arg = name, .restart = RM_RESTART_TEMPORARY};
    return rm_proc_spawn(node, &o, pid, err);
}

int rm_sup_is(struct rm_node *node, rm_pid pid)
{
    struct rm_proc *p = rm__proc_get(node, pid, NULL);
    if (!p)
        return 0;
    int is = strcmp(p->module->name, RM__SUP_MODULE) == 0;
    rm__proc_put(p);
    return is;
}

/* Calls supervisor `name` with `req`; the answer NUL-terminated. */
static char *ask(struct rm_node *node, const char *name, const char *req, struct rm_error *err)
{
    rm_pid pid = name ? rm__proc_resolve(node, name) : 0;
    if (!pid || !rm_sup_is(node, pid)) {
        rm_error_naming(err, RM_ENOENT, RM_XNO_PROCESS, 0, "no supervisor", name ? name : "",
                        "%s", "");
        return NULL;
    }
    char *r, *text;
    size_t len;
    if (rm__call_call(node, 0, pid, req, strlen(req), RM__SUP_CALL_MS, &r, &len, err) < 0)
        return NULL;
    text = malloc(len + 1);
    if (text) {
        memcpy(text, r, len);
        text[len] = 0;
    } else {
        rm_error_nomem(err);
    }
    free(r);
    return text;
}

int rm_sup_change(struct rm_node *node, const char *name, struct rm_error *err)
{
    char *r = ask(node, name, SUP_CHANGE, err);
    if (!r)
        return -1;
    int rc = strcmp(r, "ok") == 0 ? 0 : rm_error_set(err, RM_ESTATE, "%s", r + 6);
    free(r);
    return rc;
}

int rm_sup_children(struct rm_node *node, const char *name, struct rm_sup_child_info **out,
                    size_t *n, struct rm_error *err)
{
    char *r = ask(node, name, SUP_WHICH, err);
    if (!r)
        return -1;
    if (strncmp(r, "error ", 6) == 0) {
        rm_error_set(err, RM_ESTATE, "%s", r + 6);
        free(r);
        return -1;
    }
    size_t lines = 0;
    for (const char *q = r; *q; q++)
        lines += *q == '\n';
    struct rm_sup_child_info *v = calloc(lines ? lines : 1, sizeof *v);
    if (!v) {
        free(r);
        return rm_error_nomem(err);
    }
    size_t k = 0;
    char *save = NULL;
    for (char *line = strtok_r(r, "\n", &save); line && k < lines;
         line = strtok_r(NULL, "\n", &save)) {
        char id[RM_NAME_MAX + 1], type[2], mod[RM_NAME_MAX + 1];
        unsigned long long pid;
        if (sscanf(line, "%63[^\t]\t%llu\t%1[sw]\t%63s", id, &pid, type, mod) != 4)
            continue;
        snprintf(v[k].id, sizeof v[k].id, "%s", id);
        snprintf(v[k].module, sizeof v[k].module, "%s", mod);
        v[k].pid = pid;
        v[k].supervisor = type[0] == 's';
        k++;
    }
    free(r);
    *out = v;
    *n = k;
    return 0;
}
