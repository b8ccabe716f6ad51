/*
 * Plans beyond one module: three modules with dependencies (the executed
 * steps match the plan), add_application, remove_application and
 * restart_application, apply, a failure after an irreversible step (the
 * node restarts into its permanent release), and remove with application
 * directories shared between releases.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e/test-release.h"

TestSuite(release_apps, .fini = e2e_cleanup, .timeout = 120);

/* The instruction names of a plan printed as YAML, one per line, space
   separated, into buf. */
static void plan_names(const char *yaml, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    const char *p = strstr(yaml, "instructions:");
    cr_assert(p, "no instructions in: %s", yaml);
    for (p = strchr(p, '\n'); p && *p; p = strchr(p + 1, '\n')) {
        const char *q = p + 1;
        while (*q == ' ')
            q++;
        if (q[0] != '-' || q[1] != ' ')
            continue;
        char name[64];
        if (sscanf(q + 2, "%63[a-z_]", name) == 1)
            len += (size_t)snprintf(buf + len, size - len, "%s ", name);
    }
}

/* The instruction names of an install's --json report, likewise. */
static void report_names(const char *json, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (const char *p = strstr(json, "\"instruction\":\""); p;
         p = strstr(p + 1, "\"instruction\":\"")) {
        char name[64];
        if (sscanf(p + 15, "%63[a-z_]", name) == 1)
            len += (size_t)snprintf(buf + len, size - len, "%s ", name);
    }
}

Test(release_apps, three_modules_with_dependencies_run_as_planned)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    rh_app(&n, "trio", "1", "a b c", "1", NULL);
    rh_release(&n, "trio", "1", "trio 1", NULL);
    rh_app(&n, "trio", "2", "a b c", "2", NULL);
    rh_appup(&n, "trio", "2",
          "up:\n  - from: \"1\"\n    instructions:\n"
          "      - update: {module: a, change: advanced, deps: [b]}\n"
          "      - update: {module: b, change: advanced, deps: [c]}\n"
          "      - update: {module: c, change: advanced}\n");
    rh_release(&n, "trio", "2", "trio 2", NULL);
    e2e_start(&n);
    rh_call_is(&n, "pa", "get", "0");

    char *plan = rh_ok(&n, "plan", "2", NULL);
    char *check = rh_ok(&n, "check", "2", NULL);
    cr_assert(strstr(check, "every step is undoable"), "%s", check);
    char *inst = rh_ok(&n, "install", "2", "--json", NULL);
    char want[1024], got[1024];
    plan_names(plan, want, sizeof want);
    report_names(inst, got, sizeof got);
    cr_assert_str_eq(got, want, "executed steps differ from the plan:\n%s\n%s", plan, inst);
    cr_assert(strstr(want, "suspend"), "%s", want);
    free(plan);
    free(check);
    free(inst);
    rh_call_is(&n, "pa", "vsn", "2");
    rh_call_is(&n, "pa", "get", "1");
    rh_call_is(&n, "pb", "changes", "1");
    rh_call_is(&n, "pc", "changes", "1");
    rh_stop(&n);
}

Test(release_apps, add_remove_and_restart_application)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    rh_app(&n, "base", "1", "a", "1", NULL);
    rh_app(&n, "old", "1", "b", "1", NULL);
    rh_release(&n, "apps", "1", "base 1", "old 1", NULL);
    rh_app(&n, "base", "2", "a", "2", NULL);
    rh_appup(&n, "base", "2", "up:\n  - from: \"1\"\n    instructions: [restart_application: base]\n");
    rh_app(&n, "new", "1", "c", "1", NULL);
    rh_release(&n, "apps", "2", "base 2", "new 1", NULL);
    e2e_start(&n);
    rh_call_is(&n, "pa", "get", "0");
    rh_call_is(&n, "pa", "get", "1");
    rh_call_is(&n, "pb", "get", "0");
    rh_fails(&n, 1, "no process 'pc'", "call", "pc", "get", NULL);

    char *check = rh_ok(&n, "check", "2", NULL);
    cr_assert(strstr(check, "is irreversible"), "%s", check);
    free(check);
    free(rh_ok(&n, "install", "2", NULL));
    rh_fails(&n, 1, "no process 'pb'", "call", "pb", "get", NULL);
    rh_call_is(&n, "pc", "vsn", "1");
    rh_call_is(&n, "pa", "vsn", "2");
    rh_call_is(&n, "pa", "get", "0"); /* restarted: a new state */
    cr_assert_str_eq(rh_state(&n, "2"), "current");
    rh_stop(&n);
}

Test(release_apps, failure_after_irreversible_step_restarts_into_permanent)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    rh_app(&n, "base", "1", "a", "1", NULL);
    rh_release(&n, "apps", "1", "base 1", NULL);
    rh_app(&n, "base", "2", "a", "2", NULL);
    char mark[4200], entries[8400];
    snprintf(mark, sizeof mark, "%s/applied", n.root);
    snprintf(entries, sizeof entries,
             "up:\n  - from: \"1\"\n    instructions:\n"
             "      - apply: {module: a, function: mark, args: [\"%s\", \"done\"]}\n"
             "      - update: {module: a, change: advanced, extra: fail}\n",
             mark);
    rh_appup(&n, "base", "2", entries);
    rh_release(&n, "apps", "2", "base 2", NULL);
    e2e_start(&n);
    rh_call_is(&n, "pa", "get", "0");
    rh_call_is(&n, "pa", "get", "1");

    char *plan = rh_ok(&n, "plan", "2", NULL);
    cr_assert(strstr(plan, "apply"), "%s", plan);
    free(plan);
    char *check = rh_ok(&n, "check", "2", NULL);
    cr_assert(strstr(check, "is irreversible"), "%s", check);
    free(check);
    pid_t before = e2e_node_pid(&n);
    rh_fails(&n, 1, "failed after an irreversible step", "install", "2", NULL);
    e2e_wait_node(&n, before, 10000);
    char *applied = e2e_read(&n, "applied");
    cr_assert_not_null(applied, "the apply before the failure ran");
    free(applied);
    cr_assert_str_eq(rh_state(&n, "1"), "permanent");
    cr_assert_str_eq(rh_state(&n, "2"), "unpacked");
    rh_call_is(&n, "pa", "vsn", "1");
    rh_call_is(&n, "pa", "get", "0"); /* a fresh node on release 1 */
    rh_stop(&n);
}

Test(release_apps, remove_keeps_application_directories_still_used)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    rh_app(&n, "base", "1", "a", "1", NULL);
    rh_app(&n, "old", "1", "b", "1", NULL);
    rh_release(&n, "apps", "1", "base 1", "old 1", NULL);
    rh_app(&n, "new", "1", "c", "1", NULL);
    rh_release(&n, "apps", "2", "base 1", "new 1", NULL);
    e2e_start(&n);
    free(rh_ok(&n, "install", "2", NULL));
    rh_fails(&n, 1, "'2'", "remove", "2", NULL); /* current */
    free(rh_ok(&n, "permanent", "2", NULL));
    rh_fails(&n, 1, "'2'", "remove", "2", NULL); /* permanent */
    free(rh_ok(&n, "remove", "1", NULL));
    char *kept = e2e_read(&n, "lib/base-1/base.app.yaml");
    char *gone = e2e_read(&n, "lib/old-1/old.app.yaml");
    cr_assert_not_null(kept, "lib/base-1 is used by release 2");
    cr_assert_null(gone, "lib/old-1 is used by no release");
    free(kept);
    cr_assert_str_eq(rh_state(&n, "1"), "");
    rh_call_is(&n, "pa", "get", "0");
    rh_stop(&n);
}

Test(release_apps, load_module_upgrade_and_downgrade_keep_the_state)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    rh_app(&n, "lm", "1", "a", "1", NULL);
    rh_release(&n, "lm", "1", "lm 1", NULL);
    rh_app(&n, "lm", "2", "a", "2", NULL);
    rh_appup(&n, "lm", "2",
          "up:\n  - from: \"1\"\n    instructions: [load_module: a]\n"
          "down:\n  - to: \"1\"\n    instructions: [load_module: a]\n");
    rh_release(&n, "lm", "2", "lm 2", NULL);
    e2e_start(&n);
    rh_call_is(&n, "pa", "get", "0");

    char *out = rh_ok(&n, "install", "2", NULL);
    cr_assert_null(strstr(out, "suspend"), "load_module suspends nothing: %s", out);
    free(out);
    cr_assert_str_eq(rh_state(&n, "1"), "permanent");
    cr_assert_str_eq(rh_state(&n, "2"), "current");
    rh_call_is(&n, "pa", "vsn", "2");
    rh_call_is(&n, "pa", "get", "1");
    rh_call_is(&n, "pa", "changes", "0");
    free(rh_ok(&n, "permanent", "2", NULL));
    cr_assert_str_eq(rh_state(&n, "1"), "old");
    cr_assert_str_eq(rh_state(&n, "2"), "permanent");

    out = rh_ok(&n, "install", "1", NULL);
    cr_assert(strstr(out, "(down from '2')"), "%s", out);
    free(out);
    cr_assert_str_eq(rh_state(&n, "1"), "current");
    cr_assert_str_eq(rh_state(&n, "2"), "permanent");
    rh_call_is(&n, "pa", "vsn", "1");
    rh_call_is(&n, "pa", "get", "2");
    out = rh_ok(&n, "rollback", NULL);
    cr_assert(strstr(out, "rolled back to release '2'"), "%s", out);
    free(out);
    rh_call_is(&n, "pa", "vsn", "2");
    rh_fails(&n, 1, "nothing to roll back", "rollback", NULL);
    rh_stop(&n);
}

Test(release_apps, low_level_stop_and_start)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    rh_app(&n, "ss", "1", "a", "1", NULL);
    rh_release(&n, "ss", "1", "ss 1", NULL);
    rh_app(&n, "ss", "2", "a", "2", NULL);
    rh_appup(&n, "ss", "2",
          "up:\n  - from: \"1\"\n    instructions:\n"
          "      - load_object_code: {application: ss, version: \"2\", modules: [a]}\n"
          "      - point_of_no_return\n      - stop: [a]\n      - load: a\n"
          "      - start: [a]\n");
    rh_release(&n, "ss", "2", "ss 2", NULL);
    e2e_start(&n);
    rh_call_is(&n, "pa", "get", "0");
    rh_call_is(&n, "pa", "get", "1");
    char *out = rh_ok(&n, "install", "2", NULL);
    cr_assert(strstr(out, "stop [a]"), "%s", out);
    cr_assert(strstr(out, "start [a]"), "%s", out);
    free(out);
    rh_call_is(&n, "pa", "vsn", "2");
    rh_call_is(&n, "pa", "get", "0"); /* stopped and started again: a new state */
    rh_stop(&n);
}

/* Boot starts an application after the applications it depends on
   (`applications:`), whatever the release's order: x, listed first, needs
   y, so y's process starts first. */
Test(release_apps, boot_starts_dependencies_first)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    rh_app(&n, "y", "1", "b", "1", NULL);
    rh_module(&n, "x", "1", "a", "1");
    e2e_write(&n, "lib/x-1/x.app.yaml",
              "application: x\nversion: \"1\"\napplications: [y]\nmodules:\n"
              "  - name: a\n    version: \"1\"\nprocesses:\n  - {name: pa, module: a}\n");
    rh_release(&n, "deps", "1", "x 1", "y 1", NULL);
    e2e_start(&n);
    unsigned long long pa = rh_status_pid(&n, "pa"), pb = rh_status_pid(&n, "pb");
    cr_assert(pa && pb, "pa %llu, pb %llu", pa, pb);
    cr_assert_lt(pb, pa, "y (pb %llu) must start before x (pa %llu), which depends on it", pb, pa);
    rh_stop(&n);
}

/* The printed plan of `n` to `vsn` with `line` put before its
   point_of_no_return, written to ROOT/edited.yaml; its path goes to file. */
static void plan_with_before_ponr(struct e2e_node *n, const char *vsn, const char *line, char *file,
                                  size_t size)
{
    char *plan = rh_ok(n, "plan", vsn, NULL);
    const char *ponr = "      - point_of_no_return\n";
    char *at = strstr(plan, ponr);
    cr_assert(at, "%s", plan);
    size_t len = strlen(plan) + strlen(line) + 1;
    char *edited = malloc(len);
    cr_assert(edited);
    snprintf(edited, len, "%.*s%s%s", (int)(at - plan), plan, line, at);
    e2e_write(n, "edited.yaml", edited);
    snprintf(file, size, "%s/edited.yaml", n->root);
    free(edited);
    free(plan);
}

/* An apply before point_of_no_return is OTP's pre-commit work: check runs
   it (as check_install_release does), and when it fails the install is
   refused and changes nothing; the node is not restarted. */
Test(release_apps, apply_before_point_of_no_return_runs_in_check_and_never_restarts)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    rh_app(&n, "base", "1", "a", "1", NULL);
    rh_release(&n, "apps", "1", "base 1", NULL);
    rh_app(&n, "base", "2", "a", "2", NULL);
    rh_appup(&n, "base", "2",
          "up:\n  - from: \"1\"\n    instructions:\n"
          "      - update: {module: a, change: advanced}\n");
    rh_release(&n, "apps", "2", "base 2", NULL);
    e2e_start(&n);
    rh_call_is(&n, "pa", "get", "0");

    char file[4200], line[8600], mark[4200];
    snprintf(mark, sizeof mark, "%s/checked", n.root);
    snprintf(line, sizeof line,
             "      - apply: {module: a, function: mark, args: [\"%s\", \"pre\"]}\n", mark);
    plan_with_before_ponr(&n, "2", line, file, sizeof file);
    char *out = rh_ok(&n, "check", "2", "--relup", file, NULL);
    cr_assert(strstr(out, "apply a:mark"), "%s", out);
    free(out);
    char *marked = e2e_read(&n, "checked");
    cr_assert_not_null(marked, "check ran the apply before point_of_no_return");
    cr_assert_str_eq(marked, "pre");
    free(marked);

    plan_with_before_ponr(&n, "2", "      - apply: {module: a, function: mark, args: [\"one\"]}\n",
                          file, sizeof file);
    pid_t before = e2e_node_pid(&n);
    rh_fails(&n, 1, "rolled back, release '1' still runs", "install", "2", "--relup", file, NULL);
    cr_assert_eq(e2e_node_pid(&n), before, "the node was restarted");
    rh_call_is(&n, "pa", "get", "1"); /* the same process, its state kept */
    rh_call_is(&n, "pa", "vsn", "1");
    cr_assert_str_eq(rh_state(&n, "2"), "unpacked");
    rh_stop(&n);
}

/* Whether `pid` runs (a zombie waiting for its parent does not). */
static int running(pid_t pid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char *rp = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
    fclose(f);
    return rp && rp[1] == ' ' && rp[2] != 'Z';
}

/* A module that runs a thread of its own (which the module API forbids)
   crashes the node when its code is unloaded at stop; `node stop` still
   stops it: the watchdog knows a stop is under way and does not restart a
   node that dies during it. */
Test(release_apps, node_stop_stops_a_node_that_crashes_while_stopping)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    rh_app(&n, "base", "1", "a", "1", NULL);
    rh_release(&n, "apps", "1", "base 1", NULL);
    e2e_start(&n);
    rh_call_is(&n, "pa", "thread", "1");
    pid_t node = e2e_node_pid(&n), watchdog = e2e_parent_of(node);
    struct e2e_out o;
    e2e_run(&n, &o, "node", "stop", NULL);
    cr_assert_eq(o.status, 0, "%s", o.err);
    e2e_out_free(&o);
    cr_assert(!running(node), "the node (pid %ld) still runs", (long)node);
    cr_assert(!running(watchdog), "the watchdog (pid %ld) still runs", (long)watchdog);
    e2e_run(&n, &o, "status", NULL);
    cr_assert_eq(o.status, 3, "a node answers after node stop: %s", o.out);
    e2e_out_free(&o);
    char *log = e2e_read(&n, "log/node.log");
    cr_assert_null(strstr(log, "restarting it"), "the watchdog restarted the node:\n%s", log);
    free(log);
    /* (the suite's cleanup removes the root) */
}

/* A node stuck in a callback at stop is killed after --timeout: a stop
   always stops, and says so. */
Test(release_apps, node_stop_timeout_kills_a_node_stuck_in_a_callback)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    rh_app(&n, "base", "1", "a", "1", NULL);
    rh_release(&n, "apps", "1", "base 1", NULL);
    e2e_start(&n);
    pid_t node = e2e_node_pid(&n), watchdog = e2e_parent_of(node);
    pid_t caller =
        e2e_spawn(&n, "caller.out", "call", "pa", "sleep 30000", "--timeout", "60000", NULL);
    usleep(300000); /* the call is inside its callback */
    struct e2e_out o;
    e2e_run(&n, &o, "node", "stop", "--timeout", "1000", NULL);
    cr_assert_eq(o.status, 0, "%s", o.err);
    cr_assert(strstr(o.err, "did not stop within 1000 ms; killed it"), "%s", o.err);
    e2e_out_free(&o);
    cr_assert(!running(node), "the node (pid %ld) still runs", (long)node);
    cr_assert(!running(watchdog), "the watchdog (pid %ld) still runs", (long)watchdog);
    e2e_wait_exit(caller, 10000);
}
