/*
 * mbox.c - messages.
 */
#include <stdlib.h>
#include <string.h>

#include "mbox.h"

struct rm_msg *rm__mbox_msg_new(int kind, const void *data, size_t len)
{
    struct rm_msg *m = malloc(sizeof *m + len + 1);
    if (!m)
        return NULL;
    m->next = NULL;
    m->from = 0;
    m->sender = 0;
    m->len = len;
    m->kind = (uint8_t)kind;
    if (len)
        memcpy(m->data, data, len);
    m->data[len] = '\0';
    return m;
}
