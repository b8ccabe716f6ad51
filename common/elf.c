/*
 * elf.c - the undefined dynamic symbols of a 64-bit ELF object, read from
 * its section headers (.dynsym and the string table it links to) in a
 * read-only mapping of the file. The file is untrusted: every offset, size
 * and index is checked against the mapping before it is followed.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relman/elf.h"

/* Whether [off, off + len) lies inside a file of `size` bytes. */
static int inside(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

static int scan(const unsigned char *m, uint64_t size, const char *path,
                int (*fn)(const char *name, void *ud), void *ud, struct rm_error *err)
{
    const Elf64_Ehdr *eh = (const void *)m;
    if (size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
        return rm_error_set(err, RM_ELOAD, "'%s' is not an ELF object", path);
    if (eh->e_ident[EI_CLASS] != ELFCLASS64)
        return rm_error_set(err, RM_ELOAD, "'%s' is not a 64-bit ELF object", path);
    if (eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !inside(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), size))
        return rm_error_set(err, RM_ELOAD, "'%s': section headers out of the file", path);
    const Elf64_Shdr *sh = (const void *)(m + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM)
            continue;
        if (sh[i].sh_entsize != sizeof(Elf64_Sym) || !inside(sh[i].sh_offset, sh[i].sh_size, size) ||
            sh[i].sh_link >= eh->e_shnum)
            return rm_error_set(err, RM_ELOAD, "'%s': dynamic symbol table out of the file", path);
        const Elf64_Shdr *strs = &sh[sh[i].sh_link];
        if (!inside(strs->sh_offset, strs->sh_size, size) || strs->sh_size == 0 ||
            m[strs->sh_offset + strs->sh_size - 1] != '\0')
            return rm_error_set(err, RM_ELOAD, "'%s': dynamic string table out of the file", path);
        const Elf64_Sym *sym = (const void *)(m + sh[i].sh_offset);
        const char *names = (const char *)m + strs->sh_offset;
        for (uint64_t k = 0; k < sh[i].sh_size / sizeof *sym; k++) {
            if (sym[k].st_shndx != SHN_UNDEF || sym[k].st_name == 0)
                continue;
            if (sym[k].st_name >= strs->sh_size)
                return rm_error_set(err, RM_ELOAD, "'%s': symbol name out of its table", path);
            int rc = fn(names + sym[k].st_name, ud);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int rm_elf_imports(const char *path, int (*fn)(const char *name, void *ud), void *ud,
                   struct rm_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rm_error_set(err, errno == ENOENT ? RM_ENOENT : RM_EIO, "cannot open '%s': %s", path,
                            strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        close(fd);
        return rm_error_set(err, RM_ELOAD, "'%s' is not a regular, non-empty file", path);
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return rm_error_set(err, RM_EIO, "cannot map '%s': %s", path, strerror(errno));
    int rc = scan(m, (uint64_t)st.st_size, path, fn, ud, err);
    munmap(m, (size_t)st.st_size);
    return rc;
}
