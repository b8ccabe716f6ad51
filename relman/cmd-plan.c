/*
 * relman plan: prints the low-level plan of a transition as a relup
 * document (the manifest spelling, one instruction per line) or as JSON.
 *
 * Offline forms, on files:
 *   relman plan --appup FILE --from VSN     one application, up from VSN
 *   relman plan --appup FILE --to VSN       one application, down to VSN
 *   relman plan --from REL --to REL [--path DIR]...
 *       two releases, each a release archive, a release.yaml, a release
 *       directory (ROOT/releases/<vsn>) or a root holding one release; their
 *       applications (<app>-<vsn>/) are searched in each --path DIR, then in
 *       the release file's directory, its lib/ and its ../../lib
 * Each form is one function below; main parsing picks one.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "relman/archive.h"
#include "relman/fsutil.h"
#include "relman/manifest.h"
#include "relman/plan.h"

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
    const char **path; /* --path directories, searched first */
    size_t npath;
    int json;
};

/* Prints the plan, with a comment line naming its first irreversible step. */
static int print_plan(const struct rm_plan *plan, enum rm_direction dir, const char *from,
                      const char *to, int json)
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
    if (json)
        client_print_plan_json(text, strlen(text),
                               (uint64_t)(rm_plan_first_irreversible(plan) + 1));
    else
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
    enum rm_direction dir = o->from ? RM_UP : RM_DOWN;
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
            status = dir == RM_UP ? print_plan(&plan, dir, vsn, doc.version, o->json)
                                  : print_plan(&plan, dir, doc.version, vsn, o->json);
            rm_plan_free(&plan);
        }
    }
    if (have)
        rm_app_free(&app);
    rm_appup_free(&doc);
    return status;
}

/* The default places of a release's applications, beside its file. */
#define N_DEFAULT_DIRS 3

/* A release given on the command line, loaded, and where its applications
   are searched: the --path directories, then the defaults. */
struct rel_arg {
    struct rm_release rel;
    const char **dirs;
    size_t n_dirs;
    char defaults[N_DEFAULT_DIRS][4096];
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

/*
 * Rewrites `path` without "." components and "dir/.." pairs ("rel-1/../../lib"
 * becomes "../lib") when the result names the same directory, so that
 * messages show short paths; leaves it as it is otherwise (a symbolic link).
 */
static void tidy_path(char *path, size_t size)
{
    char out[4096];
    size_t n = 0, kept = 0; /* kept: components of `out` that are not ".." */
    int abs = path[0] == '/';
    out[0] = '\0';
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, "/");
        if (len == 1 && p[0] == '.') {
            /* skip */
        } else if (len == 2 && p[0] == '.' && p[1] == '.' && kept > 0) {
            char *slash = strrchr(out, '/');
            n = slash ? (size_t)(slash - out) : 0;
            out[n] = '\0';
            kept--;
        } else if (len > 0) {
            if (n + len + 2 >= sizeof out)
                return;
            if (n > 0 || abs)
                out[n++] = '/';
            memcpy(out + n, p, len);
            n += len;
            out[n] = '\0';
            if (!(len == 2 && p[0] == '.' && p[1] == '.'))
                kept++;
        }
        p += len;
        while (*p == '/')
            p++;
    }
    if (n == 0)
        snprintf(out, sizeof out, "%s", abs ? "/" : ".");
    struct stat a, b;
    if (stat(path, &a) == 0 && stat(out, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino &&
        strlen(out) < size)
        snprintf(path, size, "%s", out);
}

/* Finds and loads the release `arg` names (see the file comment). */
static int load_rel(const char *arg, const struct plan_opts *o, struct rel_arg *r,
                    struct rm_error *err)
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
    /* Beside the file; in a root, it is releases/<vsn>/ and lib/ is two
       levels up. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", file);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    static const char *const fmts[N_DEFAULT_DIRS] = {"%s", "%s/lib", "%s/../../lib"};
    r->dirs = calloc(o->npath + N_DEFAULT_DIRS, sizeof *r->dirs);
    if (!r->dirs)
        return rm_error_nomem(err);
    for (size_t i = 0; i < o->npath; i++)
        r->dirs[r->n_dirs++] = o->path[i];
    for (int i = 0; i < N_DEFAULT_DIRS; i++) {
        if (path_fmt(err, r->defaults[i], sizeof r->defaults[i], fmts[i], dir) < 0)
            return -1;
        tidy_path(r->defaults[i], sizeof r->defaults[i]);
        r->dirs[r->n_dirs++] = r->defaults[i];
    }
    return rm_release_load(file, &r->rel, err);
}

static void free_rel(struct rel_arg *r)
{
    rm_release_free(&r->rel);
    free(r->dirs);
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
    } else if (load_rel(o->from, o, from, &err) < 0 || load_rel(o->to, o, to, &err) < 0) {
        status = cmd_fail(&err);
    } else {
        struct rm_plan plan;
        struct rm_app *pre = NULL, *post = NULL;
        if (rm_release_load_apps(&from->rel, from->dirs, from->n_dirs, &pre, &err) < 0 ||
            rm_release_load_apps(&to->rel, to->dirs, to->n_dirs, &post, &err) < 0 ||
            rm_plan_release_apps(&from->rel, pre, &to->rel, post, &plan, &err) < 0) {
            status = cmd_fail(&err);
        } else {
            status = print_plan(&plan, plan.dir, from->rel.version, to->rel.version, o->json);
            rm_plan_free(&plan);
        }
        rm_release_apps_free(pre, pre ? from->rel.n_apps : 0);
        rm_release_apps_free(post, post ? to->rel.n_apps : 0);
    }
    if (from)
        free_rel(from);
    if (to)
        free_rel(to);
    free(from);
    free(to);
    return status;
}

/* Parses the offline forms' options into `o` and runs the form they name. */
static int plan_args(const struct cmd_entry *self, int argc, char **argv, struct plan_opts *op)
{
    struct plan_opts o = *op;
    for (int i = 1; i < argc; i++) {
        const char *path = NULL;
        const char **slot = strcmp(argv[i], "--path") == 0    ? &path
                            : strcmp(argv[i], "--appup") == 0 ? &o.appup
                            : strcmp(argv[i], "--from") == 0  ? &o.from
                            : strcmp(argv[i], "--to") == 0    ? &o.to
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
        if (path)
            o.path[o.npath++] = path;
    }
    if (o.appup) {
        if (!o.from == !o.to)
            return cmd_usage(self, "--appup needs exactly one of --from VSN and --to VSN");
        if (o.npath)
            return cmd_usage(self, "--path goes with --from REL --to REL, not with --appup");
        return plan_appup(&o);
    }
    if (!o.from || !o.to)
        return cmd_usage(self, "give --appup FILE with --from or --to, or --from REL --to REL");
    return plan_releases(&o);
}

static int exec_plan(const struct cmd_entry *self, int argc, char **argv)
{
    struct plan_opts o = {0};
    const char *root = NULL;
    argc = cmd_common_opts(self, argc, argv, &root, &o.json, 1);
    if (argc < 0)
        return CMD_USAGE;
    if (argc == 2 && argv[1][0] != '-') /* the live form: from the node's running release */
        return client_plan(self, cmd_root(root), argv[1], o.json);
    o.path = calloc((size_t)argc + 1, sizeof *o.path);
    if (!o.path)
        return cmd_fail(&(struct rm_error){.code = RM_ENOMEM, .msg = "out of memory"});
    int status = plan_args(self, argc, argv, &o);
    free(o.path);
    return status;
}

/* clang-format off */
static const struct cmd_option options[] = {
    CMD_OPT_ROOT,
    {.name = "--appup", .value = "FILE", .help = "offline: the plan of one application's appup"},
    {.name = "--from", .value = "VSN", .help = "offline: the version (or release) gone from"},
    {.name = "--to", .value = "VSN", .help = "offline: the version (or release) gone to"},
    {.name = "--path", .value = "DIR", .help = "offline: search DIR for the releases' applications (repeatable)"},
    CMD_OPT_JSON("print the plan as JSON instead of a relup document"),
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_plan_entry = {
    .name = "plan",
    .args = "VSN | --appup FILE --from|--to VSN | --from REL --to REL [--path DIR]... [--json]",
    .summary = "print the low-level plan of an upgrade or downgrade, live or offline",
    .exec = exec_plan,
    .options = options,
    .exits = CMD_EXITS_NODE,
    .msg = RM_MSG_RH_PLAN,
};
