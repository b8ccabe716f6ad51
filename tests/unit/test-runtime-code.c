/*
 * test-runtime-code.c - module versions and upgrades: bad module files,
 * load and purge rules, change_code by hand (the counter's seed scenario
 * up and down), and transactions: a 100,000-process upgrade, an abort that
 * restores everything, a suspend that times out, and the rest of the undo
 * log: processes started, deferred prepares, purges after commit,
 * irreversible steps.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test-runtime-util.h"

static struct rm_node *node;
static char tmpdir[256];

static void setup(void)
{
    node = rt_node(0);
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/relman-rt-XXXXXX", t && *t ? t : "/tmp");
    cr_assert(mkdtemp(tmpdir));
}

static void teardown(void)
{
    rm_node_free(node);
    rt_log_reset();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(code, .init = setup, .fini = teardown, .timeout = 300);

static size_t nmodules(void)
{
    struct rm_module_info *v;
    size_t n;
    cr_assert_eq(rm_module_list(node, &v, &n, NULL), 0);
    free(v);
    return n;
}

static void expect_load_error(const char *path, const char *name, const char *vsn,
                              const char *expect)
{
    size_t before = nmodules();
    struct rm_error err = {0};
    cr_assert_eq(rm_module_load(node, path, name, vsn, NULL, &err), -1, "%s loaded", path);
    cr_expect_str_eq(err.msg, expect);
    cr_expect_eq(nmodules(), before, "a failed load changed the module table");
}

Test(code, bad_module_files_each_get_a_clear_error)
{
    char path[512], msg[1024];

    snprintf(path, sizeof path, "%s/notelf.so", tmpdir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    for (int i = 0; i < 20; i++)
        fputs("this is not an ELF file\n", f);
    fclose(f);
    snprintf(msg, sizeof msg, "load '%s': invalid ELF header", path);
    expect_load_error(path, NULL, NULL, msg);

    const char *p = rt_path(0, "nodesc/nodesc.so");
    snprintf(msg, sizeof msg, "load '%s': no symbol 'relman_module': not a relman module", p);
    expect_load_error(p, NULL, NULL, msg);

    p = rt_path(0, "badabi/b.so");
    snprintf(msg, sizeof msg, "load '%s': module ABI version 99, this node loads 1 to 2", p);
    expect_load_error(p, NULL, NULL, msg);

    p = rt_counter(0, 1);
    snprintf(msg, sizeof msg, "load '%s': module name is 'z', expected 'y'", p);
    expect_load_error(p, "y", NULL, msg);
    snprintf(msg, sizeof msg, "load '%s': module 'z' is version '1', expected '7'", p);
    expect_load_error(p, "z", "7", msg);

    snprintf(path, sizeof path, "%s/missing.so", tmpdir);
    snprintf(msg, sizeof msg, "load '%s': no such file or directory", path);
    expect_load_error(path, NULL, NULL, msg);

    p = rt_counter(0, 0);
    rt_load(node, p);
    snprintf(msg, sizeof msg, "load '%s': path already loaded in this node", p);
    expect_load_error(p, NULL, NULL, msg);
    rt_expect(node, rt_spawn(node, "z", NULL, NULL, RM_RESTART_TEMPORARY), "boom", "0");
}

Test(code, load_with_unpurged_old_is_refused)
{
    rt_load(node, rt_path(0, "t-1/t.so"));
    rt_load(node, rt_path(1, "t-2/t.so"));
    char msg[1024];
    const char *p = rt_path(2, "t-3/t.so");
    snprintf(msg, sizeof msg, "load '%s': old code of 't' not purged", p);
    expect_load_error(p, NULL, NULL, msg);
    struct rm_error busy = {0};
    cr_assert_eq(rm_module_load(node, p, NULL, NULL, NULL, &busy), -1);
    cr_expect_eq(busy.code, RM_EBUSY);
    cr_expect_eq(busy.xcode, RM_XOLD_CODE, "busy because old code is in the way");
    struct rm_module_info *v;
    size_t n;
    cr_assert_eq(rm_module_list(node, &v, &n, NULL), 0);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(v[0].current_vsn, "2");
    cr_expect_str_eq(v[0].old_vsn, "1");
    free(v);
    cr_assert_eq(rm_module_purge(node, "t", RM_PURGE_SOFT, NULL, NULL), 0);
    rt_load(node, p);
}

Test(code, soft_purge_refuses_while_in_use_brutal_kills)
{
    rt_load(node, rt_path(0, "t-1/t.so"));
    rm_pid a = rt_spawn(node, "t", NULL, NULL, RM_RESTART_TEMPORARY);
    rm_pid b = rt_spawn(node, "t", NULL, NULL, RM_RESTART_TEMPORARY);
    rm_pid both[2] = {a, b};
    cr_assert_eq(rm_proc_suspend(node, both, 2, 5000, NULL), 0);
    rt_load(node, rt_path(1, "t-2/t.so"));
    struct rm_error err = {0};
    cr_assert_eq(rm_module_purge(node, "t", RM_PURGE_SOFT, NULL, &err), -1);
    cr_expect_str_eq(err.msg, "purge 't': 2 processes still run the old code (version '1')");
    cr_expect_eq(err.code, RM_EBUSY);
    cr_expect_eq(err.xcode, RM_XIN_USE, "busy because processes run it, not old code in the way");
    cr_assert_eq(rm_proc_resume(node, both, 2, NULL), 0);
    rt_expect(node, a, "vsn", "1"); /* suspended at the load: stays on its code */
    size_t killed = 0;
    cr_assert_eq(rm_module_purge(node, "t", RM_PURGE_BRUTAL, &killed, &err), 0, "%s", err.msg);
    cr_expect_eq(killed, 2);
    cr_expect_eq(rm_proc_call(node, a, "get", 3, 1000, &(char *){NULL}, &(size_t){0}, &err), -1);
    cr_expect_eq(err.code, RM_ENOENT);
    rm_pid c = rt_spawn(node, "t", NULL, NULL, RM_RESTART_TEMPORARY);
    rt_expect(node, c, "vsn", "2");
    cr_expect(rt_log_has("exited: killed"));
}

Test(code, load_without_code_change_moves_idle_processes)
{
    rt_load(node, rt_path(0, "t-1/t.so"));
    rm_pid a = rt_spawn(node, "t", NULL, "4", RM_RESTART_TEMPORARY);
    rt_load(node, rt_path(1, "t-2/t.so"));
    rt_expect(node, a, "vsn", "2");
    rt_expect(node, a, "get", "4"); /* same state */
    cr_assert_eq(rm_module_purge(node, "t", RM_PURGE_SOFT, NULL, NULL), 0);
}

Test(code, change_code_on_a_running_process_is_refused)
{
    rt_load(node, rt_path(0, "t-1/t.so"));
    rm_pid a = rt_spawn(node, "t", NULL, NULL, RM_RESTART_TEMPORARY);
    rt_load(node, rt_path(1, "t-2/t.so"));
    struct rm_error err = {0};
    cr_assert_eq(rm_proc_change_code(node, a, "t", "1", NULL, &err), -1);
    cr_expect_eq(err.code, RM_ESTATE);
    char msg[256];
    snprintf(msg, sizeof msg, "change code of '<%llu>': process not suspended",
             (unsigned long long)a);
    cr_expect_str_eq(err.msg, msg);
}

Test(code, failing_code_change_leaves_state_and_code)
{
    rt_load(node, rt_path(0, "t-1/t.so"));
    rm_pid a = rt_spawn(node, "t", "cc", "10", RM_RESTART_TEMPORARY);
    rt_expect(node, a, "get", "10");
    cr_assert_eq(rm_proc_suspend(node, &a, 1, 5000, NULL), 0);
    cr_assert_eq(rm_proc_cast(node, a, "add 1", 5, NULL), 0);
    rt_load(node, rt_path(1, "t-2/t.so"));
    struct rm_error err = {0};
    cr_assert_eq(rm_proc_change_code(node, a, "t", "1", "fail", &err), -1);
    cr_expect_eq(err.code, RM_ECODECHANGE);
    cr_expect_str_eq(err.msg, "change code of 'cc' (module 't', version '1' to '2'): refused by "
                              "test");
    char buf[64];
    cr_expect_str_eq(rt_version(node, a, buf), "1");
    cr_assert_eq(rm_proc_resume(node, &a, 1, NULL), 0);
    rt_expect(node, a, "vsn", "1");
    rt_expect(node, a, "get", "11");
    rt_expect(node, a, "log", "1");
    rt_expect(node, a, "changes", "0");
    /* a second try that succeeds */
    cr_assert_eq(rm_proc_suspend(node, &a, 1, 5000, NULL), 0);
    cr_assert_eq(rm_proc_change_code(node, a, "t", "2", NULL, &err), -1);
    cr_expect_str_eq(err.msg, "change code of 'cc' (module 't'): process runs version '1', not "
                              "'2'");
    cr_assert_eq(rm_proc_change_code(node, a, "t", "1", NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_proc_resume(node, &a, 1, NULL), 0);
    rt_expect(node, a, "vsn", "2");
    rt_expect(node, a, "get", "12");
    rt_expect(node, a, "changes", "1");
}

/* The seed scenario, by hand: 0, 1, upgrade, 2, 3, downgrade, 4. */
Test(code, counter_up_and_down_by_hand)
{
    rt_load(node, rt_counter(0, 0));
    rm_pid z = rt_spawn(node, "z", "z", NULL, RM_RESTART_PERMANENT);
    rt_expect(node, z, "boom", "0");
    rt_expect(node, z, "boom", "1");
    struct rm_error err = {0};
    cr_assert_eq(rm_proc_suspend(node, &z, 1, 5000, &err), 0);
    cr_assert_eq(rm_module_purge(node, "z", RM_PURGE_SOFT, NULL, &err), 0);
    cr_assert_eq(rm_module_load(node, rt_counter(1, 1), "z", "1", NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_proc_change_code(node, z, "z", "0", NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_proc_resume(node, &z, 1, &err), 0);
    cr_assert_eq(rm_proc_trace(node, z, 1, NULL), 0);
    rt_expect(node, z, "boom", "2");
    rt_expect(node, z, "boom", "3");
    cr_expect(rt_log_wait("*DBG* z sent 3 to <client>, new state {tschak,4}"));
    char buf[64];
    cr_assert_eq(rm_proc_format_state(node, z, buf, sizeof buf, NULL), 0);
    cr_expect_str_eq(buf, "{tschak,4}");

    /* down: version "0" comes back from its own (unloaded) path */
    cr_assert_eq(rm_proc_suspend(node, &z, 1, 5000, &err), 0);
    cr_assert_eq(rm_module_purge(node, "z", RM_PURGE_SOFT, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_module_load(node, rt_counter(0, 0), "z", "0", NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_proc_change_code_dir(node, z, "z", RM_DOWN, "0", NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_proc_resume(node, &z, 1, &err), 0);
    rt_expect(node, z, "boom", "4");
    cr_expect_str_eq(rt_version(node, z, buf), "0");
    cr_assert_eq(rm_proc_format_state(node, z, buf, sizeof buf, NULL), 0);
    cr_expect_str_eq(buf, "5");
}

static void txn_upgrade_t(rm_pid *pids, size_t n, const char *extra, int expect_ok,
                          struct rm_error *err)
{
    struct rm_txn *txn = rm_txn_begin(node, err);
    cr_assert(txn, "%s", err->msg);
    const char *mods[] = {"t"};
    size_t count = 0;
    cr_assert_eq(rm_txn_prepare(txn, rt_path(1, "t-2/t.so"), "t", "2", err), 0, "%s", err->msg);
    cr_assert_eq(rm_txn_suspend(txn, mods, 1, 10000, &count, err), 0, "%s", err->msg);
    cr_assert_eq(count, n);
    /* messages that arrive while suspended must survive whatever happens */
    for (size_t i = 0; i < n; i++) {
        char msg[32];
        snprintf(msg, sizeof msg, "add q%zu", i);
        cr_assert_eq(rm_proc_cast(node, pids[i], msg, strlen(msg), NULL), 0);
    }
    cr_assert_eq(rm_txn_load(txn, "t", err), 0, "%s", err->msg);
    int r = rm_txn_code_change(txn, "t", RM_UP, NULL, extra, 60000, &count, err);
    if (!expect_ok) {
        cr_assert_eq(r, -1);
        rm_txn_abort(txn);
        return;
    }
    cr_assert_eq(r, 0, "%s", err->msg);
    cr_assert_eq(rm_txn_resume(txn, mods, 1, &count, err), 0);
    uint64_t pause = 0;
    cr_assert_eq(rm_txn_commit(txn, &pause), 0);
    cr_expect_gt(pause, 0);
}

Test(code, txn_abort_restores_states_code_and_queues)
{
    enum { N = 1000 };
    rt_load(node, rt_path(0, "t-1/t.so"));
    rm_pid pids[N];
    for (int i = 0; i < N; i++) {
        char arg[16];
        snprintf(arg, sizeof arg, "%d", i);
        pids[i] = rt_spawn(node, "t", NULL, arg, RM_RESTART_TEMPORARY);
    }
    struct rm_error err = {0};
    txn_upgrade_t(pids, N, "fail-at 500", 0, &err);
    cr_expect_eq(err.code, RM_ECODECHANGE);
    char msg[256];
    snprintf(msg, sizeof msg,
             "code change of '<%llu>' (module 't', version '1' to '2'): refused by test",
             (unsigned long long)pids[500]);
    cr_expect_str_eq(err.msg, msg);
    for (int i = 0; i < N; i++) {
        char expect[32];
        snprintf(expect, sizeof expect, "%d", i);
        rt_expect(node, pids[i], "vsn", "1");
        rt_expect(node, pids[i], "peek", expect);
        rt_expect(node, pids[i], "changes", "0");
        snprintf(expect, sizeof expect, "q%d", i);
        rt_expect(node, pids[i], "log", expect);
    }
    struct rm_module_info *v;
    size_t n;
    cr_assert_eq(rm_module_list(node, &v, &n, NULL), 0);
    cr_expect_str_eq(v[0].current_vsn, "1");
    cr_expect_str_eq(v[0].old_vsn, "");
    free(v);
    /* the same upgrade, fixed, can run again from the same path */
    txn_upgrade_t(pids, N, NULL, 1, &err);
    for (int i = 0; i < N; i += 37) {
        char expect[32];
        snprintf(expect, sizeof expect, "%d", i);
        rt_expect(node, pids[i], "vsn", "2");
        rt_expect(node, pids[i], "peek", expect);
        rt_expect(node, pids[i], "changes", "1");
        snprintf(expect, sizeof expect, "q%d q%d", i, i);
        rt_expect(node, pids[i], "log", expect);
    }
    cr_assert_eq(rm_module_list(node, &v, &n, NULL), 0);
    cr_expect_str_eq(v[0].current_vsn, "2");
    cr_expect_str_eq(v[0].old_vsn, "", "commit did not purge the replaced code");
    free(v);
}

Test(code, txn_upgrades_100000_counters)
{
    enum { N = 100000 };
    rt_load(node, rt_counter(0, 0));
    rm_pid *pids = malloc(N * sizeof *pids);
    struct rm_spawn_opts o = {.module = "z"};
    struct rm_error err = {0};
    cr_assert_eq(rm_proc_spawn_many(node, &o, N, pids, &err), 0, "%s", err.msg);
    for (int i = 0; i < N; i++)
        rt_expect(node, pids[i], "boom", "0");
    struct rm_txn *txn = rm_txn_begin(node, &err);
    cr_assert(txn);
    const char *mods[] = {"z"};
    size_t count = 0;
    cr_assert_eq(rm_txn_prepare(txn, rt_counter(1, 1), "z", "1", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_suspend(txn, mods, 1, 60000, &count, &err), 0, "%s", err.msg);
    cr_assert_eq(count, N);
    cr_assert_eq(rm_txn_load(txn, "z", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_code_change(txn, "z", RM_UP, NULL, "", 60000, &count, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(count, N);
    cr_assert_eq(rm_txn_resume(txn, mods, 1, &count, &err), 0);
    cr_assert_eq(rm_txn_commit(txn, NULL), 0);
    for (int i = 0; i < N; i++)
        rt_expect(node, pids[i], "boom", "1");
    char buf[64];
    cr_assert_eq(rm_proc_format_state(node, pids[N - 1], buf, sizeof buf, NULL), 0);
    cr_expect_str_eq(buf, "{tschak,2}");
    free(pids);
}

struct slow_call {
    rm_pid pid;
    int ms; /* how long the callback sleeps; 0: 5000 */
    int rc;
};

static void *slow_thread(void *arg)
{
    struct slow_call *s = arg;
    char *reply = NULL, msg[32];
    size_t len;
    snprintf(msg, sizeof msg, "sleep %d", s->ms ? s->ms : 5000);
    s->rc = rm_proc_call(node, s->pid, msg, strlen(msg), -1, &reply, &len, NULL);
    free(reply);
    return NULL;
}

static void wait_file(const char *path)
{
    for (int k = 0; k < 3000 && access(path, F_OK) != 0; k++)
        usleep(10000);
    cr_assert_eq(access(path, F_OK), 0, "the slow callback never started");
}

Test(code, suspend_times_out_on_a_slow_callback_and_undoes)
{
    rt_load(node, rt_path(0, "slow-1/slow.so"));
    char marker[512];
    snprintf(marker, sizeof marker, "%s/in-callback", tmpdir);
    rm_pid a = rt_spawn(node, "slow", NULL, marker, RM_RESTART_TEMPORARY);
    rm_pid b = rt_spawn(node, "slow", NULL, NULL, RM_RESTART_TEMPORARY);
    struct slow_call s = {.pid = a};
    pthread_t tid;
    cr_assert_eq(pthread_create(&tid, NULL, slow_thread, &s), 0);
    wait_file(marker);
    struct rm_error err = {0};
    rm_pid both[2] = {b, a};
    cr_assert_eq(rm_proc_suspend(node, both, 2, 100, &err), -1);
    cr_expect_eq(err.code, RM_ETIMEOUT);
    char msg[256];
    snprintf(msg, sizeof msg, "suspend '<%llu>': still in a callback after 100 ms",
             (unsigned long long)a);
    cr_expect_str_eq(err.msg, msg);
    struct rm_proc_info *v;
    size_t n;
    cr_assert_eq(rm_proc_list(node, NULL, &v, &n, NULL), 0);
    for (size_t i = 0; i < n; i++)
        cr_expect_eq(v[i].suspended, 0, "<%llu> left suspended", (unsigned long long)v[i].pid);
    free(v);
    rt_expect(node, b, "x", "ok");

    /* the same through a transaction: nothing stays suspended */
    struct rm_txn *txn = rm_txn_begin(node, &err);
    cr_assert(txn);
    const char *mods[] = {"slow"};
    cr_assert_eq(rm_txn_suspend(txn, mods, 1, 100, NULL, &err), -1);
    cr_expect_eq(err.code, RM_ETIMEOUT);
    rm_txn_abort(txn);
    rt_expect(node, b, "x", "ok");
    pthread_join(tid, NULL);
    cr_expect_eq(s.rc, 0);
}

static double secs_since(uint64_t t0)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec - t0) / 1e9;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct commit_call {
    struct rm_txn *txn;
    double secs;
};

static void *commit_thread(void *arg)
{
    struct commit_call *c = arg;
    uint64_t t0 = now_ns();
    rm_txn_commit(c->txn, NULL);
    c->secs = secs_since(t0);
    return NULL;
}

/* A process of the upgraded module inside a long callback at commit moves
   to the new code at its next message: commit does not wait for it, and an
   unrelated control operation is not held behind it. */
Test(code, commit_does_not_wait_for_a_process_inside_a_callback)
{
    rt_load(node, rt_path(0, "slow-1/slow.so"));
    rt_load(node, rt_path(1, "t-1/t.so"));
    char marker[512];
    snprintf(marker, sizeof marker, "%s/in-callback", tmpdir);
    rm_pid a = rt_spawn(node, "slow", NULL, marker, RM_RESTART_TEMPORARY);
    rm_pid c = rt_spawn(node, "t", NULL, "0", RM_RESTART_TEMPORARY);
    struct slow_call s = {.pid = a, .ms = 2000};
    pthread_t tid, ctid;
    cr_assert_eq(pthread_create(&tid, NULL, slow_thread, &s), 0);
    wait_file(marker);
    uint64_t t0 = now_ns();
    struct rm_error err = {0};
    struct rm_txn *txn = rm_txn_begin(node, &err);
    cr_assert(txn);
    cr_assert_eq(rm_txn_prepare(txn, rt_path(2, "slow-2/slow.so"), "slow", "2", &err), 0, "%s",
                 err.msg);
    cr_assert_eq(rm_txn_load(txn, "slow", &err), 0, "%s", err.msg);
    struct commit_call cc = {.txn = txn};
    cr_assert_eq(pthread_create(&ctid, NULL, commit_thread, &cc), 0);
    usleep(50000);
    uint64_t t1 = now_ns();
    cr_assert_eq(rm_proc_suspend(node, &c, 1, 5000, &err), 0, "%s", err.msg);
    double susp = secs_since(t1);
    cr_assert_eq(rm_proc_resume(node, &c, 1, &err), 0, "%s", err.msg);
    pthread_join(ctid, NULL);
    double total = secs_since(t0);
    cr_expect_lt(cc.secs, 1.5, "commit took %.2f s behind a 2 s callback", cc.secs);
    cr_expect_lt(susp, 1.5, "an unrelated suspend took %.2f s", susp);
    cr_expect_lt(total, 1.5);
    pthread_join(tid, NULL);
    cr_expect_eq(s.rc, 0);
    rt_expect(node, a, "x", "ok");
    char buf[64];
    cr_expect_str_eq(rt_version(node, a, buf), "2");
}

Test(code, txn_code_change_over_its_time_limit_fails_and_aborts)
{
    rt_load(node, rt_path(0, "slow-1/slow.so"));
    rm_pid a = rt_spawn(node, "slow", NULL, NULL, RM_RESTART_TEMPORARY);
    struct rm_error err = {0};
    const char *mods[] = {"slow"};
    struct rm_txn *txn = rm_txn_begin(node, &err);
    cr_assert(txn);
    cr_assert_eq(rm_txn_prepare(txn, rt_path(1, "slow-2/slow.so"), "slow", "2", &err), 0, "%s",
                 err.msg);
    cr_assert_eq(rm_txn_suspend(txn, mods, 1, 5000, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_load(txn, "slow", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_code_change(txn, "slow", RM_UP, NULL, "300", 50, NULL, &err), -1);
    char msg[256];
    snprintf(msg, sizeof msg,
             "code change of '<%llu>' (module 'slow', version '1' to '2'): timed out (over 50 ms)",
             (unsigned long long)a);
    cr_expect_str_eq(err.msg, msg);
    rm_txn_abort(txn);
    char buf[64];
    cr_expect_str_eq(rt_version(node, a, buf), "1");
    rt_expect(node, a, "x", "ok");
}

Test(code, one_transaction_at_a_time)
{
    struct rm_error err = {0};
    struct rm_txn *txn = rm_txn_begin(node, &err);
    cr_assert(txn);
    cr_assert_null(rm_txn_begin(node, &err));
    cr_expect_eq(err.code, RM_EBUSY);
    cr_expect_str_eq(err.msg, "an upgrade is already in progress on this node");
    rm_txn_abort(txn);
    txn = rm_txn_begin(node, &err);
    cr_assert(txn);
    cr_assert_eq(rm_txn_commit(txn, NULL), 0);
}

Test(code, txn_downgrade_runs_down_in_the_newer_code)
{
    rt_load(node, rt_counter(0, 0));
    rm_pid z = rt_spawn(node, "z", "z", NULL, RM_RESTART_PERMANENT);
    rt_expect(node, z, "boom", "0");
    struct rm_error err = {0};
    const char *mods[] = {"z"};
    struct rm_txn *txn = rm_txn_begin(node, &err);
    cr_assert_eq(rm_txn_prepare(txn, rt_counter(1, 1), "z", "1", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_suspend(txn, mods, 1, 5000, NULL, &err), 0);
    cr_assert_eq(rm_txn_load(txn, "z", &err), 0);
    cr_assert_eq(rm_txn_code_change(txn, "z", RM_UP, NULL, "", 5000, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_commit(txn, NULL), 0);
    rt_expect(node, z, "boom", "1");

    txn = rm_txn_begin(node, &err);
    cr_assert_eq(rm_txn_prepare(txn, rt_counter(0, 0), "z", "0", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_suspend(txn, mods, 1, 5000, NULL, &err), 0);
    cr_assert_eq(rm_txn_code_change(txn, "z", RM_DOWN, "0", "", 5000, NULL, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(rm_txn_load(txn, "z", &err), 0);
    cr_assert_eq(rm_txn_commit(txn, NULL), 0);
    rt_expect(node, z, "boom", "2");
    char buf[64];
    cr_expect_str_eq(rt_version(node, z, buf), "0");
    cr_assert_eq(rm_proc_format_state(node, z, buf, sizeof buf, NULL), 0);
    cr_expect_str_eq(buf, "3");
}

/* A downgrade changes the state down before it loads the older code: until
   commit, `relman state` shows the process as it stood before the
   transaction (its kept state, formatted by its own code), never the newer
   code's format run on the older layout. */
static void expect_state(rm_pid z, const char *expect)
{
    char buf[64];
    struct rm_error err = {0};
    cr_assert_eq(rm_proc_format_state(node, z, buf, sizeof buf, &err), 0, "%s", err.msg);
    cr_expect_str_eq(buf, expect);
}

static struct rm_txn *txn_down_z(void)
{
    struct rm_error err = {0};
    const char *mods[] = {"z"};
    struct rm_txn *txn = rm_txn_begin(node, &err);
    cr_assert(txn, "%s", err.msg);
    cr_assert_eq(rm_txn_prepare(txn, rt_counter(0, 0), "z", "0", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_suspend(txn, mods, 1, 5000, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_code_change(txn, "z", RM_DOWN, "0", "", 5000, NULL, &err), 0, "%s",
                 err.msg);
    return txn;
}

Test(code, format_state_in_a_downgrade_shows_the_state_before_the_transaction)
{
    rt_load(node, rt_counter(0, 0));
    rm_pid z = rt_spawn(node, "z", "z", NULL, RM_RESTART_PERMANENT);
    rt_expect(node, z, "boom", "0");
    struct rm_error err = {0};
    const char *mods[] = {"z"};
    struct rm_txn *txn = rm_txn_begin(node, &err);
    cr_assert_eq(rm_txn_prepare(txn, rt_counter(1, 1), "z", "1", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_suspend(txn, mods, 1, 5000, NULL, &err), 0);
    cr_assert_eq(rm_txn_load(txn, "z", &err), 0);
    cr_assert_eq(rm_txn_code_change(txn, "z", RM_UP, NULL, "", 5000, NULL, &err), 0, "%s", err.msg);
    expect_state(z, "1"); /* up: still the state before, in its own code */
    cr_assert_eq(rm_txn_commit(txn, NULL), 0);
    expect_state(z, "{tschak,1}");

    /* down, then abort before the load */
    txn = txn_down_z();
    expect_state(z, "{tschak,1}");
    rm_txn_abort(txn);
    expect_state(z, "{tschak,1}");
    rt_expect(node, z, "boom", "1");

    /* down, load, commit */
    txn = txn_down_z();
    expect_state(z, "{tschak,2}");
    cr_assert_eq(rm_txn_load(txn, "z", &err), 0, "%s", err.msg);
    expect_state(z, "{tschak,2}");
    cr_assert_eq(rm_txn_commit(txn, NULL), 0);
    expect_state(z, "2");
    rt_expect(node, z, "boom", "2");
}

/*
 * DESIGN.md's quality bar: a long upgrade/rollback loop shows no leak. 200
 * round trips of 100 counters, up to version "1" and back down to "0", each
 * as a committed transaction; every old version is purged at commit and its
 * object closed, so the same paths load again. Under the ASan build the leak
 * checker fails this test if a state, a message or a code record is lost.
 */
Test(code, long_upgrade_rollback_loop_keeps_counts_and_leaks_nothing)
{
    enum { PROCS = 100, ROUNDS = 200 };
    rt_load(node, rt_counter(0, 0));
    struct rm_spawn_opts so = {.module = "z", .restart = RM_RESTART_PERMANENT};
    rm_pid pids[PROCS];
    struct rm_error err = {0};
    cr_assert_eq(rm_proc_spawn_many(node, &so, PROCS, pids, &err), 0, "%s", err.msg);
    const char *mods[] = {"z"};
    for (int r = 0; r < ROUNDS; r++) {
        int up = r % 2 == 0;
        struct rm_txn *txn = rm_txn_begin(node, &err);
        cr_assert(txn, "%s", err.msg);
        cr_assert_eq(rm_txn_prepare(txn, rt_counter(up, up), "z", up ? "1" : "0", &err), 0,
                     "round %d: %s", r, err.msg);
        cr_assert_eq(rm_txn_suspend(txn, mods, 1, 5000, NULL, &err), 0, "%s", err.msg);
        if (up)
            cr_assert_eq(rm_txn_load(txn, "z", &err), 0, "%s", err.msg);
        cr_assert_eq(rm_txn_code_change(txn, "z", up ? RM_UP : RM_DOWN, up ? NULL : "0", "", 5000,
                                        NULL, &err),
                     0, "round %d: %s", r, err.msg);
        if (!up)
            cr_assert_eq(rm_txn_load(txn, "z", &err), 0, "%s", err.msg);
        cr_assert_eq(rm_txn_resume(txn, mods, 1, NULL, &err), 0, "%s", err.msg);
        cr_assert_eq(rm_txn_commit(txn, NULL), 0);
        /* one call per process per round: the count is the round number */
        for (int i = 0; i < PROCS; i++) {
            char want[16];
            snprintf(want, sizeof want, "%d", r);
            rt_expect(node, pids[i], "boom", want);
        }
    }
    char buf[64];
    cr_expect_str_eq(rt_version(node, pids[0], buf), "0");
}

static int is_suspended(rm_pid pid)
{
    struct rm_proc_info *v;
    size_t n;
    cr_assert_eq(rm_proc_list(node, NULL, &v, &n, NULL), 0);
    int s = -1;
    for (size_t i = 0; i < n; i++)
        if (v[i].pid == pid)
            s = v[i].suspended;
    free(v);
    return s;
}

/* A process suspended by hand before an upgrade is migrated by it (never
   moved to code whose state layout changed without its code_change), and
   stays suspended at commit and at abort, as the user left it. */
static void txn_over_hand_suspended(int commit)
{
    rt_load(node, rt_counter(0, 0));
    rm_pid z = rt_spawn(node, "z", "z", NULL, RM_RESTART_PERMANENT);
    rt_expect(node, z, "boom", "0");
    rt_expect(node, z, "boom", "1");
    struct rm_error err = {0};
    cr_assert_eq(rm_proc_suspend(node, &z, 1, 5000, &err), 0, "%s", err.msg);
    const char *mods[] = {"z"};
    size_t count = 0;
    struct rm_txn *txn = rm_txn_begin(node, &err);
    cr_assert(txn, "%s", err.msg);
    cr_assert_eq(rm_txn_prepare(txn, rt_counter(1, 1), "z", "1", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_suspend(txn, mods, 1, 5000, &count, &err), 0, "%s", err.msg);
    cr_expect_eq(count, 1, "the process suspended by hand was left out");
    cr_assert_eq(rm_proc_resume(node, &z, 1, &err), -1);
    cr_expect_eq(err.code, RM_EBUSY);
    cr_assert_eq(rm_txn_load(txn, "z", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_code_change(txn, "z", RM_UP, NULL, "", 5000, &count, &err), 0, "%s",
                 err.msg);
    cr_expect_eq(count, 1);
    cr_assert_eq(rm_txn_resume(txn, mods, 1, &count, &err), 0);
    if (commit)
        cr_assert_eq(rm_txn_commit(txn, NULL), 0);
    else
        rm_txn_abort(txn);
    cr_expect_eq(is_suspended(z), 1, "the transaction resumed a process suspended by hand");
    char buf[64];
    cr_expect_str_eq(rt_version(node, z, buf), commit ? "1" : "0");
    cr_assert_eq(rm_proc_format_state(node, z, buf, sizeof buf, NULL), 0);
    cr_expect_str_eq(buf, commit ? "{tschak,2}" : "2");
    cr_assert_eq(rm_proc_resume(node, &z, 1, &err), 0, "%s", err.msg);
    rt_expect(node, z, "boom", "2");
}

Test(code, txn_migrates_a_process_suspended_by_hand_and_leaves_it_suspended)
{
    txn_over_hand_suspended(1);
}

Test(code, txn_abort_leaves_a_process_suspended_by_hand_as_it_was)
{
    txn_over_hand_suspended(0);
}

/* Down by hand in the order module.h gives: change_code down while the
   newer code is current, then load the older code: the process moves to it
   at that load (its state is for that version), and until then it cannot
   be resumed on code that would misread its state. */
Test(code, change_code_down_before_the_older_code_moves_at_its_load)
{
    rt_load(node, rt_counter(0, 0));
    rm_pid z = rt_spawn(node, "z", "z", NULL, RM_RESTART_PERMANENT);
    rt_expect(node, z, "boom", "0");
    rt_expect(node, z, "boom", "1");
    struct rm_error err = {0};
    cr_assert_eq(rm_proc_suspend(node, &z, 1, 5000, &err), 0);
    rt_load(node, rt_counter(1, 1));
    cr_assert_eq(rm_proc_change_code(node, z, "z", "0", NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_proc_resume(node, &z, 1, &err), 0, "%s", err.msg);
    rt_expect(node, z, "boom", "2");
    cr_assert_eq(rm_module_purge(node, "z", RM_PURGE_SOFT, NULL, &err), 0, "%s", err.msg);

    cr_assert_eq(rm_proc_suspend(node, &z, 1, 5000, &err), 0);
    cr_assert_eq(rm_proc_change_code_dir(node, z, "z", RM_DOWN, "0", NULL, &err), 0, "%s", err.msg);
    char buf[64];
    cr_expect_str_eq(rt_version(node, z, buf), "1");
    cr_assert_eq(rm_proc_resume(node, &z, 1, &err), -1);
    cr_expect_eq(err.code, RM_ESTATE);
    cr_expect_str_eq(err.msg, "resume 'z': its state was changed down to version '0' of 'z'; load "
                              "that version first");
    cr_assert_eq(rm_proc_change_code(node, z, "z", "1", NULL, &err), -1);
    cr_expect_str_eq(err.msg, "change code of 'z': its state was changed down to version '0'; "
                              "load that version first");
    cr_assert_eq(rm_module_purge(node, "z", RM_PURGE_SOFT, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_module_load(node, rt_counter(0, 0), "z", "0", NULL, &err), 0, "%s", err.msg);
    cr_expect_str_eq(rt_version(node, z, buf), "0");
    cr_assert_eq(rm_proc_resume(node, &z, 1, &err), 0, "%s", err.msg);
    rt_expect(node, z, "boom", "3");
    rt_expect(node, z, "boom", "4");
    cr_assert_eq(rm_proc_format_state(node, z, buf, sizeof buf, NULL), 0);
    cr_expect_str_eq(buf, "5");
    /* the newer code, now old, has no user left */
    cr_assert_eq(rm_module_purge(node, "z", RM_PURGE_SOFT, NULL, &err), 0, "%s", err.msg);
}

/* After a load without code change, processes that are neither suspended
   nor kept on their code only wait for their next message to move: a purge
   moves them (with their state) instead of counting them as users of the
   old code, as OTP's soft purge succeeds there. */
Test(code, purge_moves_processes_that_wait_for_their_next_message)
{
    rt_load(node, rt_path(0, "t-1/t.so"));
    rm_pid a = rt_spawn(node, "t", NULL, "4", RM_RESTART_TEMPORARY);
    rm_pid b = rt_spawn(node, "t", NULL, "7", RM_RESTART_PERMANENT);
    rt_load(node, rt_path(1, "t-2/t.so"));
    struct rm_error err = {0};
    cr_assert_eq(rm_module_purge(node, "t", RM_PURGE_SOFT, NULL, &err), 0, "%s", err.msg);
    char buf[64];
    cr_expect_str_eq(rt_version(node, a, buf), "2");
    rt_expect(node, a, "peek", "4");
    rt_load(node, rt_path(2, "t-3/t.so"));
    size_t killed = 9;
    cr_assert_eq(rm_module_purge(node, "t", RM_PURGE_BRUTAL, &killed, &err), 0, "%s", err.msg);
    cr_expect_eq(killed, 0);
    cr_expect_str_eq(rt_version(node, b, buf), "3");
    rt_expect(node, b, "peek", "7");
    cr_expect_not(rt_log_has("killed"));
}

/* Stop and brutal purge wait at most 5 s for a process to leave its
   callback; then they fail with RM_ETIMEOUT and change nothing. */
Test(code, stop_and_brutal_purge_give_up_on_a_long_callback)
{
    rt_load(node, rt_path(0, "slow-1/slow.so"));
    char marker[512];
    snprintf(marker, sizeof marker, "%s/in-callback", tmpdir);
    rm_pid a = rt_spawn(node, "slow", NULL, marker, RM_RESTART_TEMPORARY);
    struct slow_call s = {.pid = a, .ms = 12000};
    pthread_t tid;
    cr_assert_eq(pthread_create(&tid, NULL, slow_thread, &s), 0);
    wait_file(marker);
    rt_load(node, rt_path(1, "slow-2/slow.so"));
    struct rm_error err = {0};
    char msg[256];
    cr_assert_eq(rm_module_purge(node, "slow", RM_PURGE_BRUTAL, NULL, &err), -1);
    cr_expect_eq(err.code, RM_ETIMEOUT);
    snprintf(msg, sizeof msg, "purge 'slow': suspend '<%llu>': still in a callback after 5000 ms",
             (unsigned long long)a);
    cr_expect_str_eq(err.msg, msg);
    struct rm_module_info *v;
    size_t n;
    cr_assert_eq(rm_module_list(node, &v, &n, NULL), 0);
    cr_expect_str_eq(v[0].old_vsn, "1", "a purge that failed dropped the old code");
    free(v);
    cr_assert_eq(rm_proc_stop(node, a, NULL, &err), -1);
    cr_expect_eq(err.code, RM_ETIMEOUT);
    snprintf(msg, sizeof msg, "stop '<%llu>': still in a callback after 5000 ms",
             (unsigned long long)a);
    cr_expect_str_eq(err.msg, msg);
    pthread_join(tid, NULL);
    cr_expect_eq(s.rc, 0, "a failed stop or purge ended the process");
    cr_expect_eq(is_suspended(a), 0);
    char buf[64];
    rt_expect(node, a, "x", "ok");
    cr_expect_str_eq(rt_version(node, a, buf), "2");
    cr_assert_eq(rm_module_purge(node, "slow", RM_PURGE_SOFT, NULL, &err), 0, "%s", err.msg);
}

/* An aborted upgrade moves back only the processes it moved: one started
   on the loaded code during the transaction (its state from that code's
   init) keeps that code, which stays as the module's old code. */
Test(code, txn_abort_leaves_processes_started_on_the_new_code_on_it)
{
    rt_load(node, rt_path(0, "t-1/t.so"));
    rm_pid a = rt_spawn(node, "t", NULL, "4", RM_RESTART_TEMPORARY);
    struct rm_error err = {0};
    struct rm_txn *txn = rm_txn_begin(node, &err);
    cr_assert(txn, "%s", err.msg);
    cr_assert_eq(rm_txn_prepare(txn, rt_path(1, "t-2/t.so"), "t", "2", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_load(txn, "t", &err), 0, "%s", err.msg);
    rt_expect(node, a, "vsn", "2"); /* moved at its next message */
    rm_pid b = rt_spawn(node, "t", NULL, "9", RM_RESTART_TEMPORARY);
    rm_txn_abort(txn);
    char buf[64];
    /* a worker may still be between a's callbacks: abort does not wait for
       it, and it moves back at its next message */
    rt_expect(node, a, "vsn", "1");
    cr_expect_str_eq(rt_version(node, a, buf), "1");
    cr_expect_str_eq(rt_version(node, b, buf), "2", "abort moved a process it never moved");
    rt_expect(node, a, "peek", "4");
    rt_expect(node, b, "vsn", "2");
    rt_expect(node, b, "peek", "9");
    struct rm_module_info *v;
    size_t n;
    cr_assert_eq(rm_module_list(node, &v, &n, NULL), 0);
    cr_expect_str_eq(v[0].current_vsn, "1");
    cr_expect_str_eq(v[0].old_vsn, "2");
    cr_expect_eq(v[0].procs_old, 1);
    free(v);
    cr_assert_eq(rm_module_purge(node, "t", RM_PURGE_SOFT, NULL, &err), -1);
    cr_expect_str_eq(err.msg, "purge 't': 1 process still runs the old code (version '2')");
    size_t killed = 0;
    cr_assert_eq(rm_module_purge(node, "t", RM_PURGE_BRUTAL, &killed, &err), 0, "%s", err.msg);
    cr_expect_eq(killed, 1);
    rt_expect(node, a, "get", "4");
}

/* The module table's entry for t: its current and old versions. */
static void expect_t_versions(const char *current, const char *old, size_t procs_old)
{
    struct rm_module_info *v;
    size_t n;
    cr_assert_eq(rm_module_list(node, &v, &n, NULL), 0);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(v[0].current_vsn, current);
    cr_expect_str_eq(v[0].old_vsn, old);
    cr_expect_eq(v[0].procs_old, procs_old);
    free(v);
}

/* Leaves a process on t's old version 1 (version 2 current): suspended
   while version 2 was loaded, it stayed on its code. */
static rm_pid t_with_old_in_use(void)
{
    rt_load(node, rt_path(0, "t-1/t.so"));
    rm_pid a = rt_spawn(node, "t", NULL, "4", RM_RESTART_TEMPORARY);
    cr_assert_eq(rm_proc_suspend(node, &a, 1, 5000, NULL), 0);
    rt_load(node, rt_path(1, "t-2/t.so"));
    cr_assert_eq(rm_proc_resume(node, &a, 1, NULL), 0);
    rt_expect(node, a, "vsn", "1");
    expect_t_versions("2", "1", 1);
    return a;
}

static int proc_gone(rm_pid pid)
{
    struct rm_error err = {0};
    int r = rm_proc_call(node, pid, "get", 3, 1000, &(char *){NULL}, &(size_t){0}, &err);
    return r == -1 && err.code == RM_ENOENT;
}

Test(code, txn_spawn_is_stopped_by_abort_before_the_code_is_unloaded)
{
    rt_load(node, rt_path(0, "t-1/t.so"));
    struct rm_error err = {0};
    struct rm_txn *txn = rm_txn_begin(node, &err);
    cr_assert(txn, "%s", err.msg);
    cr_assert_eq(rm_txn_prepare(txn, rt_path(1, "t-2/t.so"), "t", "2", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_load(txn, "t", &err), 0, "%s", err.msg);
    struct rm_spawn_opts so = {.module = "t", .name = "first", .arg = "1"};
    rm_pid a, b;
    cr_assert_eq(rm_txn_spawn(txn, &so, &a, &err), 0, "%s", err.msg);
    so.name = "second";
    cr_assert_eq(rm_txn_spawn(txn, &so, &b, &err), 0, "%s", err.msg);
    rt_expect(node, a, "vsn", "2");
    rt_expect(node, b, "vsn", "2");
    so.module = "nosuch";
    cr_assert_eq(rm_txn_spawn(txn, &so, NULL, &err), -1);
    cr_expect_eq(err.code, RM_ENOENT);
    rm_txn_abort(txn);
    cr_expect(proc_gone(a) && proc_gone(b), "abort left a process it started");
    cr_expect_eq(rm_proc_resolve(node, "first", &a, NULL), -1);
    /* stopped first, so nothing kept the loaded code */
    expect_t_versions("1", "", 0);

    /* commit leaves them running */
    txn = rm_txn_begin(node, &err);
    cr_assert(txn, "%s", err.msg);
    so = (struct rm_spawn_opts){.module = "t", .arg = "7"};
    cr_assert_eq(rm_txn_spawn(txn, &so, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_commit(txn, NULL), 0);
    rt_expect(node, a, "get", "7");
}

Test(code, txn_deferred_prepare_purges_the_old_version_at_its_load)
{
    rm_pid a = t_with_old_in_use();
    struct rm_error err = {0};
    struct rm_txn *txn = rm_txn_begin(node, &err);
    cr_assert(txn, "%s", err.msg);
    const char *p3 = rt_path(2, "t-3/t.so");
    char msg[1024];
    cr_assert_eq(rm_txn_prepare(txn, p3, "t", "3", &err), -1);
    snprintf(msg, sizeof msg, "prepare '%s': old code of 't' not purged", p3);
    cr_expect_str_eq(err.msg, msg);
    cr_assert_eq(rm_txn_prepare_deferred(txn, p3, "t", "7", &err), -1, "a bad object deferred");
    cr_assert_eq(rm_txn_prepare_deferred(txn, p3, "t", "3", &err), 0, "%s", err.msg);
    /* validated only: nothing killed yet, still undoable */
    rt_expect(node, a, "vsn", "1");
    cr_expect_eq(rm_txn_irreversible(txn), 0);
    cr_expect_eq(rm_txn_killed(txn), 0);
    cr_assert_eq(rm_txn_load(txn, "t", &err), 0, "%s", err.msg);
    cr_expect_eq(rm_txn_killed(txn), 1);
    cr_expect_eq(rm_txn_irreversible(txn), 1, "a pre-purge that kills is not undoable");
    cr_expect(proc_gone(a));
    expect_t_versions("3", "2", 0);
    cr_assert_eq(rm_txn_commit(txn, NULL), 0);
    expect_t_versions("3", "", 0);
}

Test(code, txn_deferred_prepare_of_an_unused_old_version_stays_reversible)
{
    rt_load(node, rt_path(0, "t-1/t.so"));
    rt_load(node, rt_path(1, "t-2/t.so"));
    struct rm_error err = {0};
    struct rm_txn *txn = rm_txn_begin(node, &err);
    cr_assert(txn, "%s", err.msg);
    cr_assert_eq(rm_txn_prepare_deferred(txn, rt_path(2, "t-3/t.so"), "t", "3", &err), 0, "%s",
                 err.msg);
    cr_assert_eq(rm_txn_load(txn, "t", &err), 0, "%s", err.msg);
    cr_expect_eq(rm_txn_killed(txn), 0);
    cr_expect_eq(rm_txn_irreversible(txn), 0);
    /* a deferred prepare runs once */
    cr_assert_eq(rm_txn_load(txn, "t", &err), -1);
    cr_expect_str_eq(err.msg, "load 't': already loaded in this upgrade");
    rm_txn_abort(txn);
    expect_t_versions("2", "", 0);
}

Test(code, txn_purge_at_commit_purges_after_commit_and_abort_forgets_it)
{
    rm_pid a = t_with_old_in_use();
    struct rm_error err = {0};
    struct rm_txn *txn = rm_txn_begin(node, &err);
    cr_assert(txn, "%s", err.msg);
    cr_assert_eq(rm_txn_purge_at_commit(txn, "t", &err), 0, "%s", err.msg);
    rm_txn_abort(txn);
    rt_expect(node, a, "vsn", "1");
    expect_t_versions("2", "1", 1);

    txn = rm_txn_begin(node, &err);
    cr_assert(txn, "%s", err.msg);
    cr_assert_eq(rm_txn_purge_at_commit(txn, "nosuch", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_purge_at_commit(txn, "t", &err), 0, "%s", err.msg);
    rt_expect(node, a, "vsn", "1"); /* not before commit */
    cr_assert_eq(rm_txn_commit(txn, NULL), 0);
    cr_expect(proc_gone(a), "the purge after commit is brutal");
    expect_t_versions("2", "", 0);
}

Test(code, txn_marked_irreversible_says_so_and_abort_still_undoes)
{
    rt_load(node, rt_path(0, "t-1/t.so"));
    rm_pid a = rt_spawn(node, "t", NULL, "3", RM_RESTART_TEMPORARY);
    struct rm_error err = {0};
    struct rm_txn *txn = rm_txn_begin(node, &err);
    cr_assert(txn, "%s", err.msg);
    cr_expect_eq(rm_txn_irreversible(txn), 0);
    cr_assert_eq(rm_txn_prepare(txn, rt_path(1, "t-2/t.so"), "t", "2", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_txn_load(txn, "t", &err), 0, "%s", err.msg);
    rm_txn_mark_irreversible(txn);
    cr_expect_eq(rm_txn_irreversible(txn), 1);
    rm_txn_mark_irreversible(txn);
    cr_expect_eq(rm_txn_irreversible(txn), 1);
    rm_txn_abort(txn);
    rt_expect(node, a, "vsn", "1");
    expect_t_versions("1", "", 0);
    /* a new transaction starts reversible */
    txn = rm_txn_begin(node, &err);
    cr_assert(txn, "%s", err.msg);
    cr_expect_eq(rm_txn_irreversible(txn), 0);
    rm_txn_abort(txn);
}
