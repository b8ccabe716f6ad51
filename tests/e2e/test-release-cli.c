/*
 * What the release commands print and refuse at their edges: a timeout that
 * cannot work, the JSON forms of plan and of a failed install, and
 * `node start --release` with a refused first archive.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e/test-release.h"

TestSuite(release_cli, .fini = e2e_cleanup, .timeout = 120);

Test(release_cli, install_and_rollback_refuse_a_zero_timeout)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));
    rh_fails(&n, 2, "--timeout must be at least 1 ms", "install", "2", "--timeout", "0", NULL);
    rh_fails(&n, 2, "--timeout must be at least 1 ms", "rollback", "--timeout", "0", NULL);
    cr_assert_str_eq(rh_state(&n, "2"), "unpacked");
    free(rh_ok(&n, "install", "2", "--timeout", "1000", NULL));
    cr_assert_str_eq(rh_state(&n, "2"), "current");
    rh_stop(&n);
}

Test(release_cli, plan_json_carries_first_irreversible_and_failed_json_is_json)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));
    struct e2e_out o;
    cr_assert_eq(e2e_run(&n, &o, "plan", "2", "--json", NULL), 0, "%s", o.err);
    cr_assert(strncmp(o.out, "{\n  \"first_irreversible\": null,\n  \"version\": \"2\",", 46) == 0,
              "%s", o.out);
    cr_assert_str_eq(o.err, "");
    e2e_out_free(&o);

    cr_assert_eq(e2e_run(&n, &o, "install", "9", "--json", NULL), 1);
    cr_assert(strstr(o.err, "release '9' is not known"), "%s", o.err);
    cr_assert(
        strncmp(o.out, "{\"ok\":false,\"error\":\"install '9': release '9' is not known", 57) == 0,
        "%s", o.out);
    e2e_out_free(&o);
    cr_assert_eq(e2e_run(&n, &o, "check", "9", "--json", NULL), 1);
    cr_assert(strncmp(o.out, "{\"ok\":false,\"error\":", 20) == 0, "%s", o.out);
    e2e_out_free(&o);
    rh_stop(&n);
}

Test(release_cli, refused_first_archive_leaves_no_root)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    e2e_write(&n, "bad.tar.gz", "not an archive\n");
    char archive[4200], root[4200], top[4200];
    snprintf(archive, sizeof archive, "%s/bad.tar.gz", n.root);
    snprintf(top, sizeof top, "%s/new", n.root);
    snprintf(root, sizeof root, "%s/new/root", n.root);
    const char *argv[] = {"node", "start", "--root", root, "--release", archive, NULL};
    struct e2e_out o;
    cr_assert_eq(e2e_runv(NULL, NULL, &o, argv), 1, "%s", o.err);
    cr_assert(strstr(o.err, "node start --release"), "%s", o.err);
    e2e_out_free(&o);
    cr_assert_neq(access(top, F_OK), 0, "'%s' was left behind", top);
}
