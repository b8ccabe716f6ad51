/* The release, application and boot formats: what loads, and how each
   mistake is reported. */
#include <criterion/criterion.h>
#include <string.h>

#include "relman/manifest.h"

#define S(text) text, strlen(text)

Test(release, loads_with_defaults)
{
    struct rm_release rel;
    struct rm_error err = {0};
    int rc = rm_release_parse("r.yaml",
                              S("release: counter\n"
                                "version: \"2\"\n"
                                "applications:\n"
                                "  - {name: counter, version: \"2\"}\n"
                                "  - {name: web, version: 1.0.3, start: temporary}\n"),
                              &rel, &err);
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_str_eq(rel.name, "counter");
    cr_assert_str_eq(rel.version, "2");
    cr_assert_eq(rel.n_apps, 2);
    cr_assert_str_eq(rel.apps[0].name, "counter");
    cr_assert_eq(rel.apps[0].start, RM_START_PERMANENT);
    cr_assert_str_eq(rel.apps[1].version, "1.0.3");
    cr_assert_eq(rel.apps[1].start, RM_START_TEMPORARY);
    cr_assert_eq(rel.apps[1].loc.line, 5);
    cr_assert_eq(rel.apps[1].loc.col, 5);
    cr_assert_eq(rm_release_find(&rel, "web"), &rel.apps[1]);
    cr_assert_null(rm_release_find(&rel, "nope"));
    rm_release_free(&rel);
}

Test(application, loads_modules_processes_config)
{
    struct rm_app app;
    struct rm_error err = {0};
    int rc = rm_app_parse("counter.app.yaml",
                          S("application: counter\n"
                            "version: \"2\"\n"
                            "modules: [y, {name: z, version: \"1\"}]\n"
                            "processes:\n"
                            "  - {name: z, module: z, arg: \"5\", restart: transient}\n"
                            "  - {name: y1, module: y}\n"
                            "applications: [kernel]\n"
                            "config: {port: \"80\", mode: fast}\n"),
                          &app, &err);
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_eq(app.n_modules, 2);
    cr_assert_str_eq(app.modules[0].version, "2");
    cr_assert_str_eq(app.modules[1].version, "1");
    cr_assert_eq(app.n_processes, 2);
    cr_assert_str_eq(app.processes[0].arg, "5");
    cr_assert_eq(app.processes[0].restart, RM_RESTART_TRANSIENT);
    cr_assert_str_eq(app.processes[1].arg, "");
    cr_assert_eq(app.processes[1].restart, RM_RESTART_PERMANENT);
    cr_assert_eq(app.applications.n, 1);
    cr_assert_str_eq(app.applications.v[0], "kernel");
    cr_assert_eq(app.config.n, 2);
    cr_assert_str_eq(app.config.v[1].key, "mode");
    cr_assert_str_eq(app.config.v[1].value, "fast");
    rm_app_free(&app);
}

Test(boot, resolves_relative_paths)
{
    struct rm_boot boot;
    struct rm_error err = {0};
    int rc = rm_boot_parse("some/dir/boot.yaml",
                           S("modules:\n"
                             "  - {name: z, version: \"0\", path: lib/counter-1/z.so}\n"
                             "  - {name: y, version: \"0\", path: /abs/y.so}\n"
                             "processes:\n"
                             "  - {name: z, module: z, arg: \"\", restart: permanent}\n"),
                           &boot, &err);
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_str_eq(boot.modules[0].path, "some/dir/lib/counter-1/z.so");
    cr_assert_str_eq(boot.modules[1].path, "/abs/y.so");
    cr_assert_eq(boot.n_processes, 1);
    rm_boot_free(&boot);
}

Test(boot, unknown_key_reports_line_and_column)
{
    struct rm_boot boot = {0};
    struct rm_error err = {0};
    int rc = rm_boot_parse("boot.yaml",
                           S("modules:\n"
                             "  - {name: z, vsn: \"0\", path: z.so}\n"),
                           &boot, &err);
    cr_assert_eq(rc, -1);
    cr_assert_str_eq(err.msg, "boot.yaml:2:15: unknown key 'vsn' in module entry");
    cr_assert_null(boot.arena);
}
