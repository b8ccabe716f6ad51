/*
 * test-release.h - what the release handler's end-to-end tests add to the
 * node harness (e2e/harness.h): roots holding releases written by hand or
 * unpacked from the counter's archives, and short forms of the checks every
 * scenario makes (a call's answer, a release's state, an error message).
 *
 * The tests keep their struct e2e_node in static storage: the harness
 * remembers its address for the suite's .fini (e2e_cleanup), which runs
 * after the test's stack is gone when an assertion fails half-way.
 */
#ifndef RELMAN_TEST_RELEASE_H
#define RELMAN_TEST_RELEASE_H

#include "e2e/harness.h"

/* The counter's release archives, as the build packs them. */
#define RH_COUNTER_1 RH_COUNTER_DIR "/counter-1.tar.gz"
#define RH_COUNTER_2 RH_COUNTER_DIR "/counter-2.tar.gz"

/* Writes ROOT/`rel` from a printf format. */
void rh_file(struct e2e_node *n, const char *rel, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies the built test module `mod` at version `modvsn` (RH_MODDIR) to
   ROOT/lib/<app>-<appvsn>/<mod>.so. */
void rh_module(struct e2e_node *n, const char *app, const char *appvsn, const char *mod,
               const char *modvsn);

/* Writes ROOT/lib/<name>-<vsn>/<name>.app.yaml for application `name`
   `vsn` whose modules (and one process each, named p<module>) are `mods`
   ("a b c") at version `modvsn`, copying the built modules there; `more`
   (when not NULL) is appended to the manifest (config: ..., say). */
void rh_app(struct e2e_node *n, const char *name, const char *vsn, const char *mods,
            const char *modvsn, const char *more);

/* Writes ROOT/lib/<name>-<vsn>/<name>.appup.yaml with the `up:`/`down:`
   entries `entries`. */
void rh_appup(struct e2e_node *n, const char *name, const char *vsn, const char *entries);

/* Writes ROOT/releases/<vsn>/release.yaml for release `name` with the
   applications given as "app vsn [start]" strings, NULL-terminated, and
   records it (`relman set-unpacked`: the first one becomes permanent). */
void rh_release(struct e2e_node *n, const char *name, const char *vsn, ...)
    __attribute__((sentinel));

/* A root initialised from the counter's release 1 and started. */
void rh_counter_node(struct e2e_node *n);

/* The pid of process `name` in `relman status` ("NAME <PID> ..."), 0 when
   it is not listed. */
unsigned long long rh_status_pid(struct e2e_node *n, const char *name);

/* `relman call PROC MSG` must succeed; returns its answer (free it). */
char *rh_call(struct e2e_node *n, const char *proc, const char *msg);

/* Asserts that `relman call PROC MSG` answers `want` (newline added). */
void rh_call_is(struct e2e_node *n, const char *proc, const char *msg, const char *want);

/* The state of release `vsn` as `relman releases --json` shows it, in a
   static buffer ("" when the release is not listed). */
const char *rh_state(struct e2e_node *n, const char *vsn);

/* Runs relman with the NULL-terminated arguments and asserts its exit
   status and that stderr contains `msg` (when not NULL). */
void rh_fails(struct e2e_node *n, int status, const char *msg, const char *arg, ...)
    __attribute__((sentinel));

/* Runs relman and asserts exit status 0; returns its stdout (free it). */
char *rh_ok(struct e2e_node *n, const char *arg, ...) __attribute__((sentinel));

/* Stops the node and asserts that its log holds no sanitizer report (the
   node's own memory errors and leaks, in the ASan build), then removes the
   root (e2e_stop). */
void rh_stop(struct e2e_node *n);

/* Kills the node with SIGKILL and waits for the watchdog's new one. */
void rh_kill_node(struct e2e_node *n);

/* A client sending `count` calls `msg` to `proc` in order on one
   connection of its own, from a thread, recording each numeric answer. */
struct rh_caller {
    const char *root, *proc, *msg;
    int count;
    int pause_us;      /* pause between two calls */
    long *answers;     /* answers[0..count) (allocated by start) */
    char **texts;      /* the answers as text (allocated by start) */
    volatile int done; /* answers received so far */
    char error[1100];  /* why it stopped early, "" when it did not */
    unsigned long thread;
};

/* Starts the caller's thread. */
void rh_caller_start(struct rh_caller *c);

/* Waits for the caller's thread and asserts it met no error. */
void rh_caller_join(struct rh_caller *c);

/* Frees what the caller recorded. */
void rh_caller_free(struct rh_caller *c);

#endif
