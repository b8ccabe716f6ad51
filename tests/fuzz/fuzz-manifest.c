/*
 * libFuzzer target for the manifest loaders: every input goes through the
 * release, application, boot, appup and relup loaders; an appup that loads
 * is planned both ways, printed, and the printed plan must load back. An
 * application's configuration is copied and printed; the input read as a
 * node's override file is applied to a fixed application.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relman/manifest.h"
#include "relman/plan.h"

static void plan_and_print(const struct rm_appup *doc, enum rm_direction dir, const char *vsn)
{
    struct rm_plan plan;
    struct rm_error err;
    if (rm_plan_appup(doc, dir, vsn, NULL, NULL, &plan, &err) < 0)
        return;
    for (int json = 0; json < 2; json++) {
        char *text = json ? rm_plan_to_json(&plan, dir, vsn, doc->version, &err)
                          : rm_plan_to_yaml(&plan, dir, vsn, doc->version, &err);
        if (!text)
            abort(); /* a translated plan always prints */
        struct rm_appup back;
        if (rm_relup_parse("printed", text, strlen(text), &back, &err) < 0)
            abort(); /* a printed plan always loads back */
        rm_appup_free(&back);
        free(text);
    }
    rm_plan_free(&plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct rm_error err;
    struct rm_release rel;
    if (rm_release_parse("f", s, size, &rel, &err) == 0)
        rm_release_free(&rel);
    struct rm_app app;
    if (rm_app_parse("f", s, size, &app, &err) == 0) {
        struct rm_cfg *cfg;
        if (rm_config_effective(&app, NULL, 0, &cfg, &err) < 0)
            abort(); /* the defaults alone always make a configuration */
        for (int json = 0; json < 2; json++)
            free(rm_cfg_format(cfg, json));
        if (!rm_cfg_equal(cfg, app.config_defaults))
            abort(); /* a copy equals its original */
        free(cfg);
        rm_app_free(&app);
    }
    static const char fixed[] = "application: web\nversion: \"1\"\nmodules: [w]\n"
                                "config: {port: 1, db: {host: h}, peers: [a]}\n"
                                "config_schema: {labels: {\"*\": [integer]}, on: boolean}\n";
    struct rm_config_override ov;
    if (rm_app_parse("web", fixed, strlen(fixed), &app, &err) == 0) {
        if (rm_config_override_parse("f", s, size, &ov, &err) == 0) {
            struct rm_cfg *cfg;
            for (int flags = 0; flags < 2; flags++)
                if (rm_config_effective(&app, &ov, flags, &cfg, &err) == 0)
                    free(cfg);
            rm_config_override_free(&ov);
        }
        rm_app_free(&app);
    }
    struct rm_boot boot;
    if (rm_boot_parse("d/f", s, size, &boot, &err) == 0)
        rm_boot_free(&boot);
    struct rm_appup doc;
    if (rm_appup_parse("f", s, size, &doc, &err) == 0) {
        for (size_t i = 0; i < doc.n_up; i++)
            if (!doc.up[i].is_regex)
                plan_and_print(&doc, RM_UP, doc.up[i].version);
        for (size_t i = 0; i < doc.n_down; i++)
            if (!doc.down[i].is_regex)
                plan_and_print(&doc, RM_DOWN, doc.down[i].version);
        rm_appup_free(&doc);
    }
    if (rm_relup_parse("f", s, size, &doc, &err) == 0)
        rm_appup_free(&doc);
    return 0;
}
