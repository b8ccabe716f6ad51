/*
 * Test module for the release handler's end-to-end tests, built under
 * several names (RH_MOD_NAME: "a", "b", "c") and versions
 * (RM_MODULE_BUILD_VERSION) from this one source. Its state is a count and
 * the number of code changes it went through:
 *   call "get"      the count, then count += 1
 *   call "peek"     the count
 *   call "vsn"      the version of the code that answers
 *   call "changes"  how many code changes the state went through
 *   call "sleep N"  sleeps N ms, then answers "slept"
 *   cast "add"      count += 1
 * init: a number sets the count.
 * code_change (either direction): extra "fail" fails with "asked to fail";
 * "sleep N" sleeps N ms first; the new state is a copy with changes + 1.
 *   call "thread"   starts a thread of its own running the module's code
 *                   (what a module must not do: it crashes the node once
 *                   the code is unloaded); it finds pthread_create with
 *                   dlsym, as a module bent on breaking the rule would,
 *                   since the node refuses one that imports it
 * apply function "mark" (path, text): writes text into the file at path.
 * Configuration (module API 2):
 *   call "cfg PATH"   the value at PATH of its application's configuration:
 *                     a string as is, an integer, true/false, "list N",
 *                     "map N: k1 k2 ...", or "unset"
 *   call "cfgchange"  how many config_change callbacks it had, then the
 *                     keys of the last: "N changed=[a,b] new=[] removed=[]"
 *   init "cfg-fail"   fails unless key "port" is set (read at boot)
 *   config_change     records the keys; a changed key "crash" makes it fail
 */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <pthread.h>
#include <unistd.h>

#include "relman/module.h"

struct mstate {
    long count;
    long changes;
    long cfg_changes;
    char last_change[400]; /* "changed=[..] new=[..] removed=[..]" */
};

static int m_init(struct rm_ctx *ctx, const char *arg, void **state)
{
    struct mstate *s = calloc(1, sizeof *s);
    if (!s)
        return RM_FAIL;
    int64_t port;
    if (arg && strcmp(arg, "cfg-fail") == 0 && rm_config_int(ctx, "port", &port) < 0) {
        free(s);
        rm_fail(ctx, "no port configured");
        return RM_FAIL;
    }
    s->count = arg && *arg ? strtol(arg, NULL, 10) : 0;
    *state = s;
    return RM_CONTINUE;
}

static int reply_num(struct rm_ctx *ctx, long v)
{
    char buf[32];
    int k = snprintf(buf, sizeof buf, "%ld", v);
    rm_reply(ctx, buf, (size_t)k);
    return RM_CONTINUE;
}

/* Answers the configuration value at `path`. */
static int reply_cfg(struct rm_ctx *ctx, const char *path)
{
    struct rm_config_item it;
    char buf[512];
    int k = 0;
    if (rm_config_get(ctx, path, &it) < 0) {
        k = snprintf(buf, sizeof buf, "unset");
    } else if (it.type == RM_CONFIG_STRING) {
        k = snprintf(buf, sizeof buf, "%s", it.str);
    } else if (it.type == RM_CONFIG_INTEGER) {
        k = snprintf(buf, sizeof buf, "%lld", (long long)it.integer);
    } else if (it.type == RM_CONFIG_BOOLEAN) {
        k = snprintf(buf, sizeof buf, "%s", it.boolean ? "true" : "false");
    } else if (it.type == RM_CONFIG_LIST) {
        k = snprintf(buf, sizeof buf, "list %zu", rm_config_count(ctx, path));
    } else {
        k = snprintf(buf, sizeof buf, "map %zu:", rm_config_count(ctx, path));
        const char *key;
        for (size_t i = 0; (key = rm_config_key(ctx, path, i)) && k < 400; i++)
            k += snprintf(buf + k, sizeof buf - (size_t)k, " %s", key);
    }
    rm_reply(ctx, buf, (size_t)k);
    return RM_CONTINUE;
}

/* "a,b" of the keys into buf. */
static void keys(const char *const *v, size_t n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        int k = snprintf(buf + used, size - used, "%s%s", i ? "," : "", v[i]);
        used += k > 0 ? (size_t)k : 0;
    }
}

static int m_config_change(struct rm_ctx *ctx, const struct rm_config_change *ch, void **state)
{
    struct mstate *s = *state;
    char c[100], a[100], r[100];
    keys(ch->changed, ch->n_changed, c, sizeof c);
    keys(ch->added, ch->n_added, a, sizeof a);
    keys(ch->removed, ch->n_removed, r, sizeof r);
    s->cfg_changes++;
    snprintf(s->last_change, sizeof s->last_change, "changed=[%s] new=[%s] removed=[%s]", c, a, r);
    for (size_t i = 0; i < ch->n_changed; i++)
        if (strcmp(ch->changed[i], "crash") == 0) {
            rm_fail(ctx, "config_change refused");
            return RM_FAIL;
        }
    return RM_CONTINUE;
}

/* A thread that keeps running this module's code, as a module must not. */
static void *spin(void *arg)
{
    for (;;)
        usleep(1000);
    return arg;
}

static int m_call(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    struct mstate *s = *state;
    const char *m = msg;
    if (len == 3 && memcmp(m, "get", 3) == 0)
        return reply_num(ctx, s->count++);
    if (len == 4 && memcmp(m, "peek", 4) == 0)
        return reply_num(ctx, s->count);
    if (len == 6 && memcmp(m, "thread", 6) == 0) {
        pthread_t t;
        int (*create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *) =
            (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))dlsym(
                RTLD_DEFAULT, "pthread_create");
        if (!create || create(&t, NULL, spin, NULL) != 0)
            return RM_FAIL;
        return reply_num(ctx, 1);
    }
    if (len == 7 && memcmp(m, "changes", 7) == 0)
        return reply_num(ctx, s->changes);
    if (len == 3 && memcmp(m, "vsn", 3) == 0) {
        rm_reply(ctx, RM_MODULE_BUILD_VERSION, strlen(RM_MODULE_BUILD_VERSION));
        return RM_CONTINUE;
    }
    if (len > 4 && memcmp(m, "cfg ", 4) == 0)
        return reply_cfg(ctx, m + 4);
    if (len == 9 && memcmp(m, "cfgchange", 9) == 0) {
        char buf[460];
        int k = snprintf(buf, sizeof buf, "%ld %s", s->cfg_changes, s->last_change);
        rm_reply(ctx, buf, (size_t)k);
        return RM_CONTINUE;
    }
    if (len > 6 && memcmp(m, "sleep ", 6) == 0) {
        usleep((useconds_t)strtol(m + 6, NULL, 10) * 1000);
        rm_reply(ctx, "slept", 5);
        return RM_CONTINUE;
    }
    rm_reply(ctx, "unknown request", 15);
    return RM_CONTINUE;
}

static int m_cast(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    struct mstate *s = *state;
    if (len == 3 && memcmp(msg, "add", 3) == 0)
        s->count++;
    return RM_CONTINUE;
}

static int m_code_change(struct rm_ctx *ctx, enum rm_direction dir, const char *vsn,
                         const void *old_state, const char *extra, void **new_state)
{
    if (strcmp(extra, "fail") == 0) {
        rm_fail(ctx, "asked to fail");
        return RM_FAIL;
    }
    if (strncmp(extra, "sleep ", 6) == 0)
        usleep((useconds_t)strtol(extra + 6, NULL, 10) * 1000);
    struct mstate *s = malloc(sizeof *s);
    if (!s) {
        rm_fail(ctx, "out of memory");
        return RM_FAIL;
    }
    *s = *(const struct mstate *)old_state;
    s->changes++;
    *new_state = s;
    return RM_CONTINUE;
}

static int m_format(const void *state, char *buf, size_t size)
{
    const struct mstate *s = state;
    return snprintf(buf, size, "{%ld,%ld}", s->count, s->changes);
}

/* The apply function: mark(path, text) writes text into the file at path. */
__attribute__((visibility("default"))) int mark(const char *const *args, size_t nargs, char *why,
                                                size_t size);

int mark(const char *const *args, size_t nargs, char *why, size_t size)
{
    if (nargs != 2) {
        snprintf(why, size, "mark takes a path and a text, got %zu arguments", nargs);
        return -1;
    }
    FILE *f = fopen(args[0], "w");
    if (!f) {
        snprintf(why, size, "cannot write '%s'", args[0]);
        return -1;
    }
    fputs(args[1], f);
    fclose(f);
    return 0;
}

RM_MODULE(.name = RH_MOD_NAME, .version = RM_MODULE_BUILD_VERSION, .init = m_init,
          .handle_call = m_call, .handle_cast = m_cast, .code_change = m_code_change,
          .format_state = m_format, .config_change = m_config_change);
