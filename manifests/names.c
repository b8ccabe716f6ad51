/* Names and versions, and the spellings of the small enumerations. */
#include <string.h>

#include "ytree.h"

int rm_name_check(const char *s, const char *what, struct rm_error *err)
{
    size_t len = strlen(s);
    const char *why = NULL;
    if (len == 0)
        why = "it is empty";
    else if (len > RM_MANIFEST_NAME_MAX)
        why = "it is longer than 63 characters";
    else if (s[0] == '.' || s[0] == '-')
        why = "it starts with '.' or '-'";
    else if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-+@") !=
             len)
        why = "only letters, digits and '_', '.', '-', '+', '@' are allowed";
    if (!why)
        return 0;
    if (len > RM_MANIFEST_NAME_MAX)
        return rm_error_set(err, RM_EINVAL, "%s '%.63s...' is not a valid name: %s", what, s, why);
    return rm_error_set(err, RM_EINVAL, "%s '%s' is not a valid name: %s", what, s, why);
}

const char *const rm__start_type_names[] = {"permanent", "transient", "temporary",
                                            "load",      "none",      NULL};
const char *const rm__policy_names[] = {"temporary", "transient", "permanent", NULL};

const char *rm_start_type_name(enum rm_start_type t)
{
    if ((unsigned)t > RM_START_NONE)
        return "?";
    return rm__start_type_names[t];
}

const char *rm_restart_policy_name(enum rm_restart_policy p)
{
    if ((unsigned)p > RM_POLICY_PERMANENT)
        return "?";
    return rm__policy_names[p];
}
