/*
 * relman/elf.h - what a shared object asks of the rest of the process: its
 * undefined dynamic symbols, read from the file (never by loading it, so
 * that none of its code runs). The node uses it to refuse modules that
 * would start threads or register exit handlers before dlopen runs their
 * constructors.
 */
#ifndef RELMAN_ELF_H
#define RELMAN_ELF_H

#include "relman/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Calls fn(name, ud) for each undefined symbol in the dynamic symbol table
 * of the ELF object at `path`, in table order, until fn returns non-zero
 * (which is then returned). Returns 0 after the last one, or -1 with err
 * set when the file cannot be read or is not a well-formed 64-bit ELF
 * object: every offset and size is checked against the file before use.
 * An object without a dynamic symbol table has no imports (0).
 */
int rm_elf_imports(const char *path, int (*fn)(const char *name, void *ud), void *ud,
                   struct rm_error *err);

#ifdef __cplusplus
}
#endif
#endif
