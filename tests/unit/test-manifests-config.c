/* Configuration: the typed `config:` and `config_schema:` of an application
   manifest, the node's override file and the effective configuration they
   make, and the configuration trees of relman/config.h (copy, compare,
   look up, diff, print). Mistakes in an application manifest have their
   fixtures (bad-app-config-*.yaml). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relman/config.h"
#include "relman/manifest.h"

#define S(text) text, strlen(text)

static const char web[] = "application: web\n"
                          "version: \"3\"\n"
                          "modules: [w]\n"
                          "config:\n"
                          "  port: 8080\n"
                          "  host: \"10\"\n"
                          "  tls: true\n"
                          "  peers: [a, b]\n"
                          "  db: {host: h, port: 5432}\n"
                          "  legacy: \"8080\"\n"
                          "config_schema:\n"
                          "  timeout_ms: integer\n"
                          "  labels: {\"*\": string}\n"
                          "  routes: [{path: string, weight: integer}]\n";

static void load_web(struct rm_app *app)
{
    struct rm_error err = {0};
    cr_assert_eq(rm_app_parse("web.app.yaml", S(web), app, &err), 0, "%s", err.msg);
}

/* The effective configuration of `app` with `override` (NULL: none), or
   NULL with the message in err. */
static struct rm_cfg *effective(const struct rm_app *app, const char *override, int flags,
                                struct rm_error *err)
{
    struct rm_config_override ov = {0};
    struct rm_cfg *cfg = NULL;
    if (override && rm_config_override_parse("config.yaml", S(override), &ov, err) < 0)
        return NULL;
    if (rm_config_effective(app, override ? &ov : NULL, flags, &cfg, err) < 0)
        cfg = NULL;
    rm_config_override_free(&ov);
    return cfg;
}

Test(config, defaults_keep_their_yaml_types)
{
    struct rm_app app;
    load_web(&app);
    const struct rm_cfg *d = app.config_defaults;
    cr_assert_eq(d->type, RM_CONFIG_MAP);
    cr_assert_eq(d->n, 6);
    cr_assert_eq(rm_cfg_get(d, "port")->type, RM_CONFIG_INTEGER);
    cr_assert_eq(rm_cfg_get(d, "port")->i, 8080);
    cr_assert_eq(rm_cfg_get(d, "host")->type, RM_CONFIG_STRING); /* quoted */
    cr_assert_eq(rm_cfg_get(d, "tls")->type, RM_CONFIG_BOOLEAN);
    cr_assert_str_eq(rm_cfg_lookup(d, "peers.1")->s, "b");
    cr_assert_eq(rm_cfg_lookup(d, "db.port")->i, 5432);
    cr_assert_null(rm_cfg_lookup(d, "timeout_ms")); /* declared, no default */
    cr_assert_null(rm_cfg_lookup(d, "peers.2"));
    cr_assert_null(rm_cfg_lookup(d, "peers."));
    /* the string view of the top-level keys, as before typed configuration */
    cr_assert_eq(app.config.n, 6);
    cr_assert_str_eq(app.config.v[0].value, "8080");
    cr_assert_str_eq(app.config.v[5].value, "8080");
    cr_assert_null(app.config.v[3].value); /* a list */
    /* declared keys: schema first, then the defaults' own */
    cr_assert_eq(app.config_spec->n, 9);
    cr_assert_eq(app.config_spec->fields[1].any_key, 1);
    rm_app_free(&app);
}

Test(config, the_override_wins_and_maps_merge_key_by_key)
{
    struct rm_app app;
    load_web(&app);
    struct rm_error err = {0};
    struct rm_cfg *cfg = effective(&app,
                                   "web:\n"
                                   "  port: 9090\n"
                                   "  db: {port: 6000}\n"
                                   "  peers: [c]\n"
                                   "  timeout_ms: 250\n"
                                   "  labels: {team: core, tier: \"1\"}\n"
                                   "  routes: [{path: /, weight: 3}]\n"
                                   "other: {whatever: 1}\n",
                                   0, &err);
    cr_assert_not_null(cfg, "%s", err.msg);
    cr_assert_eq(rm_cfg_lookup(cfg, "port")->i, 9090);
    cr_assert_str_eq(rm_cfg_lookup(cfg, "db.host")->s, "h");
    cr_assert_eq(rm_cfg_lookup(cfg, "db.port")->i, 6000);
    cr_assert_eq(rm_cfg_lookup(cfg, "peers")->n, 1); /* a list is replaced */
    cr_assert_eq(rm_cfg_lookup(cfg, "timeout_ms")->i, 250);
    cr_assert_str_eq(rm_cfg_lookup(cfg, "labels.tier")->s, "1");
    cr_assert_eq(rm_cfg_lookup(cfg, "routes.0.weight")->i, 3);
    char *yaml = rm_cfg_format(rm_cfg_lookup(cfg, "db"), 0);
    cr_assert_str_eq(yaml, "{host: h, port: 6000}");
    free(yaml);
    char *json = rm_cfg_format(rm_cfg_lookup(cfg, "labels"), 1);
    cr_assert_str_eq(json, "{\"team\": \"core\", \"tier\": \"1\"}");
    free(json);
    yaml = rm_cfg_format(rm_cfg_lookup(cfg, "labels"), 0);
    cr_assert_str_eq(yaml, "{team: core, tier: \"1\"}"); /* quoted: it reads as a number */
    free(yaml);
    free(cfg);
    rm_app_free(&app);
}

Test(config, override_mistakes_name_file_line_and_column)
{
    struct rm_app app;
    load_web(&app);
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"web:\n  port: \"80\"\n",
         "config.yaml:2:9: application 'web': 'port' must be an integer, not the string \"80\""},
        {"web:\n  prot: 80\n",
         "config.yaml:2:3: unknown key 'prot' in the configuration of application 'web' version "
         "'3' (its keys: timeout_ms, labels, routes, port, host, tls, peers, db, legacy)"},
        {"web:\n  db: {hots: x}\n",
         "config.yaml:2:8: unknown key 'hots' in 'db' (its keys: host, port)"},
        {"web:\n  tls: yes\n", "config.yaml:2:8: application 'web': 'tls' must be a boolean, not 'yes'"},
        {"web:\n  routes: [{path: /, weight: x}]\n",
         "config.yaml:2:30: application 'web': 'routes.0.weight' must be an integer, not 'x'"},
        {"web:\n  port: 99999999999999999999\n",
         "config.yaml:2:9: application 'web': 'port' is out of range for an integer: "
         "99999999999999999999"},
        {"web:\n  port: 1\nweb: {}\n", "config.yaml:3:1: application 'web' is listed twice (first at line 1)"},
        {"web: [1]\n", "config.yaml:1:6: the configuration of application 'web' must be a mapping of keys"},
        {"- web\n", "config.yaml:1:1: the override file must be a mapping from application names to "
                    "their configuration"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rm_error err = {0};
        struct rm_cfg *cfg = effective(&app, cases[i].text, 0, &err);
        cr_expect_null(cfg, "case %zu was accepted", i);
        free(cfg);
        cr_expect_str_eq(err.msg, cases[i].msg, "case %zu", i);
    }
    rm_app_free(&app);
}

Test(config, skip_unknown_leaves_out_keys_but_still_checks_types)
{
    struct rm_app app;
    load_web(&app);
    struct rm_error err = {0};
    struct rm_cfg *cfg = effective(&app, "web:\n  newer: 1\n  port: 1\n", RM_CONFIG_SKIP_UNKNOWN, &err);
    cr_assert_not_null(cfg, "%s", err.msg);
    cr_assert_null(rm_cfg_get(cfg, "newer"));
    cr_assert_eq(rm_cfg_get(cfg, "port")->i, 1);
    free(cfg);
    cr_assert_null(effective(&app, "web:\n  port: x\n", RM_CONFIG_SKIP_UNKNOWN, &err));
    rm_app_free(&app);
}

Test(config, limits_are_named)
{
    /* more values than RM_CONFIG_MAX_VALUES in one list */
    size_t n = RM_CONFIG_MAX_VALUES + 10, len = 0;
    char *text = malloc(n * 3 + 200);
    len += (size_t)sprintf(text, "application: big\nversion: \"1\"\nmodules: [b]\nconfig:\n  v: [");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "%s1", i ? "," : "");
    sprintf(text + len, "]\n");
    struct rm_app app;
    struct rm_error err = {0};
    cr_assert_eq(rm_app_parse("big.app.yaml", text, strlen(text), &app, &err), -1);
    cr_assert_eq(err.code, RM_ELIMIT);
    cr_assert(strstr(err.msg, "has more than 10000 values (RM_CONFIG_MAX_VALUES)"), "%s", err.msg);
    free(text);
}

Test(config, trees_copy_compare_and_diff)
{
    struct rm_app a1, a2;
    struct rm_error err = {0};
    cr_assert_eq(rm_app_parse("a.app.yaml",
                              S("application: a\nversion: \"1\"\nmodules: [m]\n"
                                "config: {port: 1, host: h, db: {x: 1, y: 2}, old: o}\n"),
                              &a1, &err),
                 0, "%s", err.msg);
    cr_assert_eq(rm_app_parse("a.app.yaml",
                              S("application: a\nversion: \"2\"\nmodules: [m]\n"
                                "config: {db: {y: 2, x: 1}, port: 2, host: h, fresh: [1]}\n"),
                              &a2, &err),
                 0, "%s", err.msg);
    struct rm_cfg *c1 = rm_cfg_copy(a1.config_defaults), *c2 = rm_cfg_copy(a2.config_defaults);
    rm_app_free(&a1); /* the copies stand alone */
    cr_assert(rm_cfg_equal(rm_cfg_get(c1, "db"), rm_cfg_get(c2, "db")));
    cr_assert_not(rm_cfg_equal(c1, c2));
    struct rm_cfg_diff d;
    cr_assert_eq(rm_cfg_diff(c1, c2, &d, &err), 0);
    cr_assert_eq(d.n_changed, 1);
    cr_assert_str_eq(d.changed[0], "port");
    cr_assert_eq(d.n_added, 1);
    cr_assert_str_eq(d.added[0], "fresh");
    cr_assert_eq(d.n_removed, 1);
    cr_assert_str_eq(d.removed[0], "old");
    rm_cfg_diff_free(&d);
    cr_assert_eq(rm_cfg_diff(NULL, c2, &d, &err), 0);
    cr_assert_eq(d.n_added, 4);
    rm_cfg_diff_free(&d);
    free(c1);
    free(c2);
    rm_app_free(&a2);
}
