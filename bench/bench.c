/*
 * bench.c - relman-bench: runs the benchmark sections, prints their figures
 * and writes BENCHMARKS.md at the repository root.
 *
 *     relman-bench [--quick] [--output FILE] [SECTION...]
 *
 * --quick is a short smoke run; it writes no file unless --output is given.
 * Naming sections runs only those (and then also writes only with --output),
 * so that a partial run never replaces the committed figures.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* The sections, in the order they run (declared in bench.h). */

static const struct bench_section sections[] = {
    {"runtime", "Node runtime", bench_runtime},
    {"io", "Descriptors as messages: TCP echo against plain epoll", bench_io},
    {"manifests", "Manifests: load, validate, translate", bench_manifests},
    {"unpack", "Release unpack against bsdtar", bench_unpack},
    {"install", "relman install of the counter (release handler)", bench_install},
    {"soak", "Soak: install cycles on one node", bench_soak},
};

struct bench_fig {
    const char *section;
    char name[128];
    double value;
    char unit[16];
    enum bench_cmp cmp;
    double target;
};

struct bench_line {
    const char *section;
    char *text;
};

static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return v;
    *cap = *cap ? *cap * 2 : 32;
    v = realloc(v, *cap * size);
    if (!v) {
        fprintf(stderr, "relman-bench: out of memory\n");
        exit(1);
    }
    return v;
}

static const char *verdict(const struct bench_fig *f)
{
    if (f->cmp == BENCH_NO_TARGET)
        return "";
    int met = f->cmp == BENCH_AT_MOST ? f->value <= f->target : f->value >= f->target;
    return met ? "met" : "NOT met";
}

static void fmt_value(double v, char *buf, size_t size)
{
    if (v >= 1000000)
        snprintf(buf, size, "%.0f", v);
    else if (v >= 100)
        snprintf(buf, size, "%.1f", v);
    else
        snprintf(buf, size, "%.3g", v);
}

void bench_report(struct bench_out *out, const char *name, double value, const char *unit,
                  enum bench_cmp cmp, double target)
{
    out->figs = grow(out->figs, &out->capfigs, out->nfigs, sizeof *out->figs);
    struct bench_fig *f = &out->figs[out->nfigs++];
    f->section = out->section;
    snprintf(f->name, sizeof f->name, "%s", name);
    f->value = value;
    snprintf(f->unit, sizeof f->unit, "%s", unit);
    f->cmp = cmp;
    f->target = target;
    char v[32], t[128] = "";
    fmt_value(value, v, sizeof v);
    if (cmp != BENCH_NO_TARGET) {
        char tv[32];
        fmt_value(target, tv, sizeof tv);
        snprintf(t, sizeof t, "  (target %s %s %s: %s)", cmp == BENCH_AT_MOST ? "<=" : ">=", tv,
                 unit, verdict(f));
    }
    printf("  %-52s %12s %-6s%s\n", name, v, unit, t);
    fflush(stdout);
}

void bench_note(struct bench_out *out, const char *fmt, ...)
{
    out->notes = grow(out->notes, &out->capnotes, out->nnotes, sizeof *out->notes);
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    out->notes[out->nnotes].section = out->section;
    out->notes[out->nnotes++].text = strdup(buf);
    printf("  note: %s\n", buf);
}

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_percentile(double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static void cpu_model(char *buf, size_t size)
{
    snprintf(buf, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *c = strchr(line, ':');
        if (c && strncmp(line, "model name", 10) == 0) {
            c++;
            while (*c == ' ')
                c++;
            c[strcspn(c, "\n")] = '\0';
            snprintf(buf, size, "%s", c);
            break;
        }
    }
    fclose(f);
}

static int write_md(const char *path, const struct bench_out *out, int quick)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        perror(tmp);
        return -1;
    }
    char cpu[256], date[64];
    cpu_model(cpu, sizeof cpu);
    struct utsname u;
    uname(&u);
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    fprintf(f, "# relman benchmarks\n\n");
    fprintf(f,
            "Written by `relman-bench`%s on %s. Run it again with `build/bench/relman-bench` "
            "after a RelWithDebInfo build; `--quick` is a short smoke run.\n\n",
            quick ? " --quick" : "", date);
    fprintf(f, "## Machine\n\n");
    fprintf(f, "| | |\n|---|---|\n");
    fprintf(f, "| CPU | %s |\n| cores online | %ld |\n| kernel | %s %s (%s) |\n", cpu,
            sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, u.machine);
#ifdef __clang__
    fprintf(f, "| compiler | clang %s |\n", __clang_version__);
#else
    fprintf(f, "| compiler | GCC %s |\n", __VERSION__);
#endif
#ifdef NDEBUG
    fprintf(f, "| build | optimised, NDEBUG |\n\n");
#else
    fprintf(f, "| build | optimised (RelWithDebInfo) |\n\n");
#endif
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
        int any = 0;
        for (size_t i = 0; i < out->nfigs; i++)
            any |= out->figs[i].section == sections[s].name;
        if (!any)
            continue;
        fprintf(f, "## %s\n\n| figure | value | unit | target | |\n|---|---:|---|---|---|\n",
                sections[s].title);
        for (size_t i = 0; i < out->nfigs; i++) {
            const struct bench_fig *g = &out->figs[i];
            if (g->section != sections[s].name)
                continue;
            char v[32], t[64] = "";
            fmt_value(g->value, v, sizeof v);
            if (g->cmp != BENCH_NO_TARGET) {
                char tv[32];
                fmt_value(g->target, tv, sizeof tv);
                snprintf(t, sizeof t, "%s %s", g->cmp == BENCH_AT_MOST ? "<=" : ">=", tv);
            }
            fprintf(f, "| %s | %s | %s | %s | %s |\n", g->name, v, g->unit, t, verdict(g));
        }
        fprintf(f, "\n");
        for (size_t i = 0; i < out->nnotes; i++)
            if (out->notes[i].section == sections[s].name)
                fprintf(f, "- %s\n", out->notes[i].text);
        fprintf(f, "\n");
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        perror(path);
        return -1;
    }
    printf("wrote %s\n", path);
    return 0;
}

static void usage(FILE *to)
{
    fprintf(to, "usage: relman-bench [--quick] [--output FILE] [SECTION...]\nsections:");
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++)
        fprintf(to, " %s", sections[s].name);
    fprintf(to, "\n");
}

int main(int argc, char **argv)
{
    struct bench_out out = {0};
    const char *output = NULL;
    char **only = calloc((size_t)argc + 1, sizeof *only);
    size_t nonly = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            out.quick = 1;
        } else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc) {
            output = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-') {
            usage(stderr);
            return 2;
        } else {
            size_t s = 0;
            while (s < sizeof sections / sizeof sections[0] && strcmp(sections[s].name, argv[i]))
                s++;
            if (s == sizeof sections / sizeof sections[0]) {
                fprintf(stderr, "relman-bench: unknown section '%s'\n", argv[i]);
                usage(stderr);
                return 2;
            }
            only[nonly++] = argv[i];
        }
    }
    int failed = 0;
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
        int wanted = nonly == 0;
        for (size_t i = 0; i < nonly; i++)
            wanted |= strcmp(only[i], sections[s].name) == 0;
        if (!wanted)
            continue;
        printf("%s\n", sections[s].title);
        out.section = sections[s].name;
        if (sections[s].run(&out) < 0) {
            fprintf(stderr, "relman-bench: section '%s' failed\n", sections[s].name);
            failed = 1;
        }
    }
    free(only);
    if (!output && !out.quick && nonly == 0)
        output = RELMAN_SOURCE_DIR "/BENCHMARKS.md";
    if (output && write_md(output, &out, out.quick) < 0)
        failed = 1;
    return failed;
}
