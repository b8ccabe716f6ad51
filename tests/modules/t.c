/*
 * Test module "t", built as versions "1", "2" and "3" from this one source
 * (RM_MODULE_BUILD_VERSION). Its state counts; requests drive every host
 * service so that the runtime tests can exercise them:
 *   call "get"          the count, then count += 1
 *   call "peek"         the count
 *   call "vsn"          the version of the code that answers
 *   call "sleep N"      sleeps N ms, then answers "slept"
 *   call "fail"         fails with reason "asked to fail" (no answer)
 *   call "stop"         answers "bye" and stops normally
 *   call "later"        keeps the caller and answers at the next cast "answer"
 *   call "ask X"        calls process X with "get" and answers its answer
 *   call "self"         answers rm_self()
 *   call "timer N"      starts a timer of N ms sending info "tick"
 *   call "cancel"       cancels the last timer: "cancelled" or "gone"
 *   call "ticks"        the number of "tick" infos received
 *   call "log"          the casts "add N" received, space separated
 *   cast "add N"        appends N to the log
 *   cast "answer"       answers the kept caller with "late"
 *   info "tick"         counts a tick
 * init: arg "fail" refuses to start; a number sets the count.
 * code_change: extra "fail" fails; extra "fail-at N" fails for count N;
 * otherwise the state is copied with `changes` incremented; down keeps it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relman/module.h"

struct tstate {
    long count;
    long changes;
    long ticks;
    rm_from later;
    rm_tref timer;
    char log[4096];
};

static int t_init(struct rm_ctx *ctx, const char *arg, void **state)
{
    if (strcmp(arg, "fail") == 0) {
        rm_fail(ctx, "init refused");
        return RM_FAIL;
    }
    struct tstate *s = calloc(1, sizeof *s);
    if (!s)
        return RM_FAIL;
    s->count = strtol(arg, NULL, 10);
    *state = s;
    return RM_CONTINUE;
}

static int reply_str(struct rm_ctx *ctx, const char *s)
{
    rm_reply(ctx, s, strlen(s));
    return RM_CONTINUE;
}

static int t_call(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    struct tstate *s = *state;
    const char *m = msg;
    char buf[4200];
    if (strcmp(m, "get") == 0) {
        snprintf(buf, sizeof buf, "%ld", s->count++);
        return reply_str(ctx, buf);
    }
    if (strcmp(m, "peek") == 0) {
        snprintf(buf, sizeof buf, "%ld", s->count);
        return reply_str(ctx, buf);
    }
    if (strcmp(m, "vsn") == 0)
        return reply_str(ctx, RM_MODULE_BUILD_VERSION);
    if (strncmp(m, "sleep ", 6) == 0) {
        usleep((useconds_t)strtol(m + 6, NULL, 10) * 1000);
        return reply_str(ctx, "slept");
    }
    if (strcmp(m, "fail") == 0) {
        rm_fail(ctx, "asked to fail");
        return RM_FAIL;
    }
    if (strcmp(m, "stop") == 0) {
        reply_str(ctx, "bye");
        return RM_STOP;
    }
    if (strcmp(m, "later") == 0) {
        s->later = rm_caller(ctx);
        return RM_CONTINUE;
    }
    if (strncmp(m, "ask ", 4) == 0) {
        void *r;
        size_t rlen;
        if (rm_call(ctx, m + 4, "get", 3, 10000, &r, &rlen) < 0)
            return reply_str(ctx, "call failed");
        rm_reply(ctx, r, rlen);
        rm_free_reply(ctx, r);
        return RM_CONTINUE;
    }
    if (strcmp(m, "self") == 0)
        return reply_str(ctx, rm_self(ctx));
    if (strncmp(m, "timer ", 6) == 0) {
        s->timer = rm_send_after(ctx, (uint32_t)strtoul(m + 6, NULL, 10), "tick", 4);
        return reply_str(ctx, s->timer ? "started" : "no timer");
    }
    if (strcmp(m, "cancel") == 0)
        return reply_str(ctx, rm_cancel_timer(ctx, s->timer) == 0 ? "cancelled" : "gone");
    if (strcmp(m, "ticks") == 0) {
        snprintf(buf, sizeof buf, "%ld", s->ticks);
        return reply_str(ctx, buf);
    }
    if (strcmp(m, "log") == 0)
        return reply_str(ctx, s->log);
    if (strcmp(m, "changes") == 0) {
        snprintf(buf, sizeof buf, "%ld", s->changes);
        return reply_str(ctx, buf);
    }
    return reply_str(ctx, "unknown request");
}

static int t_cast(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    struct tstate *s = *state;
    const char *m = msg;
    if (strncmp(m, "add ", 4) == 0) {
        size_t n = strlen(s->log);
        snprintf(s->log + n, sizeof s->log - n, "%s%s", n ? " " : "", m + 4);
    } else if (strcmp(m, "answer") == 0 && s->later) {
        rm_reply_to(ctx, s->later, "late", 4);
        s->later = 0;
    }
    return RM_CONTINUE;
}

static int t_info(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    struct tstate *s = *state;
    if (len == 4 && memcmp(msg, "tick", 4) == 0)
        s->ticks++;
    return RM_CONTINUE;
}

static int t_code_change(struct rm_ctx *ctx, enum rm_direction dir, const char *vsn,
                         const void *old_state, const char *extra, void **new_state)
{
    const struct tstate *o = old_state;
    if (strcmp(extra, "fail") == 0 ||
        (strncmp(extra, "fail-at ", 8) == 0 && o->count == strtol(extra + 8, NULL, 10))) {
        rm_fail(ctx, "refused by test");
        return RM_FAIL;
    }
    struct tstate *s = malloc(sizeof *s);
    if (!s)
        return RM_FAIL;
    *s = *o;
    if (dir == RM_UP)
        s->changes++;
    *new_state = s;
    return RM_CONTINUE;
}

static int t_format(const void *state, char *buf, size_t size)
{
    const struct tstate *s = state;
    return snprintf(buf, size, "{t,%ld}", s->count);
}

RM_MODULE(.name = "t", .version = RM_MODULE_BUILD_VERSION, .init = t_init, .handle_call = t_call,
          .handle_cast = t_cast, .handle_info = t_info, .code_change = t_code_change,
          .format_state = t_format);
