/* A release's applications: loading their manifests from search
   directories, the release-level checks, the start order, and planning
   between releases (fixtures in tests/fixtures/manifests/deps/). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relman/manifest.h"
#include "relman/plan.h"

#define FIXDIR FIXTURES_DIR "/manifests"

static void in_fixtures(void)
{
    cr_assert_eq(chdir(FIXDIR), 0);
}

static void load_rel(const char *vsn, struct rm_release *rel)
{
    char path[256];
    struct rm_error err = {0};
    snprintf(path, sizeof path, "deps/releases/%s/release.yaml", vsn);
    cr_assert_eq(rm_release_load(path, rel, &err), 0, "%s", err.msg);
}

/* Loads release `vsn`'s applications from deps/lib; expects a failure with
   message `want` (or success when `want` is NULL). */
static void expect_load(const char *vsn, const char *want)
{
    struct rm_release rel;
    load_rel(vsn, &rel);
    const char *dirs[] = {"deps/nowhere", "deps/lib"};
    struct rm_app *apps = NULL;
    struct rm_error err = {0};
    int rc = rm_release_load_apps(&rel, dirs, 2, &apps, &err);
    if (want) {
        cr_expect_eq(rc, -1, "release %s was accepted", vsn);
        cr_expect_null(apps);
        cr_expect_str_eq(err.msg, want);
    } else {
        cr_expect_eq(rc, 0, "%s", err.msg);
        rm_release_apps_free(apps, rel.n_apps);
    }
    rm_release_free(&rel);
}

TestSuite(release_apps, .init = in_fixtures);
TestSuite(plan_releases, .init = in_fixtures);

Test(release_apps, loads_in_release_order_and_orders_dependencies_first)
{
    struct rm_release rel;
    load_rel("1", &rel);
    const char *dirs[] = {"deps/nowhere", "deps/lib"};
    struct rm_app *apps = NULL;
    struct rm_error err = {0};
    cr_assert_eq(rm_release_load_apps(&rel, dirs, 2, &apps, &err), 0, "%s", err.msg);
    cr_assert_str_eq(apps[0].name, "a");
    cr_assert_str_eq(apps[0].file, "deps/lib/a-1/a.app.yaml");
    cr_assert_str_eq(apps[2].name, "c");
    size_t order[3];
    cr_assert_eq(rm_release_start_order(&rel, apps, order, &err), 0, "%s", err.msg);
    /* a depends on b, b on c: c starts first, a last */
    cr_expect_eq(order[0], 2);
    cr_expect_eq(order[1], 1);
    cr_expect_eq(order[2], 0);
    rm_release_apps_free(apps, rel.n_apps);
    rm_release_free(&rel);
}

Test(release_apps, refuses_a_dependency_outside_the_release)
{
    expect_load("2", "deps/lib/a-2/a.app.yaml:1:1: application 'a' depends on 'nosuchapp', "
                     "which release '2' does not hold");
}

Test(release_apps, refuses_a_dependency_cycle)
{
    expect_load("3", "deps/lib/x-1/x.app.yaml:1:1: applications of release '3' depend on each "
                     "other: 'x' -> 'y' -> 'x'");
}

Test(release_apps, refuses_a_manifest_of_another_version)
{
    expect_load("4", "deps/lib/m-1/m.app.yaml:1:1: application 'm' version '2' does not match "
                     "release '4', which names 'm' version '1'");
}

Test(release_apps, refuses_an_application_in_no_directory)
{
    expect_load("5", "deps/releases/5/release.yaml:5:5: application 'd' version '1' is in none "
                     "of the directories searched (no d-1/ in 'deps/nowhere', 'deps/lib')");
}

Test(release_apps, start_order_refuses_a_cycle_by_itself)
{
    struct rm_release rel;
    load_rel("3", &rel);
    struct rm_app apps[3];
    struct rm_error err = {0};
    const char *files[] = {"c.app.yaml", "x.app.yaml", "y.app.yaml"};
    const char *texts[] = {"application: c\nversion: \"1\"\nmodules: [cm]\n",
                           "application: x\nversion: \"1\"\nmodules: [xm]\napplications: [c]\n",
                           "application: y\nversion: \"1\"\nmodules: [ym]\napplications: [y]\n"};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(rm_app_parse(files[i], texts[i], strlen(texts[i]), &apps[i], &err), 0, "%s",
                     err.msg);
    size_t order[3];
    cr_expect_eq(rm_release_start_order(&rel, apps, order, &err), -1);
    cr_expect_str_eq(err.msg,
                     "y.app.yaml:1:1: applications of release '3' depend on each other: 'y' -> "
                     "'y'");
    for (int i = 0; i < 3; i++)
        rm_app_free(&apps[i]);
    rm_release_free(&rel);
}

Test(plan_releases, refuses_a_dependency_outside_the_release)
{
    struct rm_release from, to;
    load_rel("1", &from);
    load_rel("2", &to);
    struct rm_plan plan;
    struct rm_error err = {0};
    cr_expect_eq(rm_plan_releases(&from, "deps/lib", &to, "deps/lib", &plan, &err), -1);
    cr_expect_str_eq(err.msg, "deps/lib/a-2/a.app.yaml:1:1: application 'a' depends on "
                              "'nosuchapp', which release '2' does not hold");
    rm_release_free(&from);
    rm_release_free(&to);
}

Test(plan_releases, refuses_a_release_to_itself)
{
    struct rm_release rel;
    load_rel("1", &rel);
    struct rm_plan plan;
    struct rm_error err = {0};
    cr_expect_eq(rm_plan_releases(&rel, "deps/lib", &rel, "deps/lib", &plan, &err), -1);
    cr_expect_eq(err.code, RM_EINVAL);
    cr_expect_str_eq(err.msg, "release '1' to itself: nothing to plan");
    rm_release_free(&rel);
}
