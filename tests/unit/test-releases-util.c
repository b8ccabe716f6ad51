/* Helpers of the releases suites: see test-releases-util.h. */
#define _GNU_SOURCE
#include "test-releases-util.h"

#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

void test_sha256(const void *data, size_t len, char *hex)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    cr_assert_eq(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL), 1);
    for (unsigned int i = 0; i < n; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
}

void tb_init(struct tb *b, const char *vsn)
{
    memset(b, 0, sizeof *b);
    snprintf(b->vsn, sizeof b->vsn, "%s", vsn);
}

struct tb_entry *tb_add(struct tb *b, enum tb_kind kind, const char *name, const char *data,
                        size_t len, const char *link)
{
    b->v = realloc(b->v, (b->n + 1) * sizeof *b->v);
    cr_assert_not_null(b->v);
    struct tb_entry *e = &b->v[b->n++];
    memset(e, 0, sizeof *e);
    e->name = strdup(name);
    e->kind = kind;
    e->data = malloc(len + 1);
    cr_assert_not_null(e->data);
    if (len)
        memcpy(e->data, data, len);
    e->len = len;
    e->link = link ? strdup(link) : NULL;
    e->declared = -1;
    return e;
}

struct tb_entry *tb_file(struct tb *b, const char *name, const char *text)
{
    return tb_add(b, TB_FILE, name, text, strlen(text), NULL);
}

void tb_release(struct tb *b, const char *app, const char *appvsn)
{
    char name[256], text[512];
    snprintf(name, sizeof name, "releases/%s/release.yaml", b->vsn);
    snprintf(text, sizeof text,
             "release: test\nversion: \"%s\"\napplications:\n  - name: %s\n    version: \"%s\"\n",
             b->vsn, app, appvsn);
    tb_file(b, name, text);
    snprintf(name, sizeof name, "lib/%s-%s/%s.app.yaml", app, appvsn, app);
    snprintf(text, sizeof text, "application: %s\nversion: \"%s\"\nmodules:\n  - name: m\n", app,
             appvsn);
    tb_file(b, name, text);
    snprintf(name, sizeof name, "lib/%s-%s/m.so", app, appvsn);
    snprintf(text, sizeof text, "not really an object: module m of %s %s\n", app, appvsn);
    tb_file(b, name, text);
}

void tb_extra_line(struct tb *b, const char *path, const char *text)
{
    char hex[65], *line;
    test_sha256(text, strlen(text), hex);
    cr_assert(asprintf(&line, "%s  %s", hex, path) > 0);
    b->extra = realloc(b->extra, (b->nextra + 1) * sizeof *b->extra);
    b->extra[b->nextra++] = line;
}

static int cmp_line(const void *a, const void *b)
{
    /* Sort by the path after the 66-character digest prefix. */
    return strcmp(*(char *const *)a + 66, *(char *const *)b + 66);
}

/* The digest of an entry as the checksum list holds it. */
static void entry_sum(const struct tb *b, const struct tb_entry *e, char *hex)
{
    if (e->kind == TB_SYMLINK) {
        /* The digest of the file it points to (what sha256sum -c reads),
           found by resolving the target lexically; of the target's text
           when it points to no file of the archive (a hostile link). */
        char path[4096];
        const char *slash = strrchr(e->name, '/');
        int len = slash ? (int)(slash - e->name) : 0;
        snprintf(path, sizeof path, "%.*s", len, e->name);
        for (const char *p = e->link; *p;) {
            const char *end = strchr(p, '/');
            size_t cl = end ? (size_t)(end - p) : strlen(p);
            if (cl == 2 && p[0] == '.' && p[1] == '.') {
                char *up = strrchr(path, '/');
                if (up)
                    *up = '\0';
                else
                    path[0] = '\0';
            } else if (cl > 0 && !(cl == 1 && p[0] == '.')) {
                size_t pl = strlen(path);
                snprintf(path + pl, sizeof path - pl, "%s%.*s", pl ? "/" : "", (int)cl, p);
            }
            p += cl + (end ? 1 : 0);
        }
        for (size_t i = 0; i < b->n; i++)
            if (b->v[i].kind == TB_FILE && strcmp(b->v[i].name, path) == 0) {
                test_sha256(b->v[i].data, b->v[i].len, hex);
                return;
            }
        test_sha256(e->link, strlen(e->link), hex);
        return;
    }
    if (e->kind == TB_HARDLINK) {
        for (size_t i = 0; i < b->n; i++)
            if (strcmp(b->v[i].name, e->link) == 0) {
                test_sha256(b->v[i].data, b->v[i].len, hex);
                return;
            }
    }
    test_sha256(e->data, e->len, hex);
}

/* The checksum list text of the builder. */
static char *sums_text(const struct tb *b)
{
    size_t n = 0;
    char **lines = calloc(b->n + b->nextra + 1, sizeof *lines);
    for (size_t i = 0; i < b->n; i++) {
        const struct tb_entry *e = &b->v[i];
        if (e->unlisted || e->kind == TB_DIR)
            continue;
        char hex[65];
        entry_sum(b, e, hex);
        int dup = 0;
        for (size_t j = 0; j < n; j++)
            dup |= strcmp(lines[j] + 66, e->name) == 0;
        if (dup)
            continue;
        cr_assert(asprintf(&lines[n++], "%s  %s", e->sum ? e->sum : hex, e->name) > 0);
    }
    for (size_t i = 0; i < b->nextra; i++)
        lines[n++] = strdup(b->extra[i]);
    qsort(lines, n, sizeof *lines, cmp_line);
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(lines[i]) + 1;
    char *text = malloc(total);
    text[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(text, lines[i]);
        strcat(text, "\n");
        free(lines[i]);
    }
    free(lines);
    return text;
}

/* Output of the archive writer: a file, cut after b->cut bytes. */
struct sink {
    FILE *f;
    uint64_t written, cut;
};

static la_ssize_t sink_write(struct archive *a, void *arg, const void *buf, size_t len)
{
    (void)a;
    struct sink *s = arg;
    if (s->cut && s->written >= s->cut)
        return -1;
    cr_assert_eq(fwrite(buf, 1, len, s->f), len);
    s->written += len;
    return (la_ssize_t)len;
}

static void write_entry(struct archive *ar, const struct tb_entry *e)
{
    struct archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, e->name);
    archive_entry_set_mtime(ae, 0, 0);
    archive_entry_set_perm(ae, 0644);
    int64_t size = 0;
    switch (e->kind) {
    case TB_FILE:
        archive_entry_set_filetype(ae, AE_IFREG);
        size = (int64_t)e->len;
        break;
    case TB_DIR:
        archive_entry_set_filetype(ae, AE_IFDIR);
        archive_entry_set_perm(ae, 0755);
        break;
    case TB_SYMLINK:
        archive_entry_set_filetype(ae, AE_IFLNK);
        archive_entry_set_symlink(ae, e->link);
        break;
    case TB_HARDLINK:
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_hardlink(ae, e->link);
        break;
    case TB_CHR:
    case TB_BLK:
        archive_entry_set_filetype(ae, e->kind == TB_CHR ? AE_IFCHR : AE_IFBLK);
        archive_entry_set_rdev(ae, makedev(1, 3));
        break;
    case TB_FIFO:
        archive_entry_set_filetype(ae, AE_IFIFO);
        break;
    }
    archive_entry_set_size(ae, e->declared >= 0 ? e->declared : size);
    if (archive_write_header(ar, ae) == ARCHIVE_OK && size > 0)
        archive_write_data(ar, e->data, e->len);
    archive_write_finish_entry(ar);
    archive_entry_free(ae);
}

void tb_write(struct tb *b, const char *path)
{
    struct sink s = {fopen(path, "wb"), 0, b->cut};
    cr_assert_not_null(s.f, "cannot create %s", path);
    struct archive *ar = archive_write_new();
    archive_write_set_format_pax_restricted(ar);
    archive_write_add_filter_gzip(ar);
    cr_assert_eq(archive_write_open2(ar, &s, NULL, sink_write, NULL, NULL), ARCHIVE_OK);
    char *sums = sums_text(b);
    char name[128];
    snprintf(name, sizeof name, "releases/%s/SHA256SUMS", b->vsn);
    struct tb_entry list = {
        .name = name, .kind = TB_FILE, .data = sums, .len = strlen(sums), .declared = -1};
    if (!b->no_sums && !b->sums_last)
        write_entry(ar, &list);
    for (size_t i = 0; i < b->n; i++)
        write_entry(ar, &b->v[i]);
    if (!b->no_sums && b->sums_last)
        write_entry(ar, &list);
    archive_write_close(ar);
    archive_write_free(ar);
    free(sums);
    fclose(s.f);
}

void tb_free(struct tb *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->v[i].name);
        free(b->v[i].data);
        free(b->v[i].link);
        free(b->v[i].sum);
    }
    free(b->v);
    for (size_t i = 0; i < b->nextra; i++)
        free(b->extra[i]);
    free(b->extra);
    memset(b, 0, sizeof *b);
}

char *test_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/relman-rel-XXXXXX", t && *t ? t : "/tmp");
    cr_assert_not_null(mkdtemp(tmpl));
    return strdup(tmpl);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void rm_tree(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The listing under construction. */
static FILE *listing_f;
static size_t listing_skip;

static int list_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)flag;
    (void)ftw;
    /* ROOT/log/audit.log records every operation, also refused ones, by
       design: a root is "unchanged" when all else is. */
    size_t plen = strlen(p);
    if (strstr(p, "/log/audit.log") ||
        (S_ISDIR(st->st_mode) && plen >= 4 && strcmp(p + plen - 4, "/log") == 0))
        return 0;
    char extra[4200] = "";
    if (S_ISLNK(st->st_mode)) {
        char target[4096];
        ssize_t n = readlink(p, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        snprintf(extra, sizeof extra, "-> %s", target);
    } else if (S_ISREG(st->st_mode)) {
        FILE *f = fopen(p, "rb");
        char *buf = malloc((size_t)st->st_size + 1);
        size_t got = f ? fread(buf, 1, (size_t)st->st_size, f) : 0;
        if (f)
            fclose(f);
        test_sha256(buf, got, extra);
        free(buf);
    }
    fprintf(listing_f, "%s type=%o mode=%o size=%lld %s\n", p + listing_skip,
            (unsigned)(st->st_mode & S_IFMT), (unsigned)(st->st_mode & 07777),
            S_ISDIR(st->st_mode) ? 0LL : (long long)st->st_size, extra);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *tree_listing(const char *dir)
{
    char *text = NULL;
    size_t len = 0;
    listing_f = open_memstream(&text, &len);
    listing_skip = strlen(dir);
    nftw(dir, list_one, 16, FTW_PHYS);
    fclose(listing_f);
    /* nftw's order follows readdir: sort the lines. */
    size_t n = 0;
    char **lines = NULL;
    for (char *save, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        lines = realloc(lines, (n + 1) * sizeof *lines);
        lines[n++] = l;
    }
    qsort(lines, n, sizeof *lines, cmp_str);
    char *out = NULL;
    size_t olen = 0;
    FILE *f = open_memstream(&out, &olen);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\n", lines[i]);
    fclose(f);
    free(lines);
    free(text);
    return out;
}

int run(const char *fmt, ...)
{
    char *cmd;
    va_list ap;
    va_start(ap, fmt);
    cr_assert(vasprintf(&cmd, fmt, ap) > 0);
    va_end(ap);
    int st = system(cmd);
    free(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

char *run_capture(int *status, const char *fmt, ...)
{
    char *cmd, *full;
    va_list ap;
    va_start(ap, fmt);
    cr_assert(vasprintf(&cmd, fmt, ap) > 0);
    va_end(ap);
    cr_assert(asprintf(&full, "(%s) 2>&1", cmd) > 0);
    FILE *p = popen(full, "r");
    cr_assert_not_null(p);
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        fwrite(buf, 1, n, m);
    fclose(m);
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    free(cmd);
    free(full);
    return out;
}
