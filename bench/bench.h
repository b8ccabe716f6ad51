/*
 * bench.h - the relman-bench harness: sections, figures and targets.
 *
 * A section is one function that measures something and reports each
 * figure with bench_report(); the harness prints the figures as they come
 * and writes them, with a description of the machine, into BENCHMARKS.md.
 * To add a section: write bench/bench-<x>.c defining
 *     int bench_<x>(struct bench_out *out);
 * (0 on success, -1 after printing why on stderr), declare it below and
 * add one line to the table in bench.c.
 */
#ifndef RELMAN_BENCH_H
#define RELMAN_BENCH_H

#include <stddef.h>

/* How a figure compares with its target. */
enum bench_cmp {
    BENCH_NO_TARGET = 0,
    BENCH_AT_MOST = 1, /* met when value <= target (times, bytes) */
    BENCH_AT_LEAST = 2 /* met when value >= target (rates) */
};

struct bench_fig;
struct bench_line;

/* What a section writes into; also tells it how long to run. */
struct bench_out {
    int quick; /* nonzero: a short smoke run (fewer sizes, fewer rounds) */
    const char *section;
    struct bench_fig *figs;
    size_t nfigs, capfigs;
    struct bench_line *notes; /* free text lines, each under its section */
    size_t nnotes, capnotes;
};

/* One section of the table in bench.c. */
struct bench_section {
    const char *name;  /* for the command line filter, such as "runtime" */
    const char *title; /* heading in BENCHMARKS.md */
    int (*run)(struct bench_out *out);
};

/*
 * Reports one figure of the running section: its name ("call round trip,
 * median"), its value and unit ("us"), and a target compared with `cmp`
 * (target ignored with BENCH_NO_TARGET). Prints it at once.
 */
void bench_report(struct bench_out *out, const char *name, double value, const char *unit,
                  enum bench_cmp cmp, double target);

/* Adds a line of explanation under the running section (printf style). */
void bench_note(struct bench_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Monotonic time in seconds. */
double bench_now(void);

/* The p-th percentile (0..100) of v[0..n-1]; sorts v. */
double bench_percentile(double *v, size_t n, double p);

/* The sections (bench-<name>.c each). */
int bench_runtime(struct bench_out *out);
/* TCP echo through connection processes against plain epoll; accepted
   connections per second; CPU of an idle node holding idle connections. */
int bench_io(struct bench_out *out);
int bench_manifests(struct bench_out *out);
int bench_unpack(struct bench_out *out);
int bench_install(struct bench_out *out);
/* Many install cycles on one node: memory, mappings and descriptors at
   start and end (relman-bench soak). */
int bench_soak(struct bench_out *out);

#endif
