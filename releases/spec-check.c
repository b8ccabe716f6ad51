/* Checks a release's specs against the files laid out beside them. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "relman/archive.h"
#include "relman/fsutil.h"
#include "relman/manifest.h"
#include "relman/plan.h"
#include "releases-internal.h"

/* Reads `dir`/`rel` into a new buffer. */
static int read_rel(const char *dir, const char *rel, char **data, size_t *len,
                    struct rm_error *err)
{
    char *path = rm_fs_join(dir, rel, err);
    if (!path)
        return -1;
    struct rm_error rerr;
    int rc = rm_fs_read_file(path, RM_MANIFEST_MAX_SIZE, data, len, &rerr);
    free(path);
    if (rc < 0)
        return rm_error_set(err, rerr.code, "cannot read '%s': %s", rel,
                            rerr.code == RM_ENOENT ? "no such file" : rm_strerror(rerr.code));
    return 0;
}

int rm__release_read(const char *dir, const char *rel, struct rm_release *out, struct rm_error *err)
{
    char *data;
    size_t len;
    if (read_rel(dir, rel, &data, &len, err) < 0)
        return -1;
    int rc = rm_release_parse(rel, data, len, out, err);
    free(data);
    return rc;
}

int rm__app_read(const char *dir, const char *rel, struct rm_app *out, struct rm_error *err)
{
    char *data;
    size_t len;
    if (read_rel(dir, rel, &data, &len, err) < 0)
        return -1;
    int rc = rm_app_parse(rel, data, len, out, err);
    free(data);
    return rc;
}

int rm__upgrade_doc_check(const char *dir, const char *rel, const char *app, const char *vsn,
                          int *found, struct rm_error *err)
{
    *found = 0;
    char path[PATH_MAX];
    if (rm_fs_path(path, sizeof path, err, "%s/%s", dir, rel) < 0)
        return -1;
    *found = rm_fs_exists(path);
    if (!*found)
        return 0;
    char *data;
    size_t len;
    if (read_rel(dir, rel, &data, &len, err) < 0)
        return -1;
    struct rm_appup doc = {0};
    int rc =
        app ? rm_appup_parse(rel, data, len, &doc, err) : rm_relup_parse(rel, data, len, &doc, err);
    free(data);
    if (rc < 0)
        return -1;
    if (app && strcmp(doc.application, app) != 0)
        rc = rm_error_set(err, RM_EPARSE,
                          "%s:%u:%u: appup of application '%s' lies in the directory of "
                          "application '%s'",
                          rel, doc.loc.line, doc.loc.col, doc.application, app);
    else if (strcmp(doc.version, vsn) != 0)
        rc = rm_error_set(err, RM_EPARSE,
                          "%s:%u:%u: %s version '%s' does not match the %s's version '%s'", rel,
                          doc.loc.line, doc.loc.col, app ? "appup" : "relup", doc.version,
                          app ? "application" : "release", vsn);
    rm_appup_free(&doc);
    return rc;
}

int rm__app_matches(const struct rm_app *app, const struct rm_release_app *ra, const char *file,
                    struct rm_error *err)
{
    if (strcmp(app->name, ra->name) != 0 || strcmp(app->version, ra->version) != 0)
        return rm_error_set(err, RM_EPARSE,
                            "%s:%u:%u: application '%s' version '%s' does not match the "
                            "release's '%s' version '%s'",
                            file, app->loc.line, app->loc.col, app->name, app->version, ra->name,
                            ra->version);
    return 0;
}

/* Checks one application of a release laid out under `dir`. */
static int check_app(const char *dir, const struct rm_release_app *ra, struct rm_error *err)
{
    char rel[PATH_MAX], path[PATH_MAX];
    if (rm_fs_path(rel, sizeof rel, err, "lib/%s-%s/%s%s", ra->name, ra->version, ra->name,
                   RM_APP_FILE_SUFFIX) < 0)
        return -1;
    struct rm_app app = {0};
    if (rm__app_read(dir, rel, &app, err) < 0)
        return -1;
    int rc = rm__app_matches(&app, ra, rel, err), found;
    if (rc == 0)
        rc = rm_fs_path(rel, sizeof rel, err, "lib/%s-%s/%s%s", ra->name, ra->version, ra->name,
                        RM_APPUP_FILE_SUFFIX);
    if (rc == 0)
        rc = rm__upgrade_doc_check(dir, rel, ra->name, ra->version, &found, err);
    for (size_t i = 0; rc == 0 && i < app.n_modules; i++) {
        struct stat st;
        if (rm_fs_path(path, sizeof path, err, "%s/lib/%s-%s/%s.so", dir, ra->name, ra->version,
                       app.modules[i].name) < 0)
            rc = -1;
        else if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
            rc = rm_error_set(err, RM_ENOENT,
                              "module 'lib/%s-%s/%s.so' of application '%s' is missing", ra->name,
                              ra->version, app.modules[i].name, ra->name);
    }
    rm_app_free(&app);
    return rc;
}

int rm__release_check(const char *dir, const char *vsn, struct rm_release *rel,
                      struct rm_error *err)
{
    char path[PATH_MAX];
    if (rm_fs_path(path, sizeof path, err, "releases/%s/%s", vsn, RM_RELEASE_FILE) < 0)
        return -1;
    struct rm_release tmp = {0};
    if (rm__release_read(dir, path, &tmp, err) < 0)
        return -1;
    if (strcmp(tmp.version, vsn) != 0) {
        rm_error_set(err, RM_EPARSE,
                     "%s:%u:%u: release version '%s' does not match its directory 'releases/%s'",
                     path, tmp.loc.line, tmp.loc.col, tmp.version, vsn);
        rm_release_free(&tmp);
        return -1;
    }
    int found;
    for (size_t i = 0; i < tmp.n_apps; i++)
        if (check_app(dir, &tmp.apps[i], err) < 0) {
            rm_release_free(&tmp);
            return -1;
        }
    if (rm_fs_path(path, sizeof path, err, "releases/%s/%s", vsn, RM_RELUP_FILE) < 0 ||
        rm__upgrade_doc_check(dir, path, NULL, vsn, &found, err) < 0) {
        rm_release_free(&tmp);
        return -1;
    }
    *rel = tmp;
    return 0;
}

int rm__release_config_check(const char *dir, const struct rm_release *rel, const char *root,
                             struct rm_error *err)
{
    char path[PATH_MAX], rpath[PATH_MAX];
    if (rm_fs_path(path, sizeof path, err, "%s/%s", root, RM_CONFIG_FILE) < 0)
        return -1;
    struct rm_config_override ov;
    if (rm_config_override_load(path, &ov, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < rel->n_apps; i++) {
        const struct rm_release_app *ra = &rel->apps[i];
        struct rm_app app = {0};
        struct rm_cfg *cfg = NULL;
        rc = rm_fs_path(rpath, sizeof rpath, err, "lib/%s-%s/%s%s", ra->name, ra->version,
                        ra->name, RM_APP_FILE_SUFFIX);
        if (rc == 0)
            rc = rm__app_read(dir, rpath, &app, err);
        if (rc == 0)
            rc = rm_config_effective(&app, &ov, 0, &cfg, err);
        free(cfg);
        rm_app_free(&app);
    }
    rm_config_override_free(&ov);
    return rc;
}
