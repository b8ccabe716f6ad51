/*
 * Relups on a live node, as OTP's releases/VSN/relup: `relman plan 2`
 * printed, edited and installed with --relup (the edit is what runs), a
 * release's own relup.yaml used by plan, check and install (its up entry
 * from the running release, the running release's down entry to go back),
 * and relups refused: no entry for the running release, an edit that breaks
 * the plan's rules, another release's relup.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e/test-release.h"

TestSuite(release_relup, .fini = e2e_cleanup, .timeout = 120);

/* `text` with the first `from` replaced by `to` (free it). */
static char *edit(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    cr_assert(at, "'%s' is not in:\n%s", from, text);
    size_t len = strlen(text) - strlen(from) + strlen(to) + 1;
    char *out = malloc(len);
    cr_assert(out);
    snprintf(out, len, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    return out;
}

/* The printed plan's code_change, and the same with an extra. */
#define CC_UP        "code_change: {direction: up, modules: [z]}"
#define CC_UP_EDITED "code_change: {direction: up, modules: [{module: z, extra: \"edited\"}]}"

Test(release_relup, plan_edited_and_installed_with_relup)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));
    rh_call_is(&n, "z", "boom", "0");
    char *plan = rh_ok(&n, "plan", "2", NULL);
    char *edited = edit(plan, CC_UP, CC_UP_EDITED);
    e2e_write(&n, "edited.yaml", edited);
    char file[4200];
    snprintf(file, sizeof file, "%s/edited.yaml", n.root);

    char *out = rh_ok(&n, "check", "2", "--relup", file, NULL);
    cr_assert(strstr(out, "release '2' can be installed (up from '1')"), "%s", out);
    free(out);
    out = rh_ok(&n, "install", "2", "--relup", file, NULL);
    cr_assert(strstr(out, "code_change up [z(edited)]"), "the edit did not run:\n%s", out);
    free(out);
    rh_call_is(&n, "z", "boom", "1");
    rh_call_is(&n, "z", "boom", "2");
    cr_assert_str_eq(rh_state(&n, "2"), "current");

    /* Without the relup, going back plans from the appups as before. */
    out = rh_ok(&n, "install", "1", NULL);
    cr_assert(strstr(out, "code_change down [z]"), "%s", out);
    free(out);
    free(plan);
    free(edited);
    rh_stop(&n);
}

Test(release_relup, a_broken_or_foreign_relup_is_refused_and_changes_nothing)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));
    char *plan = rh_ok(&n, "plan", "2", NULL);
    char file[4200];
    snprintf(file, sizeof file, "%s/edited.yaml", n.root);

    /* code_change on a module no longer suspended. */
    char *bad = edit(plan, "      - suspend: [z]\n", "");
    e2e_write(&n, "edited.yaml", bad);
    rh_fails(&n, 1, "edited.yaml", "install", "2", "--relup", file, NULL);
    rh_fails(&n, 1, "edited.yaml", "check", "2", "--relup", file, NULL);
    free(bad);
    /* No entry from the running release. */
    bad = edit(plan, "from: \"1\"", "from: \"7\"");
    e2e_write(&n, "edited.yaml", bad);
    rh_fails(&n, 1, "has no entry for the running release", "install", "2", "--relup", file, NULL);
    free(bad);
    /* Another release's relup. */
    bad = edit(plan, "version: \"2\"", "version: \"3\"");
    e2e_write(&n, "edited.yaml", bad);
    rh_fails(&n, 1, "(of release '3') has no entry", "install", "2", "--relup", file, NULL);
    free(bad);
    rh_fails(&n, 1, "nothing-here.yaml", "install", "2", "--relup", "nothing-here.yaml", NULL);
    cr_assert_str_eq(rh_state(&n, "2"), "unpacked");
    rh_call_is(&n, "z", "boom", "0");
    free(plan);
    rh_stop(&n);
}

Test(release_relup, release_relup_file_is_used_up_and_down)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));
    char *plan = rh_ok(&n, "plan", "2", NULL);
    char *up = edit(plan, CC_UP, CC_UP_EDITED);
    /* The same relup with a down entry back to "1" (the counter's appup
       order: code_change down before load). */
    char relup[4096];
    snprintf(relup, sizeof relup,
             "%sdown:\n  - to: \"1\"\n    instructions:\n"
             "      - load_object_code: {application: counter, version: \"1\", modules: [z]}\n"
             "      - point_of_no_return\n      - suspend: [z]\n"
             "      - code_change: {direction: down, modules: [{module: z, extra: \"back\"}]}\n"
             "      - load: z\n      - resume: [z]\n",
             up);
    e2e_write(&n, "releases/2/relup.yaml", relup);

    char *out = rh_ok(&n, "plan", "2", NULL);
    cr_assert(strstr(out, CC_UP_EDITED), "plan did not use releases/2/relup.yaml:\n%s", out);
    free(out);
    out = rh_ok(&n, "check", "2", NULL);
    cr_assert(strstr(out, "can be installed (up from '1')"), "%s", out);
    free(out);
    out = rh_ok(&n, "install", "2", NULL);
    cr_assert(strstr(out, "code_change up [z(edited)]"), "%s", out);
    free(out);
    rh_call_is(&n, "z", "boom", "0");
    out = rh_ok(&n, "install", "1", NULL);
    cr_assert(strstr(out, "code_change down [z(back)]"), "%s", out);
    free(out);
    rh_call_is(&n, "z", "boom", "1");

    /* A relup with up entries, none from the running release: refused. */
    char *other = edit(up, "from: \"1\"", "from: \"7\"");
    e2e_write(&n, "releases/2/relup.yaml", other);
    rh_fails(&n, 1, "relup.yaml' has no up entry from the running release '1'", "plan", "2", NULL);
    rh_fails(&n, 1, "has no up entry from the running release '1'", "install", "2", NULL);
    cr_assert_str_eq(rh_state(&n, "2"), "unpacked");
    rh_call_is(&n, "z", "boom", "2");
    free(other);
    free(up);
    free(plan);
    rh_stop(&n);
}
