/* relman unpack: verify a release archive and unpack it into the node root. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "relman/archive.h"

/* Archives smaller than this unpack without a progress line. */
#define PROGRESS_MIN (16u << 20)

static void show_progress(void *arg, uint64_t done, uint64_t total)
{
    const char *file = arg;
    if (total > 0)
        fprintf(stderr, "\rrelman: unpacking '%s': %3d%%", file,
                (int)(done * 100 / total > 100 ? 100 : done * 100 / total));
}

/* Set by SIGINT and SIGTERM; unpack checks it and refuses "interrupted". */
static volatile sig_atomic_t interrupted;

/* The first SIGINT or SIGTERM asks unpack to stop and clean up; a second
   one, while it waits for the store's lock say, ends the program at once
   (a staging directory it leaves is removed by the next unpack). */
static void on_signal(int sig)
{
    if (interrupted) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
    interrupted = 1;
}

/* Parses a byte count with an optional K, M or G suffix (powers of 1024). */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return -1;
    int shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift)
        end++;
    if (*end || v == 0 || v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static int exec_unpack(const struct cmd_entry *self, int argc, char **argv)
{
    const char *root = NULL;
    argc = cmd_common_opts(self, argc, argv, &root, NULL, 1);
    if (argc < 0)
        return CMD_USAGE;
    struct rm_unpack_opts opts = {0};
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--max-file-size") == 0 || strcmp(a, "--max-ratio") == 0) {
            if (i + 1 >= argc)
                return cmd_usage(self, "option '%s' needs a value", a);
            const char *v = argv[++i];
            if (a[6] == 'f') {
                if (parse_size(v, &opts.max_file_size) < 0)
                    return cmd_usage(self, "bad size '%s' (a number, optionally K, M or G)", v);
            } else {
                char *end;
                opts.max_ratio = strtod(v, &end);
                if (*end || end == v || !(opts.max_ratio >= 1))
                    return cmd_usage(self, "bad ratio '%s' (a number, at least 1)", v);
            }
        } else if (strcmp(a, "--max-entries") == 0) {
            if (i + 1 >= argc)
                return cmd_usage(self, "option '%s' needs a value", a);
            const char *v = argv[++i];
            char *end;
            errno = 0;
            unsigned long long n = strtoull(v, &end, 10);
            if (errno || end == v || *end || v[0] == '-' || n == 0)
                return cmd_usage(self, "bad entry count '%s' (a number, at least 1)", v);
            opts.max_entries = n;
        } else if (strcmp(a, "--no-sync") == 0) {
            opts.no_sync = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cmd_usage(self, "unknown option '%s'", a);
        } else if (!file) {
            file = a;
        } else {
            return cmd_usage(self, "unexpected argument '%s'", a);
        }
    }
    if (!file)
        return cmd_usage(self, "an archive is needed");
    root = cmd_root(root);
    if (!root)
        return cmd_usage(self, "no node root: give --root DIR or set RELMAN_ROOT");
    int tty = isatty(STDERR_FILENO);
    if (tty) {
        opts.progress = show_progress;
        opts.progress_arg = (void *)file;
    }
    FILE *probe = tty ? fopen(file, "rb") : NULL;
    if (probe) {
        if (fseek(probe, 0, SEEK_END) == 0 && ftell(probe) < (long)PROGRESS_MIN)
            opts.progress = NULL;
        fclose(probe);
    }
    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    opts.cancel = &interrupted;
    struct rm_unpack_result res;
    struct rm_error err;
    int rc = rm_release_unpack(file, root, &opts, &res, &err);
    if (opts.progress)
        fputc('\n', stderr);
    cmd_audit(root, "unpack", rc == 0 ? res.version : "", rc == 0 ? NULL : &err);
    if (rc < 0)
        return cmd_fail(&err);
    printf("unpacked release '%s' version '%s' into '%s'%s\n", res.name, res.version, root,
           res.permanent ? " (first release: permanent)" : "");
    if (res.warning[0])
        fprintf(stderr, "relman: warning: %s\n", res.warning);
    return CMD_OK;
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {.name = "--max-file-size", .value = "N", .help = "refuse a file larger than N bytes (suffix K, M or G)"},
    {.name = "--max-ratio", .value = "R", .help = "refuse an archive expanding more than R times"},
    {.name = "--max-entries", .value = "N", .help = "refuse an archive of more than N entries"},
    {.name = "--no-sync", .help = "do not flush the files to disk before they land"},
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_unpack_entry = {
    .name = "unpack",
    .args = "FILE [--max-file-size N] [--max-ratio R] [--max-entries N] [--no-sync]",
    .summary = "verify a release archive and unpack it into ROOT",
    .exec = exec_unpack,
    .options = options,
    .exits = CMD_EXITS_OFFLINE,
    .msg = RM_MSG_NONE,
};
