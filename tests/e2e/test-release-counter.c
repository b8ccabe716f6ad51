/*
 * The counter's life on a live node, after OTP's release_handler_SUITE:
 * unpack, install up and down with state migration, permanent, restarts
 * into the permanent release, reboot-old, and the errors on the way.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e/test-release.h"

TestSuite(release_counter, .fini = e2e_cleanup, .timeout = 120);

/* Hand-written counter release `vsn`: application counter `vsn` with z at
   `zvsn` and an appup whose up and down entries are given. */
static void counter_release(struct e2e_node *n, const char *vsn, const char *zvsn,
                            const char *appup_entries)
{
    char rel[256];
    snprintf(rel, sizeof rel, "lib/counter-%s/counter.app.yaml", vsn);
    rh_file(n, rel,
            "application: counter\nversion: \"%s\"\nmodules:\n  - name: z\n    version: \"%s\"\n"
            "processes:\n  - name: z\n    module: z\n",
            vsn, zvsn);
    snprintf(rel, sizeof rel, "lib/counter-%s/counter.appup.yaml", vsn);
    rh_file(n, rel, "application: counter\nversion: \"%s\"\n%s", vsn, appup_entries);
    snprintf(rel, sizeof rel, "lib/counter-%s/z.so", vsn);
    if (strcmp(zvsn, "0") == 0 || strcmp(zvsn, "1") == 0) /* the counter's own builds */
        e2e_copy(n, strcmp(zvsn, "0") == 0 ? E2E_COUNTER_V0 : E2E_COUNTER_V1, rel);
    else
        rh_module(n, "counter", vsn, "z", zvsn);
    char app[64];
    snprintf(app, sizeof app, "counter %s", vsn);
    rh_release(n, "counter", vsn, app, NULL);
}

Test(release_counter, unpack_twice_is_refused_and_changes_nothing)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));
    cr_assert_str_eq(rh_state(&n, "2"), "unpacked");
    char *before = e2e_read(&n, "releases/RELEASES");
    rh_fails(&n, 1, "'2'", "unpack", RH_COUNTER_2, NULL);
    char *after = e2e_read(&n, "releases/RELEASES");
    cr_assert_str_eq(before, after);
    free(before);
    free(after);
    rh_stop(&n);
}

Test(release_counter, upgrade_and_downgrade_with_states)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    cr_assert_str_eq(rh_state(&n, "1"), "permanent");
    rh_call_is(&n, "z", "boom", "0");
    rh_call_is(&n, "z", "boom", "1");
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));

    char *out = rh_ok(&n, "install", "2", NULL);
    cr_assert(strstr(out, "installed release '2' (up from '1')"), "%s", out);
    cr_assert(strstr(out, "code_change up [z]"), "%s", out);
    free(out);
    cr_assert_str_eq(rh_state(&n, "1"), "permanent");
    cr_assert_str_eq(rh_state(&n, "2"), "current");
    rh_call_is(&n, "z", "boom", "2");
    rh_call_is(&n, "z", "boom", "3");
    rh_fails(&n, 1, "release '2' is already installed", "install", "2", NULL);

    free(rh_ok(&n, "permanent", "2", NULL));
    cr_assert_str_eq(rh_state(&n, "1"), "old");
    cr_assert_str_eq(rh_state(&n, "2"), "permanent");

    /* Downgrade: z "1"'s code_change runs down before z "0" is loaded. */
    out = rh_ok(&n, "install", "1", "--json", NULL);
    cr_assert(strstr(out, "\"direction\":\"down\""), "%s", out);
    char *cc = strstr(out, "code_change down [z]"), *load = strstr(out, "\"load z\"");
    cr_assert(cc && load && cc < load, "code_change down must come before load: %s", out);
    free(out);
    cr_assert_str_eq(rh_state(&n, "1"), "current");
    cr_assert_str_eq(rh_state(&n, "2"), "permanent");
    rh_call_is(&n, "z", "boom", "4");
    rh_call_is(&n, "z", "boom", "5");
    free(rh_ok(&n, "permanent", "1", NULL));
    cr_assert_str_eq(rh_state(&n, "1"), "permanent");
    cr_assert_str_eq(rh_state(&n, "2"), "old");
    rh_stop(&n);
}

Test(release_counter, thousand_increments_during_install_none_lost)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));
    unsigned long long pid = rh_status_pid(&n, "z");
    cr_assert_neq(pid, 0, "no process 'z' in relman status");
    /* About 2 s of calls, so that the install runs while they come in. */
    struct rh_caller c = {
        .root = n.root, .proc = "z", .msg = "boom", .count = 1000, .pause_us = 2000};
    rh_caller_start(&c);
    while (c.done < 100 && !c.error[0])
        usleep(1000);
    char *out = rh_ok(&n, "install", "2", NULL);
    int during = c.done;
    rh_caller_join(&c);
    cr_assert_lt(during, 1000, "the install should have run while the client was sending");
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(c.answers[i], i, "answer %d is %ld: lost or reordered", i, c.answers[i]);
    cr_assert_eq(rh_status_pid(&n, "z"), pid, "z's identity changed");
    rh_call_is(&n, "z", "boom", "1000");
    rh_caller_free(&c);
    free(out);
    rh_stop(&n);
}

Test(release_counter, killed_before_permanent_comes_back_on_permanent)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));
    rh_call_is(&n, "z", "boom", "0");
    free(rh_ok(&n, "install", "2", NULL));
    rh_call_is(&n, "z", "boom", "1");
    rh_kill_node(&n);
    cr_assert_str_eq(rh_state(&n, "1"), "permanent");
    cr_assert_str_eq(rh_state(&n, "2"), "unpacked");
    rh_call_is(&n, "z", "boom", "0"); /* release 1 booted afresh */
    free(rh_ok(&n, "install", "2", NULL));
    cr_assert_str_eq(rh_state(&n, "2"), "current");
    rh_call_is(&n, "z", "boom", "1");
    rh_stop(&n);
}

Test(release_counter, permanent_survives_restart_bad_status_and_reboot_old)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));
    counter_release(&n, "3", "2",
                    "up:\n  - from: \"2\"\n    instructions:\n"
                    "      - update: {module: z, change: advanced}\n");
    rh_fails(&n, 1, "bad status: release '2' is unpacked", "permanent", "2", NULL);
    free(rh_ok(&n, "install", "2", NULL));
    free(rh_ok(&n, "permanent", "2", NULL));
    rh_fails(&n, 1, "bad status: release '1' is old", "permanent", "1", NULL);
    rh_fails(&n, 1, "bad status: release '3' is unpacked", "permanent", "3", NULL);
    rh_fails(&n, 1, "bad status: release '3' is unpacked, not old", "reboot-old", "3", NULL);
    rh_fails(&n, 1, "bad status: release '2' is permanent, not old", "reboot-old", "2", NULL);

    /* A restart boots release 2, the permanent one. */
    free(rh_ok(&n, "node", "stop", NULL));
    e2e_start(&n);
    cr_assert_str_eq(rh_state(&n, "2"), "permanent");
    rh_call_is(&n, "z", "boom", "0");
    rh_call_is(&n, "z", "boom", "1");

    /* reboot-old 1: permanent again, and the node restarts into it. */
    pid_t before = e2e_node_pid(&n);
    char *out = rh_ok(&n, "reboot-old", "1", NULL);
    cr_assert(strstr(out, "release '1' is permanent"), "%s", out);
    free(out);
    e2e_wait_node(&n, before, 10000);
    cr_assert_str_eq(rh_state(&n, "1"), "permanent");
    cr_assert_str_eq(rh_state(&n, "2"), "old");
    rh_call_is(&n, "z", "boom", "0");
    rh_stop(&n);
}

Test(release_counter, no_upgrade_path_names_application_and_versions)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    counter_release(&n, "5", "1",
                    "up:\n  - from: \"4\"\n    instructions:\n"
                    "      - update: {module: z, change: advanced}\n");
    rh_fails(&n, 1, "no upgrade path", "install", "5", NULL);
    rh_fails(&n, 1, "'1'", "check", "5", NULL);
    rh_fails(&n, 1, "'5'", "plan", "5", NULL);
    rh_call_is(&n, "z", "boom", "0");
    rh_stop(&n);
}

Test(release_counter, regex_up_from_matches_whole_version)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    /* '1' matches [0-9]; '1x' would not: the whole string must match. */
    counter_release(&n, "6", "1",
                    "up:\n  - from_regex: '[0-9]'\n    instructions:\n"
                    "      - update: {module: z, change: advanced}\n");
    rh_call_is(&n, "z", "boom", "0");
    char *out = rh_ok(&n, "install", "6", NULL);
    cr_assert(strstr(out, "installed release '6' (up from '1')"), "%s", out);
    free(out);
    rh_call_is(&n, "z", "boom", "1");
    rh_stop(&n);

    rh_counter_node(&n);
    counter_release(&n, "7", "1",
                    "up:\n  - from_regex: '1[0-9]'\n    instructions:\n"
                    "      - update: {module: z, change: advanced}\n");
    rh_fails(&n, 1, "no upgrade path", "install", "7", NULL);
    rh_stop(&n);
}

Test(release_counter, node_start_initialises_an_empty_root_from_a_release)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    char *out = rh_ok(&n, "node", "start", "--release", RH_COUNTER_1, "--detach", NULL);
    n.started = 1;
    cr_assert(strstr(out, "from release 'counter' version '1' (permanent)"), "%s", out);
    free(out);
    cr_assert_str_eq(rh_state(&n, "1"), "permanent");
    rh_call_is(&n, "z", "boom", "0");
    free(rh_ok(&n, "node", "stop", NULL));
    n.started = 0;
    rh_fails(&n, 1, "already holds releases", "node", "start", "--release", RH_COUNTER_2, NULL);
    cr_assert_str_eq(rh_state(&n, "2"), "");
    rh_stop(&n);
}

Test(release_counter, module_changed_since_unpack_is_refused)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));
    char *out = rh_ok(&n, "check", "2", NULL);
    cr_assert(strstr(out, "verify SHA256SUMS [4 files]"), "%s", out);
    free(out);
    e2e_copy(&n, E2E_COUNTER_V0, "lib/counter-2/z.so");
    rh_fails(&n, 1, "check '2': release '2': 'lib/counter-2/z.so' changed since unpack", "check",
             "2", NULL);
    rh_fails(&n, 1,
             "install '2' rolled back, release '1' still runs: release '2': "
             "'lib/counter-2/z.so' changed since unpack",
             "install", "2", NULL);
    rh_call_is(&n, "z", "boom", "0");
    cr_assert_str_eq(rh_state(&n, "2"), "unpacked");
    rh_stop(&n);
}

Test(release_counter, restart_node_comes_back_once_on_the_new_release)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    counter_release(&n, "9", "1",
                    "up:\n  - from: \"1\"\n    instructions:\n"
                    "      - update: {module: z, change: advanced}\n      - restart_node\n");
    rh_call_is(&n, "z", "boom", "0");
    char *check = rh_ok(&n, "check", "9", NULL);
    cr_assert(strstr(check, "is irreversible"), "%s", check);
    free(check);
    pid_t before = e2e_node_pid(&n);
    char *out = rh_ok(&n, "install", "9", NULL);
    cr_assert(strstr(out, "restart_node"), "%s", out);
    free(out);
    e2e_wait_node(&n, before, 10000);
    cr_assert_str_eq(rh_state(&n, "9"), "current");
    cr_assert_str_eq(rh_state(&n, "1"), "permanent");
    rh_call_is(&n, "z", "boom", "0"); /* a restarted node: a new counter */
    /* Once only: dying again boots the permanent release. */
    rh_kill_node(&n);
    cr_assert_str_eq(rh_state(&n, "9"), "unpacked");
    rh_fails(&n, 1, "already installed", "install", "1", NULL);
    rh_stop(&n);
}

/* Restarts the node asked for (restart_node) are not crashes: more of them
   than the watchdog's crash limit (5 in 60 s) in a row leave it running,
   and its log names the release each restart goes into. */
Test(release_counter, planned_restarts_do_not_count_as_crashes)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    counter_release(&n, "9", "1",
                    "up:\n  - from: \"1\"\n    instructions:\n"
                    "      - update: {module: z, change: advanced}\n      - restart_node\n"
                    "down:\n  - to: \"1\"\n    instructions:\n"
                    "      - update: {module: z, change: advanced}\n      - restart_node\n");
    for (int i = 0; i < 6; i++) {
        const char *to = i % 2 == 0 ? "9" : "1";
        pid_t before = e2e_node_pid(&n);
        free(rh_ok(&n, "install", to, NULL));
        e2e_wait_node(&n, before, 10000);
        rh_call_is(&n, "z", "boom", "0");
    }
    char *log = e2e_read(&n, "log/node.log");
    cr_assert(strstr(log, "asked for a restart; restarting it into release '9'"), "%s", log);
    cr_assert(strstr(log, "asked for a restart; restarting it into release '1'"), "%s", log);
    cr_assert_null(strstr(log, "giving up"), "%s", log);
    free(log);
    rh_stop(&n);
}

/* A version bump with no code change plans point_of_no_return alone; check
   and install report it (the report holds the checksum step besides the
   plan's one step). */
Test(release_counter, a_plan_of_point_of_no_return_alone_checks_and_installs)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    counter_release(&n, "9", "0", "up:\n  - from: \"1\"\n    instructions: []\n");
    char *plan = rh_ok(&n, "plan", "9", NULL);
    cr_assert(strstr(plan, "point_of_no_return"), "%s", plan);
    free(plan);
    char *check = rh_ok(&n, "check", "9", NULL);
    cr_assert(strstr(check, "point_of_no_return"), "%s", check);
    free(check);
    rh_call_is(&n, "z", "boom", "0");
    free(rh_ok(&n, "install", "9", NULL));
    rh_call_is(&n, "z", "boom", "1");
    cr_assert_str_eq(rh_state(&n, "9"), "current");
    rh_stop(&n);
}

/* A module file missing since unpack: check and install name it as
   missing (not as a checksum that cannot be read), and install says, as
   for any failure undone in place, which release still runs. */
Test(release_counter, a_missing_module_file_is_named_and_changes_nothing)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));
    char path[4200];
    snprintf(path, sizeof path, "%s/lib/counter-2/z.so", n.root);
    cr_assert_eq(unlink(path), 0);
    rh_fails(&n, 1, "check '2': release '2': file 'lib/counter-2/z.so' is missing", "check", "2",
             NULL);
    rh_fails(&n, 1,
             "install '2' rolled back, release '1' still runs: release '2': file "
             "'lib/counter-2/z.so' is missing",
             "install", "2", NULL);
    rh_call_is(&n, "z", "boom", "0");
    cr_assert_str_eq(rh_state(&n, "2"), "unpacked");
    rh_stop(&n);
}

/* permanent on the release already permanent succeeds and changes nothing,
   also while another release is current (OTP's make_permanent). */
Test(release_counter, permanent_of_the_permanent_release_succeeds)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));
    free(rh_ok(&n, "permanent", "1", NULL));
    free(rh_ok(&n, "install", "2", NULL));
    free(rh_ok(&n, "permanent", "1", NULL));
    cr_assert_str_eq(rh_state(&n, "1"), "permanent");
    cr_assert_str_eq(rh_state(&n, "2"), "current");
    rh_call_is(&n, "z", "boom", "0");
    rh_stop(&n);
}
