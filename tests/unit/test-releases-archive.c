/* Pack and unpack of real releases (the counter's two): round trip with
   checksums verified, reproducible bytes, refusals of pack, set-unpacked. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "relman/archive.h"
#include "relman/fsutil.h"
#include "relman/store.h"
#include "test-releases-util.h"

#define COUNTER_SRC RELMAN_SOURCE_DIR "/examples/counter"
#define COUNTER_BIN RELMAN_BINARY_DIR "/examples/counter"

static char *area;
static char root[512];
static const char *counter_path[] = {COUNTER_SRC "/lib", COUNTER_BIN "/lib"};

static void setup(void)
{
    area = test_tmpdir();
    snprintf(root, sizeof root, "%s/root", area);
}

static void teardown(void)
{
    rm_tree(area);
    free(area);
}

/* Packs counter release `vsn` into `area`/`out`. */
static void pack_counter(const char *vsn, const char *out, char *path, size_t size)
{
    char spec[512];
    snprintf(spec, sizeof spec, COUNTER_SRC "/rel-%s/release.yaml", vsn);
    snprintf(path, size, "%s/%s", area, out);
    struct rm_pack_opts opts = {.path = counter_path, .npath = 2};
    struct rm_error err = {0};
    cr_assert_eq(rm_release_pack(spec, path, &opts, &err), 0, "%s", err.msg);
}

static char *slurp(const char *path, size_t *len)
{
    char *data;
    struct rm_error err = {0};
    cr_assert_eq(rm_fs_read_file(path, 1u << 30, &data, len, &err), 0, "%s", err.msg);
    return data;
}

static void assert_same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *da = slurp(a, &la), *db = slurp(b, &lb);
    cr_assert_eq(la, lb, "%s and %s differ in size", a, b);
    cr_assert_eq(memcmp(da, db, la), 0, "%s and %s differ", a, b);
    free(da);
    free(db);
}

Test(archive, pack_then_unpack_gives_the_same_files, .init = setup, .fini = teardown)
{
    char a1[600], a2[600];
    pack_counter("1", "counter-1.tar.gz", a1, sizeof a1);
    pack_counter("2", "counter-2.tar.gz", a2, sizeof a2);
    struct rm_unpack_result res;
    struct rm_error err = {0};
    cr_assert_eq(rm_release_unpack(a1, root, NULL, &res, &err), 0, "%s", err.msg);
    cr_assert_str_eq(res.version, "1");
    cr_assert_str_eq(res.name, "counter");
    cr_assert_eq(res.permanent, 1);
    cr_assert_eq(rm_release_unpack(a2, root, NULL, &res, &err), 0, "%s", err.msg);
    cr_assert_eq(res.permanent, 0);
    char p[1024];
    const char *pairs[][2] = {
        {"releases/1/release.yaml", COUNTER_SRC "/rel-1/release.yaml"},
        {"releases/2/release.yaml", COUNTER_SRC "/rel-2/release.yaml"},
        {"lib/counter-1/counter.app.yaml", COUNTER_SRC "/lib/counter-1/counter.app.yaml"},
        {"lib/counter-2/counter.app.yaml", COUNTER_SRC "/lib/counter-2/counter.app.yaml"},
        {"lib/counter-2/counter.appup.yaml", COUNTER_SRC "/lib/counter-2/counter.appup.yaml"},
        {"lib/counter-1/z.so", COUNTER_BIN "/lib/counter-1/z.so"},
        {"lib/counter-2/z.so", COUNTER_BIN "/lib/counter-2/z.so"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        snprintf(p, sizeof p, "%s/%s", root, pairs[i][0]);
        assert_same_file(p, pairs[i][1]);
    }
    snprintf(p, sizeof p, "%s/lib/counter-1/z.so", root);
    struct stat st;
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0755);
    /* The checksum lists verify with the standard tool, from the root. */
    cr_assert_eq(
        run("cd '%s' && sha256sum --quiet -c releases/1/SHA256SUMS releases/2/SHA256SUMS", root),
        0);
    /* Nothing of the staging is left, and the store knows both. */
    cr_assert_eq(run("ls -A '%s' | grep -q unpack", root), 1);
    struct rm_store *s = rm_store_open(root, 0, &err);
    cr_assert_not_null(s, "%s", err.msg);
    cr_assert_eq(s->nrels, 2);
    cr_assert_eq(rm_store_find(s, "1")->state, RM_REL_PERMANENT);
    cr_assert_eq(rm_store_find(s, "2")->state, RM_REL_UNPACKED);
    cr_assert_str_eq(rm_store_find(s, "2")->apps[0].name, "counter");
    cr_assert_str_eq(rm_store_find(s, "2")->apps[0].version, "2");
    rm_store_close(s);
}

Test(archive, packing_twice_gives_identical_bytes, .init = setup, .fini = teardown)
{
    char a[600], b[600];
    pack_counter("2", "one.tar.gz", a, sizeof a);
    pack_counter("2", "two.tar.gz", b, sizeof b);
    assert_same_file(a, b);
    /* The checksum list comes first, then entries in order. */
    int status;
    char *out = run_capture(&status, "bsdtar -tzvf '%s'", a);
    cr_assert_eq(status, 0, "%s", out);
    cr_assert(strstr(out, "releases/2/SHA256SUMS") < strstr(out, "lib/counter-2/counter.app.yaml"));
    cr_assert(strstr(out, "0 root   root"), "%s", out);
    free(out);
}

static void expect_pack_refused(const char *spec, const char *const *path, size_t npath,
                                const char *expect)
{
    char out[600];
    snprintf(out, sizeof out, "%s/out.tar.gz", area);
    struct rm_pack_opts opts = {.path = path, .npath = npath};
    struct rm_error err = {0};
    cr_assert_eq(rm_release_pack(spec, out, &opts, &err), -1);
    cr_assert(strstr(err.msg, expect), "message '%s' does not say '%s'", err.msg, expect);
    cr_assert_not(rm_fs_exists(out));
    char tmp[700];
    snprintf(tmp, sizeof tmp, "%s.new", out);
    cr_assert_not(rm_fs_exists(tmp));
}

Test(archive, pack_refuses_missing_files, .init = setup, .fini = teardown)
{
    const char *src_only[] = {COUNTER_SRC "/lib"};
    expect_pack_refused(COUNTER_SRC "/rel-1/release.yaml", src_only, 1,
                        "module 'counter-1/z.so' not found in the search path");
    const char *bin_only[] = {COUNTER_BIN "/lib"};
    expect_pack_refused(COUNTER_SRC "/rel-1/release.yaml", bin_only, 1,
                        "application spec 'counter-1/counter.app.yaml' not found");
    expect_pack_refused(COUNTER_SRC "/rel-9/release.yaml", counter_path, 2, "rel-9/release.yaml");
}

/* Writes `text` to `area`/`rel`, making parents. */
static void put(const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", area, rel);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    struct rm_error err = {0};
    cr_assert_eq(rm_fs_mkdirs(dir, 0755, &err), 0, "%s", err.msg);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

Test(archive, pack_refuses_modules_that_disagree_with_the_spec, .init = setup, .fini = teardown)
{
    put("r/release.yaml", "release: counter\nversion: \"5\"\napplications:\n"
                          "  - {name: counter, version: \"1\"}\n");
    put("lib/counter-1/counter.app.yaml",
        "application: counter\nversion: \"1\"\nmodules:\n  - {name: z, version: \"7\"}\n");
    char spec[600], lib[600];
    snprintf(spec, sizeof spec, "%s/r/release.yaml", area);
    snprintf(lib, sizeof lib, "%s/lib", area);
    const char *path[] = {lib, COUNTER_BIN "/lib"};
    expect_pack_refused(spec, path, 2, "built as version '0', the spec says '7'");
    put("lib/counter-1/counter.app.yaml",
        "application: counter\nversion: \"1\"\nmodules:\n  - {name: y, version: \"0\"}\n");
    cr_assert_eq(run("cp '%s' '%s/lib/counter-1/y.so'", COUNTER_BIN "/lib/counter-1/z.so", area),
                 0);
    expect_pack_refused(spec, path, 2, "built as module 'z', the spec says 'y'");
    put("lib/counter-1/counter.app.yaml",
        "application: counter\nversion: \"2\"\nmodules:\n  - {name: z, version: \"0\"}\n");
    expect_pack_refused(spec, path, 2, "application 'counter' version '2' does not match");
    put("lib/counter-1/counter.app.yaml",
        "application: counter\nversion: \"1\"\nmodules:\n  - {name: n, version: \"0\"}\n");
    put("lib/counter-1/n.so", "not an object\n");
    expect_pack_refused(spec, path, 2, "lib/counter-1/n.so': cannot load");
}

Test(archive, set_unpacked_records_a_release_placed_by_hand, .init = setup, .fini = teardown)
{
    char a1[600], a2[600];
    pack_counter("1", "c1.tar.gz", a1, sizeof a1);
    pack_counter("2", "c2.tar.gz", a2, sizeof a2);
    struct rm_error err = {0};
    cr_assert_eq(rm_release_unpack(a1, root, NULL, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_release_set_unpacked(root, "2", &err), -1);
    cr_assert(strstr(err.msg, "cannot read 'releases/2/release.yaml'"), "%s", err.msg);
    cr_assert_eq(run("cd '%s' && bsdtar -xzf '%s' releases/2/release.yaml", root, a2), 0);
    cr_assert_eq(rm_release_set_unpacked(root, "2", &err), -1);
    cr_assert(strstr(err.msg, "cannot read 'lib/counter-2/counter.app.yaml'"), "%s", err.msg);
    cr_assert_eq(run("cd '%s' && bsdtar -xzf '%s'", root, a2), 0);
    cr_assert_eq(rm_release_set_unpacked(root, "2", &err), 0, "%s", err.msg);
    struct rm_store *s = rm_store_open(root, 0, &err);
    cr_assert_eq(rm_store_find(s, "2")->state, RM_REL_UNPACKED);
    rm_store_close(s);
    cr_assert_eq(rm_release_set_unpacked(root, "2", &err), -1);
    cr_assert_str_eq(err.msg, "release '2' is already known");
    /* And unpacking it again is refused as known. */
    cr_assert_eq(rm_release_unpack(a2, root, NULL, NULL, &err), -1);
    cr_assert(strstr(err.msg, "release '2' is already known"), "%s", err.msg);
}

Test(archive, unpack_keeps_an_identical_existing_lib_dir, .init = setup, .fini = teardown)
{
    /* Release 3 reuses application counter 2: its directory stays as is. */
    char a2[600];
    pack_counter("2", "c2.tar.gz", a2, sizeof a2);
    put("r3/release.yaml", "release: counter\nversion: \"3\"\napplications:\n"
                           "  - {name: counter, version: \"2\"}\n");
    char spec[600], out[600];
    snprintf(spec, sizeof spec, "%s/r3/release.yaml", area);
    snprintf(out, sizeof out, "%s/c3.tar.gz", area);
    struct rm_pack_opts opts = {.path = counter_path, .npath = 2};
    struct rm_error err = {0};
    cr_assert_eq(rm_release_pack(spec, out, &opts, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_release_unpack(a2, root, NULL, NULL, &err), 0, "%s", err.msg);
    char so[700];
    snprintf(so, sizeof so, "%s/lib/counter-2/z.so", root);
    struct stat before, after;
    cr_assert_eq(stat(so, &before), 0);
    cr_assert_eq(rm_release_unpack(out, root, NULL, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(stat(so, &after), 0);
    cr_assert_eq(before.st_ino, after.st_ino, "lib/counter-2 was replaced");
    struct rm_store *s = rm_store_open(root, 0, &err);
    cr_assert_eq(s->nrels, 2);
    rm_store_close(s);
}

/* Makes `out` a directory path under `area` exactly `len` bytes long, of
   components at most 200 bytes, and creates its parent. */
static void long_root(char *out, size_t size, size_t len)
{
    cr_assert(len < size);
    int n = snprintf(out, size, "%s", area);
    while ((size_t)n < len) {
        size_t part = len - (size_t)n - 1 > 200 ? 200 : len - (size_t)n - 1;
        if (part == 0) { /* one byte left: lengthen the previous component */
            out[n++] = 'x';
            break;
        }
        out[n++] = '/';
        memset(out + n, 'r', part);
        n += (int)part;
    }
    out[n] = '\0';
    cr_assert_eq(strlen(out), len);
    cr_assert_eq(run("mkdir -p \"$(dirname '%s')\"", out), 0);
}

Test(archive, unpack_into_a_long_root, .init = setup, .fini = teardown)
{
    char a1[600];
    pack_counter("1", "c1.tar.gz", a1, sizeof a1);
    static char deep[8192];
    /* Staging paths pass 512 bytes: every file is found. */
    long_root(deep, sizeof deep, 496);
    struct rm_error err = {0};
    cr_assert_eq(rm_release_unpack(a1, deep, NULL, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_release_verify(deep, "1", &(size_t){0}, &err), 0, "%s", err.msg);
    /* A path that does not fit is an error, never a cut path. */
    char small[16];
    cr_assert_eq(rm_fs_path(small, sizeof small, &err, "%s/lib/%s", "root", "counter-1"), -1);
    cr_assert(strstr(err.msg, "path too long 'root/lib/counte...'"), "%s", err.msg);
    cr_assert_eq(rm_fs_path(small, sizeof small, &err, "%s/lib", "root"), 0);
    cr_assert_str_eq(small, "root/lib");
}

/* A relup beside the release spec travels in the archive, checksummed, and
   lands in ROOT/releases/<vsn>/; one that does not load is refused. */
Test(archive, pack_takes_the_relup_beside_the_spec, .init = setup, .fini = teardown)
{
    char a1[600], spec[600], out[600], path[800];
    pack_counter("1", "c1.tar.gz", a1, sizeof a1);
    size_t len;
    snprintf(path, sizeof path, COUNTER_SRC "/rel-2/release.yaml");
    char *text = slurp(path, &len);
    put("r2/release.yaml", text);
    free(text);
    static const char relup[] =
        "version: \"2\"\nup:\n  - from: \"1\"\n    instructions:\n"
        "      - load_object_code: {application: counter, version: \"2\", modules: [z]}\n"
        "      - point_of_no_return\n      - suspend: [z]\n      - load: z\n"
        "      - code_change: {direction: up, modules: [z]}\n      - resume: [z]\n";
    put("r2/relup.yaml", relup);
    snprintf(spec, sizeof spec, "%s/r2/release.yaml", area);
    snprintf(out, sizeof out, "%s/c2.tar.gz", area);
    struct rm_pack_opts opts = {.path = counter_path, .npath = 2};
    struct rm_error err = {0};
    cr_assert_eq(rm_release_pack(spec, out, &opts, &err), 0, "%s", err.msg);
    cr_assert_eq(
        run("bsdtar -xOzf '%s' releases/2/SHA256SUMS | grep -q '  releases/2/relup.yaml$'", out), 0,
        "the relup is not in the checksum list");
    cr_assert_eq(rm_release_unpack(a1, root, NULL, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(rm_release_unpack(out, root, NULL, NULL, &err), 0, "%s", err.msg);
    snprintf(path, sizeof path, "%s/releases/2/relup.yaml", root);
    text = slurp(path, &len);
    cr_assert_str_eq(text, relup);
    free(text);
    size_t n = 0;
    cr_assert_eq(rm_release_verify(root, "2", &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 5); /* release, relup, counter app and appup, z.so */
    put("r2/relup.yaml", "version: \"3\"\nup: []\n");
    expect_pack_refused(spec, counter_path, 2,
                        "relup.yaml:1:1: relup version '3' does not match the release's version "
                        "'2'");
}
