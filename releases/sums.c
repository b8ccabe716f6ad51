/* The checksum list every release archive carries: releases/<vsn>/SHA256SUMS,
   one "<sha-256 hex>  <path>" line per file, sorted by path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relman/array.h"
#include "releases-internal.h"

int rm__sums_add(struct rm__sums *s, const char *path, const char *hex, struct rm_error *err)
{
    if (rm_array_grow(&s->items, &s->cap, s->n, sizeof *s->items, 32, err) < 0)
        return -1;
    struct rm__sum *it = &s->items[s->n];
    it->path = strdup(path);
    if (!it->path)
        return rm_error_nomem(err);
    memcpy(it->hex, hex, RM__SHA256_HEX);
    it->hex[RM__SHA256_HEX] = '\0';
    it->seen = 0;
    s->n++;
    return 0;
}

static int cmp_sum(const void *a, const void *b)
{
    return strcmp(((const struct rm__sum *)a)->path, ((const struct rm__sum *)b)->path);
}

int rm__sums_sort(struct rm__sums *s, struct rm_error *err)
{
    if (s->n > 1)
        qsort(s->items, s->n, sizeof *s->items, cmp_sum);
    for (size_t i = 1; i < s->n; i++)
        if (strcmp(s->items[i - 1].path, s->items[i].path) == 0)
            return rm_error_set(err, RM_EEXIST, "file '%s' listed twice", s->items[i].path);
    return 0;
}

int rm__sums_format(const struct rm__sums *s, char **text, size_t *len, struct rm_error *err)
{
    size_t total = 1;
    for (size_t i = 0; i < s->n; i++)
        total += RM__SHA256_HEX + 3 + strlen(s->items[i].path);
    char *buf = malloc(total);
    if (!buf)
        return rm_error_nomem(err);
    size_t used = 0;
    for (size_t i = 0; i < s->n; i++)
        used += (size_t)snprintf(buf + used, total - used, "%s  %s\n", s->items[i].hex,
                                 s->items[i].path);
    *text = buf;
    *len = used;
    return 0;
}

static int is_hex_digest(const char *p)
{
    for (int i = 0; i < RM__SHA256_HEX; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    return 1;
}

int rm__sums_parse(struct rm__sums *s, const char *text, size_t len, const char *name,
                   struct rm_error *err)
{
    if (len == 0)
        return rm_error_set(err, RM_EPARSE, "'%s': empty checksum list", name);
    if (text[len - 1] != '\n')
        return rm_error_set(err, RM_EPARSE, "'%s': truncated checksum list (no final newline)",
                            name);
    size_t lineno = 0;
    for (size_t pos = 0; pos < len;) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t llen = (size_t)(nl - line);
        lineno++;
        pos += llen + 1;
        if (memchr(line, '\0', llen))
            return rm_error_set(err, RM_EPARSE, "%s:%zu: NUL byte in the checksum list", name,
                                lineno);
        if (llen < RM__SHA256_HEX + 3 || !is_hex_digest(line) || line[RM__SHA256_HEX] != ' ' ||
            line[RM__SHA256_HEX + 1] != ' ')
            return rm_error_set(err, RM_EPARSE,
                                "%s:%zu: expected '<sha-256 in lower-case hex>  <path>'", name,
                                lineno);
        char path[RM__ENTRY_NAME_MAX + 1];
        size_t plen = llen - RM__SHA256_HEX - 2;
        if (plen > RM__ENTRY_NAME_MAX)
            return rm_error_set(err, RM_EUNSAFE, "%s:%zu: path longer than %d bytes", name, lineno,
                                RM__ENTRY_NAME_MAX);
        memcpy(path, line + RM__SHA256_HEX + 2, plen);
        path[plen] = '\0';
        if (rm__name_check(path, 0, err) < 0)
            return rm_error_prefix(err, "%s:%zu", name, lineno);
        if (s->n > 0 && strcmp(s->items[s->n - 1].path, path) >= 0)
            return rm_error_set(err, RM_EPARSE, "%s:%zu: '%s' %s", name, lineno, path,
                                strcmp(s->items[s->n - 1].path, path) == 0
                                    ? "listed twice"
                                    : "out of order (the list is sorted by path)");
        if (rm__sums_add(s, path, line, err) < 0)
            return -1;
    }
    return 0;
}

struct rm__sum *rm__sums_find(const struct rm__sums *s, const char *path)
{
    struct rm__sum key = {.path = (char *)path};
    return s->n ? bsearch(&key, s->items, s->n, sizeof key, cmp_sum) : NULL;
}

void rm__sums_free(struct rm__sums *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->items[i].path);
    free(s->items);
    s->items = NULL;
    s->n = s->cap = 0;
}
