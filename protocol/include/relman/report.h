/*
 * relman/report.h - the report of install, rollback and check, as a reply
 * carries it (the "report" of relman/protocol.h).
 *
 * The node's release handler builds a report step by step while it runs a
 * plan and puts it into its reply; the relman program reads it back and
 * prints it. Both sides use this one definition, so the fields cannot drift
 * apart.
 */
#ifndef RELMAN_REPORT_H
#define RELMAN_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "relman/error.h"
#include "relman/protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One executed (or checked) step of a plan. */
struct rm_report_step {
    char what[200]; /* the instruction as one line: "suspend [z]" */
    uint64_t procs; /* processes it touched */
    uint64_t ns;    /* how long it took */
};

/* What install, rollback or check did. Zero-initialise it; release it with
   rm_report_free(). */
struct rm_report {
    char from[RM_NAME_MAX + 1];
    char to[RM_NAME_MAX + 1];
    enum rm_direction dir;
    size_t plan_len;         /* instructions in the plan */
    long first_irreversible; /* index in the plan, or -1 */
    uint64_t pause_ns;       /* first suspend to last resume (install) */
    uint64_t total_ns;       /* the whole operation */
    struct rm_report_step *steps;
    size_t nsteps, capsteps;
};

/*
 * Appends a step (`what` cut to fit its field). Returns 0, or -1 with
 * RM_ENOMEM in `err` and the report unchanged.
 */
int rm_report_add(struct rm_report *rep, const char *what, uint64_t procs, uint64_t ns,
                  struct rm_error *err);

/* Frees the steps of a report and zeroes it. */
void rm_report_free(struct rm_report *rep);

/*
 * Puts a report into a reply payload: the fields protocol.h lists for a
 * report. A failure (the payload too large, no memory) is recorded in the
 * writer, as for every put (rm_proto_writer_check).
 */
void rm_report_put(const struct rm_report *rep, struct rm_proto_writer *w);

/*
 * Reads a report from a reply and checks that nothing follows it. Returns 0
 * with *rep filled (free it with rm_report_free), or -1 with RM_EPROTO
 * ("field 'steps' missing", "report out of range", ...) or RM_ENOMEM in
 * `err` and *rep zeroed.
 */
int rm_report_get(struct rm_proto_reader *r, struct rm_report *rep, struct rm_error *err);

#ifdef __cplusplus
}
#endif
#endif
