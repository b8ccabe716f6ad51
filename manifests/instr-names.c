/* Instruction kinds: spellings, levels, and which ones cannot be undone. */
#include <stdlib.h>

#include "relman/plan.h"

static const char *const kind_names[RM_I__COUNT] = {
    [RM_I_UPDATE] = "update",
    [RM_I_LOAD_MODULE] = "load_module",
    [RM_I_ADD_MODULE] = "add_module",
    [RM_I_DELETE_MODULE] = "delete_module",
    [RM_I_ADD_APPLICATION] = "add_application",
    [RM_I_REMOVE_APPLICATION] = "remove_application",
    [RM_I_RESTART_APPLICATION] = "restart_application",
    [RM_I_APPLY] = "apply",
    [RM_I_RESTART_NODE] = "restart_node",
    [RM_I_LOAD_OBJECT_CODE] = "load_object_code",
    [RM_I_POINT_OF_NO_RETURN] = "point_of_no_return",
    [RM_I_LOAD] = "load",
    [RM_I_REMOVE] = "remove",
    [RM_I_PURGE] = "purge",
    [RM_I_SUSPEND] = "suspend",
    [RM_I_RESUME] = "resume",
    [RM_I_CODE_CHANGE] = "code_change",
    [RM_I_STOP] = "stop",
    [RM_I_START] = "start",
};

const char *rm_instr_name(enum rm_instr_kind kind)
{
    if ((unsigned)kind >= RM_I__COUNT)
        abort(); /* not an instruction kind: a caller's bug */
    return kind_names[kind];
}

int rm_instr_is_low_level(enum rm_instr_kind kind)
{
    return kind >= RM_I_APPLY;
}

int rm_instr_irreversible(const struct rm_instr *instr)
{
    switch (instr->kind) {
    case RM_I_APPLY:
    case RM_I_STOP:
    case RM_I_REMOVE:
    case RM_I_DELETE_MODULE:
    case RM_I_REMOVE_APPLICATION:
    case RM_I_RESTART_APPLICATION:
    case RM_I_RESTART_NODE:
        return 1;
    default:
        return 0;
    }
}

long rm_plan_first_irreversible(const struct rm_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++)
        if (rm_instr_irreversible(&plan->v[i]))
            return (long)i;
    return -1;
}
