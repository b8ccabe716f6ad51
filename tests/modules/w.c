/*
 * Test module w: a supervised worker that writes what happens to it into
 * one journal shared by all processes of the module (a test reads it in
 * order with the call "journal", which also empties it):
 *
 *   +ID            init ran (arg "ID[,trap][,slow=MS][,ignore][,fail]")
 *   -ID:REASON     terminate ran
 *
 * Calls: "journal"; "start SUP ARG" (asks simple_one_for_one supervisor SUP
 * for a child with ARG; answers its label or "error"); "die REASON" (fails with REASON); "stop" (exits
 * normally); "ping" (answers "pong"). With "trap", an exit signal arrives
 * as an event; with "slow=MS" as well, the worker then takes MS ms before
 * it stops (a slow shutdown); with "ignore", it ignores exit signals. With
 * "fail", init refuses to start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "relman/module.h"

static char journal[16384];
static int journal_lock;

static void note(const char *fmt, const char *a, const char *b)
{
    while (__atomic_exchange_n(&journal_lock, 1, __ATOMIC_ACQUIRE))
        ;
    size_t n = strlen(journal);
    if (n + 1 < sizeof journal)
        snprintf(journal + n, sizeof journal - n, fmt, n ? " " : "", a, b);
    __atomic_store_n(&journal_lock, 0, __ATOMIC_RELEASE);
}

struct w {
    char id[64];
    long slow_ms;
    int ignore;
};

static int w_init(struct rm_ctx *ctx, const char *arg, void **state)
{
    struct w *w = calloc(1, sizeof *w);
    if (!w)
        return RM_FAIL;
    sscanf(arg, "%63[^,]", w->id);
    const char *slow = strstr(arg, "slow=");
    if (slow)
        w->slow_ms = strtol(slow + 5, NULL, 10);
    if (strstr(arg, ",fail")) {
        free(w);
        rm_fail(ctx, "asked to fail");
        return RM_FAIL;
    }
    w->ignore = strstr(arg, ",ignore") != NULL;
    if (strstr(arg, ",trap"))
        rm_trap_exit(ctx, 1);
    note("%s+%s%s", w->id, "");
    *state = w;
    return RM_CONTINUE;
}

static int w_call(struct rm_ctx *ctx, const void *msg, size_t len, void **state)
{
    const char *m = msg;
    if (strcmp(m, "journal") == 0) {
        while (__atomic_exchange_n(&journal_lock, 1, __ATOMIC_ACQUIRE))
            ;
        rm_reply(ctx, journal, strlen(journal));
        journal[0] = 0;
        __atomic_store_n(&journal_lock, 0, __ATOMIC_RELEASE);
        return RM_CONTINUE;
    }
    if (strncmp(m, "die ", 4) == 0) {
        rm_reply(ctx, "ok", 2);
        rm_fail(ctx, m + 4);
        return RM_FAIL;
    }
    if (strncmp(m, "start ", 6) == 0) { /* start SUP ARG: a child of simple_one_for_one SUP */
        char sup[64] = "", arg[128] = "", who[96];
        sscanf(m + 6, "%63s %127s", sup, arg);
        if (rm_supervisor_start_child(ctx, sup, arg, who, sizeof who) < 0)
            return rm_reply(ctx, "error", 5), RM_CONTINUE;
        return rm_reply(ctx, who, strlen(who)), RM_CONTINUE;
    }
    if (strcmp(m, "stop") == 0) {
        rm_reply(ctx, "ok", 2);
        return RM_STOP;
    }
    rm_reply(ctx, "pong", 4);
    return RM_CONTINUE;
}

static int w_event(struct rm_ctx *ctx, const struct rm_event *ev, void **state)
{
    struct w *w = *state;
    if (ev->kind != RM_EVENT_EXIT || w->ignore)
        return RM_CONTINUE;
    if (w->slow_ms > 0) {
        struct timespec ts = {w->slow_ms / 1000, (w->slow_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    rm_fail(ctx, ev->reason);
    return RM_FAIL;
}

static void w_terminate(struct rm_ctx *ctx, const char *reason, void *state)
{
    struct w *w = state;
    note("%s-%s:%s", w->id, reason);
}

RM_MODULE(.name = "w", .version = "1", .init = w_init, .handle_call = w_call,
          .handle_event = w_event, .terminate = w_terminate);
