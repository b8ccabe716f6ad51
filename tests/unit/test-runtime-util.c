/* test-runtime-util.c - see test-runtime-util.h. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test-runtime-util.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char **lines;
static size_t nlines, caplines;

static void capture(void *ud, int level, const char *line)
{
    pthread_mutex_lock(&log_lock);
    if (nlines == caplines) {
        caplines = caplines ? caplines * 2 : 64;
        lines = realloc(lines, caplines * sizeof *lines);
    }
    lines[nlines++] = strdup(line);
    pthread_mutex_unlock(&log_lock);
}

int rt_log_has(const char *text)
{
    pthread_mutex_lock(&log_lock);
    int found = 0;
    for (size_t i = 0; i < nlines && !found; i++)
        found = strstr(lines[i], text) != NULL;
    pthread_mutex_unlock(&log_lock);
    return found;
}

int rt_log_wait(const char *text)
{
    for (int i = 0; i < 1000; i++) {
        if (rt_log_has(text))
            return 1;
        usleep(10000);
    }
    return 0;
}

void rt_log_reset(void)
{
    pthread_mutex_lock(&log_lock);
    for (size_t i = 0; i < nlines; i++)
        free(lines[i]);
    free(lines);
    lines = NULL;
    nlines = caplines = 0;
    pthread_mutex_unlock(&log_lock);
}

struct rm_node *rt_node(unsigned workers)
{
    struct rm_node_opts o = {.workers = workers, .log = capture};
    struct rm_error err = {0};
    struct rm_node *node = rm_node_new(&o, &err);
    cr_assert(node, "rm_node_new: %s", err.msg);
    return node;
}

static char paths[8][4096];

const char *rt_path(int slot, const char *rel)
{
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", RT_MODDIR, rel);
    return paths[slot];
}

const char *rt_counter(int slot, int vsn)
{
    snprintf(paths[slot], sizeof paths[slot], "%s/examples/counter/lib/counter-%d/z.so",
             RELMAN_BINARY_DIR, vsn + 1);
    return paths[slot];
}

void rt_load(struct rm_node *node, const char *path)
{
    struct rm_error err = {0};
    cr_assert_eq(rm_module_load(node, path, NULL, NULL, NULL, &err), 0, "load: %s", err.msg);
}

rm_pid rt_spawn(struct rm_node *node, const char *module, const char *name, const char *arg,
                enum rm_restart restart)
{
    struct rm_spawn_opts o = {.module = module, .name = name, .arg = arg, .restart = restart};
    struct rm_error err = {0};
    rm_pid pid = 0;
    cr_assert_eq(rm_proc_spawn(node, &o, &pid, &err), 0, "spawn: %s", err.msg);
    return pid;
}

char *rt_call(struct rm_node *node, rm_pid pid, const char *msg)
{
    struct rm_error err = {0};
    char *reply = NULL;
    size_t len;
    cr_assert_eq(rm_proc_call(node, pid, msg, strlen(msg), 30000, &reply, &len, &err), 0,
                 "call '%s': %s", msg, err.msg);
    return reply;
}

void rt_expect(struct rm_node *node, rm_pid pid, const char *msg, const char *expect)
{
    char *r = rt_call(node, pid, msg);
    cr_expect_str_eq(r, expect, "call '%s': got '%s'", msg, r);
    free(r);
}

const char *rt_version(struct rm_node *node, rm_pid pid, char buf[64])
{
    struct rm_proc_info *v;
    size_t n;
    struct rm_error err = {0};
    cr_assert_eq(rm_proc_list(node, NULL, &v, &n, &err), 0, "%s", err.msg);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (v[i].pid == pid)
            snprintf(buf, 64, "%s", v[i].version);
    free(v);
    return buf;
}

rm_pid rt_wait_name(struct rm_node *node, const char *name, rm_pid not )
{
    for (int i = 0; i < 1000; i++) {
        rm_pid pid;
        if (rm_proc_resolve(node, name, &pid, NULL) == 0 && pid != not )
            return pid;
        usleep(10000);
    }
    return 0;
}
