/*
 * Choosing the source of a plan: a relup given with the request, the relup
 * of the target or of the running release in ROOT/releases (as OTP's
 * releases/VSN/relup), or else the applications' appups.
 */
#include <stdio.h>
#include <string.h>

#include "handler-internal.h"
#include "relman/archive.h"
#include "relman/fsutil.h"
#include "relman/store.h"

void rm__plan_source_free(struct rm__plan_source *p)
{
    rm_plan_free(&p->plan);
    rm_appup_free(&p->relup);
    rm_handler_rel_free(&p->to);
}

/* Takes entry `e` (going `dir`) of the relup held in `doc` as the plan:
   checked again as the executor will run it (rm_plan_check). */
static int take_entry(struct rm__plan_source *p, struct rm_appup *doc, enum rm_direction dir,
                      const struct rm_appup_entry *e, struct rm_error *err)
{
    if (rm_plan_check(&e->script, err) < 0)
        return -1;
    p->relup = *doc;
    memset(doc, 0, sizeof *doc);
    p->plan = (struct rm_plan){.dir = dir, .v = e->script.v, .n = e->script.n};
    return 0;
}

/* ROOT/releases/<vsn>/relup.yaml into *doc when the file is there: 1, 0
   when it is not, -1 when it does not load or belongs to another release. */
static int load_relup(const char *root, const char *vsn, char *path, size_t size,
                      struct rm_appup *doc, struct rm_error *err)
{
    int k = snprintf(path, size, "%s/releases/%s/" RM_RELUP_FILE, root, vsn);
    if (k < 0 || (size_t)k >= size)
        return rm_error_set(err, RM_ELIMIT, "release '%s': path too long", vsn);
    if (!rm_fs_exists(path))
        return 0;
    if (rm_relup_load(path, doc, err) < 0)
        return -1;
    if (strcmp(doc->version, vsn) != 0) {
        rm_error_set(err, RM_EINVAL, "relup '%s' is the relup of release '%s', not '%s'", path,
                     doc->version, vsn);
        rm_appup_free(doc);
        return -1;
    }
    return 1;
}

/* The plan from a relup given with the request: its up entry from the
   running release when it is the target's relup, or its down entry to the
   target when it is the running release's. */
static int plan_given(const char *cur, const char *vsn, const struct rm_handler_relup *given,
                      struct rm__plan_source *p, struct rm_error *err)
{
    struct rm_appup doc;
    if (rm_relup_parse(given->name, given->data, given->len, &doc, err) < 0)
        return -1;
    const struct rm_appup_entry *e;
    int rc;
    if (strcmp(doc.version, vsn) == 0 && (e = rm_appup_find(&doc, RM_UP, cur)))
        rc = take_entry(p, &doc, RM_UP, e, err);
    else if (strcmp(doc.version, cur) == 0 && (e = rm_appup_find(&doc, RM_DOWN, vsn)))
        rc = take_entry(p, &doc, RM_DOWN, e, err);
    else
        rc = rm_error_set(err, RM_ENOPATH,
                          "relup '%s' (of release '%s') has no entry for the running release: "
                          "neither version '%s' with an up entry from '%s' nor version '%s' with "
                          "a down entry to '%s'",
                          given->name, doc.version, vsn, cur, cur, vsn);
    rm_appup_free(&doc);
    return rc;
}

/*
 * The plan from the relups of ROOT (as OTP's releases/VSN/relup): the
 * target's up entry from the running release, or the running release's
 * down entry to the target; else the appups. A relup that has entries in
 * the direction the appups give but none for these versions refuses the
 * install (its author decided how to get there). 0 or -1.
 */
static int plan_root(const char *root, const struct rm_handler_rel *running, const char *vsn,
                     struct rm__plan_source *p, struct rm_error *err)
{
    const char *cur = running->rel.version;
    char tpath[4200], rpath[4200];
    struct rm_appup tdoc = {0}, rdoc = {0};
    const struct rm_appup_entry *e;
    int t = load_relup(root, vsn, tpath, sizeof tpath, &tdoc, err), r = 0, rc;
    if (t >= 0)
        r = load_relup(root, cur, rpath, sizeof rpath, &rdoc, err);
    if (t < 0 || r < 0) {
        rc = -1;
    } else if (t > 0 && (e = rm_appup_find(&tdoc, RM_UP, cur))) {
        rc = take_entry(p, &tdoc, RM_UP, e, err);
    } else if (r > 0 && (e = rm_appup_find(&rdoc, RM_DOWN, vsn))) {
        rc = take_entry(p, &rdoc, RM_DOWN, e, err);
    } else {
        rc = rm_plan_release_apps(&running->rel, running->apps, &p->to.rel, p->to.apps, &p->plan,
                                  err);
        int up = rc == 0 ? p->plan.dir == RM_UP : t > 0 && tdoc.n_up > 0;
        if ((rc < 0 && up) || (rc == 0 && up && t > 0 && tdoc.n_up > 0))
            rc = rm_error_set(err, RM_ENOPATH,
                              "relup '%s' has no up entry from the running release '%s' (add "
                              "one, or remove its up entries to plan from the appups)",
                              tpath, cur);
        else if (rc == 0 && !up && r > 0 && rdoc.n_down > 0)
            rc = rm_error_set(err, RM_ENOPATH,
                              "relup '%s' has no down entry to release '%s' (add one, or remove "
                              "its down entries to plan from the appups)",
                              rpath, vsn);
    }
    rm_appup_free(&tdoc);
    rm_appup_free(&rdoc);
    return rc;
}

int rm__plan_source_choose(const char *root, const struct rm_handler_rel *running, const char *vsn,
                           const struct rm_handler_relup *given, struct rm__plan_source *p,
                           struct rm_error *err)
{
    memset(p, 0, sizeof *p);
    if (!running->rel.version)
        return rm_error_set(err, RM_ESTATE,
                            "the node at '%s' booted from its boot file and runs no release", root);
    if (strcmp(vsn, running->rel.version) == 0)
        return rm_error_set(err, RM_EEXIST, "release '%s' is already installed", vsn);
    struct rm_store *st = rm_store_open(root, 0, err);
    if (!st)
        return -1;
    int known = rm_store_find(st, vsn) != NULL;
    rm_store_close(st);
    if (!known)
        return rm_error_set(err, RM_ENOENT, "release '%s' is not known in '%s' (unpack it first)",
                            vsn, root);
    if (rm_handler_rel_load(root, vsn, &p->to, err) < 0)
        return -1;
    if ((given ? plan_given(running->rel.version, vsn, given, p, err)
               : plan_root(root, running, vsn, p, err)) < 0) {
        rm__plan_source_free(p);
        return -1;
    }
    return 0;
}
