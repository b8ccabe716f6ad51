/* The release store: reading, writing and locking ROOT/releases/RELEASES.

   The file is text, one release per line, closed by an "end" line giving
   the count, so that a truncated file is told from a short one:

       relman-releases 1
       release counter 1 permanent counter=1
       release counter 2 unpacked counter=2
       end 2
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relman/array.h"
#include "relman/fsutil.h"
#include "relman/manifest.h"
#include "relman/store.h"
#include "releases-internal.h"

#define MAGIC "relman-releases 1"

static const char *const state_names[] = {
    [RM_REL_UNPACKED] = "unpacked",
    [RM_REL_CURRENT] = "current",
    [RM_REL_PERMANENT] = "permanent",
    [RM_REL_OLD] = "old",
};

const char *rm_rel_state_name(enum rm_rel_state state)
{
    RM_ASSERT((unsigned)state < sizeof state_names / sizeof *state_names);
    return state_names[state];
}

static void rel_free(struct rm_store_rel *rel)
{
    free(rel->name);
    free(rel->version);
    for (size_t i = 0; i < rel->napps; i++) {
        free(rel->apps[i].name);
        free(rel->apps[i].version);
    }
    free(rel->apps);
}

static void store_clear(struct rm_store *store)
{
    for (size_t i = 0; i < store->nrels; i++)
        rel_free(&store->rels[i]);
    free(store->rels);
    store->rels = NULL;
    store->nrels = 0;
}

void rm_store_close(struct rm_store *store)
{
    if (!store)
        return;
    if (store->lock_fd >= 0)
        close(store->lock_fd); /* drops the flock */
    store_clear(store);
    free(store->root);
    free(store->current);
    free(store);
}

/* Takes the exclusive lock on ROOT/releases, which must exist (only unpack
   creates it, so that a failed command leaves the root as it was). */
static int take_lock(struct rm_store *store, struct rm_error *err)
{
    struct stat st;
    if (stat(store->root, &st) < 0 || !S_ISDIR(st.st_mode))
        return rm_error_set(err, RM_ENOENT, "node root '%s' is not a directory", store->root);
    char *dir = rm_fs_join(store->root, "releases", err);
    if (!dir)
        return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            rm_error_set(err, RM_ENOENT,
                         "node root '%s' holds no release ('releases/' is missing): unpack one "
                         "first",
                         store->root);
        else
            rm_error_set(err, RM_EIO, "cannot open '%s': %s", dir, strerror(errno));
        free(dir);
        return -1;
    }
    while (flock(fd, LOCK_EX) < 0) {
        if (errno == EINTR)
            continue;
        rm_error_set(err, RM_EIO, "cannot lock '%s': %s", dir, strerror(errno));
        close(fd);
        free(dir);
        return -1;
    }
    free(dir);
    store->lock_fd = fd;
    return 0;
}

struct rm_store *rm_store_open(const char *root, int flags, struct rm_error *err)
{
    struct rm_store *store = calloc(1, sizeof *store);
    if (!store || !(store->root = strdup(root))) {
        free(store);
        rm_error_nomem(err);
        return NULL;
    }
    store->lock_fd = -1;
    if ((flags & RM_STORE_LOCK) && take_lock(store, err) < 0)
        goto fail;
    char *path = rm_fs_join(root, "releases/RELEASES", err);
    if (!path)
        goto fail;
    char *text = NULL;
    size_t len = 0;
    struct rm_error rerr;
    if (rm_fs_read_file(path, RM_STORE_MAX_FILE, &text, &len, &rerr) < 0) {
        int missing = rerr.code == RM_ENOENT;
        if (!missing)
            rm_error_copy(err, &rerr);
        free(path);
        if (missing && store->lock_fd >= 0 && rm__store_recover(store, err) < 0)
            goto fail;
        if (missing)
            return store;
        goto fail;
    }
    int rc = rm_store_parse(store, text, len, path, err);
    free(text);
    free(path);
    if (rc < 0)
        goto fail;
    if (store->lock_fd >= 0 && rm__store_recover(store, err) < 0)
        goto fail;
    return store;
fail:
    rm_store_close(store);
    return NULL;
}

const struct rm_store_rel *rm_store_find(const struct rm_store *store, const char *vsn)
{
    for (size_t i = 0; i < store->nrels; i++)
        if (strcmp(store->rels[i].version, vsn) == 0)
            return &store->rels[i];
    return NULL;
}

const struct rm_store_rel *rm_store_permanent(const struct rm_store *store)
{
    for (size_t i = 0; i < store->nrels; i++)
        if (store->rels[i].state == RM_REL_PERMANENT)
            return &store->rels[i];
    return NULL;
}

enum rm_rel_state rm_store_state(const struct rm_store *store, const struct rm_store_rel *rel)
{
    if (rel->state != RM_REL_PERMANENT && store->current &&
        strcmp(store->current, rel->version) == 0)
        return RM_REL_CURRENT;
    return rel->state;
}

int rm_store_format(const struct rm_store *store, char **text, size_t *len, struct rm_error *err)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return rm_error_nomem(err);
    fprintf(f, "%s\n", MAGIC);
    for (size_t i = 0; i < store->nrels; i++) {
        const struct rm_store_rel *rel = &store->rels[i];
        RM_ASSERT(rel->state != RM_REL_CURRENT);
        fprintf(f, "release %s %s %s", rel->name, rel->version, rm_rel_state_name(rel->state));
        for (size_t j = 0; j < rel->napps; j++)
            fprintf(f, " %s=%s", rel->apps[j].name, rel->apps[j].version);
        fputc('\n', f);
    }
    fprintf(f, "end %zu\n", store->nrels);
    if (fclose(f) != 0) {
        free(buf);
        return rm_error_nomem(err);
    }
    *text = buf;
    *len = size;
    return 0;
}

/* Cuts the next space-separated field off `*pos` (modified): returns it,
   or NULL at the end of the line. */
static char *next_field(char **pos)
{
    char *f = *pos;
    if (!f)
        return NULL;
    char *sp = strchr(f, ' ');
    if (sp)
        *sp = '\0';
    *pos = sp ? sp + 1 : NULL;
    return f;
}

static int parse_state(const char *s, enum rm_rel_state *state)
{
    for (int i = 0; i < (int)(sizeof state_names / sizeof *state_names); i++)
        if (i != RM_REL_CURRENT && strcmp(s, state_names[i]) == 0) {
            *state = (enum rm_rel_state)i;
            return 0;
        }
    return -1;
}

/* Parses one "release NAME VSN STATE APP=VSN..." line into `rel`. The
   number of applications is bounded by RM_RELEASE_MAX_APPS, the same
   limit rm_store_add() and the release loader enforce. */
static int parse_release(char *line, struct rm_store_rel *rel, const char *path, size_t lineno,
                         struct rm_error *err)
{
    size_t napps = 0;
    for (const char *p = line; (p = strchr(p, ' ')) != NULL; p++)
        napps++;
    napps = napps >= 4 ? napps - 3 : 0; /* spaces after the state */
    if (napps > RM_RELEASE_MAX_APPS)
        return rm_error_set(err, RM_EPARSE, "%s:%zu: more than the limit of %d applications",
                            path, lineno, RM_RELEASE_MAX_APPS);
    char *pos = line, *f[4];
    size_t n = 0;
    while (n < 4 && (f[n] = next_field(&pos)) != NULL)
        n++;
    if (n < 4)
        return rm_error_set(err, RM_EPARSE,
                            "%s:%zu: expected 'release NAME VERSION STATE APP=VERSION...'", path,
                            lineno);
    if (!rm__token_ok(f[1]) || !rm__token_ok(f[2]))
        return rm_error_set(err, RM_EPARSE, "%s:%zu: bad release name or version", path, lineno);
    if (parse_state(f[3], &rel->state) < 0)
        return rm_error_set(err, RM_EPARSE,
                            "%s:%zu: unknown state '%s' (expected unpacked, permanent or old)",
                            path, lineno, f[3]);
    rel->name = strdup(f[1]);
    rel->version = strdup(f[2]);
    rel->apps = calloc(napps + 1, sizeof *rel->apps);
    if (!rel->name || !rel->version || !rel->apps)
        return rm_error_nomem(err);
    for (char *a; (a = next_field(&pos)) != NULL;) {
        char *eq = strchr(a, '=');
        if (!eq)
            return rm_error_set(err, RM_EPARSE, "%s:%zu: expected APP=VERSION, got '%s'", path,
                                lineno, a);
        *eq = '\0';
        if (!rm__token_ok(a) || !rm__token_ok(eq + 1))
            return rm_error_set(err, RM_EPARSE, "%s:%zu: bad application '%s=%s'", path, lineno,
                                a, eq + 1);
        RM_ASSERT(rel->napps < napps);
        struct rm_store_app *app = &rel->apps[rel->napps];
        app->name = strdup(a);
        app->version = strdup(eq + 1);
        rel->napps++;
        if (!app->name || !app->version)
            return rm_error_nomem(err);
    }
    return 0;
}

/* Parses the lines after the magic one; see rm_store_parse(). */
static int parse_lines(struct rm_store *store, char *text, size_t len, const char *path,
                       struct rm_error *err)
{
    size_t lineno = 1, cap = 0;
    char *pos = strchr(text, '\n') + 1;
    while (pos < text + len) {
        char *nl = strchr(pos, '\n');
        if (!nl)
            return rm_error_set(err, RM_EPARSE, "%s:%zu: truncated file (no final newline)", path,
                                lineno + 1);
        *nl = '\0';
        lineno++;
        if (strncmp(pos, "end ", 4) == 0) {
            char *end;
            errno = 0;
            unsigned long long count = strtoull(pos + 4, &end, 10);
            if (errno || *end || end == pos + 4 || count != store->nrels)
                return rm_error_set(err, RM_EPARSE,
                                    "%s:%zu: end line says '%s' but %zu releases were read", path,
                                    lineno, pos + 4, store->nrels);
            if (nl + 1 != text + len)
                return rm_error_set(err, RM_EPARSE, "%s:%zu: text after the end line", path,
                                    lineno + 1);
            return 0;
        }
        if (strncmp(pos, "release ", 8) != 0)
            return rm_error_set(err, RM_EPARSE, "%s:%zu: expected a 'release' or 'end' line", path,
                                lineno);
        if (rm_array_grow(&store->rels, &cap, store->nrels, sizeof *store->rels, 8, err) < 0)
            return -1;
        struct rm_store_rel *rel = &store->rels[store->nrels++];
        memset(rel, 0, sizeof *rel);
        if (parse_release(pos, rel, path, lineno, err) < 0)
            return -1;
        for (size_t i = 0; i + 1 < store->nrels; i++)
            if (strcmp(store->rels[i].version, rel->version) == 0)
                return rm_error_set(err, RM_EPARSE, "%s:%zu: release version '%s' listed twice",
                                    path, lineno, rel->version);
        pos = nl + 1;
    }
    return rm_error_set(err, RM_EPARSE, "%s:%zu: truncated file (no 'end' line)", path, lineno);
}

int rm_store_parse(struct rm_store *store, const char *text, size_t len, const char *path,
                   struct rm_error *err)
{
    RM_ASSERT(store->nrels == 0);
    if (len == 0)
        return rm_error_set(err, RM_EPARSE, "%s: empty file", path);
    if (memchr(text, '\0', len))
        return rm_error_set(err, RM_EPARSE, "%s: NUL byte in the file", path);
    if (len < sizeof MAGIC || memcmp(text, MAGIC "\n", sizeof MAGIC) != 0)
        return rm_error_set(err, RM_EPARSE, "%s:1: expected '%s'", path, MAGIC);
    char *copy = malloc(len + 1);
    if (!copy)
        return rm_error_nomem(err);
    memcpy(copy, text, len);
    copy[len] = '\0';
    int rc = parse_lines(store, copy, len, path, err);
    free(copy);
    if (rc == 0) {
        size_t permanent = 0;
        for (size_t i = 0; i < store->nrels; i++)
            permanent += store->rels[i].state == RM_REL_PERMANENT;
        if (store->nrels == 0)
            rc = rm_error_set(err, RM_EPARSE, "%s: no release listed", path);
        else if (permanent != 1)
            rc = rm_error_set(err, RM_EPARSE, "%s: %zu permanent releases (expected exactly one)",
                              path, permanent);
    }
    if (rc < 0)
        store_clear(store);
    return rc;
}
