/* The YAML layer: libyaml events into a bounded tree with 1-based marks. */
#include "relman/array.h"
#include "ytree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "relman/fsutil.h"

int rm__yerr_v(const char *file, unsigned line, unsigned col, struct rm_error *err, const char *fmt,
               va_list ap)
{
    char what[RM_ERROR_MAX];
    vsnprintf(what, sizeof what, fmt, ap);
    return rm_error_set(err, RM_EPARSE, "%s:%u:%u: %s", file, line, col, what);
}

int rm__yerr_at(const struct rm__ydoc *doc, unsigned line, unsigned col, struct rm_error *err,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rm__yerr_v(doc->file, line, col, err, fmt, ap);
    va_end(ap);
    return -1;
}

int rm__yerr(const struct rm__ydoc *doc, const struct rm__ynode *n, struct rm_error *err,
             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rm__yerr_v(doc->file, n->line, n->col, err, fmt, ap);
    va_end(ap);
    return -1;
}

/* A list of children being collected for one open collection. */
struct level {
    struct rm__ynode *node;
    struct rm__ynode **items;
    size_t n, cap;
};

struct builder {
    struct rm__ydoc *doc;
    struct level stack[RM__Y_MAX_DEPTH];
    int depth;
    size_t nodes;
    struct rm_error *err;
};

static int add_child(struct builder *b, struct rm__ynode *child)
{
    if (b->depth == 0) {
        b->doc->root = child;
        return 0;
    }
    struct level *l = &b->stack[b->depth - 1];
    if (rm_array_grow(&l->items, &l->cap, l->n, sizeof *l->items, 8, b->err) < 0)
        return -1;
    l->items[l->n++] = child;
    return 0;
}

static struct rm__ynode *new_node(struct builder *b, enum rm__ykind kind, yaml_mark_t mark)
{
    if (++b->nodes > RM__Y_MAX_NODES) {
        rm__yerr_at(b->doc, (unsigned)mark.line + 1, (unsigned)mark.column + 1, b->err,
                    "document has more than %d nodes", RM__Y_MAX_NODES);
        b->err->code = RM_ELIMIT;
        return NULL;
    }
    struct rm__ynode *n = rm__arena_alloc(b->doc->arena, sizeof *n);
    if (!n) {
        rm_error_nomem(b->err);
        return NULL;
    }
    n->kind = kind;
    n->line = (unsigned)mark.line + 1;
    n->col = (unsigned)mark.column + 1;
    return n;
}

static int open_collection(struct builder *b, enum rm__ykind kind, yaml_mark_t mark)
{
    if (b->depth == RM__Y_MAX_DEPTH) {
        rm__yerr_at(b->doc, (unsigned)mark.line + 1, (unsigned)mark.column + 1, b->err,
                    "nesting deeper than %d levels", RM__Y_MAX_DEPTH);
        b->err->code = RM_ELIMIT;
        return -1;
    }
    struct rm__ynode *n = new_node(b, kind, mark);
    if (!n || add_child(b, n) < 0)
        return -1;
    struct level *l = &b->stack[b->depth++];
    l->node = n;
    l->n = 0;
    return 0;
}

static int close_collection(struct builder *b)
{
    struct level *l = &b->stack[--b->depth];
    struct rm__ynode *n = l->node;
    n->n = l->n;
    if (l->n) {
        n->items = rm__arena_array(b->doc->arena, l->n, sizeof *n->items);
        if (!n->items)
            return rm_error_nomem(b->err);
        memcpy(n->items, l->items, l->n * sizeof *n->items);
    }
    return 0;
}

static int add_scalar(struct builder *b, const yaml_event_t *ev)
{
    size_t len = ev->data.scalar.length;
    if (len > RM__Y_MAX_SCALAR) {
        rm__yerr_at(b->doc, (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1,
                    b->err, "scalar of %zu bytes is longer than the limit of %d", len,
                    RM__Y_MAX_SCALAR);
        b->err->code = RM_ELIMIT;
        return -1;
    }
    struct rm__ynode *n = new_node(b, RM__Y_SCALAR, ev->start_mark);
    if (!n)
        return -1;
    const char *v = (const char *)ev->data.scalar.value;
    if (memchr(v, '\0', len))
        return rm__yerr(b->doc, n, b->err, "scalar contains a NUL character");
    n->str = rm__arena_strndup(b->doc->arena, v, len);
    if (!n->str)
        return rm_error_nomem(b->err);
    n->len = len;
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    return add_child(b, n);
}

/* Handles one event; returns 1 at the end of the stream, 0 to go on, -1. */
static int on_event(struct builder *b, const yaml_event_t *ev, int *docs)
{
    unsigned line = (unsigned)ev->start_mark.line + 1, col = (unsigned)ev->start_mark.column + 1;
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        return 1;
    case YAML_DOCUMENT_START_EVENT:
        if (++*docs > 1)
            return rm__yerr_at(b->doc, line, col, b->err,
                               "more than one document (a manifest is one document)");
        return 0;
    case YAML_ALIAS_EVENT:
        return rm__yerr_at(b->doc, line, col, b->err, "aliases are not allowed in a manifest");
    case YAML_SCALAR_EVENT:
        return add_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return open_collection(b, RM__Y_SEQ, ev->start_mark);
    case YAML_MAPPING_START_EVENT:
        return open_collection(b, RM__Y_MAP, ev->start_mark);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return close_collection(b);
    default:
        return 0;
    }
}

/* The 1-based line and column of byte `off` of `data`, counting columns in
   characters as libyaml does (a byte order mark at the start is not one). */
static void offset_loc(const char *data, size_t len, size_t off, unsigned *line, unsigned *col)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t i = len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf ? 3 : 0;
    *line = 1;
    *col = 1;
    for (; i < off && i < len; i++) {
        if (p[i] == '\n' || (p[i] == '\r' && (i + 1 >= len || p[i + 1] != '\n'))) {
            ++*line;
            *col = 1;
        } else if ((p[i] & 0xc0) != 0x80) {
            ++*col;
        }
    }
}

/* Sets `err` from a failed yaml_parser_parse(). A reader error (bad UTF-8, a
   control character) has no mark, only an offset into the input and the
   offending value: the position is computed from the offset, where the bad
   character starts, and the value is named. */
static int parse_error(const struct rm__ydoc *doc, const yaml_parser_t *parser, const char *data,
                       size_t len, struct rm_error *err)
{
    const char *problem = parser->problem ? parser->problem : "malformed YAML";
    if (parser->error == YAML_READER_ERROR) {
        const unsigned char *p = (const unsigned char *)data;
        size_t off = parser->problem_offset < len ? parser->problem_offset : len;
        size_t start = off;
        /* A bad trailing octet: back up to its sequence's leading octet. */
        if (strcmp(problem, "invalid trailing UTF-8 octet") == 0) {
            while (start > 0 && off - start < 3 && (p[start - 1] & 0xc0) == 0x80)
                start--;
            start = start > 0 && p[start - 1] >= 0xc0 ? start - 1 : off;
        }
        unsigned line, col;
        offset_loc(data, len, start, &line, &col);
        int v = parser->problem_value;
        if (v < 0)
            return rm__yerr_at(doc, line, col, err, "%s", problem);
        if (strstr(problem, "octet") || strstr(problem, "UTF-8"))
            return rm__yerr_at(doc, line, col, err, "%s 0x%02x", problem, (unsigned)v);
        return rm__yerr_at(doc, line, col, err, "%s (U+%04X)", problem, (unsigned)v);
    }
    if (parser->context)
        return rm__yerr_at(doc, (unsigned)parser->problem_mark.line + 1,
                           (unsigned)parser->problem_mark.column + 1, err, "%s %s", problem,
                           parser->context);
    return rm__yerr_at(doc, (unsigned)parser->problem_mark.line + 1,
                       (unsigned)parser->problem_mark.column + 1, err, "%s", problem);
}

int rm__ydoc_parse(struct rm__ydoc *doc, struct rm__arena *arena, const char *file,
                   const char *data, size_t len, struct rm_error *err)
{
    doc->file = file;
    doc->root = NULL;
    doc->arena = arena;
    if (len > RM_MANIFEST_MAX_SIZE)
        return rm_error_set(err, RM_ELIMIT,
                            "%s: document of %zu bytes is larger than the limit of %d", file, len,
                            RM_MANIFEST_MAX_SIZE);
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return rm_error_nomem(err);
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    struct builder b = {.doc = doc, .err = err};
    int docs = 0, rc = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = parse_error(doc, &parser, data, len, err);
            if (parser.error == YAML_MEMORY_ERROR)
                rm_error_nomem(err);
            break;
        }
        rc = on_event(&b, &ev, &docs);
        yaml_event_delete(&ev);
        if (rc != 0)
            break;
    }
    yaml_parser_delete(&parser);
    for (int i = 0; i < RM__Y_MAX_DEPTH; i++)
        free(b.stack[i].items);
    if (rc < 0) {
        doc->root = NULL;
        return -1;
    }
    if (!doc->root || (doc->root->kind == RM__Y_SCALAR && rm__yis_null(doc->root)))
        return rm_error_set(err, RM_EPARSE, "%s:1:1: empty document", file);
    return 0;
}

int rm__ydoc_load(struct rm__ydoc *doc, struct rm__arena *arena, const char *path,
                  struct rm_error *err)
{
    char *data;
    size_t len;
    if (rm_fs_read_file(path, RM_MANIFEST_MAX_SIZE, &data, &len, err) < 0)
        return -1;
    int rc = rm__ydoc_parse(doc, arena, path, data, len, err);
    free(data);
    return rc;
}

int rm__yis_null(const struct rm__ynode *n)
{
    if (n->kind != RM__Y_SCALAR || !n->plain)
        return 0;
    return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
           strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

void rm__yloc(const struct rm__ynode *n, struct rm_loc *loc)
{
    loc->line = n->line;
    loc->col = n->col;
}

int rm__yload(const char *file, const char *data, size_t len, rm__yconvert_fn convert, void *out,
              struct rm__arena **arena, struct rm_error *err)
{
    struct rm__arena *a = rm__arena_new();
    if (!a)
        return rm_error_nomem(err);
    struct rm__ydoc doc;
    int rc =
        data ? rm__ydoc_parse(&doc, a, file, data, len, err) : rm__ydoc_load(&doc, a, file, err);
    if (rc == 0) {
        doc.file = rm__arena_strdup(a, file);
        struct rm__yctx c = {.doc = &doc, .arena = a, .err = err};
        rc = doc.file ? convert(&c, doc.root, out) : rm_error_nomem(err);
    }
    if (rc < 0) {
        rm__arena_free(a);
        return -1;
    }
    *arena = a;
    return 0;
}
