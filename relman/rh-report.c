/* Reports of install, rollback and check: built in the node, carried in a
   reply, printed by the client as a table or as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rh.h"

int rh_report_add(struct rh_report *rep, const char *what, uint64_t procs, uint64_t ns,
                  struct rm_error *err)
{
    if (rep->nsteps == rep->capsteps) {
        size_t cap = rep->capsteps ? 2 * rep->capsteps : 16;
        struct rh_step *v = realloc(rep->steps, cap * sizeof *v);
        if (!v)
            return rm_error_nomem(err);
        rep->steps = v;
        rep->capsteps = cap;
    }
    struct rh_step *s = &rep->steps[rep->nsteps++];
    snprintf(s->what, sizeof s->what, "%s", what);
    s->procs = procs;
    s->ns = ns;
    return 0;
}

void rh_report_free(struct rh_report *rep)
{
    free(rep->steps);
    memset(rep, 0, sizeof *rep);
}

void rh_report_put(const struct rh_report *rep, struct rm_proto_writer *w)
{
    rm_proto_put_str(w, rep->from);
    rm_proto_put_str(w, rep->to);
    rm_proto_put_u32(w, rep->dir);
    rm_proto_put_u64(w, rep->plan_len);
    rm_proto_put_u64(w, (uint64_t)(rep->first_irreversible + 1));
    rm_proto_put_u64(w, rep->pause_ns);
    rm_proto_put_u64(w, rep->total_ns);
    rm_proto_put_u32(w, (uint32_t)rep->nsteps);
    for (size_t i = 0; i < rep->nsteps; i++) {
        rm_proto_put_str(w, rep->steps[i].what);
        rm_proto_put_u64(w, rep->steps[i].procs);
        rm_proto_put_u64(w, rep->steps[i].ns);
    }
}

int rh_report_get(struct rm_proto_reader *r, struct rh_report *rep, struct rm_error *err)
{
    uint32_t dir, n;
    uint64_t len, first;
    memset(rep, 0, sizeof *rep);
    if (rm_proto_get_str(r, rep->from, sizeof rep->from, 1, "from", err) < 0 ||
        rm_proto_get_str(r, rep->to, sizeof rep->to, 1, "to", err) < 0 ||
        rm_proto_get_u32(r, &dir, "direction", err) < 0 ||
        rm_proto_get_u64(r, &len, "plan length", err) < 0 ||
        rm_proto_get_u64(r, &first, "first irreversible", err) < 0 ||
        rm_proto_get_u64(r, &rep->pause_ns, "pause", err) < 0 ||
        rm_proto_get_u64(r, &rep->total_ns, "total", err) < 0 ||
        rm_proto_get_u32(r, &n, "steps", err) < 0)
        return -1;
    if (dir > RM_DOWN || first > len || n > len)
        return rm_error_set(err, RM_EPROTO, "report out of range");
    rep->dir = (enum rm_direction)dir;
    rep->plan_len = (size_t)len;
    rep->first_irreversible = (long)first - 1;
    for (uint32_t i = 0; i < n; i++) {
        char what[sizeof rep->steps[0].what];
        uint64_t procs, ns;
        if (rm_proto_get_str(r, what, sizeof what, 1, "step", err) < 0 ||
            rm_proto_get_u64(r, &procs, "processes", err) < 0 ||
            rm_proto_get_u64(r, &ns, "time", err) < 0 ||
            rh_report_add(rep, what, procs, ns, err) < 0) {
            rh_report_free(rep);
            return -1;
        }
    }
    return rm_proto_end(r, err) < 0 ? (rh_report_free(rep), -1) : 0;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static void print_json(const struct rh_report *rep, const char *verb)
{
    const char *op = strcmp(verb, "checked") == 0          ? "check"
                     : strcmp(verb, "rolled back to") == 0 ? "rollback"
                                                           : "install";
    printf("{\"operation\":\"%s\"", op);
    printf(",\"from\":");
    json_str(rep->from);
    printf(",\"to\":");
    json_str(rep->to);
    printf(",\"direction\":\"%s\",\"plan_length\":%zu,\"first_irreversible\":",
           rep->dir == RM_UP ? "up" : "down", rep->plan_len);
    if (rep->first_irreversible < 0)
        printf("null");
    else
        printf("%ld", rep->first_irreversible + 1);
    printf(",\"pause_ms\":%.3f,\"total_ms\":%.3f,\"steps\":[", ms(rep->pause_ns),
           ms(rep->total_ns));
    for (size_t i = 0; i < rep->nsteps; i++) {
        printf("%s{\"instruction\":", i ? "," : "");
        json_str(rep->steps[i].what);
        printf(",\"processes\":%llu,\"time_ms\":%.3f}", (unsigned long long)rep->steps[i].procs,
               ms(rep->steps[i].ns));
    }
    printf("]}\n");
}

void rh_print_json_error(const char *msg)
{
    printf("{\"ok\":false,\"error\":");
    json_str(msg);
    printf("}\n");
}

void rh_report_print(const struct rh_report *rep, const char *verb, int json)
{
    if (json) {
        print_json(rep, verb);
        return;
    }
    const char *dir = rep->dir == RM_UP ? "up" : "down";
    if (strcmp(verb, "checked") == 0) {
        printf("release '%s' can be installed (%s from '%s'): plan of %zu steps checked\n", rep->to,
               dir, rep->from, rep->plan_len);
    } else {
        printf("%s release '%s' (%s from '%s'): %zu steps, pause %.3f ms, total %.3f ms\n", verb,
               rep->to, dir, rep->from, rep->nsteps, ms(rep->pause_ns), ms(rep->total_ns));
    }
    printf("  %-4s %-56s %9s %12s\n", "step", "instruction", "processes", "time");
    for (size_t i = 0; i < rep->nsteps; i++)
        printf("  %-4zu %-56s %9llu %9.3f ms\n", i + 1, rep->steps[i].what,
               (unsigned long long)rep->steps[i].procs, ms(rep->steps[i].ns));
    if (strcmp(verb, "checked") == 0) {
        if (rep->first_irreversible < 0)
            printf("every step is undoable: a failure rolls back in place and the node keeps "
                   "serving release '%s'\n",
                   rep->from);
        else
            printf("plan step %ld is irreversible: a failure after it restarts the node into its "
                   "permanent release\n",
                   rep->first_irreversible + 1);
    }
}

/* Appends " [m1 m2 ...]" for an instruction's items. */
static void put_items(const struct rm_instr *in, int with_extra, char *buf, size_t size)
{
    size_t len = strlen(buf);
    len += (size_t)snprintf(buf + len, len < size ? size - len : 0, " [");
    for (size_t i = 0; i < in->n_items && len < size; i++) {
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "", in->items[i].module);
        if (with_extra && in->items[i].extra && in->items[i].extra[0] && len < size)
            len += (size_t)snprintf(buf + len, size - len, "(%s)", in->items[i].extra);
    }
    if (len < size)
        snprintf(buf + len, size - len, "]");
}

void rh_instr_describe(const struct rm_instr *in, char *buf, size_t size)
{
    const char *name = rm_instr_name(in->kind);
    switch (in->kind) {
    case RM_I_LOAD_OBJECT_CODE:
        snprintf(buf, size, "%s %s-%s", name, in->application, in->version);
        put_items(in, 0, buf, size);
        break;
    case RM_I_LOAD:
    case RM_I_REMOVE:
        snprintf(buf, size, "%s %s", name, in->module);
        break;
    case RM_I_CODE_CHANGE:
        snprintf(buf, size, "%s %s", name, in->dir == RM_UP ? "up" : "down");
        put_items(in, 1, buf, size);
        break;
    case RM_I_SUSPEND:
    case RM_I_RESUME:
    case RM_I_PURGE:
    case RM_I_STOP:
    case RM_I_START:
        snprintf(buf, size, "%s", name);
        put_items(in, 0, buf, size);
        break;
    case RM_I_APPLY: {
        size_t len = (size_t)snprintf(buf, size, "%s %s:%s(", name, in->apply_module, in->function);
        for (size_t i = 0; i < in->args.n && len < size; i++)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", in->args.v[i]);
        if (len < size)
            snprintf(buf + len, size - len, ")");
        break;
    }
    case RM_I_ADD_APPLICATION:
        snprintf(buf, size, "%s %s %s", name, in->application, rm_start_type_name(in->start));
        break;
    case RM_I_REMOVE_APPLICATION:
    case RM_I_RESTART_APPLICATION:
        snprintf(buf, size, "%s %s", name, in->application);
        break;
    default:
        snprintf(buf, size, "%s", name);
        break;
    }
}
