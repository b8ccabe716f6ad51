/* The spellings of the small enumerations of the manifests (names and
   versions are checked by rm_name_check(), relman/vocab.h). */
#include <string.h>

#include "ytree.h"

const char *const rm__start_type_names[] = {"permanent", "transient", "temporary",
                                            "load",      "none",      NULL};
const char *const rm__policy_names[] = {"temporary", "transient", "permanent", NULL};

const char *rm_start_type_name(enum rm_start_type t)
{
    if ((unsigned)t > RM_START_NONE)
        return "?";
    return rm__start_type_names[t];
}
