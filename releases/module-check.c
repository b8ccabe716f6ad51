/* Reads a built module's descriptor to check its name and version.

   The object is loaded with dlopen(RTLD_LAZY | RTLD_LOCAL): pack only reads
   the user's own build output, never an object taken from an archive (unpack
   does not load modules; the node does, with its own checks). */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relman/module.h"
#include "releases-internal.h"

int rm__module_check(const char *path, const char *name, const char *version, struct rm_error *err)
{
    char real[PATH_MAX];
    if (!realpath(path, real))
        return rm_error_set(err, RM_ENOENT, "module '%s': no such file", path);
    void *h = dlopen(real, RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        return rm_error_set(err, RM_ELOAD, "module '%s': cannot load: %s", path,
                            why ? why : "unknown error");
    }
    const struct rm_module_desc *d = dlsym(h, RM_MODULE_SYMBOL);
    int rc = 0;
    if (!d)
        rc = rm_error_set(err, RM_ELOAD, "module '%s': no '%s' descriptor", path, RM_MODULE_SYMBOL);
    else if (d->abi_version != RM_MODULE_ABI_VERSION)
        rc = rm_error_set(err, RM_ELOAD, "module '%s': ABI version %u, relman expects %u", path,
                          (unsigned)d->abi_version, (unsigned)RM_MODULE_ABI_VERSION);
    else if (!d->name || strcmp(d->name, name) != 0)
        rc = rm_error_set(err, RM_ELOAD, "module '%s': built as module '%s', the spec says '%s'",
                          path, d->name ? d->name : "(none)", name);
    else if (!d->version || strcmp(d->version, version) != 0)
        rc = rm_error_set(err, RM_ELOAD, "module '%s': built as version '%s', the spec says '%s'",
                          path, d->version ? d->version : "(none)", version);
    dlclose(h);
    return rc;
}
