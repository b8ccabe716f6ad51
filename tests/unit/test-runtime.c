/*
 * test-runtime.c - processes: order of messages, suspended queues, calls
 * (timeouts, deaths, later answers, calls between processes), timers,
 * restart policies and intensity, trace lines, status and stop.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../runtime/timer.h" /* the timer table, for its size */
#include "test-runtime-util.h"

static struct rm_node *node;

static void setup(void)
{
    node = rt_node(0);
    rt_load(node, rt_path(0, "t-1/t.so"));
}

static void teardown(void)
{
    rm_node_free(node);
    rt_log_reset();
}

TestSuite(runtime, .init = setup, .fini = teardown, .timeout = 120);

Test(runtime, messages_are_handled_in_arrival_order)
{
    rm_pid pid = rt_spawn(node, "t", NULL, NULL, RM_RESTART_TEMPORARY);
    char expect[4096] = "";
    for (int i = 1; i <= 200; i++) {
        char msg[32];
        snprintf(msg, sizeof msg, "add %d", i);
        cr_assert_eq(rm_proc_cast(node, pid, msg, strlen(msg), NULL), 0);
        snprintf(expect + strlen(expect), sizeof expect - strlen(expect), "%s%d", i > 1 ? " " : "",
                 i);
    }
    rt_expect(node, pid, "log", expect);
}

struct caller {
    pthread_t tid;
    rm_pid pid;
    char *reply;
    int rc;
    struct rm_error err;
    const char *msg;
    _Atomic int done;
};

static void *call_thread(void *arg)
{
    struct caller *c = arg;
    size_t len;
    const char *msg = c->msg ? c->msg : "get";
    c->rc = rm_proc_call(node, c->pid, msg, strlen(msg), -1, &c->reply, &len, &c->err);
    atomic_store(&c->done, 1);
    return NULL;
}

static size_t queue_len(rm_pid pid)
{
    struct rm_proc_info *v;
    size_t n, q = 0;
    cr_assert_eq(rm_proc_list(node, NULL, &v, &n, NULL), 0);
    for (size_t i = 0; i < n; i++)
        if (v[i].pid == pid)
            q = v[i].queue_len;
    free(v);
    return q;
}

static void start_caller(struct caller *c)
{
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, PTHREAD_STACK_MIN > 65536 ? PTHREAD_STACK_MIN : 65536);
    cr_assert_eq(pthread_create(&c->tid, &a, call_thread, c), 0);
    pthread_attr_destroy(&a);
}

Test(runtime, calls_sent_while_suspended_are_all_answered_in_order)
{
    enum { N = 1000 };
    rm_pid pid = rt_spawn(node, "t", NULL, NULL, RM_RESTART_TEMPORARY);
    cr_assert_eq(rm_proc_suspend(node, &pid, 1, 5000, NULL), 0);
    struct caller *c = calloc(N, sizeof *c);
    for (int i = 0; i < N; i++) {
        c[i].pid = pid;
        start_caller(&c[i]);
        /* the next call goes out only once this one is queued: arrival
           order is then the index order */
        for (int k = 0; queue_len(pid) < (size_t)i + 1; k++) {
            cr_assert_lt(k, 100000, "call %d never queued", i);
            usleep(50);
        }
    }
    cr_assert_eq(queue_len(pid), N);
    cr_assert_eq(rm_proc_resume(node, &pid, 1, NULL), 0);
    for (int i = 0; i < N; i++) {
        pthread_join(c[i].tid, NULL);
        cr_assert_eq(c[i].rc, 0, "call %d: %s", i, c[i].err.msg);
        char expect[16];
        snprintf(expect, sizeof expect, "%d", i);
        cr_expect_str_eq(c[i].reply, expect, "call %d answered out of order", i);
        free(c[i].reply);
    }
    free(c);
    rt_expect(node, pid, "peek", "1000"); /* none lost, none doubled */
}

Test(runtime, suspend_twice_and_resume_running_are_refused)
{
    rm_pid pid = rt_spawn(node, "t", NULL, NULL, RM_RESTART_TEMPORARY);
    struct rm_error err = {0};
    char msg[128];
    cr_assert_eq(rm_proc_resume(node, &pid, 1, &err), -1);
    snprintf(msg, sizeof msg, "resume '<%llu>': not suspended", (unsigned long long)pid);
    cr_expect_str_eq(err.msg, msg);
    cr_assert_eq(rm_proc_suspend(node, &pid, 1, 5000, &err), 0);
    cr_assert_eq(rm_proc_suspend(node, &pid, 1, 5000, &err), -1);
    cr_expect_eq(err.code, RM_ESTATE);
    snprintf(msg, sizeof msg, "suspend '<%llu>': already suspended", (unsigned long long)pid);
    cr_expect_str_eq(err.msg, msg);
    cr_assert_eq(rm_proc_resume(node, &pid, 1, &err), 0);
    rt_expect(node, pid, "get", "0");
}

Test(runtime, call_times_out_and_the_process_goes_on)
{
    rm_pid pid = rt_spawn(node, "t", NULL, NULL, RM_RESTART_TEMPORARY);
    struct rm_error err = {0};
    char *reply;
    size_t len;
    cr_assert_eq(rm_proc_call(node, pid, "sleep 400", 9, 50, &reply, &len, &err), -1);
    cr_expect_eq(err.code, RM_ETIMEOUT);
    char msg[128];
    snprintf(msg, sizeof msg, "call to '<%llu>' timed out after 50 ms", (unsigned long long)pid);
    cr_expect_str_eq(err.msg, msg);
    rt_expect(node, pid, "get", "0");
}

Test(runtime, call_to_a_process_that_dies_fails)
{
    rm_pid pid = rt_spawn(node, "t", NULL, NULL, RM_RESTART_TEMPORARY);
    struct rm_error err = {0};
    char *reply;
    size_t len;
    cr_assert_eq(rm_proc_call(node, pid, "fail", 4, 30000, &reply, &len, &err), -1);
    cr_expect_eq(err.code, RM_ESTATE);
    char msg[128];
    snprintf(msg, sizeof msg, "process '<%llu>' exited before answering: asked to fail",
             (unsigned long long)pid);
    cr_expect_str_eq(err.msg, msg);
    cr_expect(rt_log_wait("exited: asked to fail"));
    cr_assert_eq(rm_proc_call(node, pid, "get", 3, 30000, &reply, &len, &err), -1);
    cr_expect_eq(err.code, RM_ENOENT);
    snprintf(msg, sizeof msg, "no process '<%llu>'", (unsigned long long)pid);
    cr_expect_str_eq(err.msg, msg);
}

Test(runtime, queued_calls_fail_when_the_process_stops)
{
    rm_pid pid = rt_spawn(node, "t", NULL, NULL, RM_RESTART_TEMPORARY);
    cr_assert_eq(rm_proc_suspend(node, &pid, 1, 5000, NULL), 0);
    struct caller c[3] = {{.pid = pid}, {.pid = pid}, {.pid = pid}};
    for (int i = 0; i < 3; i++)
        start_caller(&c[i]);
    while (queue_len(pid) < 3)
        usleep(1000);
    struct rm_error err = {0};
    cr_assert_eq(rm_proc_stop(node, pid, NULL, &err), 0, "%s", err.msg);
    char msg[128];
    snprintf(msg, sizeof msg, "process '<%llu>' exited before answering: shutdown",
             (unsigned long long)pid);
    for (int i = 0; i < 3; i++) {
        pthread_join(c[i].tid, NULL);
        cr_expect_eq(c[i].rc, -1);
        cr_expect_str_eq(c[i].err.msg, msg);
    }
    cr_expect_eq(rm_proc_stop(node, pid, NULL, &err), -1);
}

Test(runtime, a_kept_caller_is_answered_later)
{
    rm_pid pid = rt_spawn(node, "t", NULL, NULL, RM_RESTART_TEMPORARY);
    struct caller c = {.pid = pid, .msg = "later"};
    start_caller(&c);
    /* "answer" answers a kept caller, if any yet: repeat it until the call
       has been kept and answered */
    for (int i = 0; i < 1000 && !atomic_load(&c.done); i++) {
        cr_assert_eq(rm_proc_cast(node, pid, "answer", 6, NULL), 0);
        usleep(10000);
    }
    pthread_join(c.tid, NULL);
    cr_assert_eq(c.rc, 0, "%s", c.err.msg);
    cr_expect_str_eq(c.reply, "late");
    free(c.reply);
    rt_expect(node, pid, "get", "0");
}

Test(runtime, stop_after_answer_is_normal)
{
    rm_pid pid = rt_spawn(node, "t", "s", NULL, RM_RESTART_TRANSIENT);
    rt_expect(node, pid, "stop", "bye");
    for (int i = 0; i < 1000 && rm_proc_resolve(node, "s", &pid, NULL) == 0; i++)
        usleep(10000);
    usleep(100000);
    cr_expect_eq(rm_proc_resolve(node, "s", &pid, NULL), -1,
                 "a transient stopped normally "
                 "must not restart");
}

Test(runtime, names_resolve_and_are_unique)
{
    rm_pid pid = rt_spawn(node, "t", "alpha", NULL, RM_RESTART_TEMPORARY), got = 0;
    struct rm_error err = {0};
    cr_assert_eq(rm_proc_resolve(node, "alpha", &got, &err), 0);
    cr_expect_eq(got, pid);
    char ref[32];
    snprintf(ref, sizeof ref, "<%llu>", (unsigned long long)pid);
    cr_assert_eq(rm_proc_resolve(node, ref, &got, &err), 0);
    cr_expect_eq(got, pid);
    rt_expect(node, pid, "self", "alpha");
    struct rm_spawn_opts o = {.module = "t", .name = "alpha"};
    cr_assert_eq(rm_proc_spawn(node, &o, NULL, &err), -1);
    cr_expect_str_eq(err.msg, "name 'alpha' is already registered");
    o.name = "<5>";
    cr_assert_eq(rm_proc_spawn(node, &o, NULL, &err), -1);
    cr_expect_eq(err.code, RM_EINVAL);
    cr_assert_eq(rm_proc_resolve(node, "beta", &got, &err), -1);
    cr_expect_str_eq(err.msg, "no process 'beta'");
    o = (struct rm_spawn_opts){.module = "nope"};
    cr_assert_eq(rm_proc_spawn(node, &o, NULL, &err), -1);
    cr_expect_str_eq(err.msg, "module 'nope' is not loaded");
    o = (struct rm_spawn_opts){.module = "t", .arg = "fail", .name = "gamma"};
    cr_assert_eq(rm_proc_spawn(node, &o, NULL, &err), -1);
    cr_expect_str_eq(err.msg, "init of 'gamma' (module 't' version '1') failed: init refused");
    cr_expect_eq(rm_proc_resolve(node, "gamma", &got, NULL), -1);
}

Test(runtime, permanent_restarts_under_its_name)
{
    rm_pid pid = rt_spawn(node, "t", "w", "7", RM_RESTART_PERMANENT);
    rt_expect(node, pid, "get", "7");
    char *reply;
    size_t len;
    cr_assert_eq(rm_proc_call(node, pid, "fail", 4, 30000, &reply, &len, NULL), -1);
    rm_pid again = rt_wait_name(node, "w", pid);
    cr_assert_neq(again, 0, "not restarted");
    rt_expect(node, again, "get", "7"); /* a fresh state from the same argument */
    cr_expect(rt_log_wait("process 'w' (module 't') restarted as"));
}

Test(runtime, transient_restarts_after_failure_only_temporary_never)
{
    rm_pid tr = rt_spawn(node, "t", "tr", NULL, RM_RESTART_TRANSIENT);
    rm_pid tm = rt_spawn(node, "t", "tm", NULL, RM_RESTART_TEMPORARY);
    char *reply;
    size_t len;
    cr_assert_eq(rm_proc_call(node, tr, "fail", 4, 30000, &reply, &len, NULL), -1);
    cr_assert_neq(rt_wait_name(node, "tr", tr), 0, "transient not restarted after a failure");
    cr_assert_eq(rm_proc_call(node, tm, "fail", 4, 30000, &reply, &len, NULL), -1);
    usleep(200000);
    rm_pid got;
    cr_expect_eq(rm_proc_resolve(node, "tm", &got, NULL), -1, "temporary restarted");
}

Test(runtime, restart_intensity_gives_up)
{
    struct rm_spawn_opts o = {.module = "t",
                              .name = "r",
                              .restart = RM_RESTART_PERMANENT,
                              .max_restarts = 2,
                              .max_seconds = 3600};
    rm_pid pid = 0;
    cr_assert_eq(rm_proc_spawn(node, &o, &pid, NULL), 0);
    char *reply;
    size_t len;
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(rm_proc_call(node, pid, "fail", 4, 30000, &reply, &len, NULL), -1);
        pid = rt_wait_name(node, "r", pid);
        cr_assert_neq(pid, 0, "restart %d missing", i + 1);
    }
    cr_assert_eq(rm_proc_call(node, pid, "fail", 4, 30000, &reply, &len, NULL), -1);
    cr_expect(rt_log_wait("process 'r' (module 't') reached its restart intensity (2 restarts in "
                          "3600 s): not restarted"));
    rm_pid got;
    cr_expect_eq(rm_proc_resolve(node, "r", &got, NULL), -1);
}

Test(runtime, timers_deliver_and_cancel)
{
    rm_pid pid = rt_spawn(node, "t", NULL, NULL, RM_RESTART_TEMPORARY);
    rt_expect(node, pid, "timer 30", "started");
    char *r = NULL;
    for (int i = 0; i < 1000; i++) {
        free(r);
        r = rt_call(node, pid, "ticks");
        if (strcmp(r, "1") == 0)
            break;
        usleep(10000);
    }
    cr_expect_str_eq(r, "1", "the timer never fired");
    free(r);
    rt_expect(node, pid, "cancel", "gone");
    rt_expect(node, pid, "timer 600000", "started");
    rt_expect(node, pid, "cancel", "cancelled");
    rt_expect(node, pid, "cancel", "gone");
}

Test(runtime, call_between_processes_with_one_worker)
{
    rm_node_free(node);
    node = rt_node(1);
    rt_load(node, rt_path(0, "t-1/t.so"));
    rm_pid a = rt_spawn(node, "t", "a", NULL, RM_RESTART_TEMPORARY);
    rt_spawn(node, "t", "b", "40", RM_RESTART_TEMPORARY);
    rt_expect(node, a, "ask b", "40");
    rt_expect(node, a, "ask b", "41");
    rt_expect(node, a, "ask a", "call failed"); /* a call to itself is refused */
}

Test(runtime, trace_prints_otp_style_lines)
{
    rt_load(node, rt_counter(1, 0));
    rm_pid z = rt_spawn(node, "z", "z", NULL, RM_RESTART_PERMANENT);
    rt_expect(node, z, "boom", "0");
    cr_assert_eq(rm_proc_trace(node, z, 1, NULL), 0);
    rt_expect(node, z, "boom", "1");
    cr_expect(rt_log_has("*DBG* z got call boom from <client>"));
    cr_expect(rt_log_wait("*DBG* z sent 1 to <client>, new state 2"));
    rm_pid t = rt_spawn(node, "t", NULL, NULL, RM_RESTART_TEMPORARY);
    cr_assert_eq(rm_proc_trace(node, t, 1, NULL), 0);
    cr_assert_eq(rm_proc_cast(node, t, "add 5", 5, NULL), 0);
    cr_assert_eq(rm_proc_send(node, t, "tick", 4, NULL), 0);
    rt_expect(node, t, "peek", "0");
    char line[128];
    snprintf(line, sizeof line, "*DBG* <%llu> got cast add 5", (unsigned long long)t);
    cr_expect(rt_log_has(line), "%s", line);
    snprintf(line, sizeof line, "*DBG* <%llu> got tick", (unsigned long long)t);
    cr_expect(rt_log_has(line), "%s", line);
    snprintf(line, sizeof line, "*DBG* <%llu> new state {t,0}", (unsigned long long)t);
    cr_expect(rt_log_wait(line), "%s", line);
    cr_assert_eq(rm_proc_trace(node, z, 0, NULL), 0);
    rt_log_reset();
    rt_expect(node, z, "boom", "2");
    cr_expect(!rt_log_has("*DBG* z"));
}

Test(runtime, status_and_format_state)
{
    rm_pid pid = rt_spawn(node, "t", "st", "3", RM_RESTART_TEMPORARY);
    cr_assert_eq(rm_proc_suspend(node, &pid, 1, 5000, NULL), 0);
    cr_assert_eq(rm_proc_cast(node, pid, "add 1", 5, NULL), 0);
    struct rm_proc_info *v;
    size_t n;
    cr_assert_eq(rm_proc_list(node, "t", &v, &n, NULL), 0);
    cr_assert_eq(n, 1);
    cr_expect_eq(v[0].pid, pid);
    cr_expect_str_eq(v[0].name, "st");
    cr_expect_str_eq(v[0].module, "t");
    cr_expect_str_eq(v[0].version, "1");
    cr_expect_eq(v[0].suspended, 1);
    cr_expect_eq(v[0].queue_len, 1);
    free(v);
    char buf[64];
    cr_assert_eq(rm_proc_format_state(node, pid, buf, sizeof buf, NULL), 0);
    cr_expect_str_eq(buf, "{t,3}");
    cr_assert_eq(rm_proc_resume(node, &pid, 1, NULL), 0);
    cr_assert_eq(rm_proc_format_state(node, pid, buf, sizeof buf, NULL), 0);
    cr_expect_str_eq(buf, "{t,3}");
    rt_expect(node, pid, "log", "1");
}

Test(runtime, spawn_many_and_call_each)
{
    enum { N = 20000 };
    rm_pid *pids = malloc(N * sizeof *pids);
    struct rm_spawn_opts o = {.module = "t", .arg = "5"};
    struct rm_error err = {0};
    cr_assert_eq(rm_proc_spawn_many(node, &o, N, pids, &err), 0, "%s", err.msg);
    for (int i = 0; i < N; i += 97)
        rt_expect(node, pids[i], "get", "5");
    o.arg = "fail";
    cr_assert_eq(rm_proc_spawn_many(node, &o, 10, pids, &err), -1);
    struct rm_proc_info *v;
    size_t n;
    cr_assert_eq(rm_proc_list(node, NULL, &v, &n, NULL), 0);
    cr_expect_eq(n, N, "a failed spawn_many left processes behind");
    free(v);
    free(pids);
}

Test(runtime, processes_come_and_go)
{
    /* many exits leave the pid table full of deleted slots: lookups,
       listings and new processes must all stay right */
    enum { ROUNDS = 20, N = 2000 };
    rm_pid keep = rt_spawn(node, "t", "keeper", "1", RM_RESTART_TEMPORARY);
    rm_pid *pids = malloc(N * sizeof *pids);
    struct rm_spawn_opts o = {.module = "t"};
    for (int r = 0; r < ROUNDS; r++) {
        cr_assert_eq(rm_proc_spawn_many(node, &o, N, pids, NULL), 0);
        for (int i = 0; i < N; i += 2)
            cr_assert_eq(rm_proc_stop(node, pids[i], NULL, NULL), 0);
        for (int i = 1; i < N; i += 2)
            cr_assert_eq(rm_proc_stop(node, pids[i], NULL, NULL), 0);
        rt_expect(node, keep, "peek", "1");
    }
    struct rm_proc_info *v;
    size_t n;
    cr_assert_eq(rm_proc_list(node, NULL, &v, &n, NULL), 0);
    cr_expect_eq(n, 1);
    free(v);
    rm_pid got;
    cr_assert_eq(rm_proc_resolve(node, "keeper", &got, NULL), 0);
    cr_expect_eq(got, keep);
    free(pids);
}

/* A process named twice in one suspend or resume is refused, nothing
   changed (it used to count twice as suspended by hand). */
Test(runtime, suspend_or_resume_naming_a_process_twice_is_refused)
{
    rm_pid pid = rt_spawn(node, "t", "twice", NULL, RM_RESTART_TEMPORARY);
    rm_pid two[2] = {pid, pid};
    struct rm_error err = {0};
    cr_assert_eq(rm_proc_suspend(node, two, 2, 5000, &err), -1);
    cr_expect_eq(err.code, RM_EINVAL);
    cr_expect_str_eq(err.msg, "suspend: process 'twice' named twice");
    rt_expect(node, pid, "get", "0"); /* not suspended */
    cr_assert_eq(rm_proc_suspend(node, &pid, 1, 5000, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_proc_resume(node, two, 2, &err), -1);
    cr_expect_str_eq(err.msg, "resume: process 'twice' named twice");
    cr_assert_eq(rm_proc_resume(node, &pid, 1, &err), 0, "%s", err.msg);
    rt_expect(node, pid, "get", "1");
}

/* max_restarts without a window would never fill the window: refused. */
Test(runtime, restart_intensity_without_a_window_is_refused)
{
    struct rm_spawn_opts so = {.module = "t",
                               .arg = "fail",
                               .restart = RM_RESTART_PERMANENT,
                               .max_restarts = 2,
                               .max_seconds = 0};
    rm_pid pid;
    struct rm_error err = {0};
    cr_assert_eq(rm_proc_spawn(node, &so, &pid, &err), -1);
    cr_expect_eq(err.code, RM_EINVAL);
    cr_expect_str_eq(err.msg, "spawn: max_restarts 2 needs max_seconds above 0 (a window of 0 s "
                              "never fills)");
    cr_assert_eq(rm_proc_spawn_many(node, &so, 2, (rm_pid[2]){0}, &err), -1);
    cr_expect_eq(err.code, RM_EINVAL);
}

/* The cancel hash grows with the pending timers (it had a fixed 256
   buckets, so chains grew without bound); every timer stays cancellable
   across the growths. */
Test(runtime, timer_cancel_table_grows_with_pending_timers)
{
    enum { N = 100000 };
    rm_tref *refs = malloc(N * sizeof *refs);
    cr_assert(refs);
    for (int i = 0; i < N; i++) {
        refs[i] = rm__timer_add(node, 7, 3600 * 1000, "tick", 4);
        cr_assert_neq(refs[i], 0);
    }
    pthread_mutex_lock(&rm__timer_of(node)->timers.lock);
    size_t nb = rm__timer_of(node)->timers.nbuckets;
    pthread_mutex_unlock(&rm__timer_of(node)->timers.lock);
    cr_expect_geq(nb, N / 2, "%zu buckets for %d timers", nb, N);
    for (int i = 0; i < N; i += 2)
        cr_assert_eq(rm__timer_cancel(node, 7, refs[i]), 0, "timer %d lost", i);
    cr_expect_eq(rm__timer_cancel(node, 8, refs[1]), -1, "cancelled another owner's timer");
    free(refs);
}
