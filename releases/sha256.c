/* SHA-256 through OpenSSL's libcrypto EVP interface. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "releases-internal.h"

struct rm__sha256 {
    EVP_MD_CTX *ctx;
};

struct rm__sha256 *rm__sha256_new(struct rm_error *err)
{
    struct rm__sha256 *h = malloc(sizeof *h);
    if (!h) {
        rm_error_nomem(err);
        return NULL;
    }
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        rm__sha256_free(h);
        rm_error_set(err, RM_ENOMEM, "cannot start a sha-256 digest");
        return NULL;
    }
    return h;
}

void rm__sha256_update(struct rm__sha256 *h, const void *data, size_t len)
{
    RM_ASSERT(EVP_DigestUpdate(h->ctx, data, len) == 1);
}

void rm__sha256_final(struct rm__sha256 *h, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    RM_ASSERT(EVP_DigestFinal_ex(h->ctx, md, &n) == 1 && n * 2 == RM__SHA256_HEX);
    for (unsigned int i = 0; i < n; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[RM__SHA256_HEX] = '\0';
    RM_ASSERT(EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) == 1);
}

void rm__sha256_free(struct rm__sha256 *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

int rm__sha256_buf(const void *data, size_t len, char *hex, struct rm_error *err)
{
    struct rm__sha256 *h = rm__sha256_new(err);
    if (!h)
        return -1;
    rm__sha256_update(h, data, len);
    rm__sha256_final(h, hex);
    rm__sha256_free(h);
    return 0;
}

int rm__sha256_file(const char *path, char *hex, struct rm_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return rm_error_set(err, errno == ENOENT ? RM_ENOENT : RM_EIO, "cannot open '%s': %s", path,
                            strerror(errno));
    struct rm__sha256 *h = rm__sha256_new(err);
    if (!h) {
        close(fd);
        return -1;
    }
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            rm__sha256_free(h);
            close(fd);
            return rm_error_set(err, RM_EIO, "cannot read '%s': %s", path, strerror(saved));
        }
        if (n == 0)
            break;
        rm__sha256_update(h, buf, (size_t)n);
    }
    close(fd);
    rm__sha256_final(h, hex);
    rm__sha256_free(h);
    return 0;
}
