/*
 * Failed installs are rolled back in place: a missing module file, a
 * code_change failing in one process out of 1,000, a process that does not
 * suspend in time, and old code in the way (soft against brutal pre-purge).
 * Each time the node keeps serving the old release with nothing lost.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e/test-release.h"

TestSuite(release_rollback, .fini = e2e_cleanup, .timeout = 180);

/* Application `app` at `vsn` with module `mod` at `modvsn` and the
   processes listed in `procs` (YAML list items, or "" for none). */
static void app(struct e2e_node *n, const char *name, const char *vsn, const char *mod,
                const char *modvsn, const char *procs)
{
    char rel[256];
    snprintf(rel, sizeof rel, "lib/%s-%s/%s.app.yaml", name, vsn, name);
    rh_file(n, rel,
            "application: %s\nversion: \"%s\"\nmodules:\n  - name: %s\n    version: \"%s\"\n"
            "%s%s",
            name, vsn, mod, modvsn, procs[0] ? "processes:\n" : "", procs);
    snprintf(rel, sizeof rel, "lib/%s-%s/%s.so", name, vsn, mod);
    if (strcmp(mod, "z") == 0 && strcmp(modvsn, "0") == 0)
        e2e_copy(n, E2E_COUNTER_V0, rel);
    else
        rh_module(n, name, vsn, mod, modvsn);
}

/* The appup of `name` `vsn`: up from `from` with the given instructions. */
static void appup(struct e2e_node *n, const char *name, const char *vsn, const char *from,
                  const char *instructions)
{
    char rel[256];
    snprintf(rel, sizeof rel, "lib/%s-%s/%s.appup.yaml", name, vsn, name);
    rh_file(n, rel,
            "application: %s\nversion: \"%s\"\nup:\n  - from: \"%s\"\n    instructions:\n%s", name,
            vsn, from, instructions);
}

static void release(struct e2e_node *n, const char *vsn, const char *name, const char *appvsn)
{
    char a[128];
    snprintf(a, sizeof a, "%s %s", name, appvsn);
    rh_release(n, "rel", vsn, a, NULL);
}

Test(release_rollback, missing_module_file_fails_before_any_process_is_touched)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    app(&n, "counter", "1", "z", "0", "  - {name: z, module: z}\n");
    release(&n, "1", "counter", "1");
    app(&n, "counter", "2", "z", "2", "  - {name: z, module: z}\n");
    appup(&n, "counter", "2", "1", "      - update: {module: z, change: advanced}\n");
    release(&n, "2", "counter", "2");
    char path[4200];
    snprintf(path, sizeof path, "%s/lib/counter-2/z.so", n.root);
    cr_assert_eq(unlink(path), 0);
    e2e_start(&n);
    rh_call_is(&n, "z", "boom", "0");
    rh_fails(&n, 1, "lib/counter-2/z.so' is missing", "check", "2", NULL);
    rh_fails(&n, 1, "step 1 'load_object_code counter-2 [z]'", "install", "2", NULL);
    rh_fails(&n, 1, "rolled back, release '1' still runs", "install", "2", NULL);
    char *st = rh_ok(&n, "status", NULL);
    cr_assert(strstr(st, " 0 ") || strstr(st, "0"), "%s", st);
    free(st);
    rh_call_is(&n, "z", "boom", "1");
    cr_assert_str_eq(rh_state(&n, "2"), "unpacked");
    rh_stop(&n);
}

Test(release_rollback, code_change_failing_in_one_of_1000_rolls_all_back)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    /* 1,000 counters p0..p999, each starting at its index. */
    char *procs = malloc(1000 * 48), *p = procs;
    for (int i = 0; i < 1000; i++)
        p += sprintf(p, "  - {name: p%d, module: z, arg: \"%d\"}\n", i, i);
    app(&n, "many", "1", "z", "0", procs);
    release(&n, "1", "many", "1");
    app(&n, "many", "2", "z", "2", procs);
    free(procs);
    /* z "2" converts counts up to 998: p999's migration fails. Each one
       takes 1 ms, so that calls queue up while the install runs. */
    appup(&n, "many", "2", "1",
          "      - update: {module: z, change: advanced, extra: \"sleep 1 max 998\"}\n");
    release(&n, "2", "many", "2");
    e2e_start(&n);

    struct rh_caller c = {.root = n.root, .proc = "p0", .msg = "boom", .count = 300};
    rh_caller_start(&c);
    while (c.done < 20 && !c.error[0])
        usleep(1000);
    struct e2e_out o;
    e2e_run(&n, &o, "install", "2", NULL);
    rh_caller_join(&c);
    cr_assert_eq(o.status, 1, "%s", o.err);
    cr_assert(strstr(o.err, "rolled back, release '1' still runs"), "%s", o.err);
    cr_assert(strstr(o.err, "p999"), "the process must be named: %s", o.err);
    cr_assert(strstr(o.err, "count 999 is over the limit 998"), "the reason: %s", o.err);
    e2e_out_free(&o);
    for (int i = 0; i < c.count; i++)
        cr_assert_eq(c.answers[i], i, "p0's answer %d is %ld: lost or reordered", i, c.answers[i]);
    rh_caller_free(&c);

    /* Every process is back on z "0" with its own count, and not suspended. */
    char *st = rh_ok(&n, "status", NULL);
    cr_assert_null(strstr(st, " 2 "), "a process still runs z 2: %s", st);
    free(st);
    rh_call_is(&n, "p0", "boom", "300");
    rh_call_is(&n, "p1", "boom", "1");
    rh_call_is(&n, "p500", "boom", "500");
    rh_call_is(&n, "p998", "boom", "998");
    rh_call_is(&n, "p999", "boom", "999");
    cr_assert_str_eq(rh_state(&n, "1"), "permanent");
    cr_assert_str_eq(rh_state(&n, "2"), "unpacked");
    rh_stop(&n);
}

Test(release_rollback, process_not_suspending_in_time)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    app(&n, "slow", "1", "a", "1", "  - {name: pa, module: a}\n  - {name: pb, module: a}\n");
    release(&n, "1", "slow", "1");
    app(&n, "slow", "2", "a", "2", "  - {name: pa, module: a}\n  - {name: pb, module: a}\n");
    appup(&n, "slow", "2", "1", "      - update: {module: a, change: advanced, timeout: 200}\n");
    release(&n, "2", "slow", "2");
    e2e_start(&n);
    rh_call_is(&n, "pb", "get", "0");

    /* pa is inside a 2 s callback: it cannot be suspended within 200 ms. */
    struct rh_caller c = {.root = n.root, .proc = "pa", .msg = "sleep 2000", .count = 1};
    rh_caller_start(&c);
    usleep(200000);
    rh_fails(&n, 1, "rolled back, release '1' still runs", "install", "2", NULL);
    rh_caller_join(&c);
    cr_assert_str_eq(c.texts[0], "slept");
    rh_caller_free(&c);
    rh_call_is(&n, "pa", "vsn", "1");
    rh_call_is(&n, "pb", "vsn", "1");
    rh_call_is(&n, "pb", "get", "1");

    /* The same with a longer timeout given to install succeeds. */
    c = (struct rh_caller){.root = n.root, .proc = "pa", .msg = "sleep 500", .count = 1};
    rh_caller_start(&c);
    usleep(100000);
    free(rh_ok(&n, "install", "2", "--timeout", "5000", NULL));
    rh_caller_join(&c);
    rh_caller_free(&c);
    rh_call_is(&n, "pa", "vsn", "2");
    rh_call_is(&n, "pb", "get", "2");
    rh_call_is(&n, "pb", "changes", "1");
    rh_stop(&n);
}

Test(release_rollback, timeout_error_names_the_process)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    app(&n, "slow", "1", "a", "1", "  - {name: pa, module: a}\n");
    release(&n, "1", "slow", "1");
    app(&n, "slow", "2", "a", "2", "  - {name: pa, module: a}\n");
    appup(&n, "slow", "2", "1", "      - update: {module: a, change: advanced}\n");
    release(&n, "2", "slow", "2");
    e2e_start(&n);
    struct rh_caller c = {.root = n.root, .proc = "pa", .msg = "sleep 1500", .count = 1};
    rh_caller_start(&c);
    usleep(200000);
    rh_fails(&n, 1, "pa", "install", "2", "--timeout", "100", NULL);
    rh_caller_join(&c);
    rh_caller_free(&c);
    rh_call_is(&n, "pa", "vsn", "1");
    rh_stop(&n);
}

Test(release_rollback, soft_pre_purge_refuses_old_processes_brutal_kills_them)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    app(&n, "pp", "1", "a", "1", "  - {name: pa, module: a}\n");
    release(&n, "1", "pp", "1");
    app(&n, "pp", "2", "a", "3", "  - {name: pa, module: a}\n");
    appup(&n, "pp", "2", "1", "      - update: {module: a, pre_purge: soft}\n");
    release(&n, "2", "pp", "2");
    app(&n, "pp", "3", "a", "3", "  - {name: pa, module: a}\n");
    appup(&n, "pp", "3", "1", "      - update: {module: a, pre_purge: brutal}\n");
    release(&n, "3", "pp", "3");
    e2e_start(&n);
    rh_call_is(&n, "pa", "get", "0");

    /* pa stays on a "1" (suspended) while a "2" is loaded by hand: old code
       in use. */
    free(rh_ok(&n, "suspend", "pa", NULL));
    free(rh_ok(&n, "load", "a", RH_MODDIR "/a-2/a.so", NULL));
    rh_fails(&n, 1, "old processes: module 'a'", "check", "2", NULL);
    rh_fails(&n, 1, "soft_purge refuses", "install", "2", NULL);
    rh_fails(&n, 1, "still has 1 process(es) on its old version '1'", "install", "2", NULL);
    cr_assert_str_eq(rh_state(&n, "2"), "unpacked");

    /* A brutal pre-purge kills it (its restart policy starts it again on
       the current code), and the install goes on. */
    char *out = rh_ok(&n, "install", "3", NULL);
    cr_assert(strstr(out, "installed release '3'"), "%s", out);
    free(out);
    rh_call_is(&n, "pa", "vsn", "3");
    rh_call_is(&n, "pa", "get", "0"); /* a new process: its count starts again */
    cr_assert_str_eq(rh_state(&n, "3"), "current");
    rh_stop(&n);
}

/* Old code in use (pa) and a brutal pre-purge: check validates the new object
   without touching anything, plan and check name the load step as
   irreversible (its pre-purge kills the old processes), and a failure after
   it restarts the node into its permanent release instead of claiming a
   rollback. */
Test(release_rollback, brutal_pre_purge_is_irreversible_and_happens_at_load)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    app(&n, "pp", "1", "a", "1", "  - {name: pa, module: a}\n  - {name: pb, module: a}\n");
    release(&n, "1", "pp", "1");
    app(&n, "pp", "2", "a", "3", "  - {name: pa, module: a}\n  - {name: pb, module: a}\n");
    appup(&n, "pp", "2", "1",
          "      - update: {module: a, change: advanced, extra: fail, pre_purge: brutal}\n");
    release(&n, "2", "pp", "2");
    /* Release 3's a.so is version "1" although its manifest says "3". */
    app(&n, "pp", "3", "a", "3", "  - {name: pa, module: a}\n  - {name: pb, module: a}\n");
    e2e_copy(&n, RH_MODDIR "/a-1/a.so", "lib/pp-3/a.so");
    appup(&n, "pp", "3", "1", "      - update: {module: a, pre_purge: brutal}\n");
    release(&n, "3", "pp", "3");
    e2e_start(&n);
    rh_call_is(&n, "pa", "get", "0");
    free(rh_ok(&n, "suspend", "pa", NULL));
    free(rh_ok(&n, "load", "a", RH_MODDIR "/a-2/a.so", NULL));
    rh_call_is(&n, "pb", "vsn", "2"); /* pb moved on; its code_change will fail */

    rh_fails(&n, 1, "version", "check", "3", NULL);
    char *out = rh_ok(&n, "plan", "2", NULL);
    cr_assert(strstr(out, "# step 4 is irreversible"), "%s", out);
    free(out);
    out = rh_ok(&n, "check", "2", NULL);
    cr_assert(strstr(out, "plan step 4 is irreversible"), "%s", out);
    free(out);
    /* check killed nothing: pa is still there, on its old code. */
    free(rh_ok(&n, "resume", "pa", NULL));
    rh_call_is(&n, "pa", "vsn", "1");
    free(rh_ok(&n, "suspend", "pa", NULL));

    pid_t before = e2e_node_pid(&n);
    rh_fails(&n, 1, "install '2' failed after an irreversible step", "install", "2", NULL);
    e2e_wait_node(&n, before, 10000);
    rh_call_is(&n, "pa", "vsn", "1");
    cr_assert_str_eq(rh_state(&n, "1"), "permanent");
    cr_assert_str_eq(rh_state(&n, "2"), "unpacked");
    rh_stop(&n);
}
