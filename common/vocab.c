/* The shared vocabulary: names, labels, spellings, assertions. */
#include "relman/vocab.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char name_chars[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-+@";

/* Why `s` is not a valid name, or NULL when it is one. */
static const char *name_fault(const char *s, size_t len)
{
    if (len == 0)
        return "it is empty";
    if (len > RM_NAME_MAX)
        return "it is longer than 63 characters";
    if (s[0] == '.' || s[0] == '-')
        return "it starts with '.' or '-'";
    if (strspn(s, name_chars) != len)
        return "only letters, digits and '_', '.', '-', '+', '@' are allowed";
    return NULL;
}
_Static_assert(RM_NAME_MAX == 63, "name_fault() spells the limit out");

bool rm_name_valid(const char *s)
{
    return s && !name_fault(s, strlen(s));
}

int rm_name_check(const char *s, const char *what, struct rm_error *err)
{
    size_t len = strlen(s);
    const char *why = name_fault(s, len);
    if (!why)
        return 0;
    if (len > RM_NAME_MAX)
        return rm_error_set(err, RM_EINVAL, "%s '%.63s...' is not a valid name: %s", what, s, why);
    return rm_error_set(err, RM_EINVAL, "%s '%s' is not a valid name: %s", what, s, why);
}

char *rm_label(const char *name, uint64_t pid, char *buf, size_t size)
{
    if (name && *name)
        snprintf(buf, size, "%s", name);
    else
        snprintf(buf, size, "<%" PRIu64 ">", pid);
    return buf;
}

const char *rm_purge_mode_name(enum rm_purge_mode mode)
{
    return mode == RM_PURGE_SOFT ? "soft" : mode == RM_PURGE_BRUTAL ? "brutal" : "?";
}

const char *rm_sup_strategy_name(enum rm_sup_strategy s)
{
    static const char *const names[] = {"one_for_one", "one_for_all", "rest_for_one",
                                        "simple_one_for_one"};
    return (unsigned)s <= RM_SUP_SIMPLE_ONE_FOR_ONE ? names[s] : "?";
}

const char *rm_restart_name(enum rm_restart restart)
{
    static const char *const names[] = {"temporary", "transient", "permanent"};
    return (unsigned)restart <= RM_RESTART_PERMANENT ? names[restart] : "?";
}

const char *rm_direction_name(enum rm_direction dir)
{
    return dir == RM_UP ? "up" : dir == RM_DOWN ? "down" : "?";
}

void rm__assert_fail(const char *cond, const char *file, int line)
{
    fprintf(stderr, "relman: internal error: %s:%d: %s\n", file, line, cond);
    abort();
}
