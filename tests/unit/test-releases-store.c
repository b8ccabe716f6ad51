/* The release store: the RELEASES format, its robustness against corrupt
   and truncated files and crashes, OTP's state table, remove and the lock. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "relman/fsutil.h"
#include "relman/manifest.h"
#include "relman/store.h"
#include "test-releases-util.h"

/* When set, fsync fails with EIO on directories (this definition takes the
   place of libc's in the test program): the disk refusing to flush
   ROOT/releases after RELEASES was renamed. */
static int fail_dir_fsync;

int fsync(int fd)
{
    struct stat st;
    if (fail_dir_fsync && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fsync, fd);
}

static char *root;

static void setup(void)
{
    root = test_tmpdir();
}

static void teardown(void)
{
    rm_tree(root);
    free(root);
}

static void write_text(const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static void mkdir_in(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    cr_assert_eq(mkdir(path, 0755), 0, "%s", path);
}

static int exists_in(const char *rel)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", root, rel);
    return lstat(path, &st) == 0;
}

/* Opens the store locked, making ROOT/releases first as unpack does. */
static struct rm_store *open_locked(void)
{
    if (!exists_in("releases"))
        mkdir_in("releases");
    struct rm_error err = {0};
    struct rm_store *st = rm_store_open(root, RM_STORE_LOCK, &err);
    cr_assert_not_null(st, "%s", err.msg);
    return st;
}

/* The state `vsn` shows in a store freshly read from disk. */
static const char *disk_state(const char *vsn)
{
    struct rm_error err = {0};
    struct rm_store *st = rm_store_open(root, 0, &err);
    cr_assert_not_null(st, "%s", err.msg);
    const struct rm_store_rel *r = rm_store_find(st, vsn);
    const char *s = r ? rm_rel_state_name(rm_store_state(st, r)) : "absent";
    rm_store_close(st);
    return s;
}

static const struct rm_store_app app_a1[] = {{"a", "1"}, {"b", "1"}};
static const struct rm_store_app app_a2[] = {{"a", "2"}, {"b", "1"}};

static void add(struct rm_store *st, const char *vsn, const struct rm_store_app *apps, size_t n)
{
    struct rm_error err = {0};
    cr_assert_eq(rm_store_add(st, "rel", vsn, apps, n, &err), 0, "%s", err.msg);
}

static const char good[] = "relman-releases 1\n"
                           "release counter 1 old counter=1\n"
                           "release counter 2 permanent counter=2 web=0.3\n"
                           "release counter 3 unpacked counter=3 web=0.3\n"
                           "end 3\n";

Test(store, parses_and_formats_the_same_text)
{
    struct rm_store st = {.lock_fd = -1};
    struct rm_error err = {0};
    cr_assert_eq(rm_store_parse(&st, good, strlen(good), "RELEASES", &err), 0, "%s", err.msg);
    cr_assert_eq(st.nrels, 3);
    cr_assert_str_eq(st.rels[1].version, "2");
    cr_assert_eq(st.rels[1].state, RM_REL_PERMANENT);
    cr_assert_eq(st.rels[1].napps, 2);
    cr_assert_str_eq(st.rels[1].apps[1].name, "web");
    cr_assert_str_eq(st.rels[1].apps[1].version, "0.3");
    cr_assert_eq(rm_store_permanent(&st), &st.rels[1]);
    char *text;
    size_t len;
    cr_assert_eq(rm_store_format(&st, &text, &len, &err), 0);
    cr_assert_str_eq(text, good);
    free(text);
    for (size_t i = 0; i < st.nrels; i++) {
        free(st.rels[i].name);
        free(st.rels[i].version);
        for (size_t j = 0; j < st.rels[i].napps; j++) {
            free(st.rels[i].apps[j].name);
            free(st.rels[i].apps[j].version);
        }
        free(st.rels[i].apps);
    }
    free(st.rels);
}

/* Every strict prefix of a valid file is refused: truncation never reads
   as a shorter list. */
Test(store, every_truncation_is_an_error)
{
    for (size_t len = 0; len < strlen(good); len++) {
        struct rm_store st = {.lock_fd = -1};
        struct rm_error err = {0};
        cr_assert_eq(rm_store_parse(&st, good, len, "RELEASES", &err), -1,
                     "a prefix of %zu bytes was accepted", len);
        cr_assert_eq(st.nrels, 0);
        cr_assert(strncmp(err.msg, "RELEASES", 8) == 0, "%s", err.msg);
    }
}

static void expect_corrupt(const char *text, const char *msg)
{
    struct rm_store st = {.lock_fd = -1};
    struct rm_error err = {0};
    cr_assert_eq(rm_store_parse(&st, text, strlen(text), "RELEASES", &err), -1, "accepted: %s",
                 text);
    cr_assert_str_eq(err.msg, msg);
    cr_assert_eq(st.nrels, 0);
}

Test(store, corrupt_files_are_errors_with_line_numbers)
{
    expect_corrupt("", "RELEASES: empty file");
    expect_corrupt("relman-releases 2\nend 0\n", "RELEASES:1: expected 'relman-releases 1'");
    expect_corrupt("relman-releases 1\nend 0\n", "RELEASES: no release listed");
    expect_corrupt("relman-releases 1\nrelease r 1 current a=1\nend 1\n",
                   "RELEASES:2: unknown state 'current' (expected unpacked, permanent or old)");
    expect_corrupt("relman-releases 1\nrelease r 1 permanent a=1\nend 2\n",
                   "RELEASES:3: end line says '2' but 1 releases were read");
    expect_corrupt("relman-releases 1\nrelease r 1 permanent\nrelease r 2 permanent\nend 2\n",
                   "RELEASES: 2 permanent releases (expected exactly one)");
    expect_corrupt("relman-releases 1\nrelease r 1 unpacked\nend 1\n",
                   "RELEASES: 0 permanent releases (expected exactly one)");
    expect_corrupt("relman-releases 1\nrelease r 1 permanent\nrelease r 1 old\nend 2\n",
                   "RELEASES:3: release version '1' listed twice");
    expect_corrupt("relman-releases 1\nrelease r 1 permanent a\nend 1\n",
                   "RELEASES:2: expected APP=VERSION, got 'a'");
    expect_corrupt("relman-releases 1\nrelease r 1\nend 1\n",
                   "RELEASES:2: expected 'release NAME VERSION STATE APP=VERSION...'");
    expect_corrupt("relman-releases 1\nrelease r 1 permanent\nend 1\ngarbage\n",
                   "RELEASES:4: text after the end line");
    expect_corrupt("relman-releases 1\nrelease r 1 permanent\nend 1",
                   "RELEASES:3: truncated file (no final newline)");
    expect_corrupt("relman-releases 1\nrelease r 1 permanent\n",
                   "RELEASES:2: truncated file (no 'end' line)");
    expect_corrupt("relman-releases 1\nfoo\nend 0\n",
                   "RELEASES:2: expected a 'release' or 'end' line");
    char nul[] = "relman-releases 1\nrelease r 1 permanent\n\0nd 1\n";
    struct rm_store st = {.lock_fd = -1};
    struct rm_error err = {0};
    cr_assert_eq(rm_store_parse(&st, nul, sizeof nul - 1, "RELEASES", &err), -1);
    cr_assert_str_eq(err.msg, "RELEASES: NUL byte in the file");
}

Test(store, open_reports_a_corrupt_file_and_reads_a_missing_one_as_empty, .init = setup,
     .fini = teardown)
{
    struct rm_error err = {0};
    struct rm_store *st = rm_store_open(root, 0, &err);
    cr_assert_not_null(st, "%s", err.msg);
    cr_assert_eq(st->nrels, 0);
    rm_store_close(st);
    mkdir_in("releases");
    write_text("releases/RELEASES", "relman-releases 1\nrelease r 1 perm");
    cr_assert_null(rm_store_open(root, 0, &err));
    char want[1024];
    snprintf(want, sizeof want, "%s/releases/RELEASES:2: truncated file (no final newline)", root);
    cr_assert_str_eq(err.msg, want);
}

/* A crash between writing RELEASES.new and renaming it leaves the old file
   in force; the next write replaces the leftover. */
Test(store, crash_between_write_and_rename_leaves_a_valid_file, .init = setup, .fini = teardown)
{
    struct rm_store *st = open_locked();
    add(st, "1", app_a1, 2);
    add(st, "2", app_a2, 2);
    rm_store_close(st);
    /* Torn and complete leftovers of a write that never got renamed. */
    const char *leftovers[] = {"relman-releases 1\nrelease rel 1 old a=1 b=1\nrel",
                               "relman-releases 1\nrelease rel 2 permanent a=2 b=1\nend 1\n"};
    for (int i = 0; i < 2; i++) {
        write_text("releases/RELEASES.new", leftovers[i]);
        cr_assert_str_eq(disk_state("1"), "permanent");
        cr_assert_str_eq(disk_state("2"), "unpacked");
    }
    st = open_locked();
    struct rm_error err = {0};
    cr_assert_eq(rm_store_set_current(st, "2", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_store_make_permanent(st, "2", &err), 0, "%s", err.msg);
    rm_store_close(st);
    cr_assert_not(exists_in("releases/RELEASES.new"));
    cr_assert_str_eq(disk_state("2"), "permanent");
    cr_assert_str_eq(disk_state("1"), "old");
}

/* A child killed at random moments while it rewrites RELEASES in a loop
   never leaves a file that does not parse. */
Test(store, killed_writer_never_leaves_a_torn_file, .init = setup, .fini = teardown)
{
    struct rm_store *st = open_locked();
    add(st, "1", app_a1, 2);
    add(st, "2", app_a2, 2);
    rm_store_close(st);
    srand((unsigned)time(NULL));
    for (int round = 0; round < 20; round++) {
        pid_t pid = fork();
        cr_assert_neq(pid, -1);
        if (pid == 0) {
            struct rm_error err;
            struct rm_store *s = rm_store_open(root, RM_STORE_LOCK, &err);
            for (int i = 0; s; i++) {
                const char *v = i % 2 ? "1" : "2";
                rm_store_set_current(s, v, &err);
                rm_store_make_permanent(s, v, &err);
            }
            _exit(1);
        }
        usleep((useconds_t)(1000 + rand() % 20000));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        struct rm_error err = {0};
        struct rm_store *s = rm_store_open(root, 0, &err);
        cr_assert_not_null(s, "round %d: %s", round, err.msg);
        cr_assert_eq(s->nrels, 2);
        cr_assert_not_null(rm_store_permanent(s));
        rm_store_close(s);
    }
}

/* OTP's table: unpack -> unpacked; install -> current (memory only);
   make_permanent -> permanent and the previous one old; reboot_old makes an
   old release permanent again. */
Test(store, states_follow_otp, .init = setup, .fini = teardown)
{
    struct rm_error err = {0};
    struct rm_store *st = open_locked();
    add(st, "1", app_a1, 2);
    cr_assert_str_eq(disk_state("1"), "permanent"); /* the root's first release */
    add(st, "2", app_a2, 2);
    cr_assert_str_eq(disk_state("2"), "unpacked");
    cr_assert_eq(rm_store_add(st, "rel", "2", app_a2, 2, &err), -1);
    cr_assert_str_eq(err.msg, "release '2' is already known");

    cr_assert_eq(rm_store_make_permanent(st, "2", &err), -1);
    cr_assert_str_eq(err.msg, "release '2' is unpacked, not installed: install it first");

    cr_assert_eq(rm_store_set_current(st, "2", &err), 0);
    cr_assert_eq(rm_store_state(st, rm_store_find(st, "2")), RM_REL_CURRENT);
    cr_assert_str_eq(disk_state("2"), "unpacked"); /* current is never written */
    cr_assert_eq(rm_store_remove(st, "2", &err), -1);
    cr_assert_str_eq(err.msg, "release '2' is current and cannot be removed");

    cr_assert_eq(rm_store_make_permanent(st, "2", &err), 0, "%s", err.msg);
    cr_assert_str_eq(disk_state("2"), "permanent");
    cr_assert_str_eq(disk_state("1"), "old");
    cr_assert_eq(rm_store_make_permanent(st, "2", &err), 0); /* already: success */

    cr_assert_eq(rm_store_make_permanent(st, "1", &err), 0, "%s", err.msg); /* reboot_old */
    cr_assert_str_eq(disk_state("1"), "permanent");
    cr_assert_str_eq(disk_state("2"), "old");
    cr_assert_eq(rm_store_remove(st, "1", &err), -1);
    cr_assert_str_eq(err.msg, "release '1' is permanent and cannot be removed");
    cr_assert_eq(rm_store_set_current(st, "7", &err), -1);
    cr_assert_str_eq(err.msg, "release '7' is not known");
    rm_store_close(st);
}

/* An old release installed and lost in a crash comes back unpacked, as in
   OTP (whose release_handler writes the release it makes current, and
   unpacked once another is): never old, which would claim it was permanent
   since. Installing the permanent or an unpacked release writes nothing. */
Test(store, an_old_release_installed_then_lost_comes_back_unpacked, .init = setup,
     .fini = teardown)
{
    struct rm_store *st = open_locked();
    struct rm_error err = {0};
    add(st, "1", app_a1, 2);
    add(st, "2", app_a2, 2);
    cr_assert_eq(rm_store_set_installed(st, "2", &err), 0, "%s", err.msg);
    cr_assert_str_eq(disk_state("2"), "unpacked");
    cr_assert_eq(rm_store_make_permanent(st, "2", &err), 0, "%s", err.msg);
    cr_assert_str_eq(disk_state("1"), "old");
    /* Release 1, old, is installed again: the node dies before permanent. */
    cr_assert_eq(rm_store_set_installed(st, "1", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_store_state(st, rm_store_find(st, "1")), RM_REL_CURRENT);
    rm_store_close(st);
    cr_assert_str_eq(disk_state("1"), "unpacked", "a crashed current release comes back unpacked");
    cr_assert_str_eq(disk_state("2"), "permanent");
    /* Installing it again and making it permanent works as for any. */
    st = open_locked();
    cr_assert_eq(rm_store_set_installed(st, "1", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_store_make_permanent(st, "1", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_store_set_installed(st, "1", &err), 0, "%s", err.msg);
    cr_assert_eq(rm_store_set_installed(st, "7", &err), -1);
    cr_assert_eq(err.code, RM_ENOENT);
    rm_store_close(st);
    cr_assert_str_eq(disk_state("1"), "permanent");
    cr_assert_str_eq(disk_state("2"), "old");
}

Test(store, remove_keeps_lib_dirs_another_release_uses, .init = setup, .fini = teardown)
{
    const char *dirs[] = {"lib",      "lib/a-1",    "lib/a-2",   "lib/b-1",
                          "releases", "releases/1", "releases/2"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
        mkdir_in(dirs[i]);
    write_text("lib/a-1/m.so", "a1");
    write_text("lib/b-1/m.so", "b1");
    struct rm_store *st = open_locked();
    add(st, "1", app_a1, 2);
    add(st, "2", app_a2, 2);
    struct rm_error err = {0};
    cr_assert_eq(rm_store_set_current(st, "2", &err), 0);
    cr_assert_eq(rm_store_make_permanent(st, "2", &err), 0);
    cr_assert_eq(rm_store_remove(st, "1", &err), 0, "%s", err.msg);
    rm_store_close(st);
    cr_assert_not(exists_in("lib/a-1"));
    cr_assert_not(exists_in("releases/1"));
    cr_assert(exists_in("lib/b-1/m.so"));
    cr_assert(exists_in("lib/a-2"));
    cr_assert(exists_in("releases/2"));
    cr_assert_str_eq(disk_state("1"), "absent");
    cr_assert_str_eq(disk_state("2"), "permanent");
    st = open_locked();
    cr_assert_eq(rm_store_remove(st, "1", &err), -1);
    cr_assert_str_eq(err.msg, "release '1' is not known");
    rm_store_close(st);
}

Test(store, refuses_names_it_cannot_store, .init = setup, .fini = teardown)
{
    struct rm_store *st = open_locked();
    struct rm_error err = {0};
    const struct rm_store_app bad[] = {{"a b", "1"}};
    cr_assert_eq(rm_store_add(st, "rel", "1", bad, 1, &err), -1);
    cr_assert_str_eq(err.msg, "release '1': bad application 'a b' '1'");
    cr_assert_eq(rm_store_add(st, "rel", "1=2", NULL, 0, &err), -1);
    cr_assert_eq(st->nrels, 0);
    cr_assert_not(exists_in("releases/RELEASES"));
    rm_store_close(st);
}

/* `n` applications with names and versions of the longest length. */
static struct rm_store_app *long_apps(size_t n, char tag)
{
    struct rm_store_app *apps = calloc(n, sizeof *apps);
    for (size_t i = 0; i < n; i++) {
        cr_assert(asprintf(&apps[i].name, "%c%062zu", tag, i) > 0);
        cr_assert(asprintf(&apps[i].version, "%063zu", i) > 0);
    }
    return apps;
}

static void free_long_apps(struct rm_store_app *apps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(apps[i].name);
        free(apps[i].version);
    }
    free(apps);
}

/* The reader and the writer share one limit of applications per release:
   the writer refuses what the reader would refuse, naming the limit. */
Test(store, the_application_limit_is_the_same_for_reader_and_writer, .init = setup,
     .fini = teardown)
{
    char want[128];
    snprintf(want, sizeof want, "more than the limit of %d applications", RM_RELEASE_MAX_APPS);
    struct rm_store_app *apps = long_apps(RM_RELEASE_MAX_APPS + 1, 'a');
    struct rm_error err = {0};
    struct rm_store *st = open_locked();
    cr_assert_eq(rm_store_add(st, "rel", "1", apps, RM_RELEASE_MAX_APPS + 1, &err), -1);
    cr_assert_eq(err.code, RM_ELIMIT, "%s", err.msg);
    cr_assert(strstr(err.msg, want), "%s", err.msg);
    cr_assert_not(exists_in("releases/RELEASES"));
    cr_assert_eq(rm_store_add(st, "rel", "1", apps, RM_RELEASE_MAX_APPS, &err), 0, "%s",
                 err.msg);
    rm_store_close(st);
    st = rm_store_open(root, 0, &err);
    cr_assert_not_null(st, "%s", err.msg);
    cr_assert_eq(rm_store_find(st, "1")->napps, RM_RELEASE_MAX_APPS);
    rm_store_close(st);
    /* The reader refuses one more, with the line and the limit. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fputs("relman-releases 1\nrelease r 1 permanent", f);
    for (int i = 0; i <= RM_RELEASE_MAX_APPS; i++)
        fprintf(f, " a%d=1", i);
    fputs("\nend 1\n", f);
    fclose(f);
    struct rm_store parsed = {.lock_fd = -1};
    cr_assert_eq(rm_store_parse(&parsed, text, len, "RELEASES", &err), -1);
    char full[160];
    snprintf(full, sizeof full, "RELEASES:2: %s", want);
    cr_assert_str_eq(err.msg, full);
    free(text);
    free_long_apps(apps, RM_RELEASE_MAX_APPS + 1);
}

/* RELEASES never grows beyond what the reader reads: the change that would
   make it larger than RM_STORE_MAX_FILE is refused, naming the limit, and
   the file keeps every release it had. */
Test(store, a_file_over_the_size_limit_is_never_written, .init = setup, .fini = teardown,
     .timeout = 300)
{
    struct rm_store_app *apps = long_apps(RM_RELEASE_MAX_APPS, 'b');
    struct rm_error err = {0};
    struct rm_store *st = open_locked();
    size_t added = 0;
    for (;;) {
        char vsn[16];
        snprintf(vsn, sizeof vsn, "%zu", added + 1);
        if (rm_store_add(st, "rel", vsn, apps, RM_RELEASE_MAX_APPS, &err) < 0)
            break;
        added++;
        cr_assert(added < 100, "RELEASES grew beyond its limit");
    }
    cr_assert_eq(err.code, RM_ELIMIT, "%s", err.msg);
    char want[128];
    snprintf(want, sizeof want, "more than the limit of %u bytes", RM_STORE_MAX_FILE);
    cr_assert(strstr(err.msg, want), "%s", err.msg);
    cr_assert_eq(st->nrels, added);
    rm_store_close(st);
    st = rm_store_open(root, 0, &err);
    cr_assert_not_null(st, "%s", err.msg);
    cr_assert_eq(st->nrels, added);
    rm_store_close(st);
    free_long_apps(apps, RM_RELEASE_MAX_APPS);
}

/* A second holder of the lock waits for the first. */
Test(store, lock_serialises_writers, .init = setup, .fini = teardown)
{
    mkdir_in("releases");
    int pipefd[2];
    cr_assert_eq(pipe(pipefd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        struct rm_error err;
        struct rm_store *s = rm_store_open(root, RM_STORE_LOCK, &err);
        (void)!write(pipefd[1], "x", 1);
        usleep(300 * 1000);
        rm_store_close(s);
        _exit(0);
    }
    char c;
    cr_assert_eq(read(pipefd[0], &c, 1), 1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct rm_store *st = open_locked();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    rm_store_close(st);
    waitpid(pid, NULL, 0);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert(waited > 0.2, "the lock was taken after %.3f s while held", waited);
}

/* Locking creates nothing: a root without releases/ is refused as it is. */
Test(store, lock_needs_the_releases_directory_and_creates_nothing, .init = setup, .fini = teardown)
{
    struct rm_error err = {0};
    cr_assert_null(rm_store_open(root, RM_STORE_LOCK, &err));
    cr_assert(strstr(err.msg, "holds no release ('releases/' is missing)"), "%s", err.msg);
    cr_assert_eq(err.code, RM_ENOENT);
    cr_assert(!exists_in("releases"), "the lock created ROOT/releases");
}

/* A failed flush of the directory after the rename is no failure of the
   change: the store, the file and what the call returns all say it is made,
   and the warning says it may not survive a crash. */
Test(store, a_failed_directory_flush_after_the_rename_keeps_the_change, .init = setup,
     .fini = teardown)
{
    struct rm_error err = {0};
    struct rm_store *st = open_locked();
    add(st, "1", app_a1, 2);
    fail_dir_fsync = 1;
    cr_assert_eq(rm_store_add(st, "rel", "2", app_a2, 2, &err), 0, "%s", err.msg);
    cr_assert_str_eq(disk_state("2"), "unpacked");
    cr_assert_not_null(rm_store_find(st, "2"));
    cr_assert_neq(st->warning.code, 0);
    cr_assert(strstr(st->warning.msg, "RELEASES' was replaced but may not survive a crash: "
                                      "cannot sync directory"),
              "%s", st->warning.msg);
    cr_assert_eq(rm_store_set_current(st, "2", &err), 0);
    cr_assert_eq(rm_store_make_permanent(st, "2", &err), 0, "%s", err.msg);
    cr_assert_str_eq(disk_state("2"), "permanent");
    cr_assert_eq(rm_store_find(st, "2")->state, RM_REL_PERMANENT);
    cr_assert_eq(rm_store_find(st, "1")->state, RM_REL_OLD);
    fail_dir_fsync = 0;
    cr_assert_eq(rm_store_remove(st, "1", &err), 0, "%s", err.msg);
    cr_assert_eq(st->warning.code, 0, "a clean write keeps an old warning");
    cr_assert_str_eq(disk_state("1"), "absent");
    rm_store_close(st);
    /* The file helper says the same: the new contents are in place. */
    char path[1024];
    snprintf(path, sizeof path, "%s/f", root);
    fail_dir_fsync = 1;
    cr_assert_eq(rm_fs_replace(path, "new", 3, 0644, &err), RM_FS_UNSYNCED);
    fail_dir_fsync = 0;
    char *data;
    size_t len;
    cr_assert_eq(rm_fs_read_file(path, 16, &data, &len, &err), 0, "%s", err.msg);
    cr_assert_str_eq(data, "new");
    free(data);
}
