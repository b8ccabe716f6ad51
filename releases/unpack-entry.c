/* Unpack, entry by entry: every check an untrusted archive entry must pass
   before and while it is written into the staging directory. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "relman/array.h"
#include "relman/fsutil.h"
#include "relman/manifest.h"
#include "relman/store.h"
#include "unpack.h"

/* Room for an entry name rm__name_check() accepted, NUL included. */
#define NAME_MAX_LEN (RM__ENTRY_NAME_MAX + 1)
/* Longest lexically resolved link target: the link's directory and the
   target, each an accepted name. */
#define RESOLVED_MAX (NAME_MAX_LEN * 2)

static int corrupt(struct rm__unpack *u, const char *name, struct rm_error *err)
{
    const char *why = archive_error_string(u->ar);
    if (name)
        return rm_error_set(err, RM_EPARSE, "archive '%s': corrupt or truncated at entry '%s': %s",
                            u->file, name, why ? why : "unknown error");
    return rm_error_set(err, RM_EPARSE, "archive '%s': corrupt or truncated: %s", u->file,
                        why ? why : "unknown error");
}

static int disk_error(struct rm__unpack *u, const char *name, struct rm_error *err)
{
    const char *why = archive_error_string(u->disk);
    return rm_error_set(err, RM_EIO, "entry '%s': cannot extract: %s", name,
                        why ? why : "unknown error");
}

/* Number of '/'-separated components of `name`. */
static size_t depth(const char *name)
{
    size_t n = 1;
    for (const char *p = name; *p; p++)
        n += *p == '/';
    return n;
}

/* Length of the first `k` components of `name` (its top directory when k=2). */
static size_t prefix_len(const char *name, size_t k)
{
    const char *p = name;
    for (size_t i = 0; i < k; i++) {
        const char *slash = strchr(p, '/');
        if (!slash)
            return strlen(name);
        p = slash + 1;
    }
    return (size_t)(p - name - 1);
}

/* Checks that `name` fits the root's layout: lib/<app>-<vsn>/... or
   releases/<vsn>/...; directories may be "lib", "releases" or a top dir. */
static int layout_check(struct rm__unpack *u, const char *name, int is_dir, struct rm_error *err)
{
    size_t d = depth(name);
    int lib = strncmp(name, "lib", 3) == 0 && (name[3] == '/' || name[3] == '\0');
    int rel = strncmp(name, "releases", 8) == 0 && (name[8] == '/' || name[8] == '\0');
    if (!lib && !rel)
        return rm_error_set(err, RM_EUNSAFE,
                            "entry '%s': outside 'lib/<app>-<version>/' and 'releases/<version>/'",
                            name);
    if (!is_dir && d < 3)
        return rm_error_set(err, RM_EUNSAFE,
                            "entry '%s': a file must be inside 'lib/<app>-<version>/' or "
                            "'releases/<version>/'",
                            name);
    if (rel && d >= 2 && u->vsn) {
        size_t vl = strlen(u->vsn);
        if (strncmp(name + 9, u->vsn, vl) != 0 || (name[9 + vl] != '/' && name[9 + vl] != '\0'))
            return rm_error_set(err, RM_EUNSAFE,
                                "entry '%s': outside 'releases/%s/', the archive's release", name,
                                u->vsn);
    }
    return 0;
}

/* FNV-1a: the hash of a string is built byte by byte, so the hash of each
   prefix of a path comes on the way to the next one. */
#define FNV_START 1469598103934665603ull

static uint64_t hash_more(uint64_t h, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* The link whose path is the `len` bytes at `s` (whose hash is `h`), or
   NULL: one probe of the hash set, so that each check costs the length of
   a path, not the number of links. */
static const struct rm__link *find_link(const struct rm__unpack *u, const char *s, size_t len,
                                        uint64_t h)
{
    if (u->setcap == 0)
        return NULL;
    for (size_t i = (size_t)h & (u->setcap - 1);; i = (i + 1) & (u->setcap - 1)) {
        size_t slot = u->linkset[i];
        if (slot == 0)
            return NULL;
        const struct rm__link *l = &u->links[slot - 1];
        if (l->len == len && memcmp(l->path, s, len) == 0)
            return l;
    }
}

/* Puts link number `idx` into the hash set, which has room. */
static void set_insert(size_t *set, size_t cap, const struct rm__link *links, size_t idx)
{
    size_t i = (size_t)hash_more(FNV_START, links[idx].path, links[idx].len) & (cap - 1);
    while (set[i] != 0)
        i = (i + 1) & (cap - 1);
    set[i] = idx + 1;
}

/* Tells whether `path` or one of its parents (all of them when `self` is
   set, else only proper parents) is a link of the archive; returns it. */
static const struct rm__link *through_link(const struct rm__unpack *u, const char *path, int self)
{
    uint64_t h = FNV_START;
    size_t i = 0;
    for (; path[i]; i++) {
        if (path[i] == '/') {
            const struct rm__link *l = find_link(u, path, i, h);
            if (l)
                return l;
        }
        h = hash_more(h, path + i, 1);
    }
    return self ? find_link(u, path, i, h) : NULL;
}

int rm__unpack_cancelled(const struct rm__unpack *u, struct rm_error *err)
{
    if (u->opts->cancel && *u->opts->cancel)
        return rm_error_set(err, RM_EIO, "archive '%s': interrupted", u->file);
    return 0;
}

static void progress(struct rm__unpack *u)
{
    if (!u->opts->progress)
        return;
    uint64_t done = (uint64_t)archive_filter_bytes(u->ar, -1);
    if (done < u->next_progress)
        return;
    u->opts->progress(u->opts->progress_arg, done, u->file_size);
    u->next_progress = done + (u->file_size / 100 > (1u << 20) ? u->file_size / 100 : (1u << 20));
}

/* A buffer that keeps the data of the checksum list entry. */
struct capture {
    char *data;
    size_t len;
};

/*
 * Writes the regular file `entry` (named `name`) into staging, hashing it and
 * enforcing the limits, and compares its digest with `want` (when not NULL).
 * With `cap`, keeps its bytes too.
 */
static int write_file(struct rm__unpack *u, struct archive_entry *entry, const char *name,
                      const char *want, struct capture *cap, struct rm_error *err)
{
    char *full = rm_fs_join(u->staging, name, err);
    if (!full)
        return -1;
    archive_entry_set_pathname(entry, full);
    archive_entry_set_perm(entry, (archive_entry_perm(entry) & 0111) ? 0755 : 0644);
    free(full);
    if (archive_write_header(u->disk, entry) != ARCHIVE_OK)
        return disk_error(u, name, err);
    uint64_t total = 0;
    for (;;) {
        const void *buf;
        size_t size;
        la_int64_t off;
        if (rm__unpack_cancelled(u, err) < 0)
            return -1;
        int r = archive_read_data_block(u->ar, &buf, &size, &off);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK)
            return corrupt(u, name, err);
        if ((uint64_t)off != total)
            return rm_error_set(err, RM_EUNSAFE, "entry '%s': sparse file", name);
        total += size;
        u->expanded += size;
        if (total > u->max_file)
            return rm_error_set(err, RM_ELIMIT,
                                "entry '%s': more than the limit of %llu bytes for one file", name,
                                (unsigned long long)u->max_file);
        if ((double)u->expanded > u->max_ratio * (double)u->file_size)
            return rm_error_set(err, RM_ELIMIT,
                                "entry '%s': the archive expands beyond %g times its size "
                                "(%llu bytes)",
                                name, u->max_ratio, (unsigned long long)u->file_size);
        rm__sha256_update(u->hash, buf, size);
        if (cap) {
            char *grown = realloc(cap->data, cap->len + size + 1);
            if (!grown)
                return rm_error_nomem(err);
            cap->data = grown;
            memcpy(cap->data + cap->len, buf, size);
            cap->len += size;
        }
        if (archive_write_data_block(u->disk, buf, size, off) != ARCHIVE_OK)
            return disk_error(u, name, err);
        progress(u);
    }
    if (archive_write_finish_entry(u->disk) != ARCHIVE_OK)
        return disk_error(u, name, err);
    char hex[RM__SHA256_HEX + 1];
    rm__sha256_final(u->hash, hex);
    if (want && strcmp(hex, want) != 0)
        return rm_error_set(err, RM_ECHECKSUM,
                            "entry '%s': checksum mismatch (listed %.12s..., archive holds "
                            "%.12s...)",
                            name, want, hex);
    return 0;
}

/* Reads the checksum list entry `name` ("releases/<vsn>/SHA256SUMS"). */
static int read_sums(struct rm__unpack *u, struct archive_entry *entry, const char *name,
                     struct rm_error *err)
{
    if (archive_entry_size(entry) > (la_int64_t)RM__SUMS_MAX)
        return rm_error_set(err, RM_ELIMIT, "entry '%s': checksum list larger than %u bytes", name,
                            RM__SUMS_MAX);
    size_t vl = strlen(name) - strlen("releases/") - strlen("/" RM__SUMS_NAME);
    u->vsn = strndup(name + strlen("releases/"), vl);
    u->sums_name = strdup(name);
    if (!u->vsn || !u->sums_name)
        return rm_error_nomem(err);
    if (rm_name_check(u->vsn, "release version", err) < 0)
        return rm_error_prefix(err, "entry '%s'", name);
    if (rm_store_find(u->store, u->vsn))
        return rm_error_set(err, RM_EEXIST, "release '%s' is already known in '%s'", u->vsn,
                            u->root);
    char rel[PATH_MAX];
    if (rm_fs_path(rel, sizeof rel, err, "%s/releases/%s", u->root, u->vsn) < 0)
        return -1;
    if (rm_fs_exists(rel))
        return rm_error_set(err, RM_EEXIST,
                            "'releases/%s' already exists in '%s' but is not in RELEASES "
                            "(remove it or run set-unpacked)",
                            u->vsn, u->root);
    struct capture cap = {0};
    int rc = write_file(u, entry, name, NULL, &cap, err);
    if (rc == 0)
        rc = rm__sums_parse(&u->sums, cap.data ? cap.data : "", cap.len, name, err);
    free(cap.data);
    return rc;
}

/* Resolves link target `target` against the directory of `name`,
   lexically, into `out`. Returns 0; -1 when it leaves the link's top
   directory; -2 when a step of the way is a link of the archive (set in
   *via), since the real path would then differ from the lexical one. */
static int resolve(const struct rm__unpack *u, const char *name, const char *target, char *out,
                   size_t size, const struct rm__link **via)
{
    /* at[k]: the hash of out's first k bytes, kept where a component ends
       so that going back up with ".." finds it again. */
    uint64_t at[RESOLVED_MAX];
    RM_ASSERT(size <= RESOLVED_MAX);
    at[0] = FNV_START;
    size_t top = prefix_len(name, 2);
    size_t len = (size_t)(strrchr(name, '/') - name);
    if (len >= size)
        return -1;
    memcpy(out, name, len);
    out[len] = '\0';
    uint64_t h = FNV_START;
    for (size_t i = 0; i < len; i++) {
        if (out[i] == '/')
            at[i] = h;
        h = hash_more(h, out + i, 1);
    }
    at[len] = h;
    for (const char *p = target; *p;) {
        const char *slash = strchr(p, '/');
        size_t cl = slash ? (size_t)(slash - p) : strlen(p);
        if (cl == 2 && p[0] == '.' && p[1] == '.') {
            if (len <= top)
                return -1;
            while (len > 0 && out[len] != '/')
                len--;
            out[len] = '\0';
        } else if (cl > 0 && !(cl == 1 && p[0] == '.')) {
            if (len + 1 + cl >= size)
                return -1;
            out[len] = '/';
            memcpy(out + len + 1, p, cl);
            size_t start = len;
            len += 1 + cl;
            out[len] = '\0';
            at[len] = hash_more(at[start], out + start, 1 + cl);
            const struct rm__link *l = find_link(u, out, len, at[len]);
            if (l && strcmp(l->path, name) != 0) {
                *via = l;
                return -2;
            }
        }
        p += cl + (slash ? 1 : 0);
    }
    return len > top ? 0 : -1;
}

/* Checks link `name` -> `target`: inside its top directory, through no
   other link. Fills `resolved`. 0, or -1 with `err` set. */
static int link_check(const struct rm__unpack *u, const char *name, const char *target,
                      char *resolved, size_t size, struct rm_error *err)
{
    const struct rm__link *via = NULL;
    int r = resolve(u, name, target, resolved, size, &via);
    if (r == -1)
        return rm_error_set(err, RM_EUNSAFE, "symlink '%s' -> '%s': points outside '%.*s'", name,
                            target, (int)prefix_len(name, 2), name);
    if (r == -2)
        return rm_error_set(err, RM_EUNSAFE, "symlink '%s' -> '%s': goes through symlink '%s'",
                            name, target, via->path);
    return 0;
}

/* A symbolic link of a release stands for the file it points to: `resolved`
   (its target, resolved lexically) must be a file of the archive, which the
   system reaches through the link in the staging directory too (each
   directory on the way exists), and the link's line in the checksum list
   must hold that file's digest, as sha256sum -c reads it. 0, or -1. */
static int link_stands_for_file(const struct rm__unpack *u, const struct rm__link *l,
                                const char *resolved, struct rm_error *err)
{
    const struct rm__sum *t = rm__sums_find(&u->sums, resolved);
    char want[PATH_MAX], real[PATH_MAX];
    int reached = 0;
    if (t && rm_fs_path(want, sizeof want, NULL, "%s/%s", u->staging, resolved) == 0 &&
        rm_fs_path(real, sizeof real, NULL, "%s/%s", u->staging, l->path) == 0) {
        char *got = realpath(real, NULL);
        reached = got && strcmp(got, want) == 0;
        free(got);
    }
    if (!reached)
        return rm_error_set(err, RM_EUNSAFE,
                            "symlink '%s' -> '%s': points to no file of the archive", l->path,
                            l->target);
    const struct rm__sum *self = rm__sums_find(&u->sums, l->path);
    RM_ASSERT(self != NULL);
    if (strcmp(self->hex, t->hex) != 0)
        return rm_error_set(err, RM_ECHECKSUM,
                            "symlink '%s' -> '%s': checksum mismatch (the list holds the "
                            "sha-256 of the file it points to, '%s')",
                            l->path, l->target, resolved);
    return 0;
}

static int add_link(struct rm__unpack *u, const char *name, const char *target,
                    struct rm_error *err)
{
    if (rm_array_grow(&u->links, &u->caplinks, u->nlinks, sizeof *u->links, 8, err) < 0)
        return -1;
    if (2 * (u->nlinks + 1) > u->setcap) { /* keep the set at most half full */
        size_t cap = u->setcap ? 2 * u->setcap : 16;
        size_t *set = calloc(cap, sizeof *set);
        if (!set)
            return rm_error_nomem(err);
        for (size_t i = 0; i < u->nlinks; i++)
            set_insert(set, cap, u->links, i);
        free(u->linkset);
        u->linkset = set;
        u->setcap = cap;
    }
    char *p = strdup(name), *r = strdup(target);
    if (!p || !r) {
        free(p);
        free(r);
        return rm_error_nomem(err);
    }
    u->links[u->nlinks] = (struct rm__link){p, strlen(p), r};
    set_insert(u->linkset, u->setcap, u->links, u->nlinks);
    u->nlinks++;
    return 0;
}

static int write_symlink(struct rm__unpack *u, struct archive_entry *entry, const char *name,
                         const struct rm__sum *item, struct rm_error *err)
{
    const char *target = archive_entry_symlink(entry);
    if (!target || !*target)
        return rm_error_set(err, RM_EUNSAFE, "symlink '%s' has no target", name);
    if (target[0] == '/')
        return rm_error_set(err, RM_EUNSAFE, "symlink '%s' -> '%s': absolute target", name, target);
    if (rm__name_check(target, RM__NAME_LINK, err) < 0)
        return rm_error_prefix(err, "symlink '%s'", name);
    (void)item; /* its digest is the target's, compared once all files are in */
    char resolved[RESOLVED_MAX];
    if (link_check(u, name, target, resolved, sizeof resolved, err) < 0)
        return -1;
    if (add_link(u, name, target, err) < 0)
        return -1;
    char *full = rm_fs_join(u->staging, name, err);
    if (!full)
        return -1;
    archive_entry_set_pathname(entry, full);
    free(full);
    if (archive_write_header(u->disk, entry) != ARCHIVE_OK ||
        archive_write_finish_entry(u->disk) != ARCHIVE_OK)
        return disk_error(u, name, err);
    return 0;
}

static int write_hardlink(struct rm__unpack *u, struct archive_entry *entry, const char *name,
                          const struct rm__sum *item, struct rm_error *err)
{
    const char *raw = archive_entry_hardlink(entry);
    if (rm__name_check(raw, 0, err) < 0) /* bounds it by RM__ENTRY_NAME_MAX */
        return rm_error_prefix(err, "hardlink '%s'", name);
    char target[NAME_MAX_LEN];
    snprintf(target, sizeof target, "%s", raw);
    const struct rm__sum *t = rm__sums_find(&u->sums, target);
    if (!t || !t->seen || through_link(u, target, 1) ||
        prefix_len(target, 2) != prefix_len(name, 2) ||
        strncmp(target, name, prefix_len(name, 2)) != 0)
        return rm_error_set(err, RM_EUNSAFE,
                            "hardlink '%s' -> '%s': the target is not a file of '%.*s' unpacked "
                            "before it",
                            name, target, (int)prefix_len(name, 2), name);
    if (archive_entry_size(entry) > 0)
        return rm_error_set(err, RM_EUNSAFE, "hardlink '%s': carries data", name);
    if (strcmp(t->hex, item->hex) != 0)
        return rm_error_set(err, RM_ECHECKSUM, "hardlink '%s' -> '%s': checksum mismatch", name,
                            target);
    char *full = rm_fs_join(u->staging, name, err);
    char *tfull = full ? rm_fs_join(u->staging, target, err) : NULL;
    if (!tfull) {
        free(full);
        return -1;
    }
    archive_entry_set_pathname(entry, full);
    archive_entry_set_hardlink(entry, tfull);
    free(full);
    free(tfull);
    if (archive_write_header(u->disk, entry) != ARCHIVE_OK ||
        archive_write_finish_entry(u->disk) != ARCHIVE_OK)
        return disk_error(u, name, err);
    return 0;
}

/* The name of a file type libarchive reports, for messages. */
static const char *type_name(unsigned type)
{
    switch (type) {
    case AE_IFCHR:
        return "character device";
    case AE_IFBLK:
        return "block device";
    case AE_IFIFO:
        return "fifo";
    case AE_IFSOCK:
        return "socket";
    default:
        return "entry of unknown type";
    }
}

/* Tells whether `name` spells "releases/<x>/SHA256SUMS". */
static int is_sums_name(const char *name)
{
    size_t len = strlen(name), sl = strlen("/" RM__SUMS_NAME);
    return depth(name) == 3 && strncmp(name, "releases/", 9) == 0 && len > 9 + sl &&
           strcmp(name + len - sl, "/" RM__SUMS_NAME) == 0;
}

static int do_entry(struct rm__unpack *u, struct archive_entry *entry, struct rm_error *err)
{
    const char *raw = archive_entry_pathname(entry);
    if (!raw)
        return rm_error_set(err, RM_EUNSAFE, "archive '%s': entry without a name", u->file);
    unsigned type = archive_entry_filetype(entry);
    int hard = archive_entry_hardlink(entry) != NULL;
    int is_dir = type == AE_IFDIR && !hard;
    if (rm__name_check(raw, is_dir ? RM__NAME_DIR : 0, err) < 0)
        return -1;
    if (++u->nentries > u->max_entries)
        return rm_error_set(err, RM_ELIMIT, "entry '%s': more than the limit of %llu entries", raw,
                            (unsigned long long)u->max_entries);
    char name[NAME_MAX_LEN];
    snprintf(name, sizeof name, "%s", raw);
    if (is_dir && name[strlen(name) - 1] == '/')
        name[strlen(name) - 1] = '\0';
    if (!hard && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
        return rm_error_set(err, RM_EUNSAFE, "entry '%s': %s not allowed", name, type_name(type));
    if (layout_check(u, name, is_dir, err) < 0)
        return -1;
    if (is_dir)
        return 0; /* directories are made as parents of files */
    if (!u->sums_name) {
        if (type == AE_IFREG && !hard && is_sums_name(name))
            return read_sums(u, entry, name, err);
        return rm_error_set(err, RM_EUNSAFE,
                            "checksum list missing: the first file must be "
                            "'releases/<version>/" RM__SUMS_NAME "', found '%s'",
                            name);
    }
    if (strcmp(name, u->sums_name) == 0)
        return rm_error_set(err, RM_EUNSAFE, "duplicate entry '%s'", name);
    struct rm__sum *item = rm__sums_find(&u->sums, name);
    if (!item)
        return rm_error_set(err, RM_EUNSAFE, "entry '%s': not in the checksum list '%s'", name,
                            u->sums_name);
    if (item->seen)
        return rm_error_set(err, RM_EUNSAFE, "duplicate entry '%s'", name);
    item->seen = 1;
    const struct rm__link *via = through_link(u, name, 0);
    if (via)
        return rm_error_set(err, RM_EUNSAFE, "entry '%s': would be written through symlink '%s'",
                            name, via->path);
    if (archive_entry_sparse_count(entry) > 0)
        return rm_error_set(err, RM_EUNSAFE, "entry '%s': sparse file", name);
    if (archive_entry_size_is_set(entry) && (uint64_t)archive_entry_size(entry) > u->max_file)
        return rm_error_set(err, RM_ELIMIT,
                            "entry '%s': declares %lld bytes, more than the limit of %llu bytes "
                            "for one file",
                            name, (long long)archive_entry_size(entry),
                            (unsigned long long)u->max_file);
    if (hard)
        return write_hardlink(u, entry, name, item, err);
    if (type == AE_IFLNK)
        return write_symlink(u, entry, name, item, err);
    return write_file(u, entry, name, item->hex, NULL, err);
}

int rm__unpack_entries(struct rm__unpack *u, struct rm_error *err)
{
    for (;;) {
        struct archive_entry *entry;
        if (rm__unpack_cancelled(u, err) < 0)
            return -1;
        int r = archive_read_next_header(u->ar, &entry);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK)
            return corrupt(u, NULL, err);
        if (do_entry(u, entry, err) < 0)
            return -1;
    }
    if (!u->sums_name)
        return rm_error_set(err, RM_EUNSAFE,
                            "archive '%s': no checksum list 'releases/<version>/" RM__SUMS_NAME "'",
                            u->file);
    for (size_t i = 0; i < u->sums.n; i++)
        if (!u->sums.items[i].seen)
            return rm_error_set(err, RM_ECHECKSUM,
                                "file '%s' is in the checksum list but not in the archive",
                                u->sums.items[i].path);
    /* A link made after another one may lie on an earlier link's way:
       check every link again now that all are known, then what it means. */
    for (size_t i = 0; i < u->nlinks; i++) {
        char resolved[RESOLVED_MAX];
        if (link_check(u, u->links[i].path, u->links[i].target, resolved, sizeof resolved, err) < 0 ||
            link_stands_for_file(u, &u->links[i], resolved, err) < 0)
            return -1;
    }
    return 0;
}
