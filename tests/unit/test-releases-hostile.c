/* The hostile-archive corpus: every archive here is built by the test with
   libarchive's writer, unpacked into a node root that already holds a
   release and into a root that does not exist yet, and must be refused
   with a message naming the problem while the whole area around the roots
   stays byte for byte the same. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relman/archive.h"
#include "relman/store.h"
#include "test-releases-util.h"

static char *area; /* the temporary directory holding both roots */
static char root[512], fresh[512], file[512];

static void setup(void)
{
    area = test_tmpdir();
    snprintf(root, sizeof root, "%s/root", area);
    snprintf(fresh, sizeof fresh, "%s/fresh", area);
    snprintf(file, sizeof file, "%s/in.tar.gz", area);
    struct tb b;
    tb_init(&b, "1");
    tb_release(&b, "a", "1");
    tb_write(&b, file);
    tb_free(&b);
    struct rm_error err = {0};
    cr_assert_eq(rm_release_unpack(file, root, NULL, NULL, &err), 0, "%s", err.msg);
}

static void teardown(void)
{
    rm_tree(area);
    free(area);
}

/* Writes `b`, unpacks it into the first `nroots` of the roots (the one
   holding release "1", then the one not yet made) with `opts` and checks the
   refusal and that nothing changed around the roots. */
static void expect_refused(struct tb *b, const struct rm_unpack_opts *opts, const char *expect,
                           int nroots)
{
    tb_write(b, file);
    char *before = tree_listing(area);
    const char *roots[] = {root, fresh};
    for (int i = 0; i < nroots; i++) {
        struct rm_error err = {0};
        int rc = rm_release_unpack(file, roots[i], opts, NULL, &err);
        cr_assert_eq(rc, -1, "unpack into %s was not refused", roots[i]);
        cr_assert(strstr(err.msg, expect), "message '%s' does not say '%s'", err.msg, expect);
        char *after = tree_listing(area);
        cr_assert_str_eq(after, before, "something was written around the roots");
        free(after);
    }
    free(before);
    struct rm_error err = {0};
    struct rm_store *st = rm_store_open(root, 0, &err);
    cr_assert_not_null(st, "%s", err.msg);
    cr_assert_eq(st->nrels, 1);
    rm_store_close(st);
}

/* A case: release "9" of application h "1", changed by the statements
   given, refused in both roots (HOSTILE) or in the initialised one only
   (HOSTILE_IN_ROOT, for what depends on release "1" being there). */
#define HOSTILE_CASE(name, nroots, expect, ...)                                                    \
    Test(hostile, name, .init = setup, .fini = teardown)                                           \
    {                                                                                              \
        struct tb b;                                                                               \
        struct rm_unpack_opts opts = {0};                                                          \
        tb_init(&b, "9");                                                                          \
        tb_release(&b, "h", "1");                                                                  \
        __VA_ARGS__;                                                                               \
        expect_refused(&b, &opts, expect, nroots);                                                 \
        tb_free(&b);                                                                               \
    }
#define HOSTILE(name, expect, ...)         HOSTILE_CASE(name, 2, expect, __VA_ARGS__)
#define HOSTILE_IN_ROOT(name, expect, ...) HOSTILE_CASE(name, 1, expect, __VA_ARGS__)

/* Appups and relups are loaded and checked as the specs are. */
#define APPUP_HEAD "application: h\nversion: \"1\"\nup:\n  - from: \"0\"\n    instructions:\n"
HOSTILE(appup_that_does_not_load, "archive '",
        tb_file(&b, "lib/h-1/h.appup.yaml", APPUP_HEAD "      - update: {module: m, bogus: 1}\n"))
HOSTILE(appup_message_names_the_file_in_the_archive, "lib/h-1/h.appup.yaml:6:",
        tb_file(&b, "lib/h-1/h.appup.yaml", APPUP_HEAD "      - update: {module: m, bogus: 1}\n"))
HOSTILE(appup_of_another_version,
        "lib/h-1/h.appup.yaml:1:1: appup version '2' does not match the application's version '1'",
        tb_file(&b, "lib/h-1/h.appup.yaml",
                "application: h\nversion: \"2\"\nup:\n  - from: \"1\"\n    instructions:\n"
                "      - update: m\n"))
HOSTILE(appup_of_another_application,
        "lib/h-1/h.appup.yaml:1:1: appup of application 'g' lies in the directory of "
        "application 'h'",
        tb_file(&b, "lib/h-1/h.appup.yaml",
                "application: g\nversion: \"1\"\nup:\n  - from: \"0\"\n    instructions:\n"
                "      - update: m\n"))
HOSTILE(relup_that_does_not_load,
        "releases/9/relup.yaml:5:9: high-level instruction 'update' in a relup",
        tb_file(&b, "releases/9/relup.yaml",
                "version: \"9\"\nup:\n  - from: \"1\"\n    instructions:\n      - update: m\n"))
HOSTILE(relup_of_another_version,
        "releases/9/relup.yaml:1:1: relup version '8' does not match the release's version '9'",
        tb_file(&b, "releases/9/relup.yaml",
                "version: \"8\"\nup:\n  - from: \"1\"\n    instructions:\n"
                "      - load_object_code: {application: h, version: \"1\", modules: [m]}\n"
                "      - point_of_no_return\n      - load: m\n"))

HOSTILE(dotdot_first, "'..' path component", tb_file(&b, "../evil", "x"))
HOSTILE(dotdot_inner, "'..' path component", tb_file(&b, "lib/h-1/../../evil", "x"))
HOSTILE(dot_dotdot, "'..' path component", tb_file(&b, "./../evil", "x"))
HOSTILE(dotdot_dir, "'..' path component", tb_add(&b, TB_DIR, "lib/h-1/..", "", 0, NULL))
HOSTILE(dotdot_deep, "'..' path component", tb_file(&b, "lib/h-1/a/b/../../../../../evil", "x"))
HOSTILE(absolute, "absolute path", tb_file(&b, "/tmp/relman-evil", "x"))
HOSTILE(absolute_double_slash, "absolute path", tb_file(&b, "//tmp/relman-evil", "x"))
HOSTILE(backslash_dotdot, "backslash", tb_file(&b, "lib\\..\\..\\evil", "x"))
HOSTILE(empty_component, "empty path component", tb_file(&b, "lib//h-1/x", "x"))
HOSTILE(dot_component, "'.' path component", tb_file(&b, "lib/h-1/./x", "x"))
HOSTILE(symlink_to_root_then_file, "absolute target", {
    tb_add(&b, TB_SYMLINK, "lib/h-1/s", "", 0, "/");
    tb_file(&b, "lib/h-1/s/tmp/relman-evil", "x");
})
HOSTILE(symlink_escape_relative, "points outside 'lib/h-1'",
        tb_add(&b, TB_SYMLINK, "lib/h-1/s", "", 0, "../../../../etc"))
HOSTILE(symlink_chain_two_hops, "goes through symlink 'lib/h-1/s2'", {
    tb_add(&b, TB_SYMLINK, "lib/h-1/s2", "", 0, "d");
    tb_add(&b, TB_SYMLINK, "lib/h-1/s1", "", 0, "s2/../../a-1/m.so");
})
HOSTILE(symlink_chain_later_hop, "goes through symlink 'lib/h-1/s2'", {
    tb_add(&b, TB_SYMLINK, "lib/h-1/s1", "", 0, "s2/../x");
    tb_add(&b, TB_SYMLINK, "lib/h-1/s2", "", 0, "sub");
})
HOSTILE(file_through_inner_symlink, "written through symlink 'lib/h-1/s'", {
    tb_add(&b, TB_SYMLINK, "lib/h-1/s", "", 0, "sub");
    tb_file(&b, "lib/h-1/s/f", "x");
})
HOSTILE(hardlink_absolute, "absolute path",
        tb_add(&b, TB_HARDLINK, "lib/h-1/h", "", 0, "/etc/passwd"))
HOSTILE(hardlink_outside, "'..' path component",
        tb_add(&b, TB_HARDLINK, "lib/h-1/h", "", 0, "lib/h-1/../../../etc/passwd"))
HOSTILE_IN_ROOT(hardlink_to_existing_root_file, "not a file of 'lib/h-1' unpacked before it",
                tb_add(&b, TB_HARDLINK, "lib/h-1/h", "", 0, "lib/a-1/m.so"))
HOSTILE(char_device, "character device not allowed",
        tb_add(&b, TB_CHR, "lib/h-1/null", "", 0, NULL))
HOSTILE(block_device, "block device not allowed", tb_add(&b, TB_BLK, "lib/h-1/disk", "", 0, NULL))
HOSTILE(fifo, "fifo not allowed", tb_add(&b, TB_FIFO, "lib/h-1/pipe", "", 0, NULL))
HOSTILE(declared_10_gb, "more than the limit", {
    struct tb_entry *e = tb_file(&b, "lib/h-1/huge", "x");
    e->declared = 10LL * 1024 * 1024 * 1024;
    b.cut = 256 * 1024;
})
HOSTILE(compression_bomb, "expands beyond 100 times", {
    size_t len = 20u << 20;
    char *zeros = calloc(1, len);
    tb_add(&b, TB_FILE, "lib/h-1/bomb", zeros, len, NULL);
    free(zeros);
})
HOSTILE(file_over_size_limit, "more than the limit of 1024 bytes", {
    char big[4096];
    memset(big, 'x', sizeof big);
    tb_add(&b, TB_FILE, "lib/h-1/big", big, sizeof big, NULL);
    opts.max_file_size = 1024;
})
HOSTILE(duplicate_different, "duplicate entry 'lib/h-1/dup'", {
    tb_file(&b, "lib/h-1/dup", "first");
    tb_file(&b, "lib/h-1/dup", "second")->unlisted = 1;
})
HOSTILE(duplicate_same, "duplicate entry 'lib/h-1/dup'", {
    tb_file(&b, "lib/h-1/dup", "same");
    tb_file(&b, "lib/h-1/dup", "same");
})
HOSTILE(invalid_utf8, "not valid UTF-8", tb_file(&b, "lib/h-1/bad\xff\xfe", "x"))
HOSTILE(overlong_utf8_slash, "not valid UTF-8", tb_file(&b, "lib/h-1/\xc0\xaf..", "x"))
/* Names a checksum list cannot hold are left out of it: the name is refused first. */
HOSTILE(embedded_newline, "control character", tb_file(&b, "lib/h-1/two\nlines", "x")->unlisted = 1)
HOSTILE(control_character, "control character", tb_file(&b, "lib/h-1/bell\a", "x"))
HOSTILE(missing_checksum_list, "checksum list missing", b.no_sums = 1)
HOSTILE(checksum_list_last, "checksum list missing: the first file", b.sums_last = 1)
HOSTILE(checksum_wrong, "checksum mismatch", {
    struct tb_entry *e = tb_file(&b, "lib/h-1/data", "real contents");
    e->sum = strdup("0000000000000000000000000000000000000000000000000000000000000000");
})
HOSTILE(file_not_listed, "not in the checksum list",
        tb_file(&b, "lib/h-1/sneaky", "x")->unlisted = 1)
HOSTILE(listed_file_missing, "in the checksum list but not in the archive",
        tb_extra_line(&b, "lib/h-1/ghost", "boo"))
HOSTILE(outside_layout, "outside 'lib/<app>-<version>/'", tb_file(&b, "etc/passwd", "x"))
HOSTILE(file_directly_in_lib, "a file must be inside", tb_file(&b, "lib/loose", "x"))
HOSTILE(other_release_dir, "outside 'releases/9/'", tb_file(&b, "releases/1/release.yaml", "x"))
HOSTILE(app_not_in_release, "not an application of release '9'", tb_file(&b, "lib/z-1/x", "x"))
HOSTILE_IN_ROOT(existing_lib_dir_differs, "'lib/a-1' already exists", {
    tb_free(&b);
    tb_init(&b, "9");
    tb_release(&b, "a", "1");
    free(b.v[2].data);
    b.v[2].data = strdup("other bytes");
    b.v[2].len = strlen("other bytes");
})
HOSTILE(spec_version_mismatch, "does not match", {
    tb_free(&b);
    tb_init(&b, "9");
    tb_file(&b, "releases/9/release.yaml",
            "release: test\nversion: \"8\"\napplications:\n  - {name: h, version: \"1\"}\n");
})
HOSTILE(module_missing, "module 'lib/h-1/m.so' of application 'h' is missing", {
    tb_free(&b);
    tb_init(&b, "9");
    tb_file(&b, "releases/9/release.yaml",
            "release: test\nversion: \"9\"\napplications:\n  - {name: h, version: \"1\"}\n");
    tb_file(&b, "lib/h-1/h.app.yaml", "application: h\nversion: \"1\"\nmodules: [m]\n");
})

HOSTILE_IN_ROOT(version_already_known, "release '1' is already known", {
    tb_free(&b);
    tb_init(&b, "1");
    tb_release(&b, "h", "1");
})

/* Archives whose compression is broken: written whole, then damaged. */
static void damage(struct tb *b, long keep, long flip)
{
    tb_write(b, file);
    FILE *f = fopen(file, "r+b");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    if (flip >= 0) {
        for (long i = flip; i < flip + 64 && i < size; i++) {
            fseek(f, i, SEEK_SET);
            fputc(0x55 ^ (int)i, f);
        }
    }
    fclose(f);
    if (keep >= 0)
        cr_assert_eq(truncate(file, size * keep / 100), 0);
}

/* Like expect_refused() for an archive already written to `file`. */
static void expect_file_refused(const char *expect)
{
    char *before = tree_listing(area);
    const char *roots[] = {root, fresh};
    for (int i = 0; i < 2; i++) {
        struct rm_error err = {0};
        cr_assert_eq(rm_release_unpack(file, roots[i], NULL, NULL, &err), -1);
        cr_assert(strstr(err.msg, expect), "message '%s' does not say '%s'", err.msg, expect);
        char *after = tree_listing(area);
        cr_assert_str_eq(after, before);
        free(after);
    }
    free(before);
}

Test(hostile, truncated_gzip, .init = setup, .fini = teardown)
{
    struct tb b;
    tb_init(&b, "9");
    tb_release(&b, "h", "1");
    char noise[8192];
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (char)(rand() & 0xff);
    tb_add(&b, TB_FILE, "lib/h-1/noise", noise, sizeof noise, NULL);
    damage(&b, 60, -1);
    expect_file_refused("corrupt or truncated");
    tb_free(&b);
}

Test(hostile, corrupt_gzip, .init = setup, .fini = teardown)
{
    struct tb b;
    tb_init(&b, "9");
    tb_release(&b, "h", "1");
    char noise[8192];
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (char)(rand() & 0xff);
    tb_add(&b, TB_FILE, "lib/h-1/noise", noise, sizeof noise, NULL);
    damage(&b, -1, 200);
    expect_file_refused("archive '");
    tb_free(&b);
}

Test(hostile, not_an_archive, .init = setup, .fini = teardown)
{
    FILE *f = fopen(file, "wb");
    fputs("this is not a release archive\n", f);
    fclose(f);
    expect_file_refused("archive '");
}

Test(hostile, empty_file, .init = setup, .fini = teardown)
{
    FILE *f = fopen(file, "wb");
    fclose(f);
    expect_file_refused("archive '");
}
