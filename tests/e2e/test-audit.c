/*
 * The audit log (relman/audit.h): every release operation, wherever it
 * runs (unpack and an offline remove in the command, the others in the
 * node), writes one line to ROOT/log/audit.log with who asked, from and to
 * which release, the outcome and the pause, also when it fails; `relman
 * history` reads it back; concurrent writers never interleave.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit.h"
#include "e2e/test-release.h"

static struct e2e_node n;

/* The records of ROOT's audit log, parsed, in *recs (free it); their
   number. Asserts that every line is a record. */
static size_t records(struct audit_rec **recs)
{
    char *text = e2e_read(&n, "log/audit.log");
    cr_assert(text, "no audit log in '%s'", n.root);
    size_t count = 0;
    *recs = NULL;
    for (char *save, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        *recs = realloc(*recs, (count + 1) * sizeof **recs);
        cr_assert(audit_parse(line, &(*recs)[count]) == 0, "not a record: '%s'", line);
        count++;
    }
    free(text);
    return count;
}

/* Asserts record `r`: operation, result, from, to, whether it has a
   pause, and that it names this test's uid and a relman command line
   holding `cmd`. */
static void expect_rec(const struct audit_rec *r, const char *op, const char *result,
                       const char *from, const char *to, int paused, const char *cmd)
{
    cr_expect_str_eq(r->op, op);
    cr_expect_str_eq(r->result, result, "%s: result", op);
    cr_expect_str_eq(r->from, from, "%s: from", op);
    cr_expect_str_eq(r->to, to, "%s: to '%s'", op, r->to);
    cr_expect_eq(r->pause_ns >= 0, paused, "%s: pause %lld", op, r->pause_ns);
    cr_expect_eq(r->uid, (long)getuid(), "%s: uid", op);
    cr_expect(r->pid > 0, "%s: pid", op);
    cr_expect(strstr(r->cmd, "relman") && strstr(r->cmd, cmd), "%s: command line '%s'", op, r->cmd);
    cr_expect_eq(r->error[0] != '\0', strcmp(result, "failed") == 0, "%s: error '%s'", op,
                 r->error);
    cr_expect(strlen(r->time) == 24 && r->time[23] == 'Z', "%s: time '%s'", op, r->time);
}

/* The node's operations: each line as the node wrote it. */
Test(audit, the_node_writes_what_it_ran, .fini = e2e_cleanup)
{
    rh_counter_node(&n); /* node start --release counter-1: an unpack, by the command */
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));
    free(rh_ok(&n, "install", "2", NULL));
    free(rh_ok(&n, "rollback", NULL));
    free(rh_ok(&n, "install", "2", NULL));
    free(rh_ok(&n, "permanent", "2", NULL)); /* 1 is old now */
    struct audit_rec *r;
    cr_assert_eq(records(&r), 6);
    expect_rec(&r[0], "unpack", "ok", "", "1", 0, "unpack");
    expect_rec(&r[1], "unpack", "ok", "", "2", 0, "unpack");
    expect_rec(&r[2], "install", "ok", "1", "2", 1, "install 2");
    expect_rec(&r[3], "rollback", "ok", "2", "1", 1, "rollback");
    expect_rec(&r[4], "install", "ok", "1", "2", 1, "install 2");
    expect_rec(&r[5], "permanent", "ok", "2", "2", 0, "permanent 2");
    free(r);
    pid_t before = e2e_node_pid(&n);
    free(rh_ok(&n, "reboot-old", "1", NULL)); /* the line is written before the restart */
    e2e_wait_node(&n, before, 10000);
    free(rh_ok(&n, "remove", "2", NULL)); /* through the node, which runs 1 */
    cr_assert_eq(records(&r), 8);
    expect_rec(&r[6], "reboot-old", "ok", "2", "1", 0, "reboot-old 1");
    expect_rec(&r[7], "remove", "ok", "1", "2", 0, "remove 2");
    free(r);
    e2e_stop(&n);
}

/* Without a node, unpack and remove write their own lines. */
Test(audit, offline_operations_write_their_lines, .fini = e2e_cleanup)
{
    e2e_root_new(&n, 0);
    free(rh_ok(&n, "unpack", RH_COUNTER_1, NULL));
    free(rh_ok(&n, "unpack", RH_COUNTER_2, NULL));
    free(rh_ok(&n, "remove", "2", NULL));
    struct audit_rec *r;
    cr_assert_eq(records(&r), 3);
    expect_rec(&r[0], "unpack", "ok", "", "1", 0, "unpack");
    expect_rec(&r[1], "unpack", "ok", "", "2", 0, "unpack");
    expect_rec(&r[2], "remove", "ok", "", "2", 0, "remove 2");
    free(r);
    e2e_stop(&n);
}

Test(audit, failures_are_written_too, .fini = e2e_cleanup)
{
    rh_counter_node(&n);
    rh_fails(&n, 1, "nosuch.tar.gz", "unpack", "nosuch.tar.gz", NULL);
    rh_fails(&n, 1, "release '9'", "install", "9", NULL);
    rh_fails(&n, 1, "release '9' is not known", "permanent", "9", NULL);
    rh_fails(&n, 1, "nothing to roll back", "rollback", NULL);
    rh_fails(&n, 1, "not old", "reboot-old", "1", NULL);
    rh_fails(&n, 1, NULL, "remove", "1", NULL); /* the node runs it */
    struct audit_rec *r;
    cr_assert_eq(records(&r), 7);
    expect_rec(&r[1], "unpack", "failed", "", "", 0, "unpack nosuch.tar.gz");
    expect_rec(&r[2], "install", "failed", "1", "9", 0, "install 9");
    expect_rec(&r[3], "permanent", "failed", "1", "9", 0, "permanent 9");
    expect_rec(&r[4], "rollback", "failed", "1", "1", 0, "rollback");
    expect_rec(&r[5], "reboot-old", "failed", "1", "1", 0, "reboot-old 1");
    expect_rec(&r[6], "remove", "failed", "1", "1", 0, "remove 1");
    cr_expect(strstr(r[3].error, "permanent '9'"), "%s", r[3].error);
    free(r);
    e2e_stop(&n);
    e2e_root_new(&n, 0);
    free(rh_ok(&n, "unpack", RH_COUNTER_1, NULL));
    rh_fails(&n, 1, "'7'", "remove", "7", NULL); /* offline */
    cr_assert_eq(records(&r), 2);
    expect_rec(&r[1], "remove", "failed", "", "7", 0, "remove 7");
    free(r);
}

Test(audit, history_prints_the_log, .fini = e2e_cleanup)
{
    e2e_root_new(&n, 0);
    char *out = rh_ok(&n, "history", "--json", NULL);
    cr_expect_str_eq(out, "[]\n");
    free(out);
    free(rh_ok(&n, "unpack", RH_COUNTER_1, NULL));
    rh_fails(&n, 1, NULL, "remove", "7", NULL);
    /* A line that is no record (written by hand) is skipped with a warning. */
    char *log = e2e_read(&n, "log/audit.log");
    size_t len = strlen(log);
    log = realloc(log, len + 32);
    strcpy(log + len, "garbage\n");
    e2e_write(&n, "log/audit.log", log);
    free(log);
    struct e2e_out o;
    cr_assert_eq(e2e_run(&n, &o, "history", NULL), 0);
    cr_expect(strncmp(o.out, "TIME ", 5) == 0, "%s", o.out);
    cr_expect(strstr(o.out, " unpack     ok     -        1 "), "%s", o.out);
    cr_expect(strstr(o.out, " remove     failed -        7 "), "%s", o.out);
    cr_expect(strstr(o.out, "\n    release '7' is not known\n"), "%s", o.out);
    cr_expect(strstr(o.err, "audit.log:3: not an audit record, skipped"), "%s", o.err);
    e2e_out_free(&o);
    cr_assert_eq(e2e_run(&n, &o, "history", "--json", NULL), 0);
    cr_expect(strstr(o.out, "\"operation\": \"unpack\", \"result\": \"ok\", \"from\": \"\", "
                            "\"to\": \"1\", \"pause_ms\": null"),
              "%s", o.out);
    cr_expect(strstr(o.out, "\"operation\": \"remove\", \"result\": \"failed\""), "%s", o.out);
    e2e_out_free(&o);
    e2e_stop(&n);
}

/* Eight processes append 300 records each at once, with command lines and
   errors long enough to be cut: every line is whole. */
Test(audit, concurrent_appends_never_interleave, .fini = e2e_cleanup)
{
    e2e_root_new(&n, 0);
    enum { WRITERS = 8, EACH = 300 };
    for (int w = 0; w < WRITERS; w++) {
        pid_t pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0) {
            struct audit_rec r;
            struct rm_error err;
            for (int i = 0; i < EACH; i++) {
                audit_begin(&r, "install", getpid(), getuid());
                snprintf(r.to, sizeof r.to, "%d", i);
                memset(r.cmd, 'c', sizeof r.cmd - 1);
                r.cmd[sizeof r.cmd - 1] = '\0';
                for (size_t k = 0; k + 1 < sizeof r.error; k++)
                    r.error[k] = k % 7 ? 'e' : '\t'; /* escaped: doubles in length */
                r.error[sizeof r.error - 1] = '\0';
                snprintf(r.result, sizeof r.result, "failed");
                if (audit_append(n.root, &r, &err) < 0)
                    _exit(1);
            }
            _exit(0);
        }
    }
    for (int w = 0; w < WRITERS; w++) {
        int status;
        cr_assert(wait(&status) > 0);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    struct audit_rec *r;
    cr_assert_eq(records(&r), WRITERS * EACH);
    for (size_t i = 0; i < WRITERS * EACH; i++) {
        cr_assert_str_eq(r[i].op, "install");
        cr_assert(r[i].cmd[0] == 'c' && r[i].error[0] == '\t', "record %zu: cut wrongly", i);
    }
    free(r);
    e2e_stop(&n);
}
