/* One line per plan instruction, as reports show it ("suspend [z]"). */
#include <stdio.h>
#include <string.h>

#include "handler-internal.h"

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

void rm__describe_instr(const struct rm_instr *in, char *buf, size_t size)
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
