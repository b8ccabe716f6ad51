/*
 * gen.h - relman-gen, run at build time: writes the man page relman(1) and
 * the bash and zsh completion scripts from the command table (cmd.h), so
 * that none of them can drift from the commands.
 */
#ifndef RELMAN_GEN_H
#define RELMAN_GEN_H

#include <stdio.h>

#include "cmd.h"

/* Writes relman(1) in roff (the man macros) to `f`. */
void gen_man(FILE *f);

/* Writes the bash completion script to `f`. */
void gen_bash(FILE *f);

/* Writes the zsh completion script (#compdef relman) to `f`. */
void gen_zsh(FILE *f);

/*
 * What a placeholder of a synopsis or an option's value stands for, as the
 * completion scripts complete it: "version" (VSN: a release of the node),
 * "process" (PROC: a process of the running node), "file", "dir", "words:a,b"
 * (a literal choice "a|b"), or "none". Writes into buf (at least 64 bytes).
 */
const char *gen_kind(const char *placeholder, char *buf, size_t size);

#endif
