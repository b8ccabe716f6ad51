/* Instruction kinds: spellings, levels, and which ones cannot be undone,
   all read from the one table of kinds (RM_INSTR_KINDS in relman/plan.h). */
#include <stdlib.h>

#include "relman/plan.h"

enum level { LEVEL_HIGH, LEVEL_BOTH, LEVEL_LOW };

static const struct {
    const char *name;
    enum level level;
    unsigned char irreversible, pre;
} kinds[] = {
#define ROW(id, spelling, lvl, irrev, pre) [RM_I_##id] = {#spelling, LEVEL_##lvl, irrev, pre},
    RM_INSTR_KINDS(ROW)
#undef ROW
};
_Static_assert(sizeof kinds / sizeof kinds[0] == RM_I__COUNT, "one row per instruction kind");

/* A kind outside the enum is a caller's bug. */
static unsigned checked_kind(enum rm_instr_kind kind)
{
    if ((unsigned)kind >= RM_I__COUNT)
        abort();
    return (unsigned)kind;
}

const char *rm_instr_name(enum rm_instr_kind kind)
{
    return kinds[checked_kind(kind)].name;
}

int rm_instr_is_low_level(enum rm_instr_kind kind)
{
    return kinds[checked_kind(kind)].level != LEVEL_HIGH;
}

int rm_instr_pre_commit(enum rm_instr_kind kind)
{
    return kinds[checked_kind(kind)].pre;
}

int rm_instr_irreversible(const struct rm_instr *instr)
{
    return kinds[checked_kind(instr->kind)].irreversible;
}

long rm_plan_point_of_no_return(const struct rm_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++)
        if (plan->v[i].kind == RM_I_POINT_OF_NO_RETURN)
            return (long)i;
    return -1;
}

long rm_plan_first_irreversible(const struct rm_plan *plan)
{
    for (size_t i = (size_t)(rm_plan_point_of_no_return(plan) + 1); i < plan->n; i++)
        if (rm_instr_irreversible(&plan->v[i]))
            return (long)i;
    return -1;
}
