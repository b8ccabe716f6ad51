/* Appup and relup documents: version, `up` entries from a version or a
   whole-string regex, `down` entries to one, each a list of instructions. */
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "plan-internal.h"
#include "script.h"

static const struct rm__field appup_fields[] = {
    {"application", RM__F_NAME, RM__REQUIRED, offsetof(struct rm_appup, application), NULL},
    {"version", RM__F_NAME, RM__REQUIRED, offsetof(struct rm_appup, version), NULL},
    {"up", RM__F_SEQ, 0, 0, NULL},
    {"down", RM__F_SEQ, 0, 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static const struct rm__field relup_fields[] = {
    {"version", RM__F_NAME, RM__REQUIRED, offsetof(struct rm_appup, version), NULL},
    {"up", RM__F_SEQ, 0, 0, NULL},
    {"down", RM__F_SEQ, 0, 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static const struct rm__field up_fields[] = {
    {"from", RM__F_NAME, 0, 0, NULL},
    {"from_regex", RM__F_STR, 0, 0, NULL},
    {"instructions", RM__F_SEQ, RM__REQUIRED, 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

static const struct rm__field down_fields[] = {
    {"to", RM__F_NAME, 0, 0, NULL},
    {"to_regex", RM__F_STR, 0, 0, NULL},
    {"instructions", RM__F_SEQ, RM__REQUIRED, 0, NULL},
    {NULL, 0, 0, 0, NULL},
};

/* The C library compiles a repetition by copying its operand ('x+' is
   'xx*', 'x{2,5}' five copies), so a short pattern such as '0++++++++++'
   (25 '+') asks regcomp for 2^25 nodes and gigabytes. A version regex
   needs a few dozen; RM_REGEX_MAX_SIZE bounds what one may expand to. */
#define RM_REGEX_MAX_LEN 1024
#define RM_REGEX_MAX_SIZE 1024u
#define RM_REGEX_MAX_DEPTH 32

static unsigned long sat_mul(unsigned long a, unsigned long b)
{
    return b && a > (RM_REGEX_MAX_SIZE + 1) / b ? RM_REGEX_MAX_SIZE + 1 : a * b;
}

/* Where a bracket expression starting at s[i] == '[' ends (one past ']'). */
static size_t bracket_end(const char *s, size_t i)
{
    i++;
    if (s[i] == '^')
        i++;
    if (s[i] == ']')
        i++;
    while (s[i] && s[i] != ']') {
        if (s[i] == '[' && (s[i + 1] == ':' || s[i + 1] == '.' || s[i + 1] == '=')) {
            const char *close = strchr(s + i + 2, s[i + 1]);
            while (close && close[1] != ']')
                close = strchr(close + 1, s[i + 1]);
            i = close ? (size_t)(close - s) + 2 : strlen(s);
        } else {
            i++;
        }
    }
    return s[i] ? i + 1 : i;
}

/* How many nodes an extended regex expands to when every repetition is
   copied out, saturated at RM_REGEX_MAX_SIZE + 1; a rough but safe upper
   bound. Returns the nesting depth reached in *depth. */
static unsigned long regex_size(const char *s, int *depth, bool *stacked)
{
    unsigned long total[RM_REGEX_MAX_DEPTH + 1] = {0}, last[RM_REGEX_MAX_DEPTH + 1] = {0};
    int d = 0;
    bool after_repeat = false;
    *depth = 0;
    *stacked = false;
    for (size_t i = 0; s[i];) {
        unsigned long mult = 0;
        bool repeat = s[i] == '*' || s[i] == '?' || s[i] == '+' || s[i] == '{';
        if (repeat && after_repeat) {
            *stacked = true; /* "x++", "x*{2}": undefined in POSIX, costly in glibc */
            return 0;
        }
        after_repeat = repeat;
        if (s[i] == '(') {
            if (++d > RM_REGEX_MAX_DEPTH) {
                *depth = d;
                return 0;
            }
            *depth = d > *depth ? d : *depth;
            total[d] = last[d] = 0;
            i++;
            continue;
        }
        if (s[i] == ')' && d > 0) {
            unsigned long group = total[d] + 1;
            d--;
            total[d] += group;
            last[d] = group;
            i++;
        } else if (s[i] == '*' || s[i] == '?') {
            i++;
            mult = 1;
        } else if (s[i] == '+') {
            i++;
            mult = 2;
        } else if (s[i] == '{') {
            char *end;
            unsigned long lo = strtoul(s + i + 1, &end, 10), hi = lo;
            if (*end == ',')
                hi = end[1] == '}' ? lo + 1 : strtoul(end + 1, &end, 10);
            mult = hi > lo ? hi : lo ? lo : 1;
            const char *close = strchr(s + i, '}');
            i = close ? (size_t)(close - s) + 1 : strlen(s);
        } else {
            size_t next = s[i] == '[' ? bracket_end(s, i) : s[i] == '\\' && s[i + 1] ? i + 2 : i + 1;
            i = next;
            last[d] = 1;
            total[d] += 1;
        }
        if (mult) {
            unsigned long grown = sat_mul(last[d], mult);
            total[d] += grown - last[d] + 1;
            last[d] = grown;
        }
        if (total[d] > RM_REGEX_MAX_SIZE)
            return RM_REGEX_MAX_SIZE + 1;
    }
    unsigned long sum = 0;
    for (int k = 0; k <= d; k++)
        sum += total[k];
    return sum;
}

/* Compiles a version regex anchored to the whole string, after checking
   that it cannot make the C library's compiler run away. */
static int compile_regex(struct rm__yctx *c, const struct rm__ynode *n, struct rm_appup_entry *e)
{
    size_t len = strlen(n->str);
    int depth;
    bool stacked;
    if (len > RM_REGEX_MAX_LEN)
        return rm__yerr(c->doc, n, c->err,
                        "regular expression is %zu bytes long; the limit is %d (RM_REGEX_MAX_LEN)",
                        len, RM_REGEX_MAX_LEN);
    unsigned long size = regex_size(n->str, &depth, &stacked);
    if (stacked)
        return rm__yerr(c->doc, n, c->err,
                        "regular expression '%.40s' repeats a repetition ('x++', 'x*{2}'): POSIX "
                        "leaves that undefined; write the repetition once",
                        n->str);
    if (depth > RM_REGEX_MAX_DEPTH)
        return rm__yerr(c->doc, n, c->err,
                        "regular expression '%.40s' nests groups deeper than %d (RM_REGEX_MAX_DEPTH)",
                        n->str, RM_REGEX_MAX_DEPTH);
    if (size > RM_REGEX_MAX_SIZE)
        return rm__yerr(c->doc, n, c->err,
                        "regular expression '%.40s' repeats too much: it would compile to more than "
                        "%u nodes (RM_REGEX_MAX_SIZE); write each repetition once",
                        n->str, RM_REGEX_MAX_SIZE);
    char *anchored = rm__arena_alloc(c->arena, len + 7);
    regex_t *re = rm__arena_alloc(c->arena, sizeof *re);
    if (!anchored || !re)
        return rm_error_nomem(c->err);
    memcpy(anchored, "^(", 2);
    memcpy(anchored + 2, n->str, len);
    memcpy(anchored + 2 + len, ")$", 3);
    int rc = regcomp(re, anchored, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char why[256];
        regerror(rc, re, why, sizeof why);
        return rm__yerr(c->doc, n, c->err, "bad regular expression '%s': %s", n->str, why);
    }
    e->regex = re;
    e->is_regex = 1;
    e->version = n->str;
    return 0;
}

static int read_entry(struct rm__yctx *c, const struct rm__ynode *n, enum rm_direction dir, int low_only,
                      struct rm_appup_entry *e)
{
    const struct rm__ynode *found[4];
    const struct rm__field *fields = dir == RM_UP ? up_fields : down_fields;
    const char *what = dir == RM_UP ? "up entry" : "down entry";
    if (rm__yfill(c, n, what, fields, e, found) < 0)
        return -1;
    rm__yloc(n, &e->loc);
    if ((found[0] != NULL) == (found[1] != NULL))
        return rm__yerr(c->doc, n, c->err, "%s needs exactly one of '%s' and '%s'", what,
                        fields[0].key, fields[1].key);
    if (found[0]) {
        if (rm__yvalue(c, found[0], fields[0].key, RM__F_NAME, NULL, &e->version) < 0)
            return -1;
    } else if (compile_regex(c, found[1], e) < 0) {
        return -1;
    }
    if (rm__yscript(c, found[2], low_only, &e->script) < 0)
        return -1;
    return low_only ? rm_plan_check(&e->script, c->err)
                    : rm__script_check_syntax(&e->script, c->err);
}

static int read_entries(struct rm__yctx *c, const struct rm__ynode *seq, enum rm_direction dir,
                        int low_only, struct rm_appup_entry **out, size_t *n)
{
    if (!seq)
        return 0;
    struct rm_appup_entry *v = rm__arena_array(c->arena, seq->n ? seq->n : 1, sizeof *v);
    if (!v)
        return rm_error_nomem(c->err);
    *out = v; /* set first so that rm_appup_free finds every compiled regex */
    for (size_t i = 0; i < seq->n; i++) {
        int rc = read_entry(c, seq->items[i], dir, low_only, &v[i]);
        *n = v[i].regex ? i + 1 : i;
        if (rc < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (v[j].is_regex == v[i].is_regex && strcmp(v[j].version, v[i].version) == 0) {
                *n = i + 1;
                return rm__yerr(c->doc, seq->items[i], c->err,
                                "%s entry %s%s '%s' is listed twice (first at line %u)",
                                dir == RM_UP ? "up" : "down", dir == RM_UP ? "from" : "to",
                                v[i].is_regex ? "_regex" : "", v[i].version, v[j].loc.line);
            }
    }
    *n = seq->n;
    return 0;
}

static void free_regexes(struct rm_appup_entry *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].regex)
            regfree(v[i].regex);
}

static int convert(struct rm__yctx *c, const struct rm__ynode *root, struct rm_appup *doc,
                   int relup)
{
    const struct rm__ynode *found[5];
    int rc = rm__yfill(c, root, relup ? "relup" : "appup", relup ? relup_fields : appup_fields, doc,
                       found);
    size_t up = relup ? 1 : 2; /* the index of "up"; "down" follows it */
    if (rc == 0) {
        rm__yloc(root, &doc->loc);
        doc->file = c->doc->file;
        rc = read_entries(c, found[up], RM_UP, relup, &doc->up, &doc->n_up);
        if (rc == 0)
            rc = read_entries(c, found[up + 1], RM_DOWN, relup, &doc->down, &doc->n_down);
    }
    if (rc < 0) {
        free_regexes(doc->up, doc->n_up);
        free_regexes(doc->down, doc->n_down);
    }
    return rc;
}

static int convert_appup(struct rm__yctx *c, const struct rm__ynode *root, void *out)
{
    return convert(c, root, out, 0);
}

static int convert_relup(struct rm__yctx *c, const struct rm__ynode *root, void *out)
{
    return convert(c, root, out, 1);
}

static int load(const char *file, const char *data, size_t len, int relup, struct rm_appup *out,
                struct rm_error *err)
{
    struct rm_appup tmp = {0};
    if (rm__yload(file, data, len, relup ? convert_relup : convert_appup, &tmp, &tmp.arena, err) <
        0)
        return -1;
    *out = tmp;
    return 0;
}

int rm_appup_load(const char *path, struct rm_appup *out, struct rm_error *err)
{
    return load(path, NULL, 0, 0, out, err);
}

int rm_appup_parse(const char *file, const char *data, size_t len, struct rm_appup *out,
                   struct rm_error *err)
{
    return load(file, data ? data : "", data ? len : 0, 0, out, err);
}

int rm_relup_load(const char *path, struct rm_appup *out, struct rm_error *err)
{
    return load(path, NULL, 0, 1, out, err);
}

int rm_relup_parse(const char *file, const char *data, size_t len, struct rm_appup *out,
                   struct rm_error *err)
{
    return load(file, data ? data : "", data ? len : 0, 1, out, err);
}

const struct rm_appup_entry *rm_appup_find(const struct rm_appup *doc, enum rm_direction dir,
                                           const char *vsn)
{
    const struct rm_appup_entry *v = dir == RM_UP ? doc->up : doc->down;
    size_t n = dir == RM_UP ? doc->n_up : doc->n_down;
    for (size_t i = 0; i < n; i++) {
        if (v[i].is_regex ? regexec(v[i].regex, vsn, 0, NULL, 0) == 0
                          : strcmp(v[i].version, vsn) == 0)
            return &v[i];
    }
    return NULL;
}

void rm_appup_free(struct rm_appup *doc)
{
    if (!doc)
        return;
    free_regexes(doc->up, doc->n_up);
    free_regexes(doc->down, doc->n_down);
    rm__arena_free(doc->arena);
    memset(doc, 0, sizeof *doc);
}
