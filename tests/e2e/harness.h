/*
 * harness.h - end-to-end test harness: a node root of its own per test, its
 * boot file, the relman program run against it as a user would run it
 * (stdout, stderr and exit status captured), and cleanup.
 *
 * Every function asserts (Criterion) on a failure of the harness itself, so
 * a test reads as the story it checks:
 *
 *     struct e2e_node n;
 *     e2e_root_new(&n, 0);
 *     e2e_boot_counter(&n);
 *     e2e_start(&n);
 *     e2e_expect(&n, 0, "0\n", "call", "z", "boom", NULL);
 *     e2e_stop(&n);
 *
 * Give the suite `.fini = e2e_cleanup` so that a test failing half-way
 * leaves no node running.
 */
#ifndef RELMAN_E2E_HARNESS_H
#define RELMAN_E2E_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

/* The counter's module z, version "0" and version "1", as built. */
#define E2E_COUNTER_V0 RELMAN_BINARY_DIR "/examples/counter/lib/counter-1/z.so"
#define E2E_COUNTER_V1 RELMAN_BINARY_DIR "/examples/counter/lib/counter-2/z.so"

/* One test's node: its root directory. */
struct e2e_node {
    char root[4096];
    int started; /* e2e_start succeeded and no e2e_stop yet */
};

/* What one run of relman did. */
struct e2e_out {
    int status; /* exit status, or 128 + signal */
    char *out;  /* all of stdout, NUL-terminated */
    char *err;  /* all of stderr, NUL-terminated */
};

/* Creates an empty root in a new temporary directory. With `depth` > 0 the
   root is nested that many 50-character directories deep (long paths). */
void e2e_root_new(struct e2e_node *n, int depth);

/* Writes `text` to ROOT/`rel`, creating the directories on the way. */
void e2e_write(struct e2e_node *n, const char *rel, const char *text);

/* Copies the file `src` to ROOT/`rel`, creating the directories. */
void e2e_copy(struct e2e_node *n, const char *src, const char *rel);

/* Reads ROOT/`rel` into a new string (free it), or NULL when missing. */
char *e2e_read(struct e2e_node *n, const char *rel);

/* Writes the seed's boot file: ROOT/lib/counter-1/z.so (version "0") and
   one permanent process 'z' of module z. */
void e2e_boot_counter(struct e2e_node *n);

/*
 * Runs relman with the NULL-terminated `argv` (the command and its
 * arguments) followed by --root ROOT (unless `n` is NULL), in directory
 * `cwd` (NULL: the test's), with RELMAN_ROOT unset. Fills *o (release with
 * e2e_out_free) and returns the exit status.
 */
int e2e_runv(struct e2e_node *n, const char *cwd, struct e2e_out *o, const char *const *argv);

/* e2e_runv with the arguments listed and ended by NULL. */
int e2e_run(struct e2e_node *n, struct e2e_out *o, const char *arg, ...) __attribute__((sentinel));

/* Runs a command and asserts its exit status and, when `out` is not NULL,
   its whole stdout. */
void e2e_expect(struct e2e_node *n, int status, const char *out, const char *arg, ...)
    __attribute__((sentinel));

/*
 * Starts relman with the arguments (ended by NULL) and --root ROOT in the
 * background, its stdout and stderr going to ROOT/`out_rel` (for a node in
 * the foreground). Returns its pid; reap it with e2e_wait_exit().
 */
pid_t e2e_spawn(struct e2e_node *n, const char *out_rel, const char *arg, ...)
    __attribute__((sentinel));

/* Waits up to timeout_ms for the child `pid` to exit and returns its exit
   status (128 + signal when killed); asserts on timeout. */
int e2e_wait_exit(pid_t pid, int timeout_ms);

/* The parent of process `pid` (a node's watchdog), or 0. */
pid_t e2e_parent_of(pid_t pid);

/* Frees what *o holds. */
void e2e_out_free(struct e2e_out *o);

/* `relman node start --detach`; asserts it succeeded. */
void e2e_start(struct e2e_node *n);

/* The node's pid from ROOT/run/node.pid, or 0 when there is none. */
pid_t e2e_node_pid(struct e2e_node *n);

/* Waits (up to timeout_ms) until ROOT/run/node.pid names a live process
   other than `not`, and returns it; asserts on timeout. */
pid_t e2e_wait_node(struct e2e_node *n, pid_t not, int timeout_ms);

/* Stops the node if it was started (`relman node stop`, asserted) and
   removes the root, with the directories e2e_root_new made above it. */
void e2e_stop(struct e2e_node *n);

/* For a suite's .fini: stops every node this test started and did not stop
   (killing it if `node stop` fails, e.g. after a failed assertion) and
   removes their roots. */
void e2e_cleanup(void);

#endif
