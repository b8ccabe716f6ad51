/* Helpers of the release handler's end-to-end tests (test-release.h). */
#define _GNU_SOURCE /* vasprintf */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "e2e/test-release.h"
#include "relman/protocol.h"

void rh_file(struct e2e_node *n, const char *rel, const char *fmt, ...)
{
    char *text;
    va_list ap;
    va_start(ap, fmt);
    int k = vasprintf(&text, fmt, ap);
    va_end(ap);
    cr_assert(k >= 0, "out of memory");
    e2e_write(n, rel, text);
    free(text);
}

void rh_app(struct e2e_node *n, const char *name, const char *vsn, const char *mods,
            const char *modvsn, const char *more)
{
    char text[8192], rel[256], list[64];
    size_t len = (size_t)snprintf(text, sizeof text, "application: %s\nversion: \"%s\"\nmodules:\n",
                                  name, vsn);
    snprintf(list, sizeof list, "%s", mods);
    for (char *m = strtok(list, " "); m; m = strtok(NULL, " ")) {
        len += (size_t)snprintf(text + len, sizeof text - len,
                                "  - name: %s\n    version: \"%s\"\n", m, modvsn);
        rh_module(n, name, vsn, m, modvsn);
    }
    len += (size_t)snprintf(text + len, sizeof text - len, "processes:\n");
    snprintf(list, sizeof list, "%s", mods);
    for (char *m = strtok(list, " "); m; m = strtok(NULL, " "))
        len +=
            (size_t)snprintf(text + len, sizeof text - len, "  - {name: p%s, module: %s}\n", m, m);
    if (more)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s", more);
    cr_assert_lt(len, sizeof text, "application manifest too long for the test's buffer");
    snprintf(rel, sizeof rel, "lib/%s-%s/%s.app.yaml", name, vsn, name);
    e2e_write(n, rel, text);
}

void rh_appup(struct e2e_node *n, const char *name, const char *vsn, const char *entries)
{
    char rel[256];
    snprintf(rel, sizeof rel, "lib/%s-%s/%s.appup.yaml", name, vsn, name);
    rh_file(n, rel, "application: %s\nversion: \"%s\"\n%s", name, vsn, entries);
}

void rh_module(struct e2e_node *n, const char *app, const char *appvsn, const char *mod,
               const char *modvsn)
{
    char src[4096], dst[512];
    snprintf(src, sizeof src, "%s/%s-%s/%s.so", RH_MODDIR, mod, modvsn, mod);
    snprintf(dst, sizeof dst, "lib/%s-%s/%s.so", app, appvsn, mod);
    e2e_copy(n, src, dst);
}

void rh_release(struct e2e_node *n, const char *name, const char *vsn, ...)
{
    char text[4096], rel[256];
    size_t len = (size_t)snprintf(text, sizeof text,
                                  "release: %s\nversion: \"%s\"\napplications:\n", name, vsn);
    va_list ap;
    va_start(ap, vsn);
    for (const char *a; (a = va_arg(ap, const char *));) {
        char app[64], v[64], start[64] = "permanent";
        cr_assert(sscanf(a, "%63s %63s %63s", app, v, start) >= 2, "bad app '%s'", a);
        len +=
            (size_t)snprintf(text + len, sizeof text - len,
                             "  - name: %s\n    version: \"%s\"\n    start: %s\n", app, v, start);
    }
    va_end(ap);
    snprintf(rel, sizeof rel, "releases/%s/release.yaml", vsn);
    e2e_write(n, rel, text);
    free(rh_ok(n, "set-unpacked", vsn, NULL));
}

void rh_counter_node(struct e2e_node *n)
{
    e2e_root_new(n, 0);
    free(rh_ok(n, "unpack", RH_COUNTER_1, NULL));
    e2e_start(n);
}

unsigned long long rh_status_pid(struct e2e_node *n, const char *name)
{
    char *out = rh_ok(n, "status", NULL);
    unsigned long long pid = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char nm[64];
        unsigned long long p;
        if (sscanf(line, "%63s <%llu>", nm, &p) == 2 && strcmp(nm, name) == 0)
            pid = p;
    }
    free(out);
    return pid;
}

char *rh_call(struct e2e_node *n, const char *proc, const char *msg)
{
    return rh_ok(n, "call", proc, msg, NULL);
}

void rh_call_is(struct e2e_node *n, const char *proc, const char *msg, const char *want)
{
    char *got = rh_call(n, proc, msg), exp[256];
    snprintf(exp, sizeof exp, "%s\n", want);
    cr_assert_str_eq(got, exp, "call %s %s", proc, msg);
    free(got);
}

const char *rh_state(struct e2e_node *n, const char *vsn)
{
    static char state[32];
    char *out = rh_ok(n, "releases", "--json", NULL), key[128];
    snprintf(key, sizeof key, "\"version\":\"%s\",\"state\":\"", vsn);
    char *p = strstr(out, key);
    state[0] = '\0';
    if (p)
        sscanf(p + strlen(key), "%31[^\"]", state);
    free(out);
    return state;
}

/* Collects the NULL-terminated arguments after `arg` into argv. */
#define COLLECT(argv, arg)                                                                         \
    do {                                                                                           \
        va_list ap;                                                                                \
        size_t k = 0;                                                                              \
        argv[k++] = arg;                                                                           \
        va_start(ap, arg);                                                                         \
        while (k < 31 && (argv[k] = va_arg(ap, const char *)))                                     \
            k++;                                                                                   \
        va_end(ap);                                                                                \
        argv[k] = NULL;                                                                            \
    } while (0)

void rh_fails(struct e2e_node *n, int status, const char *msg, const char *arg, ...)
{
    const char *argv[32];
    COLLECT(argv, arg);
    struct e2e_out o;
    e2e_runv(n, NULL, &o, argv);
    cr_assert_eq(o.status, status, "relman %s: status %d, wanted %d; stderr: %s", arg, o.status,
                 status, o.err);
    if (msg)
        cr_assert(strstr(o.err, msg), "relman %s: stderr lacks \"%s\": %s", arg, msg, o.err);
    e2e_out_free(&o);
}

char *rh_ok(struct e2e_node *n, const char *arg, ...)
{
    const char *argv[32];
    COLLECT(argv, arg);
    struct e2e_out o;
    e2e_runv(n, NULL, &o, argv);
    cr_assert_eq(o.status, 0, "relman %s %s: status %d; stderr: %s", arg, argv[1] ? argv[1] : "",
                 o.status, o.err);
    char *out = o.out;
    o.out = NULL;
    e2e_out_free(&o);
    return out;
}

void rh_kill_node(struct e2e_node *n)
{
    pid_t pid = e2e_node_pid(n);
    cr_assert(pid > 0, "no node pid");
    cr_assert_eq(kill(pid, SIGKILL), 0);
    e2e_wait_node(n, pid, 10000);
}

/* One call on the connection `fd`: 0 with the answer in buf, or -1. */
static int call_once(int fd, const char *proc, const char *msg, char *buf, size_t size,
                     struct rm_error *err)
{
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_str(&w, proc);
    rm_proto_put_bytes(&w, msg, strlen(msg));
    rm_proto_put_u32(&w, 30000);
    int rc = rm_proto_frame_write(fd, RM_MSG_CALL, 0, w.buf, w.len, err);
    rm_proto_writer_release(&w);
    struct rm_proto_header h;
    unsigned char *payload = NULL;
    if (rc < 0 || rm_proto_frame_read(fd, &h, &payload, err) != 1)
        return -1;
    struct rm_proto_reader rd;
    uint32_t status;
    const void *p;
    size_t len;
    rm_proto_reader_init(&rd, payload, h.length);
    rc = rm_proto_get_u32(&rd, &status, "status", err) < 0 || status != 0 ||
                 rm_proto_get_bytes(&rd, &p, &len, "reply", err) < 0
             ? rm_error_set(err, RM_EPROTO, "error reply")
             : 0;
    if (rc == 0)
        snprintf(buf, size, "%.*s", (int)len, (const char *)p);
    free(payload);
    return rc;
}

static void *caller_main(void *arg)
{
    struct rh_caller *c = arg;
    char path[4096], buf[256];
    struct rm_error err;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (rm_proto_socket_path(c->root, path, sizeof path, &err) < 0 ||
        rm_proto_connect(fd, path, &err) < 0) {
        snprintf(c->error, sizeof c->error, "connect: %s", err.msg);
        close(fd);
        return NULL;
    }
    for (int i = 0; i < c->count; i++) {
        if (call_once(fd, c->proc, c->msg, buf, sizeof buf, &err) < 0) {
            snprintf(c->error, sizeof c->error, "call %d: %s", i, err.msg);
            break;
        }
        c->answers[i] = strtol(buf, NULL, 10);
        c->texts[i] = strdup(buf);
        c->done = i + 1;
        if (c->pause_us)
            usleep((useconds_t)c->pause_us);
    }
    close(fd);
    return NULL;
}

void rh_caller_start(struct rh_caller *c)
{
    c->answers = calloc((size_t)c->count, sizeof *c->answers);
    c->texts = calloc((size_t)c->count, sizeof *c->texts);
    c->done = 0;
    c->error[0] = '\0';
    pthread_t t;
    cr_assert(c->answers && c->texts && pthread_create(&t, NULL, caller_main, c) == 0);
    c->thread = (unsigned long)t;
}

void rh_caller_join(struct rh_caller *c)
{
    pthread_join((pthread_t)c->thread, NULL);
    cr_assert_str_empty(c->error, "caller of %s: %s", c->proc, c->error);
}

void rh_caller_free(struct rh_caller *c)
{
    for (int i = 0; c->texts && i < c->count; i++)
        free(c->texts[i]);
    free(c->texts);
    free(c->answers);
    c->texts = NULL;
    c->answers = NULL;
}

void rh_stop(struct e2e_node *n)
{
    if (n->started) {
        free(rh_ok(n, "node", "stop", NULL));
        n->started = 0;
    }
    /* The watchdog logs last: wait for its line (a leak report of the node
       comes before it). */
    char *log = NULL;
    for (int i = 0; i < 300; i++) {
        free(log);
        log = e2e_read(n, "log/node.log");
        if (!log || strstr(log, "watchdog: node stopped") || strstr(log, "while stopping"))
            break;
        usleep(10000);
    }
    cr_assert(!log || (!strstr(log, "Sanitizer") && !strstr(log, "runtime error:") &&
                       !strstr(log, "while stopping")),
              "the node's log shows a problem:\n%s", log);
    free(log);
    e2e_stop(n);
}
