/*
 * Help cannot drift from the command table: for every command of the table
 * (linked in), `relman COMMAND --help` and `relman help COMMAND` print its
 * synopsis, summary, options and exit statuses; the synopsis names every
 * option and the table every option of the synopsis; each option is
 * accepted by the command; relman(1), generated at build time, has every
 * command.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "harness.h"

/* Runs relman with the words of `name` ("node start", "help node start"), then `more` (NULL
   ended), with RELMAN_ROOT unset. */
static int run_named(const char *name, struct e2e_out *o, const char *const *more)
{
    const char *argv[32];
    char words[64];
    int n = 0;
    snprintf(words, sizeof words, "%s", name);
    for (char *save, *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save))
        argv[n++] = w;
    while (more && *more)
        argv[n++] = *more++;
    argv[n] = NULL;
    return e2e_runv(NULL, NULL, o, argv);
}

/* The help a command's entry says it has, line by line. */
static void expect_help(const struct cmd_entry *e, const char *out)
{
    char line[512];
    snprintf(line, sizeof line, "usage: relman %s%s%s\n", e->name, e->args[0] ? " " : "", e->args);
    cr_expect(strncmp(out, line, strlen(line)) == 0, "'%s': help starts '%s', not '%.80s'", e->name,
              line, out);
    cr_expect(strstr(out, e->summary), "'%s': help lacks its summary", e->name);
    for (const struct cmd_option *o = e->options; o && o->name; o++) {
        char head[128];
        snprintf(head, sizeof head, "\n  %s%s%s%s%s", o->alias ? o->alias : "",
                 o->alias ? ", " : "", o->name, o->value ? " " : "", o->value ? o->value : "");
        const char *at = strstr(out, head);
        cr_expect(at, "'%s': help lacks option '%s'", e->name, head + 3);
        if (at) {
            const char *eol = strchr(at + 1, '\n');
            cr_expect(eol && (size_t)(eol - at) >= strlen(o->help) &&
                          strncmp(eol - strlen(o->help), o->help, strlen(o->help)) == 0,
                      "'%s': option '%s' is not described as '%s'", e->name, o->name, o->help);
        }
    }
    for (int s = CMD_OK; s <= CMD_NOT_RUNNING; s++) {
        snprintf(line, sizeof line, "\n  %d  %s\n", s, cmd_status_text[s]);
        if (e->exits & (1u << s))
            cr_expect(strstr(out, line), "'%s': help lacks exit status %d", e->name, s);
        else
            cr_expect(!strstr(out, line), "'%s': help lists exit status %d", e->name, s);
    }
}

Test(help, every_command_prints_its_help_from_the_table)
{
    for (const struct cmd_entry *const *e = cmd_table; *e; e++) {
        struct e2e_out a, b;
        cr_expect_eq(run_named((*e)->name, &a, (const char *const[]){"--help", NULL}), 0);
        expect_help(*e, a.out);
        cr_expect_str_empty(a.err);
        char help_of[80];
        snprintf(help_of, sizeof help_of, "help %s", (*e)->name);
        cr_expect_eq(run_named(help_of, &b, NULL), 0, "'relman %s' failed: %s", help_of, b.err);
        if (!strchr((*e)->name, ' ')) /* "help node start": three words, run below */
            cr_expect_str_eq(a.out, b.out, "'%s --help' and 'help %s' differ", (*e)->name,
                             (*e)->name);
        e2e_out_free(&a);
        e2e_out_free(&b);
    }
    struct e2e_out o;
    cr_expect_eq(e2e_run(NULL, &o, "help", "node", "start", NULL), 0);
    cr_expect(strncmp(o.out, "usage: relman node start ", 25) == 0);
    e2e_out_free(&o);
}

Test(help, help_without_a_command_lists_every_command)
{
    struct e2e_out o;
    cr_assert_eq(e2e_run(NULL, &o, "help", NULL), 0);
    for (const struct cmd_entry *const *e = cmd_table; *e; e++) {
        char head[512];
        snprintf(head, sizeof head, "  %s %s", (*e)->name, (*e)->args);
        cr_expect(strstr(o.out, head), "'relman help' lacks '%s'", head);
        cr_expect(strstr(o.out, (*e)->summary), "'relman help' lacks the summary of '%s'",
                  (*e)->name);
    }
    e2e_out_free(&o);
}

/* Whether `word` is a token of the synopsis (brackets, "...", and '|'
   alternatives taken apart). */
static int in_synopsis(const char *args, const char *word)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", args);
    for (char *save, *t = strtok_r(buf, " []|.", &save); t; t = strtok_r(NULL, " []|.", &save))
        if (strcmp(t, word) == 0)
            return 1;
    return 0;
}

Test(help, the_synopsis_and_the_options_name_each_other)
{
    for (const struct cmd_entry *const *e = cmd_table; *e; e++) {
        cr_expect((*e)->summary && (*e)->summary[0], "'%s' has no summary", (*e)->name);
        cr_expect((*e)->exits & (1u << CMD_OK) && (*e)->exits & (1u << CMD_USAGE),
                  "'%s' lists no exit statuses", (*e)->name);
        for (const struct cmd_option *o = (*e)->options; o && o->name; o++) {
            cr_expect(o->help && o->help[0], "'%s %s' has no description", (*e)->name, o->name);
            if (strcmp(o->name, "--root") != 0)
                cr_expect(in_synopsis((*e)->args, o->name) ||
                              (o->alias && in_synopsis((*e)->args, o->alias)),
                          "the synopsis of '%s' does not name its option '%s'", (*e)->name,
                          o->name);
        }
        char buf[512];
        snprintf(buf, sizeof buf, "%s", (*e)->args);
        for (char *save, *t = strtok_r(buf, " []|.", &save); t;
             t = strtok_r(NULL, " []|.", &save)) {
            if (t[0] != '-')
                continue;
            int known = 0;
            for (const struct cmd_option *o = (*e)->options; o && o->name; o++)
                known |= strcmp(o->name, t) == 0 || (o->alias && strcmp(o->alias, t) == 0);
            cr_expect(known, "'%s': option '%s' of the synopsis is not in the table", (*e)->name,
                      t);
        }
    }
}

Test(help, every_option_of_the_table_is_accepted)
{
    char none[4096];
    const char *tmp = getenv("TMPDIR");
    snprintf(none, sizeof none, "%s/relman-help-no-root.%d", tmp && *tmp ? tmp : "/tmp",
             (int)getpid());
    for (const struct cmd_entry *const *e = cmd_table; *e; e++)
        for (const struct cmd_option *o = (*e)->options; o && o->name; o++)
            for (int spelling = 0; spelling < (o->alias ? 2 : 1); spelling++) {
                const char *opt = spelling ? o->alias : o->name;
                const char *more[6] = {opt};
                int n = 1;
                if (o->value)
                    more[n++] = strcmp(o->name, "--root") == 0 ? none : "1";
                if (strcmp(o->name, "--root") != 0 && (*e)->options->name &&
                    strcmp((*e)->options->name, "--root") == 0) {
                    more[n++] = "--root";
                    more[n++] = none;
                }
                more[n] = NULL;
                struct e2e_out out;
                run_named((*e)->name, &out, more);
                char refused[128];
                snprintf(refused, sizeof refused, "unknown option '%s'", opt);
                cr_expect(!strstr(out.err, refused), "'relman %s %s' is refused: %s", (*e)->name,
                          opt, out.err);
                cr_expect(!strstr(out.err, "needs a value"), "'relman %s %s 1': %s", (*e)->name,
                          opt, out.err);
                e2e_out_free(&out);
            }
    cr_expect(access(none, F_OK) != 0, "a command created '%s'", none);
}

Test(help, version_and_bad_help_requests)
{
    char want[64];
    snprintf(want, sizeof want, "relman %s\n", cmd_version);
    e2e_expect(NULL, 0, want, "--version", NULL);
    e2e_expect(NULL, 0, want, "-V", NULL);
    e2e_expect(NULL, 0, want, "version", NULL);
    struct e2e_out o;
    cr_expect_eq(e2e_run(NULL, &o, "help", "nosuch", NULL), 2);
    cr_expect(strstr(o.err, "relman: unknown command 'nosuch'"), "%s", o.err);
    e2e_out_free(&o);
    cr_expect_eq(e2e_run(NULL, &o, "node", NULL), 2);
    cr_expect(strstr(o.err, "relman: 'node' needs a subcommand: start, stop"), "%s", o.err);
    e2e_out_free(&o);
    /* After "--", --help is an argument: call sends it as the message. */
    cr_expect_eq(e2e_run(NULL, &o, "call", "z", "--", "--help", NULL), 2);
    cr_expect(strstr(o.err, "no node named"), "%s", o.err);
    e2e_out_free(&o);
}

/* The page's heading of a command: .SS "relman NAME ARGS" with roff's
   dashes. */
static void roff_heading(const struct cmd_entry *e, char *buf, size_t size)
{
    size_t k = (size_t)snprintf(buf, size, ".SS \"relman ");
    for (const char *s = e->name; *s && k + 3 < size; s++) {
        if (*s == '-')
            buf[k++] = '\\';
        buf[k++] = *s;
    }
    buf[k] = '\0';
}

Test(help, the_man_page_has_every_command)
{
    FILE *f = fopen(RELMAN_BINARY_DIR "/man/relman.1", "r");
    cr_assert(f, "relman(1) was not generated in the build tree");
    static char page[1 << 17];
    size_t len = fread(page, 1, sizeof page - 1, f);
    fclose(f);
    page[len] = '\0';
    for (const struct cmd_entry *const *e = cmd_table; *e; e++) {
        char head[128];
        roff_heading(*e, head, sizeof head);
        cr_expect(strstr(page, head), "relman(1) lacks '%s'", head);
    }
}
