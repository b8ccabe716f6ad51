/* Bad manifests against their expected messages (fixtures bad-x.yaml beside
   bad-x.err), and `relman plan` run as a user would. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifests-helpers.h"
#include "relman/manifest.h"
#include "relman/plan.h"

#define FIXDIR FIXTURES_DIR "/manifests"

/* Loads `file` with the loader its name asks for; returns the rc. */
static int load_any(const char *file, struct rm_error *err)
{
    int rc;
    if (strncmp(file, "bad-appup-", 10) == 0) {
        struct rm_appup d;
        if ((rc = rm_appup_load(file, &d, err)) == 0)
            rm_appup_free(&d);
    } else if (strncmp(file, "bad-relup-", 10) == 0) {
        struct rm_appup d;
        if ((rc = rm_relup_load(file, &d, err)) == 0)
            rm_appup_free(&d);
    } else if (strncmp(file, "bad-release-", 12) == 0) {
        struct rm_release r;
        if ((rc = rm_release_load(file, &r, err)) == 0)
            rm_release_free(&r);
    } else if (strncmp(file, "bad-app-", 8) == 0) {
        struct rm_app a;
        if ((rc = rm_app_load(file, &a, err)) == 0)
            rm_app_free(&a);
    } else {
        struct rm_boot b;
        if ((rc = rm_boot_load(file, &b, err)) == 0)
            rm_boot_free(&b);
    }
    return rc;
}

Test(fixtures, every_bad_manifest_gets_its_exact_message)
{
    cr_assert_eq(chdir(FIXDIR), 0);
    DIR *d = opendir(".");
    cr_assert_not_null(d);
    struct dirent *e;
    int seen = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "bad-", 4) != 0 || n < 6 || strcmp(e->d_name + n - 5, ".yaml"))
            continue;
        char want_path[512];
        snprintf(want_path, sizeof want_path, "%.*s.err", (int)(n - 5), e->d_name);
        char *want = slurp(want_path);
        cr_expect_not_null(want, "%s has no .err beside it", e->d_name);
        if (!want)
            continue;
        want[strcspn(want, "\n")] = '\0';
        struct rm_error err = {0};
        cr_expect_eq(load_any(e->d_name, &err), -1, "%s was accepted", e->d_name);
        cr_expect_str_eq(err.msg, want, "%s\n got: %s\nwant: %s", e->d_name, err.msg, want);
        free(want);
        seen++;
    }
    closedir(d);
    cr_expect_geq(seen, 20);
}

/* Runs relman with `args` in the fixtures directory; returns its exit
   status and its stdout and stderr in new buffers. */
static int run(const char *args, char **out, char **errs)
{
    char o[512], e[512], cmd[2048];
    snprintf(o, sizeof o, "%s/plan-%d.stdout.tmp", FIXDIR, (int)getpid());
    snprintf(e, sizeof e, "%s/plan-%d.stderr.tmp", FIXDIR, (int)getpid());
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >'%s' 2>'%s'", FIXDIR, RELMAN_BIN, args, o, e);
    int st = system(cmd);
    *out = slurp(o);
    *errs = slurp(e);
    unlink(o);
    unlink(e);
    cr_assert(*out && *errs);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect_output(const char *args, const char *expected_file)
{
    char *out, *errs;
    int st = run(args, &out, &errs);
    cr_assert_eq(st, 0, "relman %s: %s", args, errs);
    char *want = slurp(expected_file);
    cr_assert_not_null(want);
    cr_expect_str_eq(out, want, "relman %s", args);
    free(want);
    free(out);
    free(errs);
}

Test(cli, plan_appup_up_prints_a_relup)
{
    expect_output("plan --appup counter/lib/counter-2/counter.appup.yaml --from 1",
                  FIXDIR "/plan-counter-up.out");
}

Test(cli, plan_releases_down_as_json)
{
    expect_output("plan --from counter/releases/2 --to counter/releases/1 --json",
                  FIXDIR "/plan-counter-down.json");
}

Test(cli, printed_plan_loads_back)
{
    char *out, *errs;
    cr_assert_eq(run("plan --from counter/releases/1 --to counter/releases/2", &out, &errs), 0);
    struct rm_appup relup;
    struct rm_error err;
    cr_assert_eq(rm_relup_parse("stdout", out, strlen(out), &relup, &err), 0, "%s", err.msg);
    cr_expect_eq(relup.n_up, 1);
    cr_expect_eq(relup.up[0].script.n, 6);
    rm_appup_free(&relup);
    free(out);
    free(errs);
}

Test(cli, no_upgrade_path_names_both_versions)
{
    char *out, *errs;
    cr_assert_eq(run("plan --appup counter/lib/counter-2/counter.appup.yaml --from 7", &out, &errs),
                 1);
    cr_expect_str_eq(errs, "relman: 'counter': no upgrade path from '7' to '2' "
                           "(counter/lib/counter-2/counter.appup.yaml has no up entry from "
                           "'7')\n");
    free(out);
    free(errs);
}

Test(cli, usage_errors_exit_2)
{
    char *out, *errs;
    cr_expect_eq(run("plan --appup x.yaml", &out, &errs), 2);
    free(out);
    free(errs);
    cr_expect_eq(run("plan --from a", &out, &errs), 2);
    free(out);
    free(errs);
}

Test(cli, plan_from_a_release_to_itself_is_refused)
{
    char *out, *errs;
    cr_expect_eq(run("plan --from counter/releases/1 --to counter/releases/1", &out, &errs), 1);
    cr_expect_str_eq(out, "");
    cr_expect_str_eq(errs, "relman: release '1' to itself: nothing to plan\n");
    free(out);
    free(errs);
}

/* The examples' layout: rel-N/release.yaml beside lib/, found with --path. */
Test(cli, plan_releases_searches_path_directories)
{
    char *out, *errs, *want, *werrs;
    cr_expect_eq(
        run("plan --from flat/rel-1/release.yaml --to flat/rel-2/release.yaml", &out, &errs), 1);
    cr_expect_str_eq(errs, "relman: flat/rel-1/release.yaml:4:5: application 'counter' version "
                           "'1' is in none of the directories searched (no counter-1/ in "
                           "'flat/rel-1', 'flat/rel-1/lib', 'flat/rel-1/../../lib')\n");
    free(out);
    free(errs);
    cr_assert_eq(run("plan --from flat/rel-1/release.yaml --to flat/rel-2/release.yaml "
                     "--path nowhere --path flat/lib",
                     &out, &errs),
                 0, "%s", errs);
    cr_assert_eq(run("plan --from counter/releases/1 --to counter/releases/2", &want, &werrs), 0);
    cr_expect_str_eq(out, want);
    free(out);
    free(errs);
    free(want);
    free(werrs);
}

/* A root's lib/ is named as lib/, not as releases/<vsn>/../../lib. */
Test(cli, plan_releases_messages_name_short_paths)
{
    char *out, *errs;
    cr_expect_eq(run("plan --from deps/releases/1 --to deps/releases/4", &out, &errs), 1);
    cr_expect_str_eq(errs, "relman: deps/lib/m-1/m.app.yaml:1:1: application 'm' version '2' "
                           "does not match release '4', which names 'm' version '1'\n");
    free(out);
    free(errs);
}

Test(cli, path_goes_with_releases_only)
{
    char *out, *errs;
    cr_expect_eq(run("plan --appup counter/lib/counter-2/counter.appup.yaml --from 1 --path lib",
                     &out, &errs),
                 2);
    free(out);
    free(errs);
    cr_expect_eq(run("plan --from a --to b --path", &out, &errs), 2);
    free(out);
    free(errs);
}
