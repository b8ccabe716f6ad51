/*
 * The dependency graph of systools_rc's translate_dependent_instrs.
 *
 * A vertex per instruction with dependencies, numbered in manifest order.
 * Weakly connected components are the groups translated together; inside a
 * group the strongly connected components are ordered topologically (a
 * module before the modules it depends on) and the members of one strong
 * component (a cycle) keep their manifest order. Where the topological
 * order leaves a choice, the component with the earliest instruction goes
 * first, so the result never depends on hashing.
 */
#include <stdlib.h>
#include <string.h>

#include "depgraph.h"
#include "strset.h"

struct graph {
    size_t nv;
    const struct rm__wi **w; /* vertex -> its instruction */
    size_t *off, *adj;       /* edges of v: adj[off[v] .. off[v+1]) */
    size_t *uf;              /* union-find parents (weak components) */
    size_t *scc, nscc;       /* strong component of each vertex */
    size_t *index, *low, *stack, sp, counter;
    char *on_stack;
};

static int is_dep(const struct rm_instr *in)
{
    return in->kind == RM_I_UPDATE || in->kind == RM_I_LOAD_MODULE ||
           in->kind == RM_I_DELETE_MODULE;
}

static size_t find(size_t *uf, size_t v)
{
    while (uf[v] != v) {
        uf[v] = uf[uf[v]];
        v = uf[v];
    }
    return v;
}

/* Tarjan's algorithm; vertices are visited in manifest order. */
static void strong(struct graph *g, size_t v)
{
    g->index[v] = g->low[v] = ++g->counter;
    g->stack[g->sp++] = v;
    g->on_stack[v] = 1;
    for (size_t e = g->off[v]; e < g->off[v + 1]; e++) {
        size_t u = g->adj[e];
        if (!g->index[u]) {
            strong(g, u);
            if (g->low[u] < g->low[v])
                g->low[v] = g->low[u];
        } else if (g->on_stack[u] && g->index[u] < g->low[v]) {
            g->low[v] = g->index[u];
        }
    }
    if (g->low[v] == g->index[v]) {
        size_t u;
        do {
            u = g->stack[--g->sp];
            g->on_stack[u] = 0;
            g->scc[u] = g->nscc;
        } while (u != v);
        g->nscc++;
    }
}

static void graph_free(struct graph *g)
{
    free(g->w);
    free(g->off);
    free(g->adj);
    free(g->uf);
    free(g->scc);
    free(g->index);
    free(g->low);
    free(g->stack);
    free(g->on_stack);
}

/* make_dependency_graph: vertices, muldef_module, edges, undef_module. */
static int build(struct rm__translate *t, const struct rm__wlist *after, struct graph *g,
                 struct rm__strset *vertex)
{
    size_t nv = 0, ne = 0;
    for (size_t i = 0; i < after->n; i++)
        if (is_dep(&after->v[i].in)) {
            nv++;
            ne += after->v[i].in.deps.n;
        }
    g->nv = nv;
    g->w = calloc(nv + 1, sizeof *g->w);
    g->off = calloc(nv + 1, sizeof *g->off);
    g->adj = calloc(ne + 1, sizeof *g->adj);
    g->uf = calloc(nv + 1, sizeof *g->uf);
    g->scc = calloc(nv + 1, sizeof *g->scc);
    g->index = calloc(nv + 1, sizeof *g->index);
    g->low = calloc(nv + 1, sizeof *g->low);
    g->stack = calloc(nv + 1, sizeof *g->stack);
    g->on_stack = calloc(nv + 1, 1);
    if (!g->w || !g->off || !g->adj || !g->uf || !g->scc || !g->index || !g->low || !g->stack ||
        !g->on_stack)
        return rm_error_nomem(t->err);
    size_t v = 0;
    for (size_t i = 0; i < after->n; i++) {
        const struct rm__wi *w = &after->v[i];
        if (!is_dep(&w->in))
            continue;
        size_t first = rm__strset_get(vertex, w->in.module);
        if (first != (size_t)-1)
            return rm__wi_err(t->err, w,
                              "module '%s' has more than one instruction (the first is at "
                              "%s:%u:%u)",
                              w->in.module, g->w[first]->file, g->w[first]->in.loc.line,
                              g->w[first]->in.loc.col);
        if (rm__strset_put(vertex, w->in.module, v) < 0)
            return rm_error_nomem(t->err);
        g->w[v] = w;
        g->uf[v] = v;
        v++;
    }
    size_t e = 0;
    for (v = 0; v < nv; v++) {
        g->off[v] = e;
        const struct rm_names *deps = &g->w[v]->in.deps;
        for (size_t d = 0; d < deps->n; d++) {
            size_t u = rm__strset_get(vertex, deps->v[d]);
            if (u == (size_t)-1)
                return rm__wi_err(t->err, g->w[v],
                                  "'%s' depends on module '%s', which has no instruction of its "
                                  "own",
                                  g->w[v]->in.module, deps->v[d]);
            g->adj[e++] = u;
            g->uf[find(g->uf, v)] = find(g->uf, u);
        }
    }
    g->off[nv] = e;
    for (v = 0; v < nv; v++)
        if (!g->index[v])
            strong(g, v);
    return 0;
}

/* Orders the vertices: strong components topologically (earliest first
   where free), members of a component in manifest order. */
static int order_vertices(struct rm__translate *t, struct graph *g, size_t *order)
{
    size_t ns = g->nscc;
    size_t *indeg = calloc(ns + 1, sizeof *indeg), *min = malloc((ns + 1) * sizeof *min);
    size_t *heap = malloc((ns + 1) * sizeof *heap), *first = malloc((ns + 1) * sizeof *first);
    size_t *next = malloc((g->nv + 1) * sizeof *next), *last = malloc((ns + 1) * sizeof *last);
    int rc = 0;
    if (!indeg || !min || !heap || !first || !next || !last) {
        rc = rm_error_nomem(t->err);
        goto out;
    }
    for (size_t s = 0; s < ns; s++)
        min[s] = first[s] = last[s] = (size_t)-1;
    /* Members of each component, linked in manifest order. */
    for (size_t v = 0; v < g->nv; v++) {
        size_t s = g->scc[v];
        next[v] = (size_t)-1;
        if (first[s] == (size_t)-1) {
            first[s] = min[s] = v;
        } else {
            next[last[s]] = v;
        }
        last[s] = v;
    }
    for (size_t v = 0; v < g->nv; v++)
        for (size_t e = g->off[v]; e < g->off[v + 1]; e++)
            if (g->scc[g->adj[e]] != g->scc[v])
                indeg[g->scc[g->adj[e]]]++;
    /* Kahn's algorithm with a binary min-heap keyed by min[]. */
    size_t hn = 0, k = 0;
#define LESS(a, b) (min[heap[a]] < min[heap[b]])
#define SWAP(a, b)                                                                                 \
    do {                                                                                           \
        size_t tmp_ = heap[a];                                                                     \
        heap[a] = heap[b];                                                                         \
        heap[b] = tmp_;                                                                            \
    } while (0)
#define PUSH(s)                                                                                    \
    do {                                                                                           \
        size_t i_ = hn;                                                                            \
        heap[hn++] = (s);                                                                          \
        while (i_ > 0 && LESS(i_, (i_ - 1) / 2)) {                                                 \
            SWAP(i_, (i_ - 1) / 2);                                                                \
            i_ = (i_ - 1) / 2;                                                                     \
        }                                                                                          \
    } while (0)
    for (size_t s = 0; s < ns; s++)
        if (!indeg[s])
            PUSH(s);
    while (hn) {
        size_t s = heap[0];
        heap[0] = heap[--hn];
        for (size_t i = 0;;) {
            size_t l = 2 * i + 1, r = l + 1, m = i;
            if (l < hn && LESS(l, m))
                m = l;
            if (r < hn && LESS(r, m))
                m = r;
            if (m == i)
                break;
            SWAP(i, m);
            i = m;
        }
        for (size_t v = first[s]; v != (size_t)-1; v = next[v]) {
            order[k++] = v;
            for (size_t e = g->off[v]; e < g->off[v + 1]; e++) {
                size_t u = g->scc[g->adj[e]];
                if (u != s && --indeg[u] == 0)
                    PUSH(u);
            }
        }
    }
#undef PUSH
#undef SWAP
#undef LESS
    if (k != g->nv)
        abort(); /* the condensation of a graph has no cycle */
out:
    free(indeg);
    free(min);
    free(heap);
    free(first);
    free(next);
    free(last);
    return rc;
}

/* get_lib: the first target application with the module. */
static const struct rm_plan_app *get_lib(struct rm__translate *t, const struct rm__wi *w)
{
    for (size_t i = 0; i < t->n_target; i++) {
        const struct rm_plan_app *a = &t->target[i];
        if (!a->app || rm_app_find_module(a->app, w->in.module))
            return a;
    }
    rm__wi_err(t->err, w, "module '%s' is in no application of the target release", w->in.module);
    return NULL;
}

static struct rm_mod_item *items(struct rm__translate *t, size_t n)
{
    struct rm_mod_item *v = rm__arena_array(t->arena, n ? n : 1, sizeof *v);
    if (!v)
        rm_error_nomem(t->err);
    return v;
}

/* Pushes a code_change of the advanced updates of `group` that match
   `type` (-1: any), when there are some. */
static int code_change(struct rm__translate *t, const struct rm__wi *const *group, size_t n,
                       enum rm_direction dir, int type, struct rm__wlist *out)
{
    struct rm_mod_item *v = items(t, n);
    if (!v)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct rm_instr *in = &group[i]->in;
        if (in->kind == RM_I_UPDATE && in->change == RM_CHANGE_ADVANCED &&
            (type < 0 || (int)in->mod_type == type))
            v[k++] = (struct rm_mod_item){in->module, RM_TIMEOUT_DEFAULT, in->extra};
    }
    if (!k)
        return 0;
    struct rm_instr cc = {.kind = RM_I_CODE_CHANGE, .dir = dir, .items = v, .n_items = k};
    cc.loc = group[0]->in.loc;
    return rm__wlist_push(out, &cc, group[0]->file, t->err);
}

/* translate_dep_to_low for one group in dependency order. */
static int to_low(struct rm__translate *t, const struct rm__wi *const *group, size_t n,
                  struct rm__wlist *before, struct rm__wlist *out)
{
    struct rm_mod_item *susp = items(t, n), *res = items(t, n);
    struct rm__wlist loads = {0};
    if (!susp || !res)
        return -1;
    size_t ns = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct rm__wi *w = group[i];
        if (w->in.kind == RM_I_UPDATE)
            susp[ns++] = (struct rm_mod_item){w->in.module, w->in.timeout, NULL};
        struct rm_instr ld = {.kind = w->in.kind == RM_I_DELETE_MODULE ? RM_I_REMOVE : RM_I_LOAD,
                              .module = w->in.module,
                              .pre_purge = w->in.pre_purge,
                              .post_purge = w->in.post_purge,
                              .loc = w->in.loc};
        rc = rm__wlist_push(&loads, &ld, w->file, t->err);
        if (rc == 0 && ld.kind == RM_I_LOAD && !t->check_only) {
            const struct rm_plan_app *lib = get_lib(t, w);
            struct rm_mod_item *m = lib ? items(t, 1) : NULL;
            if (!m)
                rc = -1;
            else {
                m->module = w->in.module;
                m->timeout = RM_TIMEOUT_DEFAULT;
                struct rm_instr loc = {.kind = RM_I_LOAD_OBJECT_CODE,
                                       .application = lib->name,
                                       .version = lib->version,
                                       .items = m,
                                       .n_items = 1,
                                       .loc = w->in.loc};
                rc = rm__wlist_push(before, &loc, w->file, t->err);
            }
        }
    }
    for (size_t i = 0; i < ns; i++)
        res[i] = (struct rm_mod_item){susp[ns - 1 - i].module, RM_TIMEOUT_DEFAULT, NULL};
    struct rm_instr suspend = {.kind = RM_I_SUSPEND, .items = susp, .n_items = ns},
                    resume = {.kind = RM_I_RESUME, .items = res, .n_items = ns};
    suspend.loc = resume.loc = group[0]->in.loc;
    if (rc == 0 && ns)
        rc = rm__wlist_push(out, &suspend, group[0]->file, t->err);
    if (t->dir == RM_UP) {
        for (size_t i = loads.n; rc == 0 && i-- > 0;)
            rc = rm__wlist_push(out, &loads.v[i].in, loads.v[i].file, t->err);
        if (rc == 0)
            rc = code_change(t, group, n, RM_UP, -1, out);
    } else {
        if (rc == 0)
            rc = code_change(t, group, n, RM_DOWN, RM_MOD_DYNAMIC, out);
        for (size_t i = 0; rc == 0 && i < loads.n; i++)
            rc = rm__wlist_push(out, &loads.v[i].in, loads.v[i].file, t->err);
        if (rc == 0)
            rc = code_change(t, group, n, RM_DOWN, RM_MOD_STATIC, out);
    }
    if (rc == 0 && ns)
        rc = rm__wlist_push(out, &resume, group[0]->file, t->err);
    rm__wlist_free(&loads);
    return rc;
}

int rm__translate_dependent(struct rm__translate *t, const struct rm__wlist *after,
                            struct rm__wlist *before, struct rm__wlist *out)
{
    struct graph g = {0};
    struct rm__strset vertex = {0};
    size_t *order = NULL, *start = NULL;
    const struct rm__wi **grouped = NULL;
    char *done = NULL;
    int rc = build(t, after, &g, &vertex);
    size_t nv = g.nv;
    if (rc == 0) {
        order = malloc((nv + 1) * sizeof *order);
        start = calloc(nv + 2, sizeof *start);
        grouped = malloc((nv + 1) * sizeof *grouped);
        done = calloc(nv + 1, 1);
        if (!order || !start || !grouped || !done)
            rc = rm_error_nomem(t->err);
    }
    if (rc == 0)
        rc = order_vertices(t, &g, order);
    if (rc == 0) {
        /* Bucket the ordered vertices by weak component (its root). */
        for (size_t v = 0; v < nv; v++)
            start[find(g.uf, v) + 1]++;
        for (size_t r = 0; r < nv; r++)
            start[r + 1] += start[r];
        size_t *fill = calloc(nv + 1, sizeof *fill);
        if (!fill)
            rc = rm_error_nomem(t->err);
        for (size_t i = 0; rc == 0 && i < nv; i++) {
            size_t r = find(g.uf, order[i]);
            grouped[start[r] + fill[r]++] = g.w[order[i]];
        }
        free(fill);
    }
    size_t v = 0;
    for (size_t i = 0; rc == 0 && i < after->n; i++) {
        const struct rm__wi *w = &after->v[i];
        if (!is_dep(&w->in)) {
            rc = rm__wlist_push(out, &w->in, w->file, t->err);
            continue;
        }
        size_t r = find(g.uf, v++);
        if (done[r])
            continue;
        done[r] = 1;
        rc = to_low(t, grouped + start[r], start[r + 1] - start[r], before, out);
    }
    free(order);
    free(start);
    free(grouped);
    free(done);
    rm__strset_free(&vertex);
    graph_free(&g);
    return rc;
}
