/* Pack: a reproducible release archive from a release spec, its
   applications' specs and appups, and their built modules. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "relman/array.h"
#include "relman/archive.h"
#include "relman/fsutil.h"
#include "relman/manifest.h"
#include "releases-internal.h"

/* One file going into the archive. */
struct pack_file {
    char *entry; /* its name in the archive */
    char *src;   /* where it is read from */
    int exec;    /* mode 0755 rather than 0644 */
};

struct pack {
    const char *const *dirs;
    size_t ndirs;
    struct pack_file *files;
    size_t n, cap;
    uint64_t expanded; /* bytes of every file and the checksum list */
};

static int add_file(struct pack *p, const char *entry, const char *src, int exec,
                    struct rm_error *err)
{
    if (rm__name_check(entry, 0, err) < 0)
        return -1;
    if (p->n + 1 >= RM_UNPACK_MAX_ENTRIES) /* the checksum list is an entry too */
        return rm_error_set(err, RM_ELIMIT,
                            "entry '%s': more than the limit of %d entries that unpack accepts",
                            entry, RM_UNPACK_MAX_ENTRIES);
    if (rm_array_grow(&p->files, &p->cap, p->n, sizeof *p->files, 16, err) < 0)
        return -1;
    struct pack_file *f = &p->files[p->n];
    f->entry = strdup(entry);
    f->src = strdup(src);
    f->exec = exec;
    p->n++;
    if (!f->entry || !f->src)
        return rm_error_nomem(err);
    return 0;
}

/* Finds `rel` ("<app>-<vsn>/<file>") in the search directories; fills `out`
   and returns 1 when found, 0 when not, -1 with `err` set when a candidate
   path does not fit in `size`. */
static int search(const struct pack *p, const char *rel, char *out, size_t size,
                  struct rm_error *err)
{
    for (size_t i = 0; i < p->ndirs; i++) {
        if (rm_fs_path(out, size, err, "%s/%s", p->dirs[i], rel) < 0)
            return -1;
        struct stat st;
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
            return 1;
    }
    return 0;
}

static int not_found(const struct pack *p, const char *what, const char *rel, struct rm_error *err)
{
    char dirs[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < p->ndirs && used < sizeof dirs; i++)
        used +=
            (size_t)snprintf(dirs + used, sizeof dirs - used, "%s'%s'", i ? ", " : "", p->dirs[i]);
    return rm_error_set(err, RM_ENOENT, "%s '%s' not found in the search path (%s)", what, rel,
                        dirs);
}

/* Collects one application: its spec, appup and modules. */
static int collect_app(struct pack *p, const struct rm_release_app *ra, struct rm_error *err)
{
    char rel[PATH_MAX], src[PATH_MAX], entry[PATH_MAX];
    if (rm_fs_path(rel, sizeof rel, err, "%s-%s/%s%s", ra->name, ra->version, ra->name,
                   RM_APP_FILE_SUFFIX) < 0)
        return -1;
    int found = search(p, rel, src, sizeof src, err);
    if (found <= 0)
        return found < 0 ? -1 : not_found(p, "application spec", rel, err);
    struct rm_app app = {0};
    if (rm_app_load(src, &app, err) < 0)
        return -1;
    int rc = rm__app_matches(&app, ra, src, err);
    if (rc == 0)
        rc = rm_fs_path(entry, sizeof entry, err, "lib/%s", rel);
    if (rc == 0)
        rc = add_file(p, entry, src, 0, err);
    if (rc == 0)
        rc = rm_fs_path(rel, sizeof rel, err, "%s-%s/%s%s", ra->name, ra->version, ra->name,
                        RM_APPUP_FILE_SUFFIX);
    if (rc == 0)
        rc = rm_fs_path(entry, sizeof entry, err, "lib/%s", rel);
    if (rc == 0 && (found = search(p, rel, src, sizeof src, err)) != 0)
        rc = found < 0 ? -1 : add_file(p, entry, src, 0, err);
    for (size_t i = 0; rc == 0 && i < app.n_modules; i++) {
        const struct rm_app_module *m = &app.modules[i];
        if (rm_fs_path(rel, sizeof rel, err, "%s-%s/%s.so", ra->name, ra->version, m->name) < 0 ||
            rm_fs_path(entry, sizeof entry, err, "lib/%s", rel) < 0 ||
            (found = search(p, rel, src, sizeof src, err)) < 0) {
            rc = -1;
            break;
        }
        if (!found) {
            rc = not_found(p, "module", rel, err);
            break;
        }
        rc = rm__module_check(src, m->name, m->version ? m->version : app.version, err);
        if (rc == 0)
            rc = add_file(p, entry, src, 1, err);
    }
    rm_app_free(&app);
    return rc;
}

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const struct pack_file *)a)->entry, ((const struct pack_file *)b)->entry);
}

/* Writes one entry's header with the fixed metadata. */
static int write_header(struct archive *ar, const char *name, int64_t size, int exec, int64_t mtime,
                        struct rm_error *err)
{
    struct archive_entry *e = archive_entry_new();
    if (!e)
        return rm_error_nomem(err);
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, exec ? 0755 : 0644);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, (time_t)mtime, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_uname(e, "root");
    archive_entry_set_gname(e, "root");
    int r = archive_write_header(ar, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK)
        return rm_error_set(err, RM_EIO, "cannot write entry '%s': %s", name,
                            archive_error_string(ar));
    return 0;
}

/* Copies file `f` into the archive. */
static int write_file(struct archive *ar, const struct pack_file *f, int64_t mtime,
                      struct rm_error *err)
{
    int fd = open(f->src, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        return rm_error_set(err, RM_EIO, "cannot read '%s': %s", f->src, strerror(saved));
    }
    int rc = write_header(ar, f->entry, st.st_size, f->exec, mtime, err);
    char buf[1 << 16];
    int64_t left = st.st_size;
    while (rc == 0 && left > 0) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = rm_error_set(err, RM_EIO, "cannot read '%s': %s", f->src,
                              n < 0 ? strerror(errno) : "file shrank while packing");
            break;
        }
        if (n > left)
            n = (ssize_t)left;
        if (archive_write_data(ar, buf, (size_t)n) != n)
            rc = rm_error_set(err, RM_EIO, "cannot write entry '%s': %s", f->entry,
                              archive_error_string(ar));
        left -= n;
    }
    close(fd);
    return rc;
}

/* Writes the archive to `tmp`: the checksum list, then every file. */
static int write_archive(const struct pack *p, const char *sums_entry, const char *sums,
                         size_t sums_len, const char *tmp, int64_t mtime, struct rm_error *err)
{
    struct archive *ar = archive_write_new();
    if (!ar)
        return rm_error_nomem(err);
    int rc = 0;
    if (archive_write_set_format_pax_restricted(ar) != ARCHIVE_OK ||
        archive_write_add_filter_gzip(ar) != ARCHIVE_OK ||
        archive_write_set_options(ar, "gzip:!timestamp,gzip:compression-level=6") != ARCHIVE_OK ||
        archive_write_open_filename(ar, tmp) != ARCHIVE_OK)
        rc = rm_error_set(err, RM_EIO, "cannot write '%s': %s", tmp, archive_error_string(ar));
    if (rc == 0)
        rc = write_header(ar, sums_entry, (int64_t)sums_len, 0, mtime, err);
    if (rc == 0 && archive_write_data(ar, sums, sums_len) != (la_ssize_t)sums_len)
        rc = rm_error_set(err, RM_EIO, "cannot write '%s': %s", tmp, archive_error_string(ar));
    for (size_t i = 0; rc == 0 && i < p->n; i++)
        rc = write_file(ar, &p->files[i], mtime, err);
    if (archive_write_close(ar) != ARCHIVE_OK && rc == 0)
        rc = rm_error_set(err, RM_EIO, "cannot write '%s': %s", tmp, archive_error_string(ar));
    archive_write_free(ar);
    return rc;
}

/* Flushes `tmp` and renames it to `out`. */
static int commit(const char *tmp, const char *out, struct rm_error *err)
{
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        return rm_error_set(err, RM_EIO, "cannot flush '%s': %s", tmp, strerror(saved));
    }
    close(fd);
    if (rename(tmp, out) < 0)
        return rm_error_set(err, RM_EIO, "cannot rename '%s' to '%s': %s", tmp, out,
                            strerror(errno));
    return 0;
}

/* Hashes every collected file into a sorted checksum list and renders it. */
static int make_sums(struct pack *p, char **text, size_t *len, struct rm_error *err)
{
    struct rm__sums sums = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < p->n; i++) {
        char hex[RM__SHA256_HEX + 1];
        struct stat st;
        if (stat(p->files[i].src, &st) == 0 && (uint64_t)st.st_size > RM_UNPACK_MAX_FILE_SIZE) {
            rc = rm_error_set(err, RM_ELIMIT,
                              "entry '%s' ('%s'): more than the limit of %llu bytes for one file "
                              "that unpack accepts",
                              p->files[i].entry, p->files[i].src,
                              (unsigned long long)RM_UNPACK_MAX_FILE_SIZE);
            break;
        }
        p->expanded += (uint64_t)st.st_size;
        /* A link in the search path is followed: its file is packed. */
        char *real = realpath(p->files[i].src, NULL);
        rc = rm__sha256_file(real ? real : p->files[i].src, hex, err);
        free(real);
        if (rc == 0)
            rc = rm__sums_add(&sums, p->files[i].entry, hex, err);
    }
    if (rc == 0)
        rc = rm__sums_sort(&sums, err);
    if (rc == 0)
        rc = rm__sums_format(&sums, text, len, err);
    if (rc == 0 && *len > RM__SUMS_MAX) {
        rc = rm_error_set(err, RM_ELIMIT,
                          "checksum list of %zu bytes, more than the limit of %u bytes that "
                          "unpack accepts",
                          *len, RM__SUMS_MAX);
        free(*text);
        *text = NULL;
    }
    if (rc == 0)
        p->expanded += *len;
    rm__sums_free(&sums);
    return rc;
}

/* Refuses an archive whose files expand beyond RM_UNPACK_MAX_RATIO times
   its size: unpack would refuse it with its default limit. */
static int ratio_check(const struct pack *p, const char *tmp, struct rm_error *err)
{
    struct stat st;
    if (stat(tmp, &st) < 0)
        return rm_error_set(err, RM_EIO, "cannot read '%s': %s", tmp, strerror(errno));
    if ((double)p->expanded > RM_UNPACK_MAX_RATIO * (double)st.st_size)
        return rm_error_set(err, RM_ELIMIT,
                            "the archive would expand beyond %g times its size (%llu bytes "
                            "from %llu), more than unpack accepts by default",
                            RM_UNPACK_MAX_RATIO, (unsigned long long)p->expanded,
                            (unsigned long long)st.st_size);
    return 0;
}

/* Takes the relup lying beside the release spec (in `specdir`), when there
   is one, as releases/<vsn>/relup.yaml, after checking it loads and names
   the release's version. 0, or -1 with `err` set. */
static int collect_relup(struct pack *p, const char *specdir, const char *vsn, struct rm_error *err)
{
    char src[PATH_MAX], entry[PATH_MAX];
    int found;
    if (rm__upgrade_doc_check(specdir, RM_RELUP_FILE, NULL, vsn, &found, err) < 0)
        return -1;
    if (!found)
        return 0;
    if (rm_fs_path(src, sizeof src, err, "%s/%s", specdir, RM_RELUP_FILE) < 0 ||
        rm_fs_path(entry, sizeof entry, err, "releases/%s/%s", vsn, RM_RELUP_FILE) < 0)
        return -1;
    return add_file(p, entry, src, 0, err);
}

static int pack_run(struct pack *p, const char *spec, const char *specdir, const char *out,
                    int64_t mtime, struct rm_error *err)
{
    struct rm_release rel = {0};
    if (rm_release_load(spec, &rel, err) < 0)
        return -1;
    char entry[PATH_MAX];
    int rc = rm_fs_path(entry, sizeof entry, err, "releases/%s/%s", rel.version, RM_RELEASE_FILE);
    if (rc == 0)
        rc = add_file(p, entry, spec, 0, err);
    if (rc == 0)
        rc = collect_relup(p, specdir, rel.version, err);
    for (size_t i = 0; rc == 0 && i < rel.n_apps; i++)
        rc = collect_app(p, &rel.apps[i], err);
    if (rc == 0)
        qsort(p->files, p->n, sizeof *p->files, cmp_file);
    char *sums = NULL;
    size_t sums_len = 0;
    if (rc == 0)
        rc = make_sums(p, &sums, &sums_len, err);
    if (rc == 0)
        rc = rm_fs_path(entry, sizeof entry, err, "releases/%s/%s", rel.version, RM__SUMS_NAME);
    char *tmp = NULL;
    if (rc == 0 && asprintf(&tmp, "%s.new", out) < 0)
        rc = rm_error_nomem(err);
    if (rc == 0)
        rc = write_archive(p, entry, sums, sums_len, tmp, mtime, err);
    if (rc == 0)
        rc = ratio_check(p, tmp, err);
    if (rc == 0)
        rc = commit(tmp, out, err);
    if (rc < 0 && tmp)
        unlink(tmp);
    free(tmp);
    free(sums);
    rm_release_free(&rel);
    return rc;
}

int rm_release_pack(const char *spec, const char *out, const struct rm_pack_opts *opts,
                    struct rm_error *err)
{
    char copy[PATH_MAX], dir[PATH_MAX], lib[PATH_MAX];
    if (rm_fs_path(copy, sizeof copy, err, "%s", spec) < 0 ||
        rm_fs_path(dir, sizeof dir, err, "%s", dirname(copy)) < 0 ||
        rm_fs_path(lib, sizeof lib, err, "%s/lib", dir) < 0)
        return rm_error_prefix(err, "pack '%s'", spec);
    const char *defaults[] = {dir, lib};
    struct pack p = {.dirs = defaults, .ndirs = 2};
    if (opts && opts->npath > 0) {
        p.dirs = opts->path;
        p.ndirs = opts->npath;
    }
    int rc = pack_run(&p, spec, dir, out, opts ? opts->mtime : 0, err);
    for (size_t i = 0; i < p.n; i++) {
        free(p.files[i].entry);
        free(p.files[i].src);
    }
    free(p.files);
    if (rc < 0)
        rm_error_prefix(err, "pack '%s'", spec);
    return rc;
}
