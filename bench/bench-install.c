/*
 * bench-install.c - `relman install` of the counter from release 1 to 2
 * (and back) with 1 to 100,000 processes of z: the release handler's plan
 * executor (relman/handler.h) run in-process against a runtime node, on a
 * root holding the counter's two releases as the build packs them. The
 * figures are the pause (first suspend to last resume) and the whole
 * install: plan execution from load_object_code to commit, without the
 * control socket's round trip.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "relman/fsutil.h"
#include "relman/handler.h"

#define COUNTER_SRC RELMAN_SOURCE_DIR "/examples/counter"
#define COUNTER_BIN RELMAN_BINARY_DIR "/examples/counter"

static int fail(const char *what, const struct rm_error *err)
{
    fprintf(stderr, "relman-bench: install: %s: %s\n", what, err->msg);
    return -1;
}

static void quiet(void *ud, int level, const char *line) {}

/* Copies `src` to ROOT/`rel`. */
static int put(const char *root, const char *src, const char *rel, struct rm_error *err)
{
    char dst[8192], dir[8192];
    char *data;
    size_t len;
    snprintf(dst, sizeof dst, "%s/%s", root, rel);
    snprintf(dir, sizeof dir, "%s", dst);
    *strrchr(dir, '/') = '\0';
    if (rm_fs_mkdirs(dir, 0755, err) < 0 || rm_fs_read_file(src, 1u << 28, &data, &len, err) < 0)
        return -1;
    int rc = rm_fs_write_atomic(dst, data, len, 0755, err);
    free(data);
    return rc;
}

/* A root with the counter's releases 1 and 2 laid out as unpack leaves them. */
static int make_root(char *root, size_t size, struct rm_error *err)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(root, size, "%s/relman-bench-install-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root))
        return rm_error_set(err, RM_EIO, "mkdtemp failed");
    static const char *const files[][2] = {
        {COUNTER_SRC "/rel-1/release.yaml", "releases/1/release.yaml"},
        {COUNTER_SRC "/rel-2/release.yaml", "releases/2/release.yaml"},
        {COUNTER_SRC "/lib/counter-1/counter.app.yaml", "lib/counter-1/counter.app.yaml"},
        {COUNTER_SRC "/lib/counter-2/counter.app.yaml", "lib/counter-2/counter.app.yaml"},
        {COUNTER_SRC "/lib/counter-2/counter.appup.yaml", "lib/counter-2/counter.appup.yaml"},
        {COUNTER_BIN "/lib/counter-1/z.so", "lib/counter-1/z.so"},
        {COUNTER_BIN "/lib/counter-2/z.so", "lib/counter-2/z.so"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (put(root, files[i][0], files[i][1], err) < 0)
            return -1;
    return 0;
}

/* A root with the counter's releases 1 and 2, both loaded; -1 after
   printing why (nothing left behind). */
static int root_with_releases(char *root, size_t size, struct rm_handler_rel *r1,
                              struct rm_handler_rel *r2)
{
    struct rm_error err = {0};
    if (make_root(root, size, &err) < 0 || rm_handler_rel_load(root, "1", r1, &err) < 0 ||
        rm_handler_rel_load(root, "2", r2, &err) < 0) {
        rm_handler_rel_free(r1);
        rm_fs_remove_tree(root, NULL);
        return fail("root with releases 1 and 2", &err);
    }
    return 0;
}

/* One install from `from` to `to` with the executor; pause and total in ms. */
static int install(struct rm_node *node, const char *root, const struct rm_handler_rel *from,
                   const struct rm_handler_rel *to, double *pause, double *total,
                   struct rm_error *err)
{
    char lib[4096];
    struct rm_plan plan;
    snprintf(lib, sizeof lib, "%s/lib", root);
    double t0 = bench_now();
    if (rm_plan_releases(&from->rel, lib, &to->rel, lib, &plan, err) < 0)
        return -1;
    struct rm_handler_exec_env env = {
        .node = node, .root = root, .from = from, .to = to, .timeout_ms = -1};
    struct rm_report rep = {0};
    enum rm_handler_fail f;
    int rc = rm_handler_exec_plan(&env, &plan, &rep, &f, err);
    *total = (bench_now() - t0) * 1e3;
    *pause = (double)rep.pause_ns / 1e6;
    rm_report_free(&rep);
    rm_plan_free(&plan);
    return rc;
}

static int run_size(const char *root, const struct rm_handler_rel *r1,
                    const struct rm_handler_rel *r2, size_t n, int rounds, struct bench_out *out)
{
    struct rm_error err = {0};
    struct rm_node_opts o = {.log = quiet};
    struct rm_node *node = rm_node_new(&o, &err);
    char z0[4200];
    snprintf(z0, sizeof z0, "%s/lib/counter-1/z.so", root);
    rm_pid *pids = malloc(n * sizeof *pids);
    struct rm_spawn_opts so = {.module = "z"};
    if (!node || !pids || rm_module_load(node, z0, "z", "0", NULL, &err) < 0 ||
        rm_proc_spawn_many(node, &so, n, pids, &err) < 0) {
        free(pids);
        rm_node_free(node);
        return fail("node with z 0", &err);
    }
    double up_pause[16], up_total[16], down_pause[16], down_total[16];
    int rc = 0;
    for (int i = 0; rc == 0 && i < rounds; i++) {
        if (install(node, root, r1, r2, &up_pause[i], &up_total[i], &err) < 0)
            rc = fail("install 2", &err);
        else if (install(node, root, r2, r1, &down_pause[i], &down_total[i], &err) < 0)
            rc = fail("install 1 (downgrade)", &err);
    }
    if (rc == 0) {
        char name[128];
        int big = n == 100000;
        snprintf(name, sizeof name, "install 1 -> 2, %zu processes: pause (median)", n);
        bench_report(out, name, bench_percentile(up_pause, (size_t)rounds, 50), "ms",
                     big ? BENCH_AT_MOST : BENCH_NO_TARGET, 10);
        snprintf(name, sizeof name, "install 1 -> 2, %zu processes: whole install (median)", n);
        bench_report(out, name, bench_percentile(up_total, (size_t)rounds, 50), "ms",
                     BENCH_NO_TARGET, 0);
        snprintf(name, sizeof name, "install 2 -> 1, %zu processes: pause (median)", n);
        bench_report(out, name, bench_percentile(down_pause, (size_t)rounds, 50), "ms",
                     BENCH_NO_TARGET, 0);
        snprintf(name, sizeof name, "install 2 -> 1, %zu processes: whole install (median)", n);
        bench_report(out, name, bench_percentile(down_total, (size_t)rounds, 50), "ms",
                     BENCH_NO_TARGET, 0);
    }
    rm_node_free(node);
    free(pids);
    return rc;
}

int bench_install(struct bench_out *out)
{
    char root[1024];
    struct rm_handler_rel r1 = {0}, r2 = {0};
    if (root_with_releases(root, sizeof root, &r1, &r2) < 0)
        return -1;
    static const size_t sizes[] = {1, 1000, 10000, 100000};
    size_t nsizes = out->quick ? 2 : 4;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nsizes; i++)
        rc = run_size(root, &r1, &r2, sizes[i], out->quick ? 3 : 5, out);
    if (rc == 0)
        bench_note(out, "The plan of the counter's appup (update z advanced: suspend, load, "
                        "code_change, resume, commit) run by the release handler's executor, "
                        "in-process; the pause is the runtime transaction's first suspend to last "
                        "resume. Each size alternates up and down installs on one node.");
    rm_handler_rel_free(&r1);
    rm_handler_rel_free(&r2);
    rm_fs_remove_tree(root, NULL);
    return rc;
}

/* ---- soak: many install cycles on one node ----------------------------- */

/* What the process holds now: resident memory (KiB), mappings, descriptors. */
struct holdings {
    long rss_kib, maps, fds;
};

static long count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long n = 0;
    for (int c; (c = getc(f)) != EOF;)
        n += c == '\n';
    fclose(f);
    return n;
}

static void holdings(struct holdings *h)
{
    h->rss_kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            h->rss_kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    h->maps = count_lines("/proc/self/maps");
    h->fds = 0;
    DIR *d = opendir("/proc/self/fd");
    for (struct dirent *e; d && (e = readdir(d));)
        h->fds += e->d_name[0] != '.';
    if (d)
        closedir(d);
}

int bench_soak(struct bench_out *out)
{
    struct rm_error err = {0};
    char root[1024];
    struct rm_handler_rel r1 = {0}, r2 = {0};
    if (root_with_releases(root, sizeof root, &r1, &r2) < 0)
        return -1;
    struct rm_node_opts o = {.log = quiet};
    struct rm_node *node = rm_node_new(&o, &err);
    char z0[4200];
    snprintf(z0, sizeof z0, "%s/lib/counter-1/z.so", root);
    enum { PROCS = 1000, WARMUP = 20 };
    int cycles = out->quick ? 100 : 10000;
    rm_pid *pids = malloc(PROCS * sizeof *pids);
    struct rm_spawn_opts so = {.module = "z"};
    int rc = 0;
    if (!node || !pids || rm_module_load(node, z0, "z", "0", NULL, &err) < 0 ||
        rm_proc_spawn_many(node, &so, PROCS, pids, &err) < 0)
        rc = fail("node with z 0", &err);
    struct holdings start = {0}, end = {0};
    double pause, total, t0 = bench_now();
    int failed = 0;
    for (int i = 0; rc == 0 && i < WARMUP + cycles; i++) {
        if (i == WARMUP)
            holdings(&start), t0 = bench_now();
        if (install(node, root, &r1, &r2, &pause, &total, &err) < 0 ||
            install(node, root, &r2, &r1, &pause, &total, &err) < 0)
            failed++;
    }
    if (rc == 0) {
        double secs = bench_now() - t0;
        holdings(&end);
        char name[128];
        snprintf(name, sizeof name, "install cycles (up and down, %d processes)", PROCS);
        bench_report(out, name, cycles, "cycles", BENCH_NO_TARGET, 0);
        bench_report(out, "failed installs", failed, "", BENCH_AT_MOST, 0);
        bench_report(out, "resident memory at start", (double)start.rss_kib, "KiB", BENCH_NO_TARGET,
                     0);
        bench_report(out, "resident memory at end", (double)end.rss_kib, "KiB", BENCH_NO_TARGET, 0);
        bench_report(out, "mappings at start", (double)start.maps, "", BENCH_NO_TARGET, 0);
        bench_report(out, "mappings at end", (double)end.maps, "", BENCH_AT_MOST,
                     (double)start.maps);
        bench_report(out, "descriptors at start", (double)start.fds, "", BENCH_NO_TARGET, 0);
        bench_report(out, "descriptors at end", (double)end.fds, "", BENCH_AT_MOST,
                     (double)start.fds);
        bench_note(out,
                   "%d cycles of install 1 -> 2 and 2 -> 1 (the counter's appup, through the "
                   "release handler's executor) on one node of %d processes, after %d warm-up "
                   "cycles, in %.1f s; memory, mappings and descriptors of the whole process at "
                   "the start and the end: a leak of code, state or descriptors grows them.",
                   cycles, PROCS, WARMUP, secs);
    }
    rm_node_free(node);
    free(pids);
    rm_handler_rel_free(&r1);
    rm_handler_rel_free(&r2);
    rm_fs_remove_tree(root, NULL);
    return rc;
}
