/* End-to-end: a real node driven through the relman command line. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "e2e/harness.h"
#include "relman/protocol.h"

TestSuite(node, .fini = e2e_cleanup, .timeout = 120);

/* Asserts that `text` holds `needle`. */
#define assert_has(text, needle)                                                                   \
    cr_assert(text &&strstr(text, needle), "'%s' not found in:\n%s", needle, text)

/* The seed transcript by hand: 0, 1, upgrade to {tschak, N}, 2, 3, then
   back down to an integer state and on counting. */
Test(node, seed_by_hand_up_and_down)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_boot_counter(&n);
    e2e_copy(&n, E2E_COUNTER_V1, "lib/counter-2/z.so");
    e2e_copy(&n, E2E_COUNTER_V0, "lib/counter-1-again/z.so");
    e2e_start(&n);
    e2e_expect(&n, 0, "", "trace", "z", "on", NULL);
    e2e_expect(&n, 0, "0\n", "call", "z", "boom", NULL);
    e2e_expect(&n, 0, "1\n", "call", "z", "boom", NULL);

    /* Up: suspend, purge, load (a path relative to the caller), change code, resume. */
    e2e_expect(&n, 0, "", "suspend", "z", NULL);
    e2e_expect(&n, 0, "", "purge", "z", NULL);
    struct e2e_out o;
    const char *load[] = {"load", "z", "lib/counter-2/z.so", NULL};
    e2e_runv(&n, n.root, &o, load);
    cr_assert_eq(o.status, 0, "load: %s", o.err);
    assert_has(o.out, "loaded 'z' version '1'");
    e2e_out_free(&o);
    e2e_expect(&n, 0, "", "change-code", "z", "z", "0", NULL);
    e2e_expect(&n, 0, "", "resume", "z", NULL);
    e2e_expect(&n, 0, "2\n", "call", "z", "boom", NULL);
    e2e_expect(&n, 0, "3\n", "call", "z", "boom", NULL);
    e2e_run(&n, &o, "status", NULL);
    assert_has(o.out,
               "\nz                <1>      z                1        no        on      0       0     0     "
               "0\n");
    e2e_out_free(&o);

    /* Down: a fresh copy of version "0" from a new path; code_change runs
       in version "1" with direction down. */
    e2e_expect(&n, 0, "", "suspend", "z", NULL);
    e2e_expect(&n, 0, "", "purge", "z", NULL);
    char path[4096 + 64];
    snprintf(path, sizeof path, "%s/lib/counter-1-again/z.so", n.root);
    e2e_expect(&n, 0, NULL, "load", "z", path, NULL);
    e2e_expect(&n, 0, "", "change-code", "z", "z", "0", "--down", NULL);
    e2e_expect(&n, 0, "", "resume", "z", NULL);
    e2e_expect(&n, 0, "4\n", "call", "z", "boom", NULL);
    e2e_expect(&n, 0, "", "trace", "z", "off", NULL);

    /* The trace lines show the state: {tschak, N} while up, an integer after. */
    char *log = e2e_read(&n, "log/node.log");
    assert_has(log, "new state {tschak,3}");
    assert_has(log, "new state {tschak,4}");
    assert_has(log, "new state 5");
    free(log);
    e2e_stop(&n);
}

/* state prints what format_state writes, before and after the upgrade. */
Test(node, state_shows_the_formatted_state)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_boot_counter(&n);
    e2e_copy(&n, E2E_COUNTER_V1, "lib/counter-2/z.so");
    e2e_start(&n);
    e2e_expect(&n, 0, "0\n", "state", "z", NULL);
    e2e_expect(&n, 0, "0\n", "call", "z", "boom", NULL);
    e2e_expect(&n, 0, "1\n", "state", "z", NULL);
    e2e_expect(&n, 0, "", "suspend", "z", NULL);
    e2e_expect(&n, 0, "", "purge", "z", NULL);
    struct e2e_out o;
    const char *load[] = {"load", "z", "lib/counter-2/z.so", NULL};
    cr_assert_eq(e2e_runv(&n, n.root, &o, load), 0, "load: %s", o.err);
    e2e_out_free(&o);
    e2e_expect(&n, 0, "", "change-code", "z", "z", "0", NULL);
    e2e_expect(&n, 0, "{tschak,1}\n", "state", "z", NULL); /* suspended: still answers */
    e2e_expect(&n, 0, "", "resume", "z", NULL);
    cr_assert_eq(e2e_run(&n, &o, "state", "nobody", NULL), 1);
    cr_assert_str_eq(o.err, "relman: state 'nobody': no process 'nobody'\n");
    e2e_out_free(&o);
    e2e_stop(&n);
}

Test(node, status_table_and_json)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_boot_counter(&n);
    e2e_start(&n);
    e2e_expect(&n, 0, "", "suspend", "z", NULL);
    e2e_expect(&n, 0, "", "cast", "z", "boom", NULL);
    e2e_expect(&n, 0,
               "NAME             PID      MODULE           VERSION  SUSPENDED TRACE   QUEUE   FDS   "
               "LINKS MONITORS\n"
               "z                <1>      z                0        yes       off     1       0     "
               "0     0\n",
               "status", NULL);
    e2e_expect(&n, 0,
               "[\n  {\"pid\": 1, \"name\": \"z\", \"module\": \"z\", \"version\": \"0\", "
               "\"suspended\": true, \"tracing\": false, \"queue\": 1, \"fds\": 0, \"links\": 0, "
               "\"monitors\": 0}\n]\n",
               "status", "--json", NULL);
    e2e_expect(&n, 0, "", "resume", "z", NULL);
    e2e_expect(&n, 0, "0\n", "call", "z", "boom", NULL); /* the cast was handled: ignored */
    e2e_stop(&n);
}

Test(node, status_lists_more_processes_than_one_reply_holds)
{
    enum { PROCS = RM_PROTO_STATUS_PAGE + 904 }; /* two pages */
    struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_copy(&n, E2E_COUNTER_V0, "lib/counter-1/z.so");
    size_t cap = 128 + (size_t)PROCS * 48, len = 0;
    char *boot = malloc(cap);
    cr_assert(boot);
    len += (size_t)snprintf(boot + len, cap - len,
                            "modules:\n  - {name: z, version: \"0\", path: lib/counter-1/z.so}\n"
                            "processes:\n");
    for (int i = 0; i < PROCS; i++)
        len += (size_t)snprintf(boot + len, cap - len, "  - {name: z%d, module: z}\n", i);
    e2e_write(&n, "boot.yaml", boot);
    free(boot);
    e2e_start(&n);
    struct e2e_out o;
    cr_assert_eq(e2e_run(&n, &o, "status", NULL), 0, "%s", o.err);
    size_t lines = 0;
    for (const char *p = o.out; *p; p++)
        lines += *p == '\n';
    cr_assert_eq(lines, (size_t)PROCS + 1, "%zu lines for %d processes", lines, PROCS);
    char last[32];
    snprintf(last, sizeof last, "\nz%d ", PROCS - 1);
    cr_assert(strstr(o.out, "\nz0 ") && strstr(o.out, last));
    e2e_out_free(&o);
    e2e_stop(&n);
}

Test(node, no_node_exits_3)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    struct e2e_out o;
    const char *cmds[][4] = {{"status"}, {"call", "z", "boom"}, {"suspend", "z"}, {"node", "stop"}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        e2e_runv(&n, NULL, &o, cmds[i]);
        cr_assert_eq(o.status, 3, "%s: status %d: %s", cmds[i][0], o.status, o.err);
        assert_has(o.err, "relman: node not running at '");
        cr_assert_str_eq(o.out, "");
        e2e_out_free(&o);
    }
    e2e_stop(&n);
}

Test(node, usage_errors_exit_2)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    struct e2e_out o;
    const char *cmds[][6] = {
        {"call", "z"},
        {"call", "z", "boom", "extra"},
        {"call", "z", "boom", "--timeout", "soon"},
        {"trace", "z", "maybe"},
        {"purge", "z", "--gentle"},
        {"change-code", "z", "z"},
        {"suspend"},
        {"status", "--root"},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        e2e_runv(&n, NULL, &o, cmds[i]);
        cr_assert_eq(o.status, 2, "%s: status %d: %s", cmds[i][0], o.status, o.err);
        assert_has(o.err, "usage: relman ");
        e2e_out_free(&o);
    }
    /* Empty names and a process named twice: each says which. */
    const struct {
        const char *argv[6];
        const char *msg;
    } named[] = {
        {{"call", "", "boom"}, "relman: process name is empty\n"},
        {{"cast", "", "boom"}, "relman: process name is empty\n"},
        {{"trace", "", "on"}, "relman: process name is empty\n"},
        {{"suspend", "z", ""}, "relman: process name is empty\n"},
        {{"resume", ""}, "relman: process name is empty\n"},
        {{"change-code", "z", "", "0"}, "relman: module name is empty\n"},
        {{"change-code", "z", "z", ""}, "relman: version is empty\n"},
        {{"purge", ""}, "relman: module name is empty\n"},
        {{"load", "", "z.so"}, "relman: module name is empty\n"},
        {{"load", "z", ""}, "relman: path is empty\n"},
        {{"suspend", "z", "y", "z"}, "relman: process 'z' is named twice\n"},
        {{"resume", "z", "z"}, "relman: process 'z' is named twice\n"},
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        e2e_runv(&n, NULL, &o, named[i].argv);
        cr_assert_eq(o.status, 2, "%s: status %d: %s", named[i].argv[0], o.status, o.err);
        cr_assert(strncmp(o.err, named[i].msg, strlen(named[i].msg)) == 0, "%s: %s",
                  named[i].argv[0], o.err);
        assert_has(o.err, "usage: relman ");
        e2e_out_free(&o);
    }
    /* No --root and no RELMAN_ROOT. */
    const char *status[] = {"status", NULL};
    e2e_runv(NULL, NULL, &o, status);
    cr_assert_eq(o.status, 2);
    assert_has(o.err, "give --root DIR or set RELMAN_ROOT");
    e2e_out_free(&o);
    e2e_stop(&n);
}

Test(node, errors_say_what_failed_and_the_node_keeps_serving)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_boot_counter(&n);
    e2e_start(&n);
    struct e2e_out o;
    e2e_run(&n, &o, "call", "nobody", "boom", NULL);
    cr_assert_eq(o.status, 1);
    cr_assert_str_eq(o.err, "relman: call 'nobody': no process 'nobody'\n");
    e2e_out_free(&o);
    e2e_run(&n, &o, "change-code", "z", "z", "0", NULL);
    cr_assert_eq(o.status, 1);
    assert_has(o.err, "relman: change-code 'z': ");
    e2e_out_free(&o);
    e2e_run(&n, &o, "load", "z", "/nonexistent/z.so", NULL);
    cr_assert_eq(o.status, 1);
    assert_has(o.err, "relman: load 'z' from '/nonexistent/z.so': ");
    e2e_out_free(&o);
    e2e_expect(&n, 0, "0\n", "call", "z", "boom", NULL);
    e2e_stop(&n);
}

/* Runs a command that must fail with status 1 and asserts its whole stderr. */
static void expect_error(struct e2e_node *n, const char *msg, const char *const *argv)
{
    struct e2e_out o;
    e2e_runv(n, NULL, &o, argv);
    cr_assert_eq(o.status, 1, "%s: status %d: %s", argv[0], o.status, o.err);
    cr_assert_str_eq(o.err, msg);
    e2e_out_free(&o);
}

/* Each message says what failed once, then where, then why; a process is
   named as the user typed it. */
Test(node, errors_say_what_failed_once)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_boot_counter(&n);
    e2e_start(&n);
    expect_error(&n, "relman: purge 'nope': module not loaded\n",
                 (const char *[]){"purge", "nope", NULL});
    expect_error(&n, "relman: load 'z' from '/etc/passwd': invalid ELF header\n",
                 (const char *[]){"load", "z", "/etc/passwd", NULL});
    expect_error(&n, "relman: resume 'z': not suspended\n", (const char *[]){"resume", "z", NULL});
    expect_error(&n, "relman: change-code 'z': process not suspended\n",
                 (const char *[]){"change-code", "z", "z", "0", NULL});
    e2e_expect(&n, 0, "", "suspend", "<1>", NULL);
    expect_error(&n, "relman: suspend '<1>': already suspended\n",
                 (const char *[]){"suspend", "<1>", NULL});
    expect_error(&n, "relman: call 'z' timed out after 100 ms\n",
                 (const char *[]){"call", "z", "boom", "--timeout", "100", NULL});
    expect_error(&n, "relman: suspend: 'z' and '<1>' are the same process\n",
                 (const char *[]){"suspend", "z", "<1>", NULL});
    e2e_expect(&n, 0, "", "resume", "z", NULL);
    /* The call that timed out still ran once z was resumed. */
    e2e_expect(&n, 0, "1\n", "call", "z", "boom", NULL);
    e2e_stop(&n);
}

/* A brutal purge counts the processes it killed in words that agree. */
Test(node, brutal_purge_counts_one_process)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_boot_counter(&n);
    e2e_start(&n);
    e2e_expect(&n, 0, "", "suspend", "z", NULL); /* so that z stays on the old code */
    e2e_expect(&n, 0, NULL, "load", "z", E2E_COUNTER_V1, NULL);
    e2e_expect(&n, 0, "purge 'z': 1 process killed\n", "purge", "z", "--brutal", NULL);
    e2e_stop(&n);
}

/* relman help: every summary starts in one column, also after a synopsis
   too long to share its line. */
Test(node, help_aligns_every_summary)
{
    struct e2e_out o;
    const char *help[] = {"help", NULL};
    cr_assert_eq(e2e_runv(NULL, NULL, &o, help), 0);
    int column = -1, lines = 0;
    for (char *line = o.out; *line; line = strchr(line, '\n') + 1) {
        size_t len = strcspn(line, "\n");
        if (strncmp(line, "  ", 2) != 0 || len < 3)
            continue;
        /* A command's line: its synopsis, then two spaces or more, then its
           summary; or the summary alone, indented, below a long synopsis. */
        const char *gap = line[2] == ' ' ? line : strstr(line + 2, "   ");
        if (!gap || gap >= line + len)
            continue; /* a long synopsis alone on its line */
        int at = (int)(gap - line + strspn(gap, " "));
        cr_assert(column < 0 || at == column, "summary at column %d, not %d: %.*s", at, column,
                  (int)len, line);
        column = at;
        lines++;
    }
    cr_assert_gt(lines, 20);
    e2e_out_free(&o);
}

Test(node, bad_boot_file_fails_start_with_its_location)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_write(&n, "boot.yaml", "modules:\n  - {name: z, version: \"0\", path: lib/none/z.so}\n");
    struct e2e_out o;
    e2e_run(&n, &o, "node", "start", "--detach", NULL);
    cr_assert_eq(o.status, 1, "status %d: %s", o.status, o.err);
    assert_has(o.err, "boot.yaml:2:");
    e2e_out_free(&o);
    e2e_expect(&n, 3, "", "status", NULL);
    e2e_stop(&n);
}

Test(node, second_node_on_the_same_root_is_refused)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_boot_counter(&n);
    e2e_start(&n);
    pid_t pid = e2e_node_pid(&n);
    struct e2e_out o;
    e2e_run(&n, &o, "node", "start", "--detach", NULL);
    cr_assert_eq(o.status, 1);
    assert_has(o.err, "a node is already running at '");
    e2e_out_free(&o);
    cr_assert_eq(e2e_node_pid(&n), pid);
    e2e_expect(&n, 0, "0\n", "call", "z", "boom", NULL);
    e2e_stop(&n);
}

Test(node, watchdog_restarts_a_killed_node)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_boot_counter(&n);
    e2e_start(&n);
    e2e_expect(&n, 0, "0\n", "call", "z", "boom", NULL);
    pid_t old = e2e_node_pid(&n);
    cr_assert(old > 0);
    cr_assert_eq(kill(old, SIGKILL), 0);
    pid_t pid = e2e_wait_node(&n, old, 30000);
    /* The new node booted afresh: the count starts again. */
    e2e_expect(&n, 0, "0\n", "call", "z", "boom", NULL);
    char *log = e2e_read(&n, "log/node.log");
    assert_has(log, "killed by signal 9");
    free(log);
    e2e_stop(&n);
    cr_assert_neq(kill(pid, 0), 0, "node still running after node stop");
}

Test(node, stopped_node_leaves_no_socket_or_pid_file)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_boot_counter(&n);
    e2e_start(&n);
    struct stat st;
    char path[4096 + 64];
    snprintf(path, sizeof path, "%s/run/node.sock", n.root);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert(S_ISSOCK(st.st_mode));
    cr_assert_eq(st.st_mode & 0777, 0600, "socket mode %o", st.st_mode & 0777);
    snprintf(path, sizeof path, "%s/run", n.root);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700, "run directory mode %o", st.st_mode & 0777);
    e2e_expect(&n, 0, "", "node", "stop", NULL);
    n.started = 0;
    snprintf(path, sizeof path, "%s/run/node.sock", n.root);
    cr_assert_neq(stat(path, &st), 0);
    cr_assert_eq(e2e_node_pid(&n), 0);
    /* And it starts again on the same root. */
    e2e_start(&n);
    e2e_expect(&n, 0, "0\n", "call", "z", "boom", NULL);
    e2e_stop(&n);
}

Test(node, long_root_path)
{
    struct e2e_node n;
    e2e_root_new(&n, 3); /* well over the 108 bytes of sun_path */
    cr_assert_gt(strlen(n.root), 150);
    e2e_boot_counter(&n);
    e2e_start(&n);
    e2e_expect(&n, 0, "0\n", "call", "z", "boom", NULL);
    e2e_stop(&n);
}

Test(node, foreground_node_logs_to_stderr_and_returns_on_stop)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_boot_counter(&n);
    pid_t fg = e2e_spawn(&n, "foreground.out", "node", "start", NULL);
    e2e_wait_node(&n, 0, 30000);
    e2e_expect(&n, 0, "", "trace", "z", "on", NULL);
    e2e_expect(&n, 0, "0\n", "call", "z", "boom", NULL);
    e2e_expect(&n, 0, "", "node", "stop", NULL);
    cr_assert_eq(e2e_wait_exit(fg, 30000), 0);
    char *out = e2e_read(&n, "foreground.out");
    assert_has(out, "node started at '");
    assert_has(out, "*DBG* z got call boom from <client>");
    assert_has(out, "watchdog: node stopped");
    free(out);
    cr_assert_eq(e2e_read(&n, "log/node.log"), NULL, "a foreground node wrote a log file");
    e2e_stop(&n);
}

Test(node, sigterm_to_the_watchdog_stops_the_node)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_boot_counter(&n);
    e2e_start(&n);
    pid_t node = e2e_node_pid(&n), wd = e2e_parent_of(node);
    cr_assert_gt(wd, 1);
    cr_assert_eq(kill(wd, SIGTERM), 0);
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int i = 0; i < 1500 && (kill(node, 0) == 0 || kill(wd, 0) == 0); i++)
        nanosleep(&pause, NULL);
    cr_assert_neq(kill(node, 0), 0, "node still running");
    n.started = 0;
    e2e_expect(&n, 3, "", "status", NULL);
    e2e_stop(&n);
}

Test(node, watchdog_gives_up_after_its_restart_intensity)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_boot_counter(&n);
    e2e_start(&n);
    pid_t pid = e2e_node_pid(&n), wd = e2e_parent_of(pid);
    /* Five restarts are allowed within the period... */
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(kill(pid, SIGKILL), 0);
        pid = e2e_wait_node(&n, pid, 30000);
    }
    /* ...the sixth death is one too many. */
    cr_assert_eq(kill(pid, SIGKILL), 0);
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int i = 0; i < 1500 && kill(wd, 0) == 0; i++)
        nanosleep(&pause, NULL);
    cr_assert_neq(kill(wd, 0), 0, "watchdog still running");
    n.started = 0;
    e2e_expect(&n, 3, "", "status", NULL);
    char *log = e2e_read(&n, "log/node.log");
    assert_has(log, "it was restarted 5 times within 60 s: giving up");
    free(log);
    e2e_stop(&n);
}

Test(node, stop_answers_a_call_waiting_on_a_suspended_process)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_boot_counter(&n);
    e2e_start(&n);
    e2e_expect(&n, 0, "", "suspend", "z", NULL);
    pid_t call = e2e_spawn(&n, "call.out", "call", "z", "boom", "--timeout", "600000", NULL);
    /* Wait until the call is queued. */
    struct e2e_out o;
    for (int i = 0; i < 1500; i++) {
        e2e_run(&n, &o, "status", NULL);
        int queued = strstr(o.out, " yes       off     1       ") != NULL;
        e2e_out_free(&o);
        if (queued)
            break;
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    e2e_expect(&n, 0, "", "node", "stop", NULL);
    n.started = 0;
    cr_assert_eq(e2e_wait_exit(call, 30000), 1);
    char *out = e2e_read(&n, "call.out");
    assert_has(out, "relman: call 'z': ");
    free(out);
    e2e_stop(&n);
}

Test(node, a_dead_nodes_socket_is_replaced)
{
    struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_boot_counter(&n);
    e2e_start(&n);
    pid_t pid = e2e_node_pid(&n), wd = e2e_parent_of(pid);
    cr_assert_gt(wd, 1);
    cr_assert_eq(kill(wd, SIGKILL), 0); /* the watchdog first: nothing restarts */
    cr_assert_eq(kill(pid, SIGKILL), 0);
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int i = 0; i < 1500 && (kill(pid, 0) == 0 || kill(wd, 0) == 0); i++)
        nanosleep(&pause, NULL);
    /* Socket and pid file are left behind; nobody answers. */
    char *left = e2e_read(&n, "run/node.pid");
    cr_assert(left, "the pid file is gone");
    free(left);
    struct e2e_out o;
    e2e_run(&n, &o, "status", NULL);
    cr_assert_eq(o.status, 3);
    assert_has(o.err, "(connection refused on '");
    e2e_out_free(&o);
    n.started = 0;
    e2e_start(&n);
    cr_assert_neq(e2e_node_pid(&n), pid);
    e2e_expect(&n, 0, "0\n", "call", "z", "boom", NULL);
    e2e_stop(&n);
}
