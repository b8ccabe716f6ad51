/* relman pack, unpack, releases, remove and set-unpacked run as a user
   would: output, messages and exit statuses (0 done, 1 failed, 2 usage). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-releases-util.h"

#define COUNTER_SRC RELMAN_SOURCE_DIR "/examples/counter"
#define COUNTER_BIN RELMAN_BINARY_DIR "/examples/counter"
#define PATHS       "--path " COUNTER_SRC "/lib --path " COUNTER_BIN "/lib"

static char *area;

static void setup(void)
{
    area = test_tmpdir();
    unsetenv("RELMAN_ROOT");
}

static void teardown(void)
{
    rm_tree(area);
    free(area);
}

/* Runs a shell command (a format) and checks its status and output. */
#define SH(want_status, want_text, ...)                                                            \
    do {                                                                                           \
        int st_;                                                                                   \
        char *out_ = run_capture(&st_, __VA_ARGS__);                                               \
        cr_assert_eq(st_, want_status, "status %d, output: %s", st_, out_);                        \
        cr_assert(strstr(out_, want_text), "output '%s' does not say '%s'", out_, want_text);      \
        free(out_);                                                                                \
    } while (0)

/* Runs relman with arguments (a format) and checks status and output. */
#define RELMAN(want_status, want_text, fmt, ...)                                                   \
    SH(want_status, want_text, RELMAN_BIN " " fmt, ##__VA_ARGS__)

static void pack_both(void)
{
    RELMAN(0, "packed", "pack " COUNTER_SRC "/rel-1/release.yaml -o %s/c1.tar.gz " PATHS, area);
    RELMAN(0, "packed", "pack " COUNTER_SRC "/rel-2/release.yaml -o %s/c2.tar.gz " PATHS, area);
}

Test(cli, pack_usage_and_failures, .init = setup, .fini = teardown)
{
    RELMAN(2, "usage: relman pack", "pack");
    RELMAN(2, "a release spec and '-o FILE' are needed", "pack x.yaml");
    RELMAN(2, "unknown option '--frobnicate'", "pack x.yaml -o y --frobnicate");
    RELMAN(2, "option '--path' needs a value", "pack x.yaml -o y --path");
    RELMAN(
        1, "relman: pack '" COUNTER_SRC "/rel-1/release.yaml': module 'counter-1/z.so' not found",
        "pack " COUNTER_SRC "/rel-1/release.yaml -o %s/x.tar.gz --path " COUNTER_SRC "/lib", area);
    SH(0, "", "test ! -e %s/x.tar.gz", area);
}

Test(cli, unpack_releases_remove_round, .init = setup, .fini = teardown)
{
    pack_both();
    RELMAN(2, "no node root", "unpack %s/c1.tar.gz", area);
    RELMAN(2, "an archive is needed", "unpack --root %s/root", area);
    RELMAN(2, "bad ratio '0.5'", "unpack %s/c1.tar.gz --root %s/root --max-ratio 0.5", area, area);
    RELMAN(2, "bad size '12Q'", "unpack %s/c1.tar.gz --root %s/root --max-file-size 12Q", area,
           area);
    RELMAN(0, "unpacked release 'counter' version '1' into", "unpack %s/c1.tar.gz --root %s/root",
           area, area);
    RELMAN(1, "relman: release '1' is already known", "unpack %s/c1.tar.gz --root %s/root", area,
           area);
    RELMAN(2, "bad entry count '0'", "unpack %s/c1.tar.gz --root %s/root --max-entries 0", area,
           area);
    RELMAN(1, "entry 'lib/counter-2/z.so': more than the limit of 3 entries",
           "unpack %s/c2.tar.gz --root %s/root --max-entries 3", area, area);
    RELMAN(1, "more than the limit of 1024 bytes for one file",
           "unpack %s/c2.tar.gz --root %s/root --max-file-size 1K", area, area);
    SH(0, "unpacked release 'counter' version '2'",
       "RELMAN_ROOT=%s/root " RELMAN_BIN " unpack %s/c2.tar.gz --max-ratio 50", area, area);
    RELMAN(0,
           "NAME     VERSION  STATE      APPLICATIONS\n"
           "counter  1        permanent  counter-1\n"
           "counter  2        unpacked   counter-2\n",
           "releases --root %s/root", area);
    RELMAN(0,
           "[{\"name\":\"counter\",\"version\":\"1\",\"state\":\"permanent\",\"applications\":"
           "[{\"name\":\"counter\",\"version\":\"1\"}]},{\"name\":\"counter\",\"version\":\"2\","
           "\"state\":\"unpacked\",\"applications\":[{\"name\":\"counter\",\"version\":\"2\"}]}]\n",
           "releases --json --root %s/root", area);
    RELMAN(2, "unexpected argument 'x'", "releases x --root %s/root", area);
    RELMAN(2, "no node root", "releases");
    RELMAN(2, "'remove' needs VSN", "remove --root %s/root", area);
    RELMAN(1, "relman: release '1' is permanent and cannot be removed", "remove 1 --root %s/root",
           area);
    RELMAN(1, "relman: release '7' is not known", "remove 7 --root %s/root", area);
    RELMAN(0, "removed release '2'", "remove 2 --root %s/root", area);
    SH(0, "", "test ! -e %s/root/lib/counter-2 && test ! -e %s/root/releases/2", area, area);
    RELMAN(0, "counter  1        permanent  counter-1\n", "releases --root %s/root", area);
}

/* Pack checks every limit unpack enforces by default, with the same
   words: it never makes an archive that unpack refuses. */
Test(cli, pack_refuses_what_unpack_would_refuse, .init = setup, .fini = teardown)
{
    /* A spec of 2 MiB of comments compresses far beyond 100 times. */
    SH(0, "",
       "mkdir %s/rel && cp " COUNTER_SRC "/rel-1/release.yaml %s/rel/ && "
       "head -c 2097152 /dev/zero | tr '\\0' '#' | fold -w 100 >> %s/rel/release.yaml",
       area, area, area);
    RELMAN(1, "the archive would expand beyond 100 times its size (",
           "pack %s/rel/release.yaml -o %s/big.tar.gz " PATHS, area, area);
    SH(0, "", "test ! -e %s/big.tar.gz && test ! -e %s/big.tar.gz.new", area, area);
    /* One application more than a release may hold. */
    SH(0, "",
       "(printf 'release: many\\nversion: v1\\napplications:\\n'; "
       "for i in $(seq 0 1024); do echo \"  - {name: a$i, version: v1}\"; done) > %s/many.yaml",
       area);
    RELMAN(1, "many.yaml:1028:5: more than the limit of 1024 applications in a release",
           "pack %s/many.yaml -o %s/many.tar.gz", area, area);
    SH(0, "", "test ! -e %s/many.tar.gz", area);
}

/* Pack stores the file a symbolic link of the search path points to,
   never the link. */
Test(cli, pack_stores_what_a_link_points_to, .init = setup, .fini = teardown)
{
    SH(0, "",
       "mkdir -p %s/lnk/counter-1 && ln -s " COUNTER_BIN "/lib/counter-1/z.so %s/lnk/counter-1/z.so",
       area, area);
    RELMAN(0, "packed",
           "pack " COUNTER_SRC "/rel-1/release.yaml -o %s/l.tar.gz --path " COUNTER_SRC
           "/lib --path %s/lnk",
           area, area);
    SH(0, "-rwxr-xr-x", "bsdtar -tvzf %s/l.tar.gz lib/counter-1/z.so", area);
}

Test(cli, help_gives_unpack_s_whole_synopsis, .init = setup, .fini = teardown)
{
    RELMAN(0, "unpack FILE [--max-file-size N] [--max-ratio R] [--max-entries N] [--no-sync]",
           "help");
    RELMAN(2,
           "usage: relman unpack FILE [--max-file-size N] [--max-ratio R] [--max-entries N] "
           "[--no-sync]",
           "unpack");
}

Test(cli, set_unpacked, .init = setup, .fini = teardown)
{
    pack_both();
    RELMAN(0, "unpacked", "unpack %s/c1.tar.gz --root %s/root", area, area);
    RELMAN(2, "'set-unpacked' needs VSN", "set-unpacked --root %s/root", area);
    RELMAN(1, "relman: set-unpacked '2' in", "set-unpacked 2 --root %s/root", area);
    SH(0, "", "cd %s/root && bsdtar -xzf %s/c2.tar.gz", area, area);
    RELMAN(0, "release '2' recorded as unpacked", "set-unpacked 2 --root %s/root", area);
    RELMAN(0, "counter  2        unpacked   counter-2", "releases --root %s/root", area);
}

Test(cli, failed_commands_leave_an_empty_root_empty, .init = setup, .fini = teardown)
{
    SH(0, "", "mkdir %s/root", area);
    RELMAN(1, "relman: node root '", "set-unpacked 2 --root %s/root", area);
    RELMAN(1, "holds no release ('releases/' is missing)", "remove 2 --root %s/root", area);
    SH(0, "", "test ! -e %s/root/releases", area);
    RELMAN(1, "holds no release ('releases/RELEASES' is missing)", "releases --root %s/root", area);
    RELMAN(1, "relman: node root '/does/not/exist' is not a directory",
           "releases --root /does/not/exist");
    SH(0, "", "test ! -e %s/root/releases", area);
}

Test(cli, corrupt_releases_file_is_an_error, .init = setup, .fini = teardown)
{
    SH(0, "",
       "mkdir -p %s/root/releases && printf 'relman-releases 1\\nrelease c 1 per' > "
       "%s/root/releases/RELEASES",
       area, area);
    RELMAN(1, "RELEASES:2: truncated file (no final newline)", "releases --root %s/root", area);
}
