/*
 * relman plan: prints the low-level plan of a transition as a relup
 * document (the manifest spelling, one instruction per line) or as JSON.
 *
 * Offline forms, on files:
 *   relman plan --appup FILE --from VSN     one application, up from VSN
 *   relman plan --appup FILE --to VSN       one application, down to VSN
 *   relman plan --from REL --to REL         two releases, each a release
 *       archive, a release.yaml, a release directory (ROOT/releases/<vsn>)
 *       or a root holding one release
 * Each form is one function below; main parsing picks one.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "relman/archive.h"
#include "relman/fsutil.h"
#include "relman/manifest.h"
#include "relman/plan.h"
#include "rh.h"

/* snprintf into `buf` that fails with a message when the path is cut. */
static int path_fmt(struct rm_error *err, char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int path_fmt(struct rm_error *err, char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size)
        return rm_error_set(err, RM_ELIMIT, "path too long: '%.100s...'", buf);
    return 0;
}

struct plan_opts {
    const char *appup;
    const char *from;
    const char *to;
    int json;
};

/* Prints the plan, with a comment line naming its first irreversible step. */
static int print_plan(const struct rm_plan *plan, enum rm_dir dir, const char *from, const char *to,
                      int json)
{
    struct rm_error err = {0};
    char *text = json ? rm_plan_to_json(plan, dir, from, to, &err)
                      : rm_plan_to_yaml(plan, dir, from, to, &err);
    if (!text)
        return cmd_fail(&err);
    if (!json) {
        long k = rm_plan_first_irreversible(plan);
        if (k < 0)
            printf("# every step can be undone in place\n");
        else
            printf("# step %ld (%s) cannot be undone: a failure after it restarts the node\n",
                   k + 1, rm_instr_name(plan->v[k].kind));
    }
    fputs(text, stdout);
    free(text);
    return CMD_OK;
}

/* Loads <dir of FILE>/<app>.app.yaml when it is there (into *app). */
static int beside_app(const char *appup_path, const char *name, struct rm_app *app, int *have,
                      struct rm_error *err)
{
    char path[4096];
    const char *slash = strrchr(appup_path, '/');
    int dir = slash ? (int)(slash - appup_path) : 1;
    snprintf(path, sizeof path, "%.*s/%s%s", dir, slash ? appup_path : ".", name,
             RM_APP_FILE_SUFFIX);
    *have = 0;
    if (!rm_fs_exists(path))
        return 0;
    if (rm_app_load(path, app, err) < 0)
        return -1;
    *have = 1;
    return 0;
}

static int plan_appup(const struct plan_opts *o)
{
    struct rm_error err = {0};
    struct rm_appup doc;
    if (rm_appup_load(o->appup, &doc, &err) < 0)
        return cmd_fail(&err);
    enum rm_dir dir = o->from ? RM_DIR_UP : RM_DIR_DOWN;
    const char *vsn = o->from ? o->from : o->to;
    struct rm_app app;
    int have = 0, status;
    if (beside_app(o->appup, doc.application, &app, &have, &err) < 0) {
        rm_appup_free(&doc);
        return cmd_fail(&err);
    }
    if (have && strcmp(app.version, doc.version) != 0) {
        rm_error_set(&err, RM_EPARSE,
                     "%s:%u:%u: appup is for version '%s' of '%s', but %s is version '%s'",
                     doc.file, doc.loc.line, doc.loc.col, doc.version, doc.application, app.file,
                     app.version);
        status = cmd_fail(&err);
    } else {
        struct rm_plan plan;
        if (rm_plan_appup(&doc, dir, vsn, have ? &app : NULL, NULL, &plan, &err) < 0) {
            status = cmd_fail(&err);
        } else {
            status = dir == RM_DIR_UP ? print_plan(&plan, dir, vsn, doc.version, o->json)
                                      : print_plan(&plan, dir, doc.version, vsn, o->json);
            rm_plan_free(&plan);
        }
    }
    if (have)
        rm_app_free(&app);
    rm_appup_free(&doc);
    return status;
}

/* A release given on the command line, loaded, and where its lib/ is. */
struct rel_arg {
    struct rm_release rel;
    char lib[4096];
    char tmp[4096]; /* the temporary root an archive was unpacked into, or "" */
};

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The only releases/<vsn>/release.yaml under root `dir`, into `out`. */
static int only_release(const char *dir, char *out, size_t size, struct rm_error *err)
{
    char path[4096];
    if (path_fmt(err, path, sizeof path, "%s/releases", dir) < 0)
        return -1;
    DIR *d = opendir(path);
    if (!d)
        return rm_error_set(err, RM_ENOENT,
                            "'%s' is not a release: no release.yaml and no releases/ in it", dir);
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char cand[4096];
        if (e->d_name[0] == '.')
            continue;
        if (path_fmt(NULL, cand, sizeof cand, "%s/%s/%s", path, e->d_name, RM_RELEASE_FILE) < 0 ||
            !rm_fs_exists(cand))
            continue;
        if (found++) {
            closedir(d);
            return rm_error_set(err, RM_EINVAL, "'%s' holds several releases: name one as %s/<vsn>",
                                dir, path);
        }
        snprintf(out, size, "%s", cand);
    }
    closedir(d);
    if (!found)
        return rm_error_set(err, RM_ENOENT, "'%s' holds no release", dir);
    return 0;
}

/* Finds and loads the release `arg` names (see the file comment). */
static int load_rel(const char *arg, struct rel_arg *r, struct rm_error *err)
{
    char file[4096];
    const char *root = arg;
    r->tmp[0] = '\0';
    size_t len = strlen(arg);
    if (!is_dir(arg) && !(len > 5 && strcmp(arg + len - 5, ".yaml") == 0)) {
        const char *base = getenv("TMPDIR");
        snprintf(r->tmp, sizeof r->tmp, "%s/relman-plan-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(r->tmp)) {
            r->tmp[0] = '\0';
            return rm_error_set(err, RM_EIO, "cannot make a temporary directory for '%s'", arg);
        }
        struct rm_unpack_opts opts = {.no_sync = 1};
        if (rm_release_unpack(arg, r->tmp, &opts, NULL, err) < 0)
            return -1;
        root = r->tmp;
    }
    if (!is_dir(root)) {
        snprintf(file, sizeof file, "%s", root);
    } else {
        if (path_fmt(err, file, sizeof file, "%s/%s", root, RM_RELEASE_FILE) < 0)
            return -1;
        if (!rm_fs_exists(file) && only_release(root, file, sizeof file, err) < 0)
            return -1;
    }
    /* file is <root>/releases/<vsn>/release.yaml: lib/ is two levels up. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", file);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    if (path_fmt(err, r->lib, sizeof r->lib, "%s/../../lib", dir) < 0)
        return -1;
    return rm_release_load(file, &r->rel, err);
}

static void free_rel(struct rel_arg *r)
{
    rm_release_free(&r->rel);
    if (r->tmp[0])
        rm_fs_remove_tree(r->tmp, NULL);
}

static int plan_releases(const struct plan_opts *o)
{
    struct rm_error err = {0};
    struct rel_arg *from = calloc(1, sizeof *from), *to = calloc(1, sizeof *to);
    int status;
    if (!from || !to) {
        rm_error_nomem(&err);
        status = cmd_fail(&err);
    } else if (load_rel(o->from, from, &err) < 0 || load_rel(o->to, to, &err) < 0) {
        status = cmd_fail(&err);
    } else {
        struct rm_plan plan;
        if (rm_plan_releases(&from->rel, from->lib, &to->rel, to->lib, &plan, &err) < 0) {
            status = cmd_fail(&err);
        } else {
            enum rm_dir dir = plan.dir;
            status = print_plan(&plan, dir, from->rel.version, to->rel.version, o->json);
            rm_plan_free(&plan);
        }
    }
    if (from)
        free_rel(from);
    if (to)
        free_rel(to);
    free(from);
    free(to);
    return status;
}

static int exec_plan(const struct cmd_entry *self, int argc, char **argv)
{
    struct plan_opts o = {0};
    const char *root = NULL;
    argc = cmd_common_opts(self, argc, argv, &root, &o.json, 1);
    if (argc < 0)
        return CMD_USAGE;
    if (argc == 2 && argv[1][0] != '-') /* the live form: from the node's running release */
        return rh_client_plan(self, cmd_root(root), argv[1], o.json);
    for (int i = 1; i < argc; i++) {
        const char **slot = strcmp(argv[i], "--appup") == 0  ? &o.appup
                            : strcmp(argv[i], "--from") == 0 ? &o.from
                            : strcmp(argv[i], "--to") == 0   ? &o.to
                                                             : NULL;
        if (!slot)
            return cmd_usage(self,
                             argv[i][0] == '-' ? "unknown option '%s'"
                                               : "unexpected argument '%s' (the live form "
                                                 "'plan VSN' needs the release handler)",
                             argv[i]);
        if (i + 1 >= argc)
            return cmd_usage(self, "option '%s' needs a value", argv[i]);
        *slot = argv[++i];
    }
    if (o.appup) {
        if (!o.from == !o.to)
            return cmd_usage(self, "--appup needs exactly one of --from VSN and --to VSN");
        return plan_appup(&o);
    }
    if (!o.from || !o.to)
        return cmd_usage(self, "give --appup FILE with --from or --to, or --from REL --to REL");
    return plan_releases(&o);
}

const struct cmd_entry cmd_plan_entry = {
    .name = "plan",
    .args = "VSN | --appup FILE --from|--to VSN | --from REL --to REL [--json]",
    .summary = "print the low-level plan of an upgrade or downgrade, live or offline",
    .exec = exec_plan,
};
