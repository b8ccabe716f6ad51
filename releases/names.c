/* The rules an entry name from an archive must follow before it is used. */
#include <string.h>

#include "releases-internal.h"

/* Length of the UTF-8 sequence starting at s (1-4), or 0 when invalid:
   bad lead byte, bad continuation, overlong form, surrogate or > U+10FFFF. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned int cp;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* Tells whether one of the '/'-separated components of the first `len`
   bytes of `name` equals `what`. */
static int bad_component(const char *name, size_t len, const char *what)
{
    size_t wlen = strlen(what);
    for (size_t start = 0; start <= len;) {
        const char *end = memchr(name + start, '/', len - start);
        size_t clen = end ? (size_t)(end - (name + start)) : len - start;
        if (clen == wlen && memcmp(name + start, what, wlen) == 0)
            return 1;
        start += clen + 1;
    }
    return 0;
}

int rm__name_check(const char *name, int flags, struct rm_error *err)
{
    size_t len = strlen(name);
    if (len == 0)
        return rm_error_set(err, RM_EUNSAFE, "entry with an empty name");
    if (len > RM__ENTRY_NAME_MAX)
        return rm_error_set(err, RM_EUNSAFE, "entry '%.64s...': name longer than %d bytes", name,
                            RM__ENTRY_NAME_MAX);
    const unsigned char *s = (const unsigned char *)name;
    for (size_t i = 0; i < len;) {
        if (s[i] < 0x20 || s[i] == 0x7f)
            return rm_error_set(err, RM_EUNSAFE,
                                "entry '%s': name holds a control character (byte %zu)", name,
                                i + 1);
        if (s[i] == '\\')
            return rm_error_set(err, RM_EUNSAFE, "entry '%s': name holds a backslash", name);
        size_t n = utf8_len(s + i);
        if (n == 0)
            return rm_error_set(err, RM_EUNSAFE, "entry '%s': name is not valid UTF-8 (byte %zu)",
                                name, i + 1);
        i += n;
    }
    if (name[0] == '/')
        return rm_error_set(err, RM_EUNSAFE, "entry '%s': absolute path", name);
    if (flags & RM__NAME_LINK)
        return 0;
    if ((flags & RM__NAME_DIR) && len > 1 && name[len - 1] == '/')
        len--;
    /* '..' first: it is the worst problem a name can have. */
    if (bad_component(name, len, ".."))
        return rm_error_set(err, RM_EUNSAFE, "entry '%s': '..' path component", name);
    if (bad_component(name, len, "."))
        return rm_error_set(err, RM_EUNSAFE, "entry '%s': '.' path component", name);
    if (bad_component(name, len, ""))
        return rm_error_set(err, RM_EUNSAFE, "entry '%s': empty path component", name);
    return 0;
}

int rm__token_ok(const char *s)
{
    if (!s || !*s)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || *p == '=' || *p == '/')
            return 0;
    return 1;
}
