/*
 * Configuration end to end: an application's typed defaults and the node's
 * override file (ROOT/config.yaml) delivered to its processes at boot, the
 * override winning; a value of the wrong type refused at unpack and at
 * check with its file, line and column; and after an install (and a
 * rollback) each process of an application whose configuration changed
 * told exactly the keys changed, new and removed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e/test-release.h"

TestSuite(release_config, .fini = e2e_cleanup, .timeout = 120);

static const char cfg_1[] = "config:\n"
                            "  port: 6379\n"
                            "  host: localhost\n"
                            "  debug: false\n"
                            "  peers: [x, y]\n"
                            "  db: {host: h, port: 1}\n"
                            "  old: gone-soon\n";

Test(release_config, delivered_at_boot_and_the_override_wins)
{
    static struct e2e_node n;
    e2e_root_new(&n, 0);
    rh_app(&n, "svc", "1", "a", "1", cfg_1);
    rh_app(&n, "plain", "1", "b", "1", NULL);
    rh_release(&n, "svc", "1", "svc 1", "plain 1", NULL);
    rh_file(&n, "config.yaml",
            "svc:\n"
            "  port: 7000\n"
            "  db: {port: 2}\n"
            "later_app: {anything: 1}\n"); /* an application no release holds yet */
    e2e_start(&n);
    rh_call_is(&n, "pa", "cfg port", "7000");
    rh_call_is(&n, "pa", "cfg host", "localhost");
    rh_call_is(&n, "pa", "cfg debug", "false");
    rh_call_is(&n, "pa", "cfg peers", "list 2");
    rh_call_is(&n, "pa", "cfg peers.1", "y");
    rh_call_is(&n, "pa", "cfg peers.2", "unset");
    rh_call_is(&n, "pa", "cfg db", "map 2: host port");
    rh_call_is(&n, "pa", "cfg db.host", "h"); /* maps merge key by key */
    rh_call_is(&n, "pa", "cfg db.port", "2");
    rh_call_is(&n, "pa", "cfg nothing", "unset");
    rh_call_is(&n, "pb", "cfg port", "unset"); /* another application's */

    char *out = rh_ok(&n, "config", "svc", NULL);
    cr_assert(strstr(out, "port: 7000"), "%s", out);
    cr_assert(strstr(out, "db: {host: h, port: 2}"), "%s", out);
    free(out);
    out = rh_ok(&n, "config", "--json", NULL);
    cr_assert(strstr(out, "\"svc\": {\"port\": 7000"), "%s", out);
    cr_assert(strstr(out, "\"plain\": {}"), "%s", out);
    free(out);
    rh_stop(&n);
}

Test(release_config, bad_type_refused_at_unpack_with_file_line_column)
{
    static struct e2e_node n;
    rh_counter_node(&n);
    rh_file(&n, "config.yaml", "counter:\n  step: \"two\"\n");
    rh_fails(&n, 1,
             "config.yaml:2:9: application 'counter': 'step' must be an integer, not the string "
             "\"two\"",
             "unpack", RH_COUNTER_2, NULL);
    cr_assert_str_eq(rh_state(&n, "2"), "", "nothing unpacked");
    rh_file(&n, "config.yaml", "counter:\n  stepp: 2\n");
    rh_fails(&n, 1,
             "config.yaml:2:3: unknown key 'stepp' in the configuration of application 'counter' "
             "version '2' (its keys: peers, step, greeting)",
             "unpack", RH_COUNTER_2, NULL);
    rh_file(&n, "config.yaml", "counter:\n  step: 2\n  peers: [a, b]\n");
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));
    cr_assert_str_eq(rh_state(&n, "2"), "unpacked");

    /* check and install read the file again: a mistake made since is refused */
    rh_file(&n, "config.yaml", "counter:\n  peers: [a, [b]]\n");
    rh_fails(&n, 1, "config.yaml:2:14: application 'counter': 'peers.1' must be a string, not a list",
             "check", "2", NULL);
    rh_fails(&n, 1, "install '2' rolled back, release '1' still runs", "install", "2", NULL);
    rh_call_is(&n, "z", "boom", "0");
    rh_stop(&n);
}

/* Releases 1 and 2 of application svc (module a, versions 1 and 2) beside
   application plain (module b), whose configuration stays the same. */
static void two_releases(struct e2e_node *n)
{
    e2e_root_new(n, 0);
    rh_app(n, "svc", "1", "a", "1", cfg_1);
    rh_app(n, "plain", "1", "b", "1", "config: {same: 1}\n");
    rh_release(n, "svc", "1", "svc 1", "plain 1", NULL);
    rh_app(n, "svc", "2", "a", "2",
           "config:\n"
           "  port: 6380\n"             /* changed */
           "  host: localhost\n"        /* the same */
           "  debug: false\n"
           "  peers: [x, y]\n"
           "  db: {port: 1, host: h}\n" /* the same, keys in another order */
           "  fresh: [1, 2]\n");        /* new; `old` removed */
    rh_appup(n, "svc", "2",
             "up:\n  - from: \"1\"\n    instructions: [update: {module: a, change: advanced}]\n"
             "down:\n  - to: \"1\"\n    instructions: [update: {module: a, change: advanced}]\n");
    rh_release(n, "svc", "2", "svc 2", "plain 1", NULL);
}

Test(release_config, config_change_after_install_with_exactly_the_changed_keys)
{
    static struct e2e_node n;
    two_releases(&n);
    e2e_start(&n);
    rh_call_is(&n, "pa", "cfgchange", "0 ");
    char *inst = rh_ok(&n, "install", "2", NULL);
    cr_assert(strstr(inst, "config_change svc [changed: port; new: fresh; removed: old]"), "%s",
              inst);
    cr_assert_null(strstr(inst, "config_change plain"), "%s", inst);
    free(inst);
    rh_call_is(&n, "pa", "vsn", "2");
    rh_call_is(&n, "pa", "cfgchange", "1 changed=[port] new=[fresh] removed=[old]");
    rh_call_is(&n, "pa", "cfg port", "6380");
    rh_call_is(&n, "pa", "cfg fresh.1", "2");
    rh_call_is(&n, "pa", "cfg old", "unset");
    rh_call_is(&n, "pb", "cfgchange", "0 "); /* nothing changed for plain */

    free(rh_ok(&n, "rollback", NULL));
    rh_call_is(&n, "pa", "vsn", "1");
    rh_call_is(&n, "pa", "cfgchange", "2 changed=[port] new=[old] removed=[fresh]");
    rh_call_is(&n, "pa", "cfg port", "6379");
    rh_stop(&n);
}

Test(release_config, an_override_changed_between_installs_is_told_too)
{
    static struct e2e_node n;
    two_releases(&n);
    rh_file(&n, "config.yaml", "plain:\n  same: 2\n");
    e2e_start(&n);
    rh_call_is(&n, "pb", "cfg same", "2");
    rh_file(&n, "config.yaml", "plain:\n  same: 3\nsvc:\n  port: 9\n");
    free(rh_ok(&n, "install", "2", NULL));
    rh_call_is(&n, "pb", "cfgchange", "1 changed=[same] new=[] removed=[]");
    rh_call_is(&n, "pb", "cfg same", "3");
    rh_call_is(&n, "pa", "cfgchange", "1 changed=[port] new=[fresh] removed=[old]");
    rh_call_is(&n, "pa", "cfg port", "9");
    rh_stop(&n);
}
