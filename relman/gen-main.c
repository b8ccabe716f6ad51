/* relman-gen WHAT OUTPUT: writes the man page (WHAT "man"), the bash
   completion ("bash") or the zsh completion ("zsh") to the file OUTPUT,
   from the command table. Run by the build (relman/CMakeLists.txt). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gen.h"

int main(int argc, char **argv)
{
    static const struct {
        const char *what;
        void (*write)(FILE *f);
    } outputs[] = {{"man", gen_man}, {"bash", gen_bash}, {"zsh", gen_zsh}};
    if (argc != 3) {
        fprintf(stderr, "usage: relman-gen man|bash|zsh OUTPUT\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
        if (strcmp(argv[1], outputs[i].what) != 0)
            continue;
        FILE *f = fopen(argv[2], "w");
        if (!f) {
            fprintf(stderr, "relman-gen: cannot write '%s': %s\n", argv[2], strerror(errno));
            return 1;
        }
        outputs[i].write(f);
        if (ferror(f) | fclose(f)) {
            fprintf(stderr, "relman-gen: cannot write '%s'\n", argv[2]);
            return 1;
        }
        return 0;
    }
    fprintf(stderr, "relman-gen: unknown output '%s' (man, bash or zsh)\n", argv[1]);
    return 2;
}
