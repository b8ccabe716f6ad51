/*
 * Checksums of an unpacked release, verified before check and install:
 * every file ROOT/releases/<vsn>/SHA256SUMS lists (as unpack wrote it:
 * "<sha-256 hex>  <path>" relative to the root) must still hash to its
 * digest, so that a module changed on disk since unpack is refused before
 * anything loads it. Releases recorded by hand (set-unpacked) have no list.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "relman/fsutil.h"
#include "rh.h"

/* Hashes the file at `path` into hex (65 bytes). 0 or -1. */
static int file_sha256(const char *path, char hex[65], struct rm_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rm_error_set(err, errno == ENOENT ? RM_ENOENT : RM_EIO, "'%s': %s", path,
                            strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1
                 ? 0
                 : rm_error_set(err, RM_ENOMEM, "cannot start a sha-256 digest");
    unsigned char buf[65536];
    ssize_t k;
    while (rc == 0 && (k = read(fd, buf, sizeof buf)) != 0) {
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            rc = rm_error_set(err, RM_EIO, "'%s': %s", path, strerror(errno));
        else
            EVP_DigestUpdate(ctx, buf, (size_t)k);
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (rc == 0 && EVP_DigestFinal_ex(ctx, md, &n) != 1)
        rc = rm_error_set(err, RM_EIO, "'%s': sha-256 digest failed", path);
    for (unsigned i = 0; rc == 0 && i < n && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    EVP_MD_CTX_free(ctx);
    close(fd);
    return rc;
}

int rh_release_verify(const char *root, const char *vsn, size_t *nfiles, struct rm_error *err)
{
    char path[4096], *text;
    size_t len, n = 0;
    snprintf(path, sizeof path, "%s/releases/%s/SHA256SUMS", root, vsn);
    *nfiles = 0;
    if (!rm_fs_exists(path))
        return 0;
    if (rm_fs_read_file(path, 16u << 20, &text, &len, err) < 0)
        return -1;
    int rc = 0;
    unsigned line = 0;
    for (char *p = text, *nl; rc == 0 && *p; p = nl + 1) {
        line++;
        nl = strchr(p, '\n');
        if (!nl)
            nl = p + strlen(p) - 1;
        else
            *nl = '\0';
        char want[65], got[65], file[4096];
        if (sscanf(p, "%64[0-9a-f]  %4000[^\n]", want, file) != 2 || strlen(want) != 64 ||
            strstr(file, "..")) {
            rc = rm_error_set(err, RM_EPARSE, "'%s':%u: not a checksum line", path, line);
            break;
        }
        char fpath[8192];
        snprintf(fpath, sizeof fpath, "%s/%s", root, file);
        if (file_sha256(fpath, got, err) < 0)
            rc = rm_error_prefix(err, "release '%s': checksum of '%s'", vsn, file);
        else if (strcmp(want, got) != 0)
            rc = rm_error_set(err, RM_ECHECKSUM,
                              "release '%s': '%s' changed since unpack (its sha-256 is %s, "
                              "%s:%u says %s)",
                              vsn, file, got, path, line, want);
        n++;
    }
    free(text);
    if (rc == 0)
        *nfiles = n;
    return rc;
}
