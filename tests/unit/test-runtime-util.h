/*
 * test-runtime-util.h - helpers shared by the runtime's test suites: a node
 * whose log lines are captured, paths of the test modules, and short ways
 * to call a process.
 */
#ifndef RELMAN_TEST_RUNTIME_UTIL_H
#define RELMAN_TEST_RUNTIME_UTIL_H

#include <stddef.h>

#include "relman/runtime.h"

/* A node with `workers` workers (0: default) whose log is captured. */
struct rm_node *rt_node(unsigned workers);

/* Whether a captured log line contains `text`. */
int rt_log_has(const char *text);

/* Waits (up to 10 s) until a captured line contains `text`; 1 or 0. */
int rt_log_wait(const char *text);

/* Frees captured lines. */
void rt_log_reset(void);

/* The path of a built module: rt_path("t-1/t.so") under the test module
   directory, rt_counter(0|1) for the example counter. Static buffers, one
   per slot (0..7). */
const char *rt_path(int slot, const char *rel);
const char *rt_counter(int slot, int vsn);

/* Loads a module, failing the test on error. */
void rt_load(struct rm_node *node, const char *path);

/* Spawns one process of module (name may be NULL), failing the test on
   error. */
rm_pid rt_spawn(struct rm_node *node, const char *module, const char *name, const char *arg,
                enum rm_restart restart);

/* Calls pid with msg (timeout 30 s); returns the reply (free() it) or fails
   the test. */
char *rt_call(struct rm_node *node, rm_pid pid, const char *msg);

/* Calls and compares the reply with `expect`. */
void rt_expect(struct rm_node *node, rm_pid pid, const char *msg, const char *expect);

/* The version of the code pid runs, from rm_proc_list. */
const char *rt_version(struct rm_node *node, rm_pid pid, char buf[64]);

/* Waits (up to 10 s) until name resolves to a pid other than `not`;
   returns it, or 0. */
rm_pid rt_wait_name(struct rm_node *node, const char *name, rm_pid not );

#endif
