/* relman(1) in roff, from the command table: every command with its
   synopsis, summary, options and exit statuses. */
#include <ctype.h>
#include <string.h>

#include "gen.h"

/* Writes `s` as roff text: backslashes and dashes escaped, and a line that
   would start with a control character ('.' or '\'') protected. */
static void roff(FILE *f, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", f);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
    }
}

/* Writes a one-line help text as a sentence: capital first, full stop. */
static void sentence(FILE *f, const char *s)
{
    fputc(toupper((unsigned char)s[0]), f);
    roff(f, s + 1);
    fputs(".\n", f);
}

static void command(FILE *f, const struct cmd_entry *e)
{
    fputs(".SS \"relman ", f);
    roff(f, e->name);
    if (e->args[0]) {
        fputc(' ', f);
        roff(f, e->args);
    }
    fputs("\"\n", f);
    sentence(f, e->summary);
    for (const struct cmd_option *o = e->options; o && o->name; o++) {
        fputs(".TP\n", f);
        if (o->alias) {
            fputs("\\fB", f);
            roff(f, o->alias);
            fputs("\\fR, ", f);
        }
        fputs("\\fB", f);
        roff(f, o->name);
        fputs("\\fR", f);
        if (o->value) {
            fputs(" \\fI", f);
            roff(f, o->value);
            fputs("\\fR", f);
        }
        fputc('\n', f);
        sentence(f, o->help);
    }
    fputs(".PP\nExit status:", f);
    const char *sep = " ";
    for (int s = CMD_OK; s <= CMD_NOT_RUNNING; s++)
        if (e->exits & (1u << s)) {
            fprintf(f, "%s%d", sep, s);
            sep = ", ";
        }
    fputs(".\n", f);
}

void gen_man(FILE *f)
{
    fprintf(f,
            ".\\\" relman(1), generated from the command table by relman-gen: do not edit.\n"
            ".TH RELMAN 1 \"\" \"relman %s\" \"relman manual\"\n",
            cmd_version);
    fputs(".SH NAME\n"
          "relman \\- hot code upgrades for C services, after Erlang/OTP's release handling\n"
          ".SH SYNOPSIS\n"
          ".B relman\n.I COMMAND\n.RI [ ARGS ]\n.br\n"
          ".B relman\n.I COMMAND\n.B \\-\\-help\n.br\n"
          ".B relman help\n.RI [ COMMAND ]\n.br\n"
          ".B relman \\-\\-version\n"
          ".SH DESCRIPTION\n"
          "A relman \\fInode\\fR is a long-running process that hosts many lightweight\n"
          "processes (gen_server-like: private state, a mailbox, call, cast and info\n"
          "callbacks) whose code lives in versioned shared objects, the \\fImodules\\fR.\n"
          "A \\fIrelease\\fR is a versioned set of applications. The release handler\n"
          "installs a new release on the running node as one transaction: it suspends\n"
          "what must be suspended, loads the new code, migrates each process's state\n"
          "with the module's code_change callback and resumes; a failure is rolled\n"
          "back in place.\n"
          ".PP\n"
          "Every command that works on a node names it by its root directory, with\n"
          "\\fB\\-\\-root\\fR \\fIDIR\\fR or the \\fBRELMAN_ROOT\\fR variable.\n"
          "\\fBrelman\\fR \\fICOMMAND\\fR \\fB\\-\\-help\\fR prints what this page says of\n"
          "one command.\n"
          ".SH COMMANDS\n",
          f);
    for (const struct cmd_entry *const *e = cmd_table; *e; e++)
        command(f, *e);
    fputs(".SH EXIT STATUS\n", f);
    for (int s = CMD_OK; s <= CMD_NOT_RUNNING; s++) {
        fprintf(f, ".TP\n.B %d\n", s);
        roff(f, cmd_status_text[s]);
        fputc('\n', f);
    }
    fputs(
        ".SH ENVIRONMENT\n"
        ".TP\n.B RELMAN_ROOT\nThe node root when \\fB\\-\\-root\\fR is not given.\n"
        ".TP\n.B NO_COLOR\nWhen set, nothing is printed in colour or bold, even on a terminal.\n"
        ".TP\n.B SOURCE_DATE_EPOCH\nThe time stamp \\fBpack\\fR gives every entry of an archive.\n"
        ".SH FILES\n"
        ".TP\n.I ROOT/releases/RELEASES\nEvery known release and its state, written atomically.\n"
        ".TP\n.I ROOT/releases/VSN/release.yaml\nThe manifest of release \\fIVSN\\fR.\n"
        ".TP\n.I ROOT/lib/APP\\-VSN/\nAn application's modules and manifests.\n"
        ".TP\n.I ROOT/run/\nThe control socket, the pid file and the lock of a running node.\n"
        ".TP\n.I ROOT/log/node.log\nThe log of a detached node.\n"
        ".TP\n.I ROOT/log/audit.log\nOne line per release operation, read by \\fBrelman "
        "history\\fR.\n"
        ".SH SEE ALSO\n"
        ".BR relman\\-manifests (5),\n"
        ".BR relman\\-module (3)\n",
        f);
}
