/* Crash points: every durable operation of the store (unpack, remove,
   set-unpacked, make permanent, install) is killed with SIGKILL at each step
   boundary, through RELMAN_CRASH_AT. After each kill the store must read
   back, the next command that takes the store's lock must leave exactly
   the state before or after the operation, and running the operation again
   must end in the state after it: nothing left over, no release file lost. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "relman/store.h"
#include "test-releases-util.h"

static char *area;

static void setup(void)
{
    area = test_tmpdir();
    unsetenv("RELMAN_ROOT");
    unsetenv("RELMAN_CRASH_AT");
}

static void teardown(void)
{
    rm_tree(area);
    free(area);
}

/* Writes to `path` release `vsn` of the applications `apps` ("name-vsn"
   each, NULL-terminated), each with one module; an application's files do
   not depend on the release, so that releases can share lib/ directories. */
static void archive(const char *path, const char *vsn, const char *const *apps)
{
    struct tb b;
    tb_init(&b, vsn);
    char spec[1024], name[256], text[256];
    int used = snprintf(spec, sizeof spec, "release: crash\nversion: \"%s\"\napplications:\n", vsn);
    for (size_t i = 0; apps[i]; i++) {
        char app[64];
        snprintf(app, sizeof app, "%s", apps[i]);
        char *dash = strchr(app, '-');
        *dash = '\0';
        used += snprintf(spec + used, sizeof spec - (size_t)used,
                         "  - name: %s\n    version: \"%s\"\n", app, dash + 1);
        snprintf(name, sizeof name, "lib/%s/%s.app.yaml", apps[i], app);
        snprintf(text, sizeof text, "application: %s\nversion: \"%s\"\nmodules:\n  - name: m\n",
                 app, dash + 1);
        tb_file(&b, name, text);
        snprintf(name, sizeof name, "lib/%s/m.so", apps[i]);
        snprintf(text, sizeof text, "module m of %s\n", apps[i]);
        tb_file(&b, name, text);
    }
    snprintf(name, sizeof name, "releases/%s/release.yaml", vsn);
    tb_file(&b, name, spec);
    tb_write(&b, path);
    tb_free(&b);
}

/* A root at `area`/base: release 1 (a-1, b-1) permanent, release 2 (a-2,
   b-1) unpacked; the archive of release 3 (a-3, b-1, c-1) beside it. */
static void base(void)
{
    static const char *const r1[] = {"a-1", "b-1", NULL}, *const r2[] = {"a-2", "b-1", NULL},
                             *const r3[] = {"a-3", "b-1", "c-1", NULL};
    char path[1024];
    snprintf(path, sizeof path, "%s/r1.tar.gz", area);
    archive(path, "1", r1);
    snprintf(path, sizeof path, "%s/r2.tar.gz", area);
    archive(path, "2", r2);
    snprintf(path, sizeof path, "%s/r3.tar.gz", area);
    archive(path, "3", r3);
    cr_assert_eq(run(RELMAN_BIN " unpack %s/r1.tar.gz --root %s/base --no-sync >/dev/null && " RELMAN_BIN
                     " unpack %s/r2.tar.gz --root %s/base --no-sync >/dev/null",
                     area, area, area, area),
                 0);
}

/* An operation: runs on `root`, killed at `step` when not NULL. Returns the
   status a shell would: 137 when it was killed. */
typedef int (*op_fn)(const char *root, const char *step);

static int shell_op(const char *root, const char *step, const char *args)
{
    int status;
    char *out = run_capture(&status, "%s%s " RELMAN_BIN " %s --root %s; echo \"status=$?\"",
                            step ? "RELMAN_CRASH_AT=" : "", step ? step : "", args, root);
    char *s = strstr(out, "status=");
    cr_assert_not_null(s, "%s", out);
    int rc = atoi(s + 7);
    free(out);
    return rc;
}

static int op_unpack(const char *root, const char *step)
{
    char args[1024];
    snprintf(args, sizeof args, "unpack %s/r3.tar.gz --no-sync", area);
    return shell_op(root, step, args);
}

static int op_remove(const char *root, const char *step)
{
    return shell_op(root, step, "remove 2");
}

static int op_set_unpacked(const char *root, const char *step)
{
    return shell_op(root, step, "set-unpacked 3");
}

/* make permanent runs in the node, which calls the store library: a child
   process does what the node does, with the same crash points. */
static int op_permanent(const char *root, const char *step)
{
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        if (step)
            setenv("RELMAN_CRASH_AT", step, 1);
        struct rm_error err;
        struct rm_store *st = rm_store_open(root, RM_STORE_LOCK, &err);
        int rc = st && rm_store_set_current(st, "2", &err) == 0 &&
                         rm_store_make_permanent(st, "2", &err) == 0
                     ? 0
                     : 1;
        rm_store_close(st);
        _exit(rc);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* install as the node records it: release 1, old, installed again. */
static int op_install(const char *root, const char *step)
{
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        if (step)
            setenv("RELMAN_CRASH_AT", step, 1);
        struct rm_error err;
        struct rm_store *st = rm_store_open(root, RM_STORE_LOCK, &err);
        int rc = st && rm_store_set_installed(st, "1", &err) == 0 ? 0 : 1;
        rm_store_close(st);
        _exit(rc);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* Kills `op` at each of `steps`, on a fresh copy of the base root each
   time, and checks what is left (see the top of the file). */
static void crash_each(op_fn op, const char *const *steps, const char *prepare, op_fn prepare_op)
{
    base();
    if (prepare)
        cr_assert_eq(run(prepare, area, area), 0, "%s", prepare);
    char root[1024];
    snprintf(root, sizeof root, "%s/base", area);
    if (prepare_op)
        cr_assert_eq(prepare_op(root, NULL), 0);
    snprintf(root, sizeof root, "%s/base", area);
    char *before = tree_listing(root);
    cr_assert_eq(run("cp -a %s/base %s/ref", area, area), 0);
    snprintf(root, sizeof root, "%s/ref", area);
    cr_assert_eq(op(root, NULL), 0, "the operation fails without a crash");
    char *after = tree_listing(root);
    cr_assert_str_neq(before, after);
    snprintf(root, sizeof root, "%s/work", area);
    for (size_t i = 0; steps[i]; i++) {
        cr_assert_eq(run("rm -rf %s/work && cp -a %s/base %s/work", area, area, area), 0);
        cr_assert_eq(op(root, steps[i]), 137, "step '%s' was not reached", steps[i]);
        cr_assert_eq(run(RELMAN_BIN " releases --root %s >/dev/null", root), 0,
                     "after a crash at '%s' the store does not read back", steps[i]);
        /* Any command taking the lock settles what the crash left. */
        cr_assert_eq(run(RELMAN_BIN " remove 9 --root %s 2>/dev/null", root), 1);
        char *settled = tree_listing(root);
        cr_assert(strcmp(settled, before) == 0 || strcmp(settled, after) == 0,
                  "after a crash at '%s' the root is neither as before nor as after:\n%s\n"
                  "before:\n%s\nafter:\n%s",
                  steps[i], settled, before, after);
        free(settled);
        /* The operation run again ends as it would have. */
        int again = op(root, NULL);
        cr_assert(again == 0 || again == 1, "step '%s': run again: status %d", steps[i], again);
        char *end = tree_listing(root);
        cr_assert_str_eq(end, after, "after a crash at '%s' and a new run", steps[i]);
        free(end);
    }
    free(before);
    free(after);
}

Test(crash, unpack_killed_at_every_step, .init = setup, .fini = teardown, .timeout = 300)
{
    static const char *const steps[] = {
        "unpack-staged",   "unpack-intent", "unpack-placed:1", "unpack-placed:2",
        "unpack-placed:3", "store-write",   "store-written",   NULL};
    crash_each(op_unpack, steps, NULL, NULL);
}

Test(crash, remove_killed_at_every_step, .init = setup, .fini = teardown, .timeout = 300)
{
    static const char *const steps[] = {"remove-intent",    "store-write",      "store-written",
                                        "remove-deleted:1", "remove-deleted:2", NULL};
    crash_each(op_remove, steps, NULL, NULL);
}

Test(crash, set_unpacked_killed_at_every_step, .init = setup, .fini = teardown, .timeout = 300)
{
    static const char *const steps[] = {"store-write", "store-written", NULL};
    crash_each(op_set_unpacked, steps, "cd %s/base && bsdtar -xzf %s/r3.tar.gz", NULL);
}

Test(crash, make_permanent_killed_at_every_step, .init = setup, .fini = teardown,
     .timeout = 300)
{
    static const char *const steps[] = {"store-write", "store-written", NULL};
    crash_each(op_permanent, steps, NULL, NULL);
}

Test(crash, install_of_an_old_release_killed_at_every_step, .init = setup, .fini = teardown,
     .timeout = 300)
{
    static const char *const steps[] = {"store-write", "store-written", NULL};
    crash_each(op_install, steps, NULL, op_permanent);
}
