/* relman new module|app|release NAME [--dir DIR]: write a project skeleton
   that builds with find_package(relman) and, for an application, packs its
   first release out of the box (as `rebar3 new` does). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "relman/fsutil.h"
#include "relman/vocab.h"

/* A module, version "1": a counter with a format_state, and a code_change
   that shows where a migration from an older version goes. */
static const char module_c[] =
    "/*\n"
    " * Module @NAME@, version \"1\" (from `relman new`). Its state is a count;\n"
    " * the call \"get\" answers it, \"incr\" adds one. A later version that\n"
    " * changes the state's layout converts it in code_change.\n"
    " */\n"
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "\n"
    "#include \"relman/module.h\"\n"
    "\n"
    "struct state {\n"
    "    long count;\n"
    "};\n"
    "\n"
    "static int m_init(struct rm_ctx *ctx, const char *arg, void **state)\n"
    "{\n"
    "    struct state *s = calloc(1, sizeof *s);\n"
    "    if (!s) {\n"
    "        rm_fail(ctx, \"out of memory\");\n"
    "        return RM_FAIL;\n"
    "    }\n"
    "    s->count = arg && *arg ? strtol(arg, NULL, 10) : 0;\n"
    "    *state = s;\n"
    "    return RM_CONTINUE;\n"
    "}\n"
    "\n"
    "static int m_call(struct rm_ctx *ctx, const void *msg, size_t len, void **state)\n"
    "{\n"
    "    struct state *s = *state;\n"
    "    char buf[32];\n"
    "    if (len == 4 && memcmp(msg, \"incr\", 4) == 0)\n"
    "        s->count++;\n"
    "    else if (len != 3 || memcmp(msg, \"get\", 3) != 0) {\n"
    "        rm_reply(ctx, \"unknown request\", 15);\n"
    "        return RM_CONTINUE;\n"
    "    }\n"
    "    int k = snprintf(buf, sizeof buf, \"%ld\", s->count);\n"
    "    rm_reply(ctx, buf, (size_t)k);\n"
    "    return RM_CONTINUE;\n"
    "}\n"
    "\n"
    "/* Builds the new state from the old one, without touching the old one\n"
    "   (it is kept until the upgrade commits). `vsn` is the version upgraded\n"
    "   from (dir RM_UP) or downgraded to (RM_DOWN). */\n"
    "static int m_code_change(struct rm_ctx *ctx, enum rm_direction dir, const char *vsn,\n"
    "                         const void *old_state, const char *extra, void **new_state)\n"
    "{\n"
    "    struct state *s = malloc(sizeof *s);\n"
    "    if (!s) {\n"
    "        rm_fail(ctx, \"out of memory\");\n"
    "        return RM_FAIL;\n"
    "    }\n"
    "    *s = *(const struct state *)old_state; /* the same layout: a copy */\n"
    "    *new_state = s;\n"
    "    return RM_CONTINUE;\n"
    "}\n"
    "\n"
    "static int m_format(const void *state, char *buf, size_t size)\n"
    "{\n"
    "    return snprintf(buf, size, \"{count,%ld}\", ((const struct state *)state)->count);\n"
    "}\n"
    "\n"
    "RM_MODULE(.name = \"@NAME@\", .version = \"1\", .init = m_init, .handle_call = m_call,\n"
    "          .code_change = m_code_change, .format_state = m_format);\n";

static const char module_cmake[] =
    "# Module @NAME@ (from `relman new module`): cmake -B build && cmake --build build\n"
    "cmake_minimum_required(VERSION 3.18)\n"
    "project(@NAME@ LANGUAGES C)\n"
    "find_package(relman REQUIRED)\n"
    "relman_add_module(@NAME@_1 NAME @NAME@ VERSION 1 SOURCES @NAME@.c OUTPUT_DIRECTORY "
    "lib/@NAME@-1)\n";

static const char app_cmake[] =
    "# Application @NAME@ (from `relman new app`): its module, and release 1\n"
    "# packed into build/@NAME@-1.tar.gz by `cmake -B build && cmake --build build`.\n"
    "# A new version: copy @NAME@.c, bump the versions, add lib/@NAME@-2 with\n"
    "# an appup, rel-2, and a second relman_add_module/relman_pack_release pair.\n"
    "cmake_minimum_required(VERSION 3.18)\n"
    "project(@NAME@ LANGUAGES C)\n"
    "find_package(relman REQUIRED)\n"
    "relman_add_module(@NAME@_1 NAME @NAME@ VERSION 1 SOURCES @NAME@.c OUTPUT_DIRECTORY "
    "lib/@NAME@-1)\n"
    "relman_pack_release(@NAME@_release_1 SPEC rel-1/release.yaml OUTPUT @NAME@-1.tar.gz\n"
    "                    PATH ${CMAKE_CURRENT_SOURCE_DIR}/lib ${CMAKE_CURRENT_BINARY_DIR}/lib\n"
    "                    MODULES @NAME@_1 DEPENDS lib/@NAME@-1/@NAME@.app.yaml)\n";

static const char app_yaml[] =
    "# Application @NAME@ \"1\": module @NAME@ at version \"1\" and one process.\n"
    "application: @NAME@\n"
    "version: \"1\"\n"
    "description: @NAME@ (from relman new)\n"
    "modules:\n"
    "  - name: @NAME@\n"
    "    version: \"1\"\n"
    "processes:\n"
    "  - name: @NAME@\n"
    "    module: @NAME@\n";

static const char release_yaml[] = "# Release @NAME@ \"1\": application @NAME@ \"1\".\n"
                                   "release: @NAME@\n"
                                   "version: \"1\"\n"
                                   "applications:\n"
                                   "  - name: @NAME@\n"
                                   "    version: \"1\"\n";

static const char release_cmake[] =
    "# Release @NAME@ (from `relman new release`): packs rel-1/release.yaml into\n"
    "# build/@NAME@-1.tar.gz. Put each application's files in lib/APP-VSN/ (its\n"
    "# .app.yaml, appups and built modules), or add PATH directories.\n"
    "cmake_minimum_required(VERSION 3.18)\n"
    "project(@NAME@_release NONE)\n"
    "find_package(relman REQUIRED)\n"
    "relman_pack_release(@NAME@_release_1 SPEC rel-1/release.yaml OUTPUT @NAME@-1.tar.gz\n"
    "                    PATH ${CMAKE_CURRENT_SOURCE_DIR}/lib)\n";

/* One file of a skeleton: its path under the directory and its text. */
struct skel_file {
    const char *path; /* with @NAME@ */
    const char *text;
};

static const struct skel_file module_files[] = {
    {"CMakeLists.txt", module_cmake}, {"@NAME@.c", module_c}, {0}};
static const struct skel_file app_files[] = {{"CMakeLists.txt", app_cmake},
                                             {"@NAME@.c", module_c},
                                             {"lib/@NAME@-1/@NAME@.app.yaml", app_yaml},
                                             {"rel-1/release.yaml", release_yaml},
                                             {0}};
static const struct skel_file release_files[] = {
    {"CMakeLists.txt", release_cmake}, {"rel-1/release.yaml", release_yaml}, {0}};

/* `text` with every `token` replaced by `value`, in a new string. */
static char *replace(const char *text, const char *token, const char *value)
{
    size_t n = strlen(value), t = strlen(token), len = strlen(text), count = 0;
    for (const char *p = text; (p = strstr(p, token)); p += t)
        count++;
    char *out = malloc(len + count * n + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p = text, *at;; p = at + t) {
        at = strstr(p, token);
        if (!at) {
            strcpy(o, p);
            return out;
        }
        memcpy(o, p, (size_t)(at - p));
        o += at - p;
        memcpy(o, value, n);
        o += n;
    }
}

/* `text` with every @NAME@ replaced by `name`, in a new string. */
static char *expand(const char *text, const char *name)
{
    return replace(text, "@NAME@", name);
}

static int write_skeleton(const struct cmd_entry *self, const struct skel_file *files,
                          const char *name, const char *dir, struct rm_error *err)
{
    struct stat st;
    if (stat(dir, &st) == 0)
        return rm_error_set(err, RM_EEXIST, "%s: '%s' exists already; choose another --dir",
                            self->name, dir);
    printf("writing %s '%s' into '%s':\n", self->name + 4, name, dir);
    for (const struct skel_file *f = files; f->path; f++) {
        char *rel = expand(f->path, name), *text = expand(f->text, name);
        char path[4096], parent[4096];
        int rc = -1;
        if (!rel || !text)
            rm_error_set(err, RM_ENOMEM, "%s: out of memory", self->name);
        else if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, rel) >= sizeof path)
            rm_error_set(err, RM_ELIMIT, "%s: path '%s/%s' is too long", self->name, dir, rel);
        else {
            snprintf(parent, sizeof parent, "%s", path);
            *strrchr(parent, '/') = '\0';
            rc = rm_fs_mkdirs(parent, 0755, err) < 0
                     ? -1
                     : rm_fs_write_atomic(path, text, strlen(text), 0644, err);
        }
        if (rc == 0)
            printf("  %s\n", path);
        free(rel);
        free(text);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Shared by the three: NAME [--dir DIR]; the directory defaults to NAME. */
static int exec_new(const struct cmd_entry *self, int argc, char **argv,
                    const struct skel_file *files, const char *next)
{
    const char *name = NULL, *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0) {
            if (i + 1 >= argc)
                return cmd_usage(self, "option '--dir' needs a value");
            dir = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cmd_usage(self, "unknown option '%s'", argv[i]);
        } else if (!name) {
            name = argv[i];
        } else {
            return cmd_usage(self, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!name)
        return cmd_usage(self, "a NAME is needed");
    struct rm_error err;
    if (rm_name_check(name, "name", &err) < 0 || strchr(name, '.'))
        return cmd_usage(self, "'%s' is not a usable name: letters, digits, '_' and '-'", name);
    if (!dir)
        dir = name;
    if (write_skeleton(self, files, name, dir, &err) < 0)
        return cmd_fail(&err);
    char *with_name = expand(next, name),
         *text = with_name ? replace(with_name, "@DIR@", dir) : NULL;
    printf("next: %s\n", text ? text : next);
    free(with_name);
    free(text);
    return CMD_OK;
}

static int exec_new_module(const struct cmd_entry *self, int argc, char **argv)
{
    return exec_new(
        self, argc, argv, module_files,
        "cmake -S @DIR@ -B @DIR@/build && cmake --build @DIR@/build (with relman installed)");
}

static int exec_new_app(const struct cmd_entry *self, int argc, char **argv)
{
    return exec_new(self, argc, argv, app_files,
                    "cmake -S @DIR@ -B @DIR@/build && cmake --build @DIR@/build packs "
                    "@DIR@/build/@NAME@-1.tar.gz; then relman node start --root ROOT "
                    "--release @DIR@/build/@NAME@-1.tar.gz --detach");
}

static int exec_new_release(const struct cmd_entry *self, int argc, char **argv)
{
    return exec_new(self, argc, argv, release_files,
                    "@DIR@/rel-1/release.yaml lists application @NAME@ \"1\": put its files "
                    "(.app.yaml, modules) in @DIR@/lib/@NAME@-1/ or change the list, then "
                    "cmake -S @DIR@ -B @DIR@/build && cmake --build @DIR@/build");
}

/* clang-format off */
static const struct cmd_option options[] = {
    {.name = "--dir", .value = "DIR", .help = "write into DIR (default: NAME), which must not exist"},
    {0},
};
/* clang-format on */

const struct cmd_entry cmd_new_module_entry = {
    .name = "new module",
    .args = "NAME [--dir DIR]",
    .summary = "write a module skeleton (code_change, format_state) that builds with "
               "find_package(relman)",
    .exec = exec_new_module,
    .options = options,
    .exits = CMD_EXITS_OFFLINE,
    .msg = RM_MSG_NONE,
};

const struct cmd_entry cmd_new_app_entry = {
    .name = "new app",
    .args = "NAME [--dir DIR]",
    .summary = "write an application skeleton (module, manifest, release 1) that builds and "
               "packs",
    .exec = exec_new_app,
    .options = options,
    .exits = CMD_EXITS_OFFLINE,
    .msg = RM_MSG_NONE,
};

const struct cmd_entry cmd_new_release_entry = {
    .name = "new release",
    .args = "NAME [--dir DIR]",
    .summary = "write a release skeleton (rel-1/release.yaml, CMakeLists.txt) that packs",
    .exec = exec_new_release,
    .options = options,
    .exits = CMD_EXITS_OFFLINE,
    .msg = RM_MSG_NONE,
};
