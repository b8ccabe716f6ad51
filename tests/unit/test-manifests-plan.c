/* Translation from high to low level, as OTP's systools_rc: the worked
   example of the issue and the cases of systools_rc_SUITE, table-driven. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifests-helpers.h"
#include "relman/plan.h"

/* Application test 1.0 (foo, bar, baz, x, y, z), as in translate/1. */
static const char test_app[] = "application: test\n"
                               "version: \"1.0\"\n"
                               "modules: [foo, bar, baz, x, y, z]\n";

/*
 * Plans `instrs` (a YAML flow list) as the up entry from "0.1" (dir up) or
 * the down entry to "0.1" of an appup of test 1.0. Returns 0 or -1 with err.
 */
static int plan_of(enum rm_direction dir, const char *instrs, struct rm_plan *plan, struct rm_error *err)
{
    char doc[8192];
    snprintf(doc, sizeof doc,
             "application: test\nversion: \"1.0\"\nup:\n  - from: \"0.1\"\n"
             "    instructions: %s\ndown:\n  - to: \"0.1\"\n    instructions: %s\n",
             instrs, instrs);
    struct rm_appup appup;
    struct rm_app app;
    cr_assert_eq(rm_app_parse("test.app.yaml", test_app, strlen(test_app), &app, err), 0);
    if (rm_appup_parse("test.appup.yaml", doc, strlen(doc), &appup, err) < 0) {
        rm_app_free(&app);
        return -1;
    }
    int rc = rm_plan_appup(&appup, dir, "0.1", &app, &app, plan, err);
    rm_appup_free(&appup);
    rm_app_free(&app);
    return rc;
}

struct plan_case {
    const char *name;
    enum rm_direction dir;
    const char *instrs;
    const char *expect; /* the plan, or the error message */
};

#define SP   "pre_purge: soft, post_purge: soft"
#define LOC1 "load_object_code test [foo]; point_of_no_return; "

static const struct plan_case cases[] = {
    {"issue worked example, up", RM_UP,
     "[{update: {module: foo, deps: [bar, baz]}}, {update: {module: bar, change: advanced}},"
     " {update: {module: baz, change: advanced, extra: baz, deps: [bar]}}]",
     "load_object_code test [foo, baz, bar]; point_of_no_return; suspend [foo, baz, bar]; "
     "load bar; load baz; load foo; code_change up [baz \"baz\", bar]; resume [bar, baz, foo]"},
    {"issue worked example, down", RM_DOWN,
     "[{update: {module: foo, deps: [bar, baz]}}, {update: {module: bar, change: advanced}},"
     " {update: {module: baz, change: advanced, extra: baz, deps: [bar]}}]",
     "load_object_code test [foo, baz, bar]; point_of_no_return; suspend [foo, baz, bar]; "
     "code_change down [baz \"baz\", bar]; load foo; load baz; load bar; resume [bar, baz, foo]"},
    {"simple translation (1)", RM_UP, "[{update: {module: foo, " SP "}}]",
     LOC1 "suspend [foo]; load foo soft soft; resume [foo]"},
    {"shorthand update", RM_UP, "[update: foo]", LOC1 "suspend [foo]; load foo; resume [foo]"},
    {"simple translation (2) up", RM_UP,
     "[{update: {module: foo, change: advanced, extra: extra, " SP "}}]",
     LOC1 "suspend [foo]; load foo soft soft; code_change up [foo \"extra\"]; resume [foo]"},
    {"simple translation (2) down, dynamic", RM_DOWN,
     "[{update: {module: foo, change: advanced, extra: extra, " SP "}}]",
     LOC1 "suspend [foo]; code_change down [foo \"extra\"]; load foo soft soft; resume [foo]"},
    {"static up", RM_UP,
     "[{update: {module: foo, type: static, change: advanced, extra: extra, " SP "}}]",
     LOC1 "suspend [foo]; load foo soft soft; code_change up [foo \"extra\"]; resume [foo]"},
    {"static down: code_change after load", RM_DOWN,
     "[{update: {module: foo, type: static, change: advanced, extra: extra, " SP "}}]",
     LOC1 "suspend [foo]; load foo soft soft; code_change down [foo \"extra\"]; resume [foo]"},
    {"simple dependency (1) up", RM_UP,
     "[{update: {module: foo, deps: [bar], " SP "}}, {update: {module: bar, " SP "}}]",
     "load_object_code test [foo, bar]; point_of_no_return; suspend [foo, bar]; "
     "load bar soft soft; load foo soft soft; resume [bar, foo]"},
    {"simple dependency (1) down", RM_DOWN,
     "[{update: {module: foo, deps: [bar], " SP "}}, {update: {module: bar, " SP "}}]",
     "load_object_code test [foo, bar]; point_of_no_return; suspend [foo, bar]; "
     "load foo soft soft; load bar soft soft; resume [bar, foo]"},
    {"simple dependency (2) up", RM_UP,
     "[{update: {module: foo, deps: [bar]}}, {update: {module: bar, change: advanced}}]",
     "load_object_code test [foo, bar]; point_of_no_return; suspend [foo, bar]; load bar; "
     "load foo; code_change up [bar]; resume [bar, foo]"},
    {"simple dependency (2) down", RM_DOWN,
     "[{update: {module: foo, deps: [bar]}}, {update: {module: bar, change: advanced}}]",
     "load_object_code test [foo, bar]; point_of_no_return; suspend [foo, bar]; "
     "code_change down [bar]; load foo; load bar; resume [bar, foo]"},
    {"static with timeout infinity, down", RM_DOWN,
     "[{update: {module: foo, deps: [bar]}}, {update: {module: bar, type: static, timeout: "
     "infinity, change: advanced}}]",
     "load_object_code test [foo, bar]; point_of_no_return; suspend [foo, bar infinity]; "
     "load foo; load bar; code_change down [bar]; resume [bar, foo]"},
    {"mixed static and dynamic, up", RM_UP,
     "[{update: {module: foo, timeout: infinity, deps: [bar, baz]}},"
     " {update: {module: bar, type: static, timeout: 7000, change: advanced}},"
     " {update: {module: baz, change: advanced, extra: baz, deps: [bar]}}]",
     "load_object_code test [foo, baz, bar]; point_of_no_return; "
     "suspend [foo infinity, baz, bar 7000]; load bar; load baz; load foo; "
     "code_change up [baz \"baz\", bar]; resume [bar, baz, foo]"},
    {"mixed static and dynamic, down", RM_DOWN,
     "[{update: {module: foo, timeout: infinity, deps: [bar, baz]}},"
     " {update: {module: bar, type: static, timeout: 7000, change: advanced}},"
     " {update: {module: baz, change: advanced, extra: baz, deps: [bar]}}]",
     "load_object_code test [foo, baz, bar]; point_of_no_return; "
     "suspend [foo infinity, baz, bar 7000]; code_change down [baz \"baz\"]; load foo; "
     "load baz; load bar; code_change down [bar]; resume [bar, baz, foo]"},
    {"simple circular dependency (1) up", RM_UP,
     "[{update: {module: foo, deps: [bar]}}, {update: {module: bar, deps: [foo]}}]",
     "load_object_code test [foo, bar]; point_of_no_return; suspend [foo, bar]; load bar; "
     "load foo; resume [bar, foo]"},
    {"simple circular dependency (1) down", RM_DOWN,
     "[{update: {module: foo, deps: [bar]}}, {update: {module: bar, deps: [foo]}}]",
     "load_object_code test [foo, bar]; point_of_no_return; suspend [foo, bar]; load foo; "
     "load bar; resume [bar, foo]"},
    {"simple circular dependency (2) keeps manifest order", RM_UP,
     "[{update: {module: foo, deps: [bar, baz]}}, {update: {module: bar, deps: [foo]}},"
     " {update: {module: baz, deps: [bar]}}]",
     "load_object_code test [foo, bar, baz]; point_of_no_return; suspend [foo, bar, baz]; "
     "load baz; load bar; load foo; resume [baz, bar, foo]"},
    {"complex circular dependencies", RM_UP,
     "[{update: {module: foo, deps: [baz]}}, {update: {module: y, deps: [bar]}},"
     " {update: {module: x, deps: [y, z]}}, {update: {module: z, deps: [x]}},"
     " {update: {module: bar, deps: [baz]}}, {update: {module: baz, deps: [bar]}}]",
     "load_object_code test [foo, x, z, y, bar, baz]; point_of_no_return; "
     "suspend [foo, x, z, y, bar, baz]; load baz; load bar; load y; load z; load x; load foo; "
     "resume [baz, bar, y, z, x, foo]"},
    {"other instructions keep their order", RM_UP,
     "[{update: {module: foo, deps: [baz]}}, {apply: {module: m, function: f, args: ['1']}},"
     " {update: {module: baz}}, {apply: {module: m, function: f, args: ['2']}},"
     " {update: {module: x}}]",
     "load_object_code test [foo, baz, x]; point_of_no_return; suspend [foo, baz]; load baz; "
     "load foo; resume [baz, foo]; apply m:f [1]; apply m:f [2]; suspend [x]; load x; "
     "resume [x]"},
    {"add_module", RM_UP, "[add_module: foo, add_module: bar]",
     "load_object_code test [foo, bar]; point_of_no_return; load foo; load bar"},
    {"load_module with deps", RM_UP,
     "[{load_module: {module: foo, deps: [bar]}}, {load_module: {module: bar, " SP "}}]",
     "load_object_code test [foo, bar]; point_of_no_return; load bar soft soft; load foo"},
    {"delete_module", RM_UP, "[delete_module: foo]",
     "point_of_no_return; remove foo; purge [foo]"},
    {"delete_module with deps", RM_UP,
     "[{delete_module: {module: foo, deps: [bar]}}, update: bar]",
     "load_object_code test [bar]; point_of_no_return; suspend [bar]; load bar; remove foo; "
     "resume [bar]"},
    {"restart_node moved last", RM_UP, "[update: foo, restart_node]",
     LOC1 "suspend [foo]; load foo; resume [foo]; restart_node"},
    {"restart_node once, last", RM_UP, "[restart_node, update: foo, restart_node]",
     LOC1 "suspend [foo]; load foo; resume [foo]; restart_node"},
    {"only restart_node", RM_UP, "[restart_node]", "point_of_no_return; restart_node"},
    {"low-level passes through", RM_UP,
     "[{apply: {module: m, function: f, args: [a]}}, {load_object_code: {application: tst, "
     "version: '1.0', modules: [new_mod]}}, point_of_no_return, {load: new_mod},"
     " {suspend: [{module: m1, timeout: 500}]}, {code_change: {modules: [{module: m1, extra: "
     "e}]}}, {resume: [m1]}, {stop: [m3]}, {start: [m3]}]",
     "load_object_code tst [new_mod]; apply m:f [a]; point_of_no_return; load new_mod; "
     "suspend [m1 500]; code_change up [m1 \"e\"]; resume [m1]; stop [m3]; start [m3]"},
    {"conflicting versions", RM_UP,
     "[{load_object_code: {application: "
     "test, version: '1.0', modules: [foo]}}, {load_object_code: {application: test, version: "
     "'2.0', modules: [bar]}}]",
     "test.appup.yaml:5:93: conflicting versions for application 'test': '1.0' and '2.0'"},
    {"module of no application", RM_UP, "[update: nope]",
     "test.appup.yaml:5:20: module 'nope' is in no application of the target release"},
};

Test(translate, systools_rc_cases)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct rm_plan plan;
        struct rm_error err = {0};
        int rc = plan_of(cases[i].dir, cases[i].instrs, &plan, &err);
        const char *got = rc == 0 ? plan_str(&plan) : err.msg;
        cr_expect_str_eq(got, cases[i].expect, "case '%s'\n got: %s\nwant: %s", cases[i].name, got,
                         cases[i].expect);
        if (rc == 0)
            rm_plan_free(&plan);
    }
}

/* Rejections, each with its exact message. */
static const struct plan_case rejects[] = {
    {"muldef_module", RM_UP, "[update: foo, update: foo]",
     "test.appup.yaml:5:33: module 'foo' has more than one instruction (the first is at "
     "test.appup.yaml:5:20)"},
    {"undef_module", RM_UP, "[{update: {module: bar, deps: [baz]}}]",
     "test.appup.yaml:5:20: 'bar' depends on module 'baz', which has no instruction of its own"},
    {"bad op before point_of_no_return", RM_UP, "[{suspend: [m1]}, point_of_no_return]",
     "test.appup.yaml:5:20: 'suspend' before point_of_no_return (only load_object_code and apply "
     "may come before it)"},
    {"two points of no return", RM_UP, "[point_of_no_return, point_of_no_return]",
     "test.appup.yaml:5:40: second point_of_no_return (the first is at test.appup.yaml:5:20)"},
    {"suspend without resume", RM_UP, "[{suspend: [m1]}]",
     "test.appup.yaml:5:20: module 'm1' is suspended but not resumed"},
    {"resume without suspend", RM_UP, "[{resume: [m1]}]",
     "test.appup.yaml:5:20: module 'm1' is resumed but not suspended"},
    {"code_change not suspended", RM_UP, "[{code_change: {modules: [m1]}}]",
     "test.appup.yaml:5:20: module 'm1' has a code_change but is not suspended"},
    {"stop without start", RM_UP, "[{stop: [m1]}]",
     "test.appup.yaml:5:20: module 'm1' is stopped but not started"},
    {"start without stop", RM_UP, "[{start: [m1]}]",
     "test.appup.yaml:5:20: module 'm1' is started but not stopped"},
    {"load without object code", RM_UP, "[{load: m1}]",
     "test.appup.yaml:5:20: load of module 'm1' has no load_object_code"},
    {"extra without advanced", RM_UP, "[{update: {module: foo, extra: x}}]",
     "test.appup.yaml:5:50: 'extra' needs 'change: advanced'"},
    {"bad change", RM_UP, "[{update: {module: bar, change: hard}}]",
     "test.appup.yaml:5:51: 'change' must be one of soft, advanced, not 'hard'"},
    {"bad purge", RM_UP, "[{update: {module: bar, pre_purge: rutal}}]",
     "test.appup.yaml:5:54: 'pre_purge' must be one of soft, brutal, not 'rutal'"},
    {"deps not a list", RM_UP, "[{update: {module: bar, deps: ba}}]",
     "test.appup.yaml:5:49: 'deps' must be a list of names"},
    {"code_change item not a module", RM_UP, "[{code_change: {modules: [[m]]}}]",
     "test.appup.yaml:5:45: 'modules' must be a name"},
    {"unknown instruction", RM_UP, "[{upgrade: foo}]",
     "test.appup.yaml:5:21: unknown instruction 'upgrade'"},
    {"bad timeout", RM_UP, "[{update: {module: foo, timeout: 0}}]",
     "test.appup.yaml:5:52: 'timeout' must be a positive integer, not '0'"},
};

Test(translate, rejections)
{
    for (size_t i = 0; i < sizeof rejects / sizeof *rejects; i++) {
        struct rm_plan plan;
        struct rm_error err = {0};
        int rc = plan_of(rejects[i].dir, rejects[i].instrs, &plan, &err);
        if (rc == 0) {
            cr_expect_fail("case '%s' was accepted: %s", rejects[i].name, plan_str(&plan));
            rm_plan_free(&plan);
            continue;
        }
        cr_expect_str_eq(err.msg, rejects[i].expect, "case '%s'\n got: %s\nwant: %s",
                         rejects[i].name, err.msg, rejects[i].expect);
    }
}

/* translate_app: applications test 1.0 (foo, bar, baz) and pelle 1.0
   (pelle, kalle) before; test alone after. */
struct apps {
    struct rm_app test, pelle;
    struct rm_plan_app pre[2], post[1];
};

static void apps_init(struct apps *a, enum rm_start_type type)
{
    static const char t[] = "application: test\nversion: \"1.0\"\nmodules: [foo, bar, baz]\n";
    static const char p[] = "application: pelle\nversion: \"1.0\"\nmodules: [pelle, kalle]\n";
    cr_assert_eq(rm_app_parse("test.app.yaml", t, strlen(t), &a->test, NULL), 0);
    cr_assert_eq(rm_app_parse("pelle.app.yaml", p, strlen(p), &a->pelle, NULL), 0);
    a->pre[0] = (struct rm_plan_app){"test", "1.0", &a->test, RM_START_PERMANENT};
    a->pre[1] = (struct rm_plan_app){"pelle", "1.0", &a->pelle, RM_START_PERMANENT};
    a->post[0] = (struct rm_plan_app){"test", "1.0", &a->test, type};
}

static void apps_free(struct apps *a)
{
    rm_app_free(&a->test);
    rm_app_free(&a->pelle);
}

/* Translates one instruction list (flow YAML) up with the apps above. */
static const char *app_plan(struct apps *a, const char *instrs, struct rm_error *err)
{
    char doc[2048];
    snprintf(doc, sizeof doc, "version: \"1\"\nup:\n  - from: \"0\"\n    instructions: %s\n",
             instrs);
    struct rm_appup up;
    /* An appup document without its application line reads as an appup of
       "test" only for the application key; parse it as an appup. */
    char full[2100];
    snprintf(full, sizeof full, "application: test\n%s", doc);
    cr_assert_eq(rm_appup_parse("x.appup.yaml", full, strlen(full), &up, err), 0, "%s", err->msg);
    struct rm_plan plan;
    int rc = rm_plan_translate(RM_UP, &up.up[0].script, 1, a->post, 1, a->pre, 2, &plan, err);
    rm_appup_free(&up);
    if (rc < 0)
        return err->msg;
    static char out[4096];
    snprintf(out, sizeof out, "%s", plan_str(&plan));
    rm_plan_free(&plan);
    return out;
}

#define TEST_LOADS "load foo; load bar; load baz"

Test(translate_app, add_application_each_start_type)
{
    struct apps a;
    apps_init(&a, RM_START_PERMANENT);
    struct rm_error err;
    const char *head = "load_object_code test [foo, bar, baz]; point_of_no_return; " TEST_LOADS;
    char want[512];
    static const char *const types[] = {"permanent", "transient", "temporary"};
    for (int i = 0; i < 3; i++) {
        char instrs[128];
        snprintf(instrs, sizeof instrs, "[{add_application: {application: test, start: %s}}]",
                 types[i]);
        snprintf(want, sizeof want, "%s; apply application:start [test, %s]", head, types[i]);
        cr_expect_str_eq(app_plan(&a, instrs, &err), want);
    }
    snprintf(want, sizeof want, "%s; apply application:start [test, permanent]", head);
    cr_expect_str_eq(app_plan(&a, "[add_application: test]", &err), want);
    snprintf(want, sizeof want, "%s; apply application:load [test]", head);
    cr_expect_str_eq(app_plan(&a, "[{add_application: {application: test, start: load}}]", &err),
                     want);
    cr_expect_str_eq(app_plan(&a, "[{add_application: {application: test, start: none}}]", &err),
                     head);
    apps_free(&a);
}

Test(translate_app, remove_application)
{
    struct apps a;
    apps_init(&a, RM_START_PERMANENT);
    struct rm_error err;
    cr_expect_str_eq(app_plan(&a, "[remove_application: pelle]", &err),
                     "point_of_no_return; apply application:stop [pelle]; remove pelle; "
                     "remove kalle; purge [pelle, kalle]; apply application:unload [pelle]");
    cr_expect_str_eq(app_plan(&a, "[remove_application: test]", &err),
                     "x.appup.yaml:5:20: remove_application 'test', but the target release "
                     "still has it");
    cr_expect_str_eq(app_plan(&a, "[add_application: nope]", &err),
                     "x.appup.yaml:5:20: add_application: no application 'nope' in the target "
                     "release");
    apps_free(&a);
}

Test(translate_app, restart_application_each_start_type)
{
    static const enum rm_start_type types[] = {RM_START_PERMANENT, RM_START_TRANSIENT,
                                               RM_START_TEMPORARY, RM_START_LOAD, RM_START_NONE};
    static const char *const tails[] = {"; apply application:start [test, permanent]",
                                        "; apply application:start [test, transient]",
                                        "; apply application:start [test, temporary]",
                                        "; apply application:load [test]", ""};
    for (int i = 0; i < 5; i++) {
        struct apps a;
        apps_init(&a, types[i]);
        struct rm_error err;
        char want[512];
        snprintf(want, sizeof want,
                 "load_object_code test [foo, bar, baz]; point_of_no_return; "
                 "apply application:stop [test]; remove foo; remove bar; remove baz; "
                 "purge [foo, bar, baz]; " TEST_LOADS "%s",
                 tails[i]);
        cr_expect_str_eq(app_plan(&a, "[restart_application: test]", &err), want);
        apps_free(&a);
    }
}

Test(translate, groups_across_applications)
{
    static const char t[] = "application: a\nversion: \"2\"\nmodules: [x, y]\n";
    static const char u[] = "application: b\nversion: \"3\"\nmodules: [z]\n";
    static const char s1[] = "application: a\nversion: \"2\"\nup:\n  - from: \"1\"\n"
                             "    instructions: [{update: {module: x, deps: [z]}}, update: y]\n";
    static const char s2[] = "application: b\nversion: \"3\"\nup:\n  - from: \"1\"\n"
                             "    instructions: [{update: {module: z, change: advanced}}]\n";
    struct rm_app a, b;
    struct rm_appup pa, pb;
    struct rm_error err;
    cr_assert_eq(rm_app_parse("a.app.yaml", t, strlen(t), &a, &err), 0);
    cr_assert_eq(rm_app_parse("b.app.yaml", u, strlen(u), &b, &err), 0);
    /* x depends on z of another application: each appup alone is refused. */
    cr_assert_eq(rm_appup_parse("a.appup.yaml", s1, strlen(s1), &pa, &err), -1);
    cr_expect_str_eq(err.msg, "a.appup.yaml:5:20: 'x' depends on module 'z', which has no "
                              "instruction of its own");
    /* Translated together they form one group. */
    static const char s1ok[] = "application: a\nversion: \"2\"\nup:\n  - from: \"1\"\n"
                               "    instructions: [update: y, {update: {module: x}}]\n";
    cr_assert_eq(rm_appup_parse("a.appup.yaml", s1ok, strlen(s1ok), &pa, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_appup_parse("b.appup.yaml", s2, strlen(s2), &pb, &err), 0, "%s", err.msg);
    struct rm_script scripts[2] = {pa.up[0].script, pb.up[0].script};
    /* Give x a dependency on z across the two scripts. */
    const char *deps[] = {"z"};
    scripts[0].v[1].deps = (struct rm_names){deps, 1};
    struct rm_plan_app apps[2] = {{"a", "2", &a, RM_START_PERMANENT},
                                  {"b", "3", &b, RM_START_PERMANENT}};
    struct rm_plan plan;
    cr_assert_eq(rm_plan_translate(RM_UP, scripts, 2, apps, 2, apps, 2, &plan, &err), 0, "%s",
                 err.msg);
    cr_expect_str_eq(plan_str(&plan),
                     "load_object_code a [y, x]; load_object_code b [z]; point_of_no_return; "
                     "suspend [y]; load y; resume [y]; suspend [x, z]; load z; load x; "
                     "code_change up [z]; resume [z, x]");
    rm_plan_free(&plan);
    rm_appup_free(&pa);
    rm_appup_free(&pb);
    rm_app_free(&a);
    rm_app_free(&b);
}

Test(plan, irreversible_steps)
{
    struct rm_plan plan;
    struct rm_error err;
    cr_assert_eq(plan_of(RM_UP, "[update: foo]", &plan, &err), 0, "%s", err.msg);
    cr_expect_eq(rm_plan_first_irreversible(&plan), -1);
    rm_plan_free(&plan);
    cr_assert_eq(
        plan_of(RM_UP, "[update: foo, {apply: {module: m, function: f}}]", &plan, &err), 0,
        "%s", err.msg);
    cr_expect_eq(rm_plan_first_irreversible(&plan), 5);
    rm_plan_free(&plan);
}

/* The printed plan loads back as a relup and gives the same plan. */
Test(plan, yaml_and_json_round_trip)
{
    struct rm_plan plan;
    struct rm_error err;
    cr_assert_eq(plan_of(RM_DOWN,
                         "[{update: {module: foo, timeout: infinity, deps: [bar, baz]}},"
                         " {update: {module: bar, type: static, timeout: 7000, change: advanced,"
                         " " SP "}}, {update: {module: baz, change: advanced, extra: \"a \\\"q\\\""
                         "\\n\", deps: [bar]}}, {apply: {module: m, function: f, args: [x, '']}},"
                         " delete_module: old, restart_node]",
                         &plan, &err),
                 0, "%s", err.msg);
    char want[8192];
    snprintf(want, sizeof want, "%s", plan_str(&plan));
    for (int json = 0; json < 2; json++) {
        char *text = json ? rm_plan_to_json(&plan, RM_DOWN, "1.0", "0.1", &err)
                          : rm_plan_to_yaml(&plan, RM_DOWN, "1.0", "0.1", &err);
        cr_assert_not_null(text, "%s", err.msg);
        struct rm_appup relup;
        cr_assert_eq(rm_relup_parse("relup.yaml", text, strlen(text), &relup, &err), 0, "%s\n%s",
                     err.msg, text);
        cr_assert_str_eq(relup.version, "1.0");
        cr_assert_eq(relup.n_down, 1);
        cr_assert_str_eq(relup.down[0].version, "0.1");
        struct rm_plan back = {.v = relup.down[0].script.v, .n = relup.down[0].script.n};
        cr_expect_str_eq(plan_str(&back), want, "%s", text);
        rm_appup_free(&relup);
        free(text);
    }
    rm_plan_free(&plan);
}
