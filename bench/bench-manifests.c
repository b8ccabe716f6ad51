/*
 * bench-manifests.c - the manifests section: a generated appup of 10,000
 * instructions over 2,000 modules is loaded, validated and translated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "relman/plan.h"

enum { MODULES = 2000, ENTRIES = 5 };

/* Appends to a growing buffer; exits the section on allocation failure. */
struct sbuf {
    char *p;
    size_t len, cap;
};

static int sbuf_add(struct sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1 << 20;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
    return 0;
}

/*
 * ENTRIES up entries (from "0" .. "4"), each updating every one of the
 * MODULES modules once: every tenth an advanced update with an extra, and
 * each module depending on the one before it inside a chain of ten, so the
 * translation has real dependency groups to order.
 */
static char *generate_appup(size_t *len)
{
    struct sbuf b = {0};
    char line[160];
    if (sbuf_add(&b, "application: big\nversion: \"9\"\nup:\n") < 0)
        goto fail;
    for (int e = 0; e < ENTRIES; e++) {
        snprintf(line, sizeof line, "  - from: \"%d\"\n    instructions:\n", e);
        if (sbuf_add(&b, line) < 0)
            goto fail;
        for (int m = 0; m < MODULES; m++) {
            if (m % 10 == 0)
                snprintf(line, sizeof line,
                         "      - update: {module: m%d, change: advanced, extra: \"e%d\"}\n", m, e);
            else
                snprintf(line, sizeof line, "      - update: {module: m%d, deps: [m%d]}\n", m,
                         m - 1);
            if (sbuf_add(&b, line) < 0)
                goto fail;
        }
    }
    if (sbuf_add(&b, "down: []\n") < 0)
        goto fail;
    *len = b.len;
    return b.p;
fail:
    free(b.p);
    return NULL;
}

/* One load + validate + translation of every entry; seconds or -1. */
static double run_once(const char *text, size_t len, size_t *instrs)
{
    struct rm_error err;
    struct rm_appup doc;
    double t0 = bench_now();
    if (rm_appup_parse("big.appup.yaml", text, len, &doc, &err) < 0) {
        fprintf(stderr, "bench manifests: %s\n", err.msg);
        return -1;
    }
    *instrs = 0;
    for (int e = 0; e < ENTRIES; e++) {
        char from[8];
        snprintf(from, sizeof from, "%d", e);
        struct rm_plan plan;
        if (rm_plan_appup(&doc, RM_UP, from, NULL, NULL, &plan, &err) < 0) {
            fprintf(stderr, "bench manifests: %s\n", err.msg);
            rm_appup_free(&doc);
            return -1;
        }
        *instrs += plan.n;
        rm_plan_free(&plan);
    }
    double t = bench_now() - t0;
    rm_appup_free(&doc);
    return t;
}

int bench_manifests(struct bench_out *out)
{
    size_t len;
    char *text = generate_appup(&len);
    if (!text) {
        fprintf(stderr, "bench manifests: out of memory\n");
        return -1;
    }
    int rounds = out->quick ? 2 : 7;
    double times[7];
    size_t instrs = 0;
    for (int r = 0; r < rounds; r++) {
        times[r] = run_once(text, len, &instrs);
        if (times[r] < 0) {
            free(text);
            return -1;
        }
    }
    free(text);
    double median = bench_percentile(times, (size_t)rounds, 50);
    bench_report(out, "10,000-instruction appup over 2,000 modules: load, validate, translate",
                 median * 1e3, "ms", BENCH_AT_MOST, 100);
    bench_note(out,
               "%d up entries of %d updates each (%zu KiB of YAML), one advanced update in ten, "
               "the others in dependency chains; %zu low-level instructions out; median of %d "
               "runs.",
               ENTRIES, MODULES, len / 1024, instrs, rounds);
    return 0;
}
