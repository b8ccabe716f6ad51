/* Reports of install, rollback and check: built in the node, carried in a
   reply (the "report" of protocol.h), read back by the client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relman/report.h"

int rm_report_add(struct rm_report *rep, const char *what, uint64_t procs, uint64_t ns,
                  struct rm_error *err)
{
    if (rep->nsteps == rep->capsteps) {
        size_t cap = rep->capsteps ? 2 * rep->capsteps : 16;
        struct rm_report_step *v = realloc(rep->steps, cap * sizeof *v);
        if (!v)
            return rm_error_nomem(err);
        rep->steps = v;
        rep->capsteps = cap;
    }
    struct rm_report_step *s = &rep->steps[rep->nsteps++];
    snprintf(s->what, sizeof s->what, "%s", what);
    s->procs = procs;
    s->ns = ns;
    return 0;
}

void rm_report_free(struct rm_report *rep)
{
    free(rep->steps);
    memset(rep, 0, sizeof *rep);
}

void rm_report_put(const struct rm_report *rep, struct rm_proto_writer *w)
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

int rm_report_get(struct rm_proto_reader *r, struct rm_report *rep, struct rm_error *err)
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
    /* The steps are not bounded by the plan's length (a check adds its
       checksum step); each is read field by field, within the frame. */
    if (dir > RM_DOWN || first > len)
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
            rm_report_add(rep, what, procs, ns, err) < 0) {
            rm_report_free(rep);
            return -1;
        }
    }
    return rm_proto_end(r, err) < 0 ? (rm_report_free(rep), -1) : 0;
}
