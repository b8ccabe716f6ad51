/* The release, application and boot formats: what loads, and how each
   mistake is reported. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "relman/manifest.h"
#include "relman/plan.h"

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

/* A version regex of the kind people write compiles and matches whole
   versions; one that would make the C library's regex compiler copy its
   operand millions of times is refused before regcomp sees it. */
Test(appup, version_regexes_bounded_before_compiling)
{
    struct rm_appup doc;
    struct rm_error err = {0};
    static const char ok[] = "application: counter\n"
                             "version: \"2\"\n"
                             "up:\n"
                             "  - from_regex: '1\\.[0-9]+(\\.[0-9]+)?(-rc[0-9]{1,3})?|[[:digit:]]+[]a-z]*'\n"
                             "    instructions: [load_module: z]\n";
    cr_assert_eq(rm_appup_parse("a.appup.yaml", S(ok), &doc, &err), 0, "%s", err.msg);
    static const char *match[] = {"1.2", "1.2.3-rc12", "7]ab"}, *miss[] = {"x1", "1.2.3-rc1234", "2.0"};
    for (size_t i = 0; i < 3; i++) {
        struct rm_plan plan;
        cr_expect_eq(rm_plan_appup(&doc, RM_UP, match[i], NULL, NULL, &plan, &err), 0, "%s: %s",
                     match[i], err.msg);
        rm_plan_free(&plan);
        cr_expect_eq(rm_plan_appup(&doc, RM_UP, miss[i], NULL, NULL, &plan, &err), -1, "%s", miss[i]);
    }
    rm_appup_free(&doc);

    static const char *bad[] = {"'(((((((((((((1+)+)+)+)+)+)+)+)+)+)+)+)+)+'",
                                "'1{1000}{1000}'", "'(1{40}){40}'", "'x{32767}'", "'((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))'"};
    for (size_t i = 0; i < 5; i++) {
        char text[512];
        snprintf(text, sizeof text, "application: c\nversion: \"2\"\nup:\n  - from_regex: %s\n"
                 "    instructions: [load_module: z]\n", bad[i]);
        cr_expect_eq(rm_appup_parse("a.appup.yaml", S(text), &doc, &err), -1, "%s accepted", bad[i]);
        cr_expect(strstr(err.msg, "RM_REGEX_MAX_") || strstr(err.msg, "repeats a repetition"),
                  "%s: %s", bad[i], err.msg);
    }
}
