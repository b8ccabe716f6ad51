/* Boots a node from ROOT/boot.yaml: loads its modules, starts its processes. */
#include <stdio.h>

#include "relman/handler.h"
#include "relman/manifest.h"

int rm_handler_boot_file(struct rm_node *node, const char *root, struct rm_error *err)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", root, RM_HANDLER_BOOT_FILE);
    if (n < 0 || (size_t)n >= sizeof path)
        return rm_error_set(err, RM_ELIMIT, "boot file of root '%s': path too long", root);
    struct rm_boot boot;
    if (rm_boot_load(path, &boot, err) < 0)
        return rm_error_prefix(err, "boot");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < boot.n_modules; i++) {
        const struct rm_boot_module *m = &boot.modules[i];
        if (rm_module_load(node, m->path, m->name, m->version, NULL, err) < 0)
            rc = rm_error_prefix(err, "boot: %s:%u:%u: load module '%s'", path, m->loc.line,
                                 m->loc.col, m->name);
    }
    for (size_t i = 0; rc == 0 && i < boot.n_processes; i++) {
        const struct rm_proc_spec *p = &boot.processes[i];
        struct rm_spawn_opts o = {
            .module = p->module,
            .name = p->name,
            .arg = p->arg,
            .restart = p->restart,
        };
        if (rm_proc_spawn(node, &o, NULL, err) < 0)
            rc = rm_error_prefix(err, "boot: %s:%u:%u: start process '%s'", path, p->loc.line,
                                 p->loc.col, p->name);
    }
    rm_boot_free(&boot);
    return rc;
}
