/* The control protocol's encoding: frame headers and payload fields. */
#include <stdlib.h>
#include <string.h>

#include "relman/protocol.h"

/* One row per message type. */
static const struct {
    enum rm_msg_type type;
    const char *name;
} type_names[] = {
    {RM_MSG_PING, "ping"},
    {RM_MSG_STOP, "stop"},
    {RM_MSG_STATUS, "status"},
    {RM_MSG_CALL, "call"},
    {RM_MSG_CAST, "cast"},
    {RM_MSG_SUSPEND, "suspend"},
    {RM_MSG_RESUME, "resume"},
    {RM_MSG_LOAD, "load"},
    {RM_MSG_PURGE, "purge"},
    {RM_MSG_CHANGE_CODE, "change-code"},
    {RM_MSG_TRACE, "trace"},
    {RM_MSG_STATE, "state"},
    {RM_MSG_RH_PLAN, "plan"},
    {RM_MSG_RH_CHECK, "check"},
    {RM_MSG_RH_INSTALL, "install"},
    {RM_MSG_RH_PERMANENT, "permanent"},
    {RM_MSG_RH_ROLLBACK, "rollback"},
    {RM_MSG_RH_REBOOT_OLD, "reboot-old"},
    {RM_MSG_RH_REMOVE, "remove"},
    {RM_MSG_RH_WHICH, "which"},
};
_Static_assert(sizeof type_names / sizeof type_names[0] == RM_MSG_COUNT,
               "every message type has a name");

const char *rm_proto_type_name(unsigned type)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (type_names[i].type == type)
            return type_names[i].name;
    return "unknown";
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void rm_proto_header_encode(uint16_t type, uint32_t flags, uint32_t length,
                            unsigned char out[RM_PROTO_HEADER_SIZE])
{
    put_be32(out, RM_PROTO_MAGIC);
    out[4] = (unsigned char)(RM_PROTOCOL_VERSION >> 8);
    out[5] = (unsigned char)RM_PROTOCOL_VERSION;
    out[6] = (unsigned char)(type >> 8);
    out[7] = (unsigned char)type;
    put_be32(out + 8, flags);
    put_be32(out + 12, length);
}

int rm_proto_header_decode(const unsigned char in[RM_PROTO_HEADER_SIZE], struct rm_proto_header *h,
                           struct rm_error *err)
{
    h->magic = get_be32(in);
    h->version = (uint16_t)(in[4] << 8 | in[5]);
    h->type = (uint16_t)(in[6] << 8 | in[7]);
    h->flags = get_be32(in + 8);
    h->length = get_be32(in + 12);
    if (h->magic != RM_PROTO_MAGIC)
        return rm_error_set(err, RM_EPROTO, "not a relman frame (bad magic 0x%08x)", h->magic);
    if (h->version != RM_PROTOCOL_VERSION)
        return rm_error_set(err, RM_EPROTO,
                            "protocol version %u not supported (this side speaks %u)", h->version,
                            RM_PROTOCOL_VERSION);
    if (h->flags & ~RM_PROTO_F_REPLY)
        return rm_error_set(err, RM_EPROTO, "unknown frame flags 0x%x", h->flags);
    if (h->length > RM_PROTO_MAX_PAYLOAD)
        return rm_error_set(err, RM_EPROTO, "frame of %u bytes is larger than the maximum of %u",
                            h->length, RM_PROTO_MAX_PAYLOAD);
    return 0;
}

/* ---- writer -------------------------------------------------------------- */

void rm_proto_writer_init(struct rm_proto_writer *w)
{
    memset(w, 0, sizeof *w);
}

void rm_proto_writer_release(struct rm_proto_writer *w)
{
    free(w->buf);
    rm_proto_writer_init(w);
}

int rm_proto_put_bytes(struct rm_proto_writer *w, const void *p, size_t n)
{
    if (w->failed)
        return -1;
    if (n > RM_PROTO_MAX_PAYLOAD || w->len + 4 + n > RM_PROTO_MAX_PAYLOAD) {
        w->failed = RM_ELIMIT;
        return -1;
    }
    if (w->len + 4 + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + 4 + n)
            cap *= 2;
        unsigned char *buf = realloc(w->buf, cap);
        if (!buf) {
            w->failed = RM_ENOMEM;
            return -1;
        }
        w->buf = buf;
        w->cap = cap;
    }
    put_be32(w->buf + w->len, (uint32_t)n);
    if (n)
        memcpy(w->buf + w->len + 4, p, n);
    w->len += 4 + n;
    return 0;
}

int rm_proto_put_str(struct rm_proto_writer *w, const char *s)
{
    return rm_proto_put_bytes(w, s, strlen(s));
}

int rm_proto_put_u32(struct rm_proto_writer *w, uint32_t v)
{
    unsigned char b[4];
    put_be32(b, v);
    return rm_proto_put_bytes(w, b, sizeof b);
}

int rm_proto_put_u64(struct rm_proto_writer *w, uint64_t v)
{
    unsigned char b[8];
    put_be32(b, (uint32_t)(v >> 32));
    put_be32(b + 4, (uint32_t)v);
    return rm_proto_put_bytes(w, b, sizeof b);
}

int rm_proto_writer_check(const struct rm_proto_writer *w, struct rm_error *err)
{
    if (w->failed == RM_ENOMEM)
        return rm_error_nomem(err);
    if (w->failed)
        return rm_error_set(err, RM_ELIMIT, "payload larger than the maximum of %u bytes",
                            RM_PROTO_MAX_PAYLOAD);
    return 0;
}

/* ---- reader -------------------------------------------------------------- */

void rm_proto_reader_init(struct rm_proto_reader *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
}

int rm_proto_more(const struct rm_proto_reader *r)
{
    return r->off < r->len;
}

int rm_proto_get_bytes(struct rm_proto_reader *r, const void **p, size_t *n, const char *what,
                       struct rm_error *err)
{
    if (r->off >= r->len)
        return rm_error_set(err, RM_EPROTO, "field '%s' missing", what);
    if (r->len - r->off < 4)
        return rm_error_set(err, RM_EPROTO, "field '%s' truncated (no room for its length)", what);
    uint32_t flen = get_be32(r->p + r->off);
    if (flen > r->len - r->off - 4)
        return rm_error_set(err, RM_EPROTO,
                            "field '%s' truncated (%u bytes announced, %zu in the frame)", what,
                            flen, r->len - r->off - 4);
    *p = r->p + r->off + 4;
    *n = flen;
    r->off += 4 + (size_t)flen;
    return 0;
}

int rm_proto_get_str(struct rm_proto_reader *r, char *buf, size_t size, int nonempty,
                     const char *what, struct rm_error *err)
{
    const void *p;
    size_t n;
    size_t start = r->off;
    if (rm_proto_get_bytes(r, &p, &n, what, err) < 0)
        return -1;
    const char *why = NULL;
    if (memchr(p, '\0', n))
        why = "holds a NUL byte";
    else if (n >= size)
        why = "too long";
    else if (nonempty && n == 0)
        why = "empty";
    if (why) {
        r->off = start;
        return rm_error_set(err, RM_EPROTO, "field '%s' %s", what, why);
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
    return 0;
}

static int get_int(struct rm_proto_reader *r, size_t want, uint64_t *v, const char *what,
                   struct rm_error *err)
{
    const unsigned char *p;
    size_t n;
    size_t start = r->off;
    if (rm_proto_get_bytes(r, (const void **)&p, &n, what, err) < 0)
        return -1;
    if (n != want) {
        r->off = start;
        return rm_error_set(err, RM_EPROTO, "field '%s' has %zu bytes, not %zu", what, n, want);
    }
    *v = 0;
    for (size_t i = 0; i < n; i++)
        *v = *v << 8 | p[i];
    return 0;
}

int rm_proto_get_u32(struct rm_proto_reader *r, uint32_t *v, const char *what, struct rm_error *err)
{
    uint64_t x;
    if (get_int(r, 4, &x, what, err) < 0)
        return -1;
    *v = (uint32_t)x;
    return 0;
}

int rm_proto_get_u64(struct rm_proto_reader *r, uint64_t *v, const char *what, struct rm_error *err)
{
    return get_int(r, 8, v, what, err);
}

int rm_proto_end(const struct rm_proto_reader *r, struct rm_error *err)
{
    if (r->off != r->len)
        return rm_error_set(err, RM_EPROTO, "unexpected field after the last one (%zu bytes left)",
                            r->len - r->off);
    return 0;
}
