/* Benchmark section "unpack": relman's verified unpack of a ~200 MB release
   (many files, mixed sizes) against `bsdtar -xzf` of the same archive into a
   fresh directory, as a ratio measured in one run (target: at most 1.2). */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "relman/archive.h"
#include "relman/fsutil.h"

/* The generated release: NFILES data files whose sizes cycle through a mix
   of small (700 B) to medium (120 KB) with one large (3.5 MiB) in a hundred,
   about 200 MB in all. */
#define NFILES       3000
#define NFILES_QUICK 300 /* --quick: about 20 MB */

static size_t file_size(int i)
{
    static const size_t sizes[] = {2048, 9000, 30000, 700, 120000, 4096, 65536, 15000};
    if (i % 100 == 0)
        return 7u << 19; /* 30 large files of 3.5 MiB */
    return sizes[i % 8];
}

/* Fills `buf` with the contents of file `i`: pseudo-random bytes drawn from
   a small alphabet, which gzip compresses about as well as object code. */
static void file_data(int i, unsigned char *buf, size_t len)
{
    uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
    for (size_t k = 0; k < len; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[k] = (unsigned char)("relman\0\0\x01\x02\xff\x48\x89\xe5\xc3\x90"[x & 15]);
    }
}

static void hex_sha256(const void *data, size_t len, char *hex)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (unsigned int k = 0; k < n; k++)
        sprintf(hex + 2 * k, "%02x", md[k]);
}

static int add_entry(struct archive *ar, const char *name, const void *data, size_t len)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)len);
    int rc = archive_write_header(ar, e) == ARCHIVE_OK &&
                     archive_write_data(ar, data, len) == (la_ssize_t)len
                 ? 0
                 : -1;
    archive_entry_free(e);
    return rc;
}

static const char release_yaml[] =
    "release: bench\nversion: \"1\"\napplications:\n  - {name: big, version: \"1\"}\n";
static const char app_yaml[] = "application: big\nversion: \"1\"\nmodules: [m]\n";
static const char module[] = "module bytes: unpack never loads them\n";

/* Writes the release archive to `path`; returns its size in bytes of
   files, or 0 on failure. */
static uint64_t make_archive(const char *path, int nfiles)
{
    size_t maxlen = 7u << 19;
    unsigned char *buf = malloc(maxlen);
    char *sums = NULL;
    size_t sums_len = 0;
    FILE *s = open_memstream(&sums, &sums_len);
    char hex[65], name[128];
    uint64_t total = 0;
    /* The list is sorted by path: lib/big-1/big.app.yaml, lib/big-1/data/...,
       lib/big-1/m.so, releases/1/release.yaml. */
    hex_sha256(app_yaml, strlen(app_yaml), hex);
    fprintf(s, "%s  lib/big-1/big.app.yaml\n", hex);
    for (int i = 0; i < nfiles; i++) {
        file_data(i, buf, file_size(i));
        hex_sha256(buf, file_size(i), hex);
        fprintf(s, "%s  lib/big-1/data/%05d.bin\n", hex, i);
        total += file_size(i);
    }
    hex_sha256(module, strlen(module), hex);
    fprintf(s, "%s  lib/big-1/m.so\n", hex);
    hex_sha256(release_yaml, strlen(release_yaml), hex);
    fprintf(s, "%s  releases/1/release.yaml\n", hex);
    fclose(s);

    struct archive *ar = archive_write_new();
    archive_write_set_format_pax_restricted(ar);
    archive_write_add_filter_gzip(ar);
    int rc = archive_write_open_filename(ar, path) == ARCHIVE_OK ? 0 : -1;
    if (rc == 0)
        rc = add_entry(ar, "releases/1/SHA256SUMS", sums, sums_len);
    if (rc == 0)
        rc = add_entry(ar, "lib/big-1/big.app.yaml", app_yaml, strlen(app_yaml));
    for (int i = 0; rc == 0 && i < nfiles; i++) {
        file_data(i, buf, file_size(i));
        snprintf(name, sizeof name, "lib/big-1/data/%05d.bin", i);
        rc = add_entry(ar, name, buf, file_size(i));
    }
    if (rc == 0)
        rc = add_entry(ar, "lib/big-1/m.so", module, strlen(module));
    if (rc == 0)
        rc = add_entry(ar, "releases/1/release.yaml", release_yaml, strlen(release_yaml));
    if (archive_write_close(ar) != ARCHIVE_OK)
        rc = -1;
    archive_write_free(ar);
    free(sums);
    free(buf);
    return rc == 0 ? total : 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Time of `bsdtar -xzf archive -C dir`, or a negative number. */
static double time_bsdtar(const char *archive, const char *dir)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "bsdtar -xzf '%s' -C '%s'", archive, dir);
    sync(); /* start with no dirty pages left by the previous run */
    double t0 = now();
    int st = system(cmd);
    double t = now() - t0;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? t : -1;
}

/* Time of rm_release_unpack() into a new root, or a negative number. */
static double time_relman(const char *archive, const char *root, int no_sync)
{
    struct rm_unpack_opts opts = {.no_sync = no_sync};
    struct rm_error err;
    sync(); /* start with no dirty pages left by the previous run */
    double t0 = now();
    int rc = rm_release_unpack(archive, root, &opts, NULL, &err);
    double t = now() - t0;
    if (rc < 0) {
        fprintf(stderr, "relman-bench: unpack: %s\n", err.msg);
        return -1;
    }
    return t;
}

int bench_unpack(struct bench_out *out)
{
    char dir[] = "/tmp/relman-bench-unpack-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("relman-bench: unpack: mkdtemp");
        return -1;
    }
    int nfiles = out->quick ? NFILES_QUICK : NFILES;
    char archive[256], path[300];
    snprintf(archive, sizeof archive, "%s/big-1.tar.gz", dir);
    uint64_t bytes = make_archive(archive, nfiles);
    struct stat st;
    int rc = -1;
    if (bytes == 0 || stat(archive, &st) < 0) {
        fprintf(stderr, "relman-bench: unpack: cannot write '%s'\n", archive);
    } else {
        /* Read the archive once so that both start with it in the page cache. */
        snprintf(path, sizeof path, "cat '%s' > /dev/null", archive);
        (void)!system(path);
        snprintf(path, sizeof path, "%s/bsdtar", dir);
        mkdir(path, 0755);
        double tar = time_bsdtar(archive, path);
        snprintf(path, sizeof path, "%s/root", dir);
        double full = time_relman(archive, path, 0);
        snprintf(path, sizeof path, "%s/root-nosync", dir);
        double fast = time_relman(archive, path, 1);
        if (tar > 0 && fast > 0 && full > 0) {
            bench_note(out,
                       "A release of %d files (700 B to 3.5 MiB), %.0f MB, %.0f MB compressed; "
                       "each tool unpacks it once into a fresh directory. relman checks every "
                       "entry, hashes every file against the checksum list, checks the specs, "
                       "flushes the files to disk (syncfs) and renames them into place under "
                       "the store's lock; bsdtar only extracts.",
                       nfiles + 4, (double)bytes / 1e6, (double)st.st_size / 1e6);
            bench_report(out, "bsdtar -xzf", tar, "s", BENCH_NO_TARGET, 0);
            bench_report(out, "relman unpack", full, "s", BENCH_NO_TARGET, 0);
            bench_report(out, "relman unpack / bsdtar -xzf", full / tar, "x", BENCH_AT_MOST, 1.2);
            bench_report(out, "relman unpack --no-sync / bsdtar -xzf", fast / tar, "x",
                         BENCH_NO_TARGET, 0);
            rc = 0;
        } else if (tar <= 0) {
            fprintf(stderr, "relman-bench: unpack: bsdtar failed (package libarchive-tools)\n");
        }
    }
    struct rm_error err;
    rm_fs_remove_tree(dir, &err);
    return rc;
}
