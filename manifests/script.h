/*
 * script.h - instruction lists: reading them from YAML, and the work lists
 * the translator and checker share.
 */
#ifndef RELMAN_MANIFESTS_SCRIPT_H
#define RELMAN_MANIFESTS_SCRIPT_H

#include "relman/plan.h"
#include "ytree.h"

/*
 * Converts the list `seq` (the value of "instructions") into out->v and
 * out->n, with out->file set to the document's name. With `low_only`,
 * high-level instructions are refused (relups). 0 or -1.
 */
int rm__yscript(struct rm__yctx *c, const struct rm__ynode *seq, int low_only,
                struct rm_script *out);

/* Sets `err` to "file:line:column: <message>" for an instruction. -1. */
int rm__instr_err(struct rm_error *err, const char *file, const struct rm_instr *in,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
