/*
 * test-runtime-sup.c - supervisors built into the node: children started
 * in order and stopped in reverse; one_for_one, one_for_all and
 * rest_for_one restart exactly the right siblings in the right order;
 * restart types; shutdown timeouts, brutal_kill and a slow child; the
 * intensity, the exit hook; nested supervisors; simple_one_for_one
 * children started from a module; a spec changed in place.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test-runtime-util.h"

static struct rm_node *node;
static rm_pid journal; /* a w outside any supervisor: reads the journal */

static char hook_seen[256];

static void hook(void *ud, const char *sup, const char *app, const char *reason)
{
    snprintf(hook_seen, sizeof hook_seen, "%s %s %s", sup, app, reason);
}

static void setup(void)
{
    node = rt_node(2);
    rt_load(node, rt_path(0, "w/w.so"));
    journal = rt_spawn(node, "w", "journal", "j", RM_RESTART_TEMPORARY);
    free(rt_call(node, journal, "journal"));
    hook_seen[0] = 0;
    rm_sup_set_exit_hook(node, hook, NULL);
}

static void teardown(void)
{
    rm_node_free(node);
    rt_log_reset();
}

TestSuite(sup, .init = setup, .fini = teardown, .timeout = 60);

/* Waits (up to 10 s) until the journal so far equals `want`. */
static void journal_is(const char *want)
{
    char got[4096] = "";
    for (int i = 0; i < 1000 && strcmp(got, want) != 0; i++) {
        if (strlen(got) >= strlen(want))
            break;
        usleep(10000);
        char *r = rt_call(node, journal, "journal");
        size_t n = strlen(got);
        snprintf(got + n, sizeof got - n, "%s%s", n && r[0] ? " " : "", r);
        free(r);
    }
    cr_assert_str_eq(got, want);
}

#define KID(ID, ARG, RESTART, SHUTDOWN)                                                          \
    {.id = ID, .module = "w", .arg = ARG, .name = ID, .restart = RESTART, .shutdown_ms = SHUTDOWN}

static rm_pid start(const char *name, enum rm_sup_strategy st, unsigned intensity,
                    const struct rm_sup_child *kids, size_t n)
{
    struct rm_sup_spec spec = {.name = name, .app = "app", .strategy = st, .intensity = intensity,
                               .period = 10, .children = kids, .n_children = n};
    struct rm_error err = {0};
    cr_assert_eq(rm_sup_define(node, &spec, &err), 0, "%s", err.msg);
    rm_pid pid = 0;
    cr_assert_eq(rm_sup_start(node, name, &pid, &err), 0, "%s", err.msg);
    return pid;
}

static rm_pid pid_of(const char *name)
{
    rm_pid pid = 0;
    rm_proc_resolve(node, name, &pid, NULL);
    return pid;
}

static const struct rm_sup_child abc[] = {
    KID("a", "a", RM_RESTART_PERMANENT, 2000),
    KID("b", "b", RM_RESTART_PERMANENT, 2000),
    KID("c", "c", RM_RESTART_PERMANENT, 2000),
};

Test(sup, starts_in_order_stops_in_reverse)
{
    rm_pid s = start("top", RM_SUP_ONE_FOR_ONE, 3, abc, 3);
    journal_is("+a +b +c");
    struct rm_error err = {0};
    cr_assert_eq(rm_proc_stop(node, s, "shutdown", &err), 0, "%s", err.msg);
    journal_is("-c:shutdown -b:shutdown -a:shutdown");
    cr_expect_eq(pid_of("a"), 0);
    cr_expect_str_eq(hook_seen, "", "a stop asked for is no failure: %s", hook_seen);
}

/* Kills b and checks the journal and which pids changed. */
static void kill_b(enum rm_sup_strategy st, const char *want, int a_same, int c_same)
{
    start("top", st, 3, abc, 3);
    journal_is("+a +b +c");
    rm_pid a = pid_of("a"), b = pid_of("b"), c = pid_of("c");
    free(rt_call(node, b, "die boom"));
    journal_is(want);
    cr_assert_neq(rt_wait_name(node, "b", b), 0);
    cr_expect_eq(pid_of("a") == a, a_same, "a's pid");
    cr_expect_eq(pid_of("c") == c, c_same, "c's pid");
}

Test(sup, one_for_one_restarts_only_the_child)
{
    kill_b(RM_SUP_ONE_FOR_ONE, "-b:boom +b", 1, 1);
}

Test(sup, one_for_all_restarts_all_in_order)
{
    kill_b(RM_SUP_ONE_FOR_ALL, "-b:boom -c:shutdown -a:shutdown +a +b +c", 0, 0);
}

Test(sup, rest_for_one_restarts_the_later_ones)
{
    kill_b(RM_SUP_REST_FOR_ONE, "-b:boom -c:shutdown +b +c", 1, 0);
}

Test(sup, restart_types)
{
    static const struct rm_sup_child kids[] = {
        KID("p", "p", RM_RESTART_PERMANENT, 1000),
        KID("t", "t", RM_RESTART_TRANSIENT, 1000),
        KID("x", "x", RM_RESTART_TEMPORARY, 1000),
    };
    rm_pid s = start("top", RM_SUP_ONE_FOR_ONE, 10, kids, 3);
    journal_is("+p +t +x");
    free(rt_call(node, pid_of("t"), "stop")); /* transient, normal: stays down */
    journal_is("-t:normal");
    free(rt_call(node, pid_of("x"), "die boom")); /* temporary: never restarted */
    journal_is("-x:boom");
    free(rt_call(node, pid_of("p"), "stop")); /* permanent: always */
    journal_is("-p:normal +p");
    struct rm_sup_child_info *v;
    size_t n;
    struct rm_error err = {0};
    cr_assert_eq(rm_sup_children(node, "top", &v, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 2, "the temporary child is forgotten");
    cr_expect_str_eq(v[0].id, "p");
    cr_expect_eq(v[0].pid, pid_of("p"));
    cr_expect_str_eq(v[1].id, "t");
    cr_expect_eq(v[1].pid, 0);
    free(v);
    (void)s;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

Test(sup, shutdown_timeout_then_kill)
{
    /* a child that traps exits and ignores "shutdown" */
    static const struct rm_sup_child kids[] = {KID("a", "a,trap,ignore", RM_RESTART_PERMANENT, 200)};
    rm_pid s = start("top", RM_SUP_ONE_FOR_ONE, 3, kids, 1);
    journal_is("+a");
    double t0 = now_s();
    cr_assert_eq(rm_proc_stop(node, s, "shutdown", NULL), 0);
    double took = now_s() - t0;
    cr_expect(took >= 0.2 && took < 1.5, "stopping took %.3f s", took);
    journal_is("-a:killed");
    cr_expect(rt_log_wait("did not stop within 200 ms: killed"));
}

Test(sup, shutdown_waits_for_a_slow_child)
{
    static const struct rm_sup_child kids[] = {KID("a", "a,trap,slow=300", RM_RESTART_PERMANENT, 5000)};
    rm_pid s = start("top", RM_SUP_ONE_FOR_ONE, 3, kids, 1);
    journal_is("+a");
    double t0 = now_s();
    cr_assert_eq(rm_proc_stop(node, s, "shutdown", NULL), 0);
    double took = now_s() - t0;
    cr_expect(took >= 0.3, "stopping took %.3f s", took);
    journal_is("-a:shutdown");
}

Test(sup, brutal_kill_kills)
{
    static const struct rm_sup_child kids[] = {
        KID("a", "a,trap,slow=3000", RM_RESTART_PERMANENT, RM_SHUTDOWN_BRUTAL_KILL)};
    rm_pid s = start("top", RM_SUP_ONE_FOR_ONE, 3, kids, 1);
    journal_is("+a");
    double t0 = now_s();
    cr_assert_eq(rm_proc_stop(node, s, "shutdown", NULL), 0);
    cr_expect(now_s() - t0 < 1.0);
    journal_is("-a:killed");
}

Test(sup, intensity_exceeded_stops_all_and_reports)
{
    rm_pid s = start("top", RM_SUP_ONE_FOR_ONE, 2, abc, 3);
    journal_is("+a +b +c");
    for (int i = 0; i < 2; i++) {
        rm_pid b = pid_of("b");
        free(rt_call(node, b, "die boom"));
        journal_is("-b:boom +b");
        rt_wait_name(node, "b", b);
    }
    free(rt_call(node, pid_of("b"), "die boom"));
    journal_is("-b:boom -c:shutdown -a:shutdown");
    for (int i = 0; i < 1000 && !hook_seen[0]; i++)
        usleep(10000);
    cr_expect_str_eq(hook_seen, "top app reached_max_restart_intensity");
    cr_expect(rt_log_has("reached its restart intensity"));
    struct rm_error err;
    char *r;
    size_t len;
    cr_expect_neq(rm_proc_call(node, s, "x", 1, 1000, &r, &len, &err), 0, "the supervisor is gone");
}

Test(sup, nested_supervisor_and_children_listed)
{
    static const struct rm_sup_child inner[] = {KID("i1", "i1", RM_RESTART_PERMANENT, 1000)};
    struct rm_sup_spec in = {.name = "inner", .app = "app", .strategy = RM_SUP_ONE_FOR_ONE,
                             .intensity = 3, .period = 5, .children = inner, .n_children = 1};
    struct rm_error err = {0};
    cr_assert_eq(rm_sup_define(node, &in, &err), 0, "%s", err.msg);
    static const struct rm_sup_child outer[] = {
        KID("a", "a", RM_RESTART_PERMANENT, 1000),
        {.id = "in", .module = "inner", .restart = RM_RESTART_PERMANENT,
         .shutdown_ms = RM_SHUTDOWN_INFINITY, .supervisor = 1},
    };
    rm_pid s = start("outer", RM_SUP_REST_FOR_ONE, 3, outer, 2);
    journal_is("+a +i1");
    struct rm_sup_child_info *v;
    size_t n;
    cr_assert_eq(rm_sup_children(node, "outer", &v, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_expect(v[1].supervisor);
    cr_expect_eq(v[1].pid, pid_of("inner"));
    cr_expect(rm_sup_is(node, v[1].pid));
    free(v);
    free(rt_call(node, pid_of("a"), "die boom")); /* rest_for_one: the inner tree restarts */
    journal_is("-a:boom -i1:shutdown +a +i1");
    cr_assert_eq(rm_proc_stop(node, s, "shutdown", NULL), 0);
    journal_is("-i1:shutdown -a:shutdown");
}

Test(sup, simple_one_for_one_from_a_module)
{
    static const struct rm_sup_child conn[] = {
        {.id = "conn", .module = "w", .restart = RM_RESTART_TRANSIENT, .shutdown_ms = 1000}};
    rm_pid s = start("conns", RM_SUP_SIMPLE_ONE_FOR_ONE, 5, conn, 1);
    char *who = rt_call(node, journal, "start conns c1");
    cr_assert_eq(who[0], '<', "got '%s'", who);
    journal_is("+c1");
    rm_pid c1 = strtoull(who + 1, NULL, 10);
    free(who);
    free(rt_call(node, c1, "die boom")); /* transient, abnormal: restarted with its arg */
    journal_is("-c1:boom +c1");
    struct rm_sup_child_info *v;
    size_t n;
    struct rm_error err = {0};
    cr_assert_eq(rm_sup_children(node, "conns", &v, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert_neq(v[0].pid, c1);
    free(rt_call(node, v[0].pid, "stop")); /* normal: not restarted, forgotten */
    journal_is("-c1:normal");
    free(v);
    usleep(50000);
    cr_assert_eq(rm_sup_children(node, "conns", &v, &n, &err), 0, "%s", err.msg);
    cr_expect_eq(n, 0);
    free(v);
    who = rt_call(node, journal, "start top x"); /* no such supervisor */
    cr_expect_str_eq(who, "error");
    free(who);
    (void)s;
}

Test(sup, change_keeps_pids_stops_removed_adds_without_starting)
{
    rm_pid s = start("top", RM_SUP_ONE_FOR_ONE, 3, abc, 3);
    journal_is("+a +b +c");
    rm_pid a = pid_of("a");
    static const struct rm_sup_child now[] = {
        KID("a", "a", RM_RESTART_TEMPORARY, 2000), /* restart type changed */
        KID("b", "b", RM_RESTART_PERMANENT, 2000),
        KID("d", "d", RM_RESTART_PERMANENT, 2000), /* new: not started */
    };
    struct rm_sup_spec spec = {.name = "top", .app = "app", .strategy = RM_SUP_ONE_FOR_ALL,
                               .intensity = 3, .period = 10, .children = now, .n_children = 3};
    struct rm_error err = {0};
    cr_assert_eq(rm_sup_define(node, &spec, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_sup_change(node, "top", &err), 0, "%s", err.msg);
    journal_is("-c:shutdown"); /* c is gone from the spec */
    cr_expect_eq(pid_of("a"), a, "a keeps its pid");
    cr_expect_eq(pid_of("d"), 0, "d waits for an instruction");
    free(rt_call(node, a, "die boom")); /* temporary now: not restarted */
    journal_is("-a:boom");
    (void)s;
}

Test(sup, bad_specs_refused)
{
    struct rm_error err = {0};
    struct rm_sup_spec spec = {.name = "s", .strategy = RM_SUP_SIMPLE_ONE_FOR_ONE, .period = 5,
                               .children = abc, .n_children = 3};
    cr_expect_eq(rm_sup_define(node, &spec, &err), -1);
    cr_expect(strstr(err.msg, "exactly one child spec"), "%s", err.msg);
    static const struct rm_sup_child twice[] = {KID("a", "a", RM_RESTART_PERMANENT, 1),
                                                KID("a", "b", RM_RESTART_PERMANENT, 1)};
    spec = (struct rm_sup_spec){.name = "s", .period = 5, .children = twice, .n_children = 2};
    cr_expect_eq(rm_sup_define(node, &spec, &err), -1);
    cr_expect(strstr(err.msg, "child id 'a' is given twice"), "%s", err.msg);
    spec.n_children = 1;
    spec.period = 0;
    cr_expect_eq(rm_sup_define(node, &spec, &err), -1);
    cr_expect(strstr(err.msg, "period"), "%s", err.msg);
    cr_expect_eq(rm_sup_start(node, "nothing", NULL, &err), -1);
    cr_expect(strstr(err.msg, "no supervisor 'nothing' is defined"), "%s", err.msg);
    static const struct rm_sup_child failing[] = {KID("a", "a,fail", RM_RESTART_PERMANENT, 1)};
    spec = (struct rm_sup_spec){.name = "s", .period = 5, .children = failing, .n_children = 1};
    cr_assert_eq(rm_sup_define(node, &spec, &err), 0, "%s", err.msg);
    cr_expect_eq(rm_sup_start(node, "s", NULL, &err), -1);
    cr_expect(strstr(err.msg, "start child 'a'"), "%s", err.msg);
    cr_expect_eq(rm_module_load(node, rt_path(1, "w/w.so"), "supervisor", NULL, NULL, &err), -1);
}
