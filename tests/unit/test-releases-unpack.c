/* Unpack at scale and under pressure: releases of many applications,
   archives of many entries and links, limits, interruption. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "relman/archive.h"
#include "relman/manifest.h"
#include "relman/store.h"
#include "test-releases-util.h"

static char *area;
static char root[512], file[512];

static void setup(void)
{
    area = test_tmpdir();
    snprintf(root, sizeof root, "%s/root", area);
    snprintf(file, sizeof file, "%s/in.tar.gz", area);
}

static void teardown(void)
{
    rm_tree(area);
    free(area);
}

/* Adds to `b` a release of `napps` applications a0..a<n-1>, version 1. */
static void many_apps(struct tb *b, size_t napps)
{
    size_t cap = 64 + napps * 64, used = 0;
    char *spec = malloc(cap);
    used += (size_t)snprintf(spec + used, cap - used,
                             "release: many\nversion: \"%s\"\napplications:\n", b->vsn);
    for (size_t i = 0; i < napps; i++) {
        used += (size_t)snprintf(spec + used, cap - used, "  - {name: a%zu, version: \"1\"}\n", i);
        char name[64], text[128];
        snprintf(name, sizeof name, "lib/a%zu-1/a%zu.app.yaml", i, i);
        snprintf(text, sizeof text, "application: a%zu\nversion: \"1\"\nmodules:\n  - name: m\n",
                 i);
        tb_file(b, name, text);
        snprintf(name, sizeof name, "lib/a%zu-1/m.so", i);
        tb_file(b, name, "not an object\n");
    }
    char name[128];
    snprintf(name, sizeof name, "releases/%s/release.yaml", b->vsn);
    tb_file(b, name, spec);
    free(spec);
}

Test(unpack, a_release_of_many_applications_lands, .init = setup, .fini = teardown)
{
    struct tb b;
    tb_init(&b, "1");
    many_apps(&b, 200);
    tb_write(&b, file);
    tb_free(&b);
    struct rm_error err = {0};
    struct rm_unpack_result res;
    cr_assert_eq(rm_release_unpack(file, root, NULL, &res, &err), 0, "%s", err.msg);
    struct rm_store *st = rm_store_open(root, 0, &err);
    cr_assert_not_null(st, "%s", err.msg);
    cr_assert_eq(rm_store_find(st, "1")->napps, 200);
    rm_store_close(st);
    cr_assert_eq(run("test -f '%s/lib/a199-1/m.so'", root), 0);
}

/* A release of exactly RM_RELEASE_MAX_APPS applications lands, and the
   store reads it back: what unpack writes, the store's reader accepts. */
Test(unpack, a_release_at_the_application_limit_lands_and_reads_back, .init = setup,
     .fini = teardown, .timeout = 600)
{
    struct tb b;
    tb_init(&b, "1");
    many_apps(&b, RM_RELEASE_MAX_APPS);
    tb_write(&b, file);
    tb_free(&b);
    struct rm_error err = {0};
    struct rm_unpack_opts opts = {.no_sync = 1};
    cr_assert_eq(rm_release_unpack(file, root, &opts, NULL, &err), 0, "%s", err.msg);
    struct rm_store *st = rm_store_open(root, RM_STORE_LOCK, &err);
    cr_assert_not_null(st, "the store cannot read what unpack wrote: %s", err.msg);
    cr_assert_eq(rm_store_find(st, "1")->napps, RM_RELEASE_MAX_APPS);
    rm_store_close(st);
}

/* One application more is refused at unpack, naming the limit, and the
   root is left as it was: nothing the reader would refuse is written. */
Test(unpack, a_release_over_the_application_limit_is_refused_naming_the_limit, .init = setup,
     .fini = teardown, .timeout = 600)
{
    struct tb b;
    tb_init(&b, "1");
    many_apps(&b, RM_RELEASE_MAX_APPS + 1);
    tb_write(&b, file);
    tb_free(&b);
    struct rm_error err = {0};
    struct rm_unpack_opts opts = {.no_sync = 1};
    cr_assert_eq(rm_release_unpack(file, root, &opts, NULL, &err), -1);
    cr_assert_eq(err.code, RM_ELIMIT, "%s", err.msg);
    char want[160];
    snprintf(want, sizeof want, "more than the limit of %d applications", RM_RELEASE_MAX_APPS);
    cr_assert(strstr(err.msg, want), "%s", err.msg);
    cr_assert(strstr(err.msg, "releases/1/release.yaml:1028:5: "), "%s", err.msg);
    cr_assert_eq(run("test ! -e '%s'", root), 0, "the refused unpack left the root");
}

/* Adds `n` symbolic links lib/h-1/d<i>/l<j> -> ../m.so to `b`. */
static void many_links(struct tb *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "lib/h-1/d%zu/l%zu", i % 100, i);
        tb_add(b, TB_SYMLINK, name, "", 0, "../m.so");
    }
}

/* A symbolic link of a release stands for the file it points to, a
   regular file of its own application or release directory: its line in
   the checksum list holds that file's digest, so unpack, check (the
   release verified as install verifies it) and sha256sum -c agree. */
Test(unpack, a_symlink_stands_for_its_target_in_unpack_check_and_sha256sum, .init = setup,
     .fini = teardown)
{
    struct tb b;
    tb_init(&b, "1");
    tb_release(&b, "h", "1");
    tb_add(&b, TB_SYMLINK, "lib/h-1/alias.so", "", 0, "m.so");
    tb_add(&b, TB_SYMLINK, "lib/h-1/sub/up.so", "", 0, "../m.so");
    tb_write(&b, file);
    tb_free(&b);
    struct rm_error err = {0};
    struct rm_unpack_opts opts = {.no_sync = 1};
    cr_assert_eq(rm_release_unpack(file, root, &opts, NULL, &err), 0, "%s", err.msg);
    size_t n = 0;
    cr_assert_eq(rm_release_verify(root, "1", &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 5);
    cr_assert_eq(run("cd '%s' && sha256sum --quiet -c releases/1/SHA256SUMS", root), 0);
    /* Changing the file behind a link is seen through the link too. */
    cr_assert_eq(run("echo changed > '%s/lib/h-1/m.so'", root), 0);
    cr_assert_eq(rm_release_verify(root, "1", &n, &err), -1);
    cr_assert_eq(err.code, RM_ECHECKSUM, "%s", err.msg);
    /* A link replaced by one pointing outside its directory is refused. */
    cr_assert_eq(run("cd '%s' && ln -sfn ../../releases/1/release.yaml lib/h-1/alias.so", root),
                 0);
    cr_assert_eq(rm_release_verify(root, "1", &n, &err), -1);
    cr_assert_eq(err.code, RM_EUNSAFE, "%s", err.msg);
    cr_assert_str_eq(err.msg, "release '1': checksum of 'lib/h-1/alias.so': symlink "
                              "'lib/h-1/alias.so' points to no file of 'lib/h-1'");
}

/* A link that points to no file of the archive, or whose listed digest is
   not its target's, is refused: it could never be checked. */
Test(unpack, a_symlink_to_no_file_or_another_digest_is_refused, .init = setup, .fini = teardown)
{
    struct tb b;
    tb_init(&b, "1");
    tb_release(&b, "h", "1");
    tb_add(&b, TB_SYMLINK, "lib/h-1/dangling", "", 0, "nothing");
    tb_write(&b, file);
    tb_free(&b);
    struct rm_error err = {0};
    cr_assert_eq(rm_release_unpack(file, root, NULL, NULL, &err), -1);
    cr_assert_str_eq(err.msg, "symlink 'lib/h-1/dangling' -> 'nothing': points to no file of "
                              "the archive");
    cr_assert_eq(run("test ! -e '%s'", root), 0);
    tb_init(&b, "1");
    tb_release(&b, "h", "1");
    tb_add(&b, TB_SYMLINK, "lib/h-1/dir", "", 0, ".");
    tb_write(&b, file);
    tb_free(&b);
    cr_assert_eq(rm_release_unpack(file, root, NULL, NULL, &err), -1);
    cr_assert(strstr(err.msg, "symlink 'lib/h-1/dir' -> '.'"), "%s", err.msg);
    tb_init(&b, "1");
    tb_release(&b, "h", "1");
    tb_add(&b, TB_SYMLINK, "lib/h-1/alias.so", "", 0, "m.so")->sum =
        strdup("0000000000000000000000000000000000000000000000000000000000000000");
    tb_write(&b, file);
    tb_free(&b);
    cr_assert_eq(rm_release_unpack(file, root, NULL, NULL, &err), -1);
    cr_assert_eq(err.code, RM_ECHECKSUM, "%s", err.msg);
    cr_assert_str_eq(err.msg, "symlink 'lib/h-1/alias.so' -> 'm.so': checksum mismatch (the list "
                              "holds the sha-256 of the file it points to, 'lib/h-1/m.so')");
    cr_assert_eq(run("test ! -e '%s'", root), 0);
}

/* 3,000 links whose targets have 400 components each all land. Each link
   costs the length of its path and target, not the number of links before
   it (checked against every link at every component, this took minutes);
   the test asserts correctness only, speed belongs to the benchmark. */
Test(unpack, many_deep_links_all_land, .init = setup, .fini = teardown, .timeout = 600)
{
    struct tb b;
    tb_init(&b, "1");
    tb_release(&b, "h", "1");
    /* A link stands for the file it points to, which must exist: each
       d<k>/x is a directory, and x/../ 200 times is 400 components. */
    char target[1024] = "";
    for (int i = 0; i < 200; i++)
        strcat(target, "x/../");
    strcat(target, "../m.so");
    for (size_t i = 0; i < 50; i++) {
        char name[64];
        snprintf(name, sizeof name, "lib/h-1/d%zu/x/keep", i);
        tb_file(&b, name, "");
    }
    for (size_t i = 0; i < 3000; i++) {
        char name[64];
        snprintf(name, sizeof name, "lib/h-1/d%zu/l%zu", i % 50, i);
        tb_add(&b, TB_SYMLINK, name, "", 0, target);
    }
    tb_write(&b, file);
    tb_free(&b);
    struct rm_error err = {0};
    struct rm_unpack_opts opts = {.no_sync = 1};
    cr_assert_eq(rm_release_unpack(file, root, &opts, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(run("test -L '%s/lib/h-1/d0/l0'", root), 0);
    cr_assert_eq(run("test -L '%s/lib/h-1/d49/l2999'", root), 0);
    cr_assert_eq(run("test $(find '%s/lib/h-1' -type l | wc -l) -eq 3000", root), 0);
}

/* The entry limit bounds what no size limit does, and names the entry. */
Test(unpack, the_entry_limit_refuses_and_names_the_entry, .init = setup, .fini = teardown)
{
    struct tb b;
    tb_init(&b, "1");
    tb_release(&b, "h", "1");
    many_links(&b, 200);
    tb_write(&b, file);
    tb_free(&b);
    struct rm_error err = {0};
    /* The checksum list, the release spec, the app spec, m.so, then links. */
    struct rm_unpack_opts opts = {.max_entries = 100};
    cr_assert_eq(rm_release_unpack(file, root, &opts, NULL, &err), -1);
    cr_assert_eq(err.code, RM_ELIMIT);
    cr_assert_str_eq(err.msg, "entry 'lib/h-1/d96/l96': more than the limit of 100 entries");
    cr_assert_eq(run("test ! -e '%s'", root), 0, "the refused unpack left the root");
    opts.max_entries = 204;
    cr_assert_eq(rm_release_unpack(file, root, &opts, NULL, &err), 0, "%s", err.msg);
}

static volatile sig_atomic_t stop;

/* A progress callback that raises the cancel flag, as a signal would. */
static void stop_now(void *arg, uint64_t done, uint64_t total)
{
    (void)arg;
    (void)done;
    (void)total;
    stop = 1;
}

/* Adds a file of `n` pseudo-random bytes (they do not compress). */
static void noise(struct tb *b, const char *name, size_t n)
{
    char *data = malloc(n);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (char)(x >> 16);
    }
    tb_add(b, TB_FILE, name, data, n, NULL);
    free(data);
}

/* An unpack stopped midway through a file is refused, "interrupted", and
   leaves nothing: no staging directory, no root it created. */
Test(unpack, cancel_midway_cleans_up, .init = setup, .fini = teardown)
{
    struct tb b;
    tb_init(&b, "1");
    tb_release(&b, "h", "1");
    noise(&b, "lib/h-1/big.dat", 4u << 20);
    tb_write(&b, file);
    tb_free(&b);
    char *before = tree_listing(area);
    stop = 0;
    struct rm_unpack_opts opts = {.progress = stop_now, .cancel = &stop};
    struct rm_error err = {0};
    cr_assert_eq(rm_release_unpack(file, root, &opts, NULL, &err), -1);
    cr_assert(strstr(err.msg, "': interrupted"), "%s", err.msg);
    char *after = tree_listing(area);
    cr_assert_str_eq(after, before, "the interrupted unpack left files behind");
    free(before);
    free(after);
}

/* A staging directory a crashed unpack left is removed by the next one. */
Test(unpack, a_stale_staging_directory_is_removed, .init = setup, .fini = teardown)
{
    cr_assert_eq(run("mkdir -p '%s/.unpack-Ab12Cd/lib/x-1' && echo x > "
                     "'%s/.unpack-Ab12Cd/lib/x-1/f'",
                     root, root),
                 0);
    struct tb b;
    tb_init(&b, "1");
    tb_release(&b, "h", "1");
    tb_write(&b, file);
    tb_free(&b);
    struct rm_error err = {0};
    cr_assert_eq(rm_release_unpack(file, root, NULL, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(run("test -z \"$(ls -A '%s' | grep unpack)\"", root), 0,
                 "the stale staging directory is still there");
}

/* relman unpack stops on SIGTERM, even while it waits for the store's
   lock, and cleans up: exit status 1, "interrupted", the root as it was. */
Test(unpack, the_command_stops_on_a_signal, .init = setup, .fini = teardown)
{
    struct tb b;
    tb_init(&b, "1");
    tb_release(&b, "h", "1");
    tb_write(&b, file);
    tb_free(&b);
    cr_assert_eq(run("mkdir -p '%s/releases'", root), 0);
    char *before = tree_listing(area);
    int status;
    char *out = run_capture(&status,
                            "flock '%s/releases' sleep 1.5 & sleep 0.3; " RELMAN_BIN
                            " unpack '%s' --root '%s' & pid=$!; sleep 0.4; "
                            "kill -TERM $pid; wait $pid; echo \"status=$?\"; wait",
                            root, file, root);
    cr_assert(strstr(out, "relman: archive '"), "%s", out);
    cr_assert(strstr(out, "': interrupted\nstatus=1\n"), "%s", out);
    free(out);
    char *after = tree_listing(area);
    cr_assert_str_eq(after, before, "the interrupted unpack changed the root");
    free(before);
    free(after);
}
