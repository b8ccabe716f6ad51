/* End-to-end: bad input on a node's control socket, and who may connect. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e/harness.h"
#include "relman/protocol.h"

TestSuite(socket, .fini = e2e_cleanup, .timeout = 120);

static struct e2e_node n;

static void node_up(void)
{
    e2e_root_new(&n, 0);
    e2e_boot_counter(&n);
    e2e_start(&n);
}

/* A raw connection to the node, with a receive timeout. */
static int raw_connect(void)
{
    char path[4096 + 64];
    struct rm_error err;
    cr_assert(rm_proto_socket_path(n.root, path, sizeof path, &err) == 0);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0);
    cr_assert(rm_proto_connect(fd, path, &err) == 0, "%s", err.msg);
    struct timeval tv = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void send_raw(int fd, const void *p, size_t len)
{
    cr_assert_eq(send(fd, p, len, MSG_NOSIGNAL), (ssize_t)len, "send: %s", strerror(errno));
}

/* Reads one reply and asserts it is an error whose message holds `needle`. */
static void expect_error(int fd, const char *needle)
{
    struct rm_proto_header h;
    unsigned char *payload;
    struct rm_error err;
    int r = rm_proto_frame_read(fd, &h, &payload, &err);
    cr_assert_eq(r, 1, "no reply (%d): %s", r, r < 0 ? err.msg : "end of stream");
    cr_assert(h.flags & RM_PROTO_F_REPLY);
    struct rm_proto_reader rd;
    rm_proto_reader_init(&rd, payload, h.length);
    uint32_t status;
    char msg[RM_ERROR_MAX];
    cr_assert(rm_proto_get_u32(&rd, &status, "status", &err) == 0, "%s", err.msg);
    cr_assert_neq(status, 0, "success where an error was expected");
    cr_assert(rm_proto_get_str(&rd, msg, sizeof msg, 1, "message", &err) == 0, "%s", err.msg);
    cr_assert(strstr(msg, needle), "'%s' not in the error '%s'", needle, msg);
    free(payload);
}

/* Asserts the node closed the connection (a reset when it left bytes of
   ours unread). */
static void expect_closed(int fd)
{
    char c;
    ssize_t k = recv(fd, &c, 1, 0);
    cr_assert(k == 0 || (k < 0 && errno == ECONNRESET), "connection still open (%zd: %s)", k,
              k < 0 ? strerror(errno) : "data");
}

/* Sends a frame with the given header fields and payload. */
static void send_frame(int fd, uint16_t type, uint32_t flags, const struct rm_proto_writer *w)
{
    unsigned char h[RM_PROTO_HEADER_SIZE];
    rm_proto_header_encode(type, flags, w ? (uint32_t)w->len : 0, h);
    send_raw(fd, h, sizeof h);
    if (w && w->len)
        send_raw(fd, w->buf, w->len);
}

/* The status of a reply payload: its first field, a u32 after its length. */
static uint32_t reply_status(const unsigned char *p)
{
    return (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
}

/* The node still answers a normal client. */
static void still_serving(void)
{
    e2e_expect(&n, 0, NULL, "call", "z", "boom", NULL);
}

Test(socket, garbage_gets_an_error_and_a_closed_connection)
{
    node_up();
    int fd = raw_connect();
    send_raw(fd, "GET / HTTP/1.0\r\n\r\n", 18);
    expect_error(fd, "not a relman frame");
    expect_closed(fd);
    close(fd);
    still_serving();
    e2e_stop(&n);
}

Test(socket, truncated_frames_get_an_error)
{
    node_up();
    /* Half a header. */
    int fd = raw_connect();
    unsigned char h[RM_PROTO_HEADER_SIZE];
    rm_proto_header_encode(RM_MSG_PING, 0, 0, h);
    send_raw(fd, h, 7);
    shutdown(fd, SHUT_WR);
    expect_error(fd, "truncated frame (7 of 16 header bytes)");
    expect_closed(fd);
    close(fd);
    /* A payload shorter than announced. */
    fd = raw_connect();
    rm_proto_header_encode(RM_MSG_CALL, 0, 100, h);
    send_raw(fd, h, sizeof h);
    send_raw(fd, "0123456789", 10);
    shutdown(fd, SHUT_WR);
    expect_error(fd, "truncated frame (10 of 100 payload bytes)");
    expect_closed(fd);
    close(fd);
    still_serving();
    e2e_stop(&n);
}

Test(socket, oversize_length_is_refused)
{
    node_up();
    int fd = raw_connect();
    unsigned char h[RM_PROTO_HEADER_SIZE];
    rm_proto_header_encode(RM_MSG_CALL, 0, RM_PROTO_MAX_PAYLOAD + 1, h);
    send_raw(fd, h, sizeof h);
    expect_error(fd, "is larger than the maximum of 1048576");
    expect_closed(fd);
    close(fd);
    still_serving();
    e2e_stop(&n);
}

Test(socket, wrong_version_is_refused)
{
    node_up();
    int fd = raw_connect();
    unsigned char h[RM_PROTO_HEADER_SIZE];
    rm_proto_header_encode(RM_MSG_PING, 0, 0, h);
    h[4] = 0x7f; /* version 0x7f01, whatever this side speaks */
    h[5] = 0x01;
    send_raw(fd, h, sizeof h);
    expect_error(fd, "protocol version 32513 not supported");
    expect_closed(fd);
    close(fd);
    still_serving();
    e2e_stop(&n);
}

Test(socket, unknown_type_and_bad_fields_get_errors_on_a_live_connection)
{
    node_up();
    int fd = raw_connect();
    send_frame(fd, 99, 0, NULL);
    expect_error(fd, "unknown message type 99");
    /* The same connection goes on: a call with a missing field... */
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_str(&w, "z");
    send_frame(fd, RM_MSG_CALL, 0, &w);
    expect_error(fd, "bad 'call' request: field 'message' missing");
    /* ...an integer field of the wrong size... */
    rm_proto_put_str(&w, "boom");
    rm_proto_put_str(&w, "50000");
    send_frame(fd, RM_MSG_CALL, 0, &w);
    expect_error(fd, "bad 'call' request: field 'timeout' has 5 bytes, not 4");
    rm_proto_writer_release(&w);
    /* ...a process that does not exist... */
    rm_proto_put_str(&w, "nobody");
    rm_proto_put_str(&w, "boom");
    rm_proto_put_u32(&w, 1000);
    send_frame(fd, RM_MSG_CALL, 0, &w);
    expect_error(fd, "call 'nobody': no process 'nobody'");
    rm_proto_writer_release(&w);
    /* ...a field longer than its frame... */
    unsigned char bogus[] = {0, 0, 0, 200, 'z'};
    unsigned char h[RM_PROTO_HEADER_SIZE];
    rm_proto_header_encode(RM_MSG_TRACE, 0, sizeof bogus, h);
    send_raw(fd, h, sizeof h);
    send_raw(fd, bogus, sizeof bogus);
    expect_error(fd, "field 'process' truncated");
    /* ...and a well-formed ping is answered. */
    send_frame(fd, RM_MSG_PING, 0, NULL);
    struct rm_proto_header rh;
    unsigned char *payload;
    struct rm_error err;
    cr_assert_eq(rm_proto_frame_read(fd, &rh, &payload, &err), 1, "%s", err.msg);
    cr_assert_eq(rh.type, RM_MSG_PING);
    cr_assert_eq(reply_status(payload), 0, "ping failed");
    free(payload);
    close(fd);
    still_serving();
    e2e_stop(&n);
}

Test(socket, a_reply_frame_from_a_client_is_refused)
{
    node_up();
    int fd = raw_connect();
    send_frame(fd, RM_MSG_PING, RM_PROTO_F_REPLY, NULL);
    expect_error(fd, "unexpected reply frame");
    expect_closed(fd);
    close(fd);
    still_serving();
    e2e_stop(&n);
}

Test(socket, a_silent_client_does_not_block_others)
{
    node_up();
    /* Three bytes of a header, then silence; and a call waiting on a
       suspended process. */
    int quiet = raw_connect();
    send_raw(quiet, "RMA", 3);
    e2e_expect(&n, 0, "", "suspend", "z", NULL);
    int waiting = raw_connect();
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_str(&w, "z");
    rm_proto_put_str(&w, "boom");
    rm_proto_put_u32(&w, 60000);
    send_frame(waiting, RM_MSG_CALL, 0, &w);
    rm_proto_writer_release(&w);
    /* Others are served meanwhile. */
    e2e_expect(&n, 0, NULL, "status", NULL);
    e2e_expect(&n, 0, "", "resume", "z", NULL);
    struct rm_proto_header h;
    unsigned char *payload;
    struct rm_error err;
    cr_assert_eq(rm_proto_frame_read(waiting, &h, &payload, &err), 1, "%s", err.msg);
    /* status 0, then the reply "0" */
    cr_assert_eq(h.length, 8 + 4 + 1);
    cr_assert_eq(reply_status(payload), 0);
    cr_assert_eq(payload[12], '0');
    free(payload);
    close(waiting);
    close(quiet);
    e2e_expect(&n, 0, "1\n", "call", "z", "boom", NULL);
    e2e_stop(&n);
}

Test(socket, another_user_is_refused)
{
    if (geteuid() != 0)
        cr_skip_test("needs root to act as another user");
    node_up();
    /* Open the way so that only the uid check stands. */
    char path[4096 + 64];
    snprintf(path, sizeof path, "%s/run", n.root);
    cr_assert_eq(chmod(path, 0755), 0);
    cr_assert_eq(chmod(n.root, 0755), 0);
    snprintf(path, sizeof path, "%s/run/node.sock", n.root);
    cr_assert_eq(chmod(path, 0666), 0);
    struct passwd *nobody = getpwnam("nobody");
    uid_t uid = nobody ? nobody->pw_uid : 65534;
    pid_t child = fork();
    cr_assert(child >= 0);
    if (child == 0) {
        if (setgid(uid) < 0 || setuid(uid) < 0)
            _exit(10);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct rm_error err;
        if (rm_proto_connect(fd, path, &err) < 0)
            _exit(errno == EACCES ? 0 : 11); /* refused by the file system: fine too */
        unsigned char h[RM_PROTO_HEADER_SIZE];
        rm_proto_header_encode(RM_MSG_STATUS, 0, 0, h);
        send(fd, h, sizeof h, MSG_NOSIGNAL);
        struct rm_proto_header rh;
        unsigned char *payload;
        int r = rm_proto_frame_read(fd, &rh, &payload, &err);
        if (r == 1 && reply_status(payload) != 0 &&
            memmem(payload, rh.length, "permission denied", 17))
            _exit(0);
        _exit(r == 0 ? 0 : 12); /* closed without a word: refused too */
    }
    int status;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFEXITED(status));
    cr_assert_eq(WEXITSTATUS(status), 0, "the other user was served (%d)", WEXITSTATUS(status));
    still_serving();
    e2e_stop(&n);
}

/* Sends a call to `proc` with a long timeout: its connection then waits
   inside the handler (the process is suspended). */
static void send_waiting_call(int fd, const char *proc, uint32_t timeout_ms)
{
    struct rm_proto_writer w;
    rm_proto_writer_init(&w);
    rm_proto_put_str(&w, proc);
    rm_proto_put_str(&w, "boom");
    rm_proto_put_u32(&w, timeout_ms);
    send_frame(fd, RM_MSG_CALL, 0, &w);
    rm_proto_writer_release(&w);
}

Test(socket, idle_connections_at_the_cap_make_room_for_a_new_client)
{
    node_up();
    int fds[64];
    for (int i = 0; i < 64; i++)
        fds[i] = raw_connect();
    /* Make sure all 64 are admitted: each answers a ping, then idles. */
    for (int i = 0; i < 64; i++) {
        send_frame(fds[i], RM_MSG_PING, 0, NULL);
        struct rm_proto_header h;
        unsigned char *payload;
        struct rm_error err;
        cr_assert_eq(rm_proto_frame_read(fds[i], &h, &payload, &err), 1, "%s", err.msg);
        free(payload);
    }
    /* The one idle longest (and for more than 200 ms) gives its place. */
    usleep(300000);
    e2e_expect(&n, 0, NULL, "status", NULL);
    expect_closed(fds[0]);
    for (int i = 0; i < 64; i++)
        close(fds[i]);
    e2e_stop(&n);
}

Test(socket, connections_all_inside_requests_leave_a_reserve_then_refuse_at_once)
{
    node_up();
    e2e_expect(&n, 0, "", "suspend", "z", NULL);
    enum { HELD = 64 + 8 }; /* the cap and RM_CTL_RESERVE (relman/ctl.h) */
    int fds[HELD];
    for (int i = 0; i < 64; i++) {
        fds[i] = raw_connect();
        send_waiting_call(fds[i], "z", 4000);
    }
    /* Every place is held by a waiting call: the reserve still serves. */
    e2e_expect(&n, 0, NULL, "status", NULL);
    for (int i = 64; i < HELD; i++) {
        fds[i] = raw_connect();
        send_waiting_call(fds[i], "z", 4000);
    }
    /* Beyond the reserve, refused at once rather than left waiting. Calls
       not yet inside their handler may still let one through: retry. */
    struct e2e_out o;
    for (int i = 0; i < 100; i++) {
        e2e_run(&n, &o, "status", NULL);
        if (o.status != 0)
            break;
        e2e_out_free(&o);
        usleep(20000);
    }
    cr_assert_eq(o.status, 1, "%s", o.err);
    cr_assert_str_eq(o.err, "relman: too many connections (at most 64 at once, and 8 more while "
                            "every one is inside a request)\n");
    e2e_out_free(&o);
    /* The calls time out (bounded waits), and the node serves again. */
    for (int i = 0; i < HELD; i++) {
        struct rm_proto_header h;
        unsigned char *payload;
        struct rm_error err;
        cr_assert_eq(rm_proto_frame_read(fds[i], &h, &payload, &err), 1, "%s", err.msg);
        cr_assert_neq(reply_status(payload), 0, "a call to a suspended process answered");
        free(payload);
        close(fds[i]);
    }
    int status = -1;
    for (int i = 0; i < 250 && status != 0; i++) {
        status = e2e_run(&n, &o, "resume", "z", NULL);
        e2e_out_free(&o);
        if (status != 0)
            usleep(20000);
    }
    cr_assert_eq(status, 0, "still refused after the calls ended");
    still_serving(); /* (the timed-out calls' messages were handled at resume) */
    e2e_stop(&n);
}

/* Monotonic milliseconds. */
static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Slow clients (a byte at a time, each well within the per-read timeout)
   cannot lock others out: 80 of them, more than the cap, while a normal
   client is served every time within a bound; and a trickler is dropped
   when its frame is not whole within the I/O timeout. */
Test(socket, slow_clients_never_lock_others_out)
{
    node_up();
    enum { SLOW = 80 };
    int fds[SLOW];
    unsigned char h[RM_PROTO_HEADER_SIZE];
    rm_proto_header_encode(RM_MSG_PING, 0, 0, h);
    for (int i = 0; i < SLOW; i++) { /* (those over the cap may be refused: no check) */
        fds[i] = raw_connect();
        send(fds[i], h, 1, MSG_NOSIGNAL);
    }
    for (int round = 0; round < 5; round++) {
        usleep(300000); /* (a connection is evicted once it waited 200 ms) */
        for (int i = 0; i < SLOW; i++) /* one more byte each, never a whole header */
            send(fds[i], h + 1 + round % 3, 1, MSG_NOSIGNAL);
        uint64_t t0 = now_ms();
        still_serving();
        cr_assert_lt(now_ms() - t0, 3000, "a normal client waited %llu ms",
                     (unsigned long long)(now_ms() - t0));
    }
    for (int i = 0; i < SLOW; i++)
        close(fds[i]);

    /* One trickler alone: a frame of 16 + 100 bytes sent a byte every
       500 ms is dropped at the 10 s frame timeout, long before it is whole. */
    unsigned char frame[RM_PROTO_HEADER_SIZE + 100] = {0};
    rm_proto_header_encode(RM_MSG_PING, 0, 100, frame);
    int slow = raw_connect();
    uint64_t t0 = now_ms();
    int dropped = 0;
    for (int i = 0; i < 30 && !dropped; i++) {
        if (send(slow, frame + i, 1, MSG_NOSIGNAL) < 0)
            dropped = 1;
        usleep(500000);
        char c;
        ssize_t k = recv(slow, &c, 1, MSG_DONTWAIT);
        if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            dropped = 1;
        if (k > 0) /* the error reply: the connection closes after it */
            dropped = 1;
    }
    uint64_t held = now_ms() - t0;
    cr_assert(dropped, "a trickling client kept its connection for %llu ms",
              (unsigned long long)held);
    cr_assert_geq(held, 9000, "dropped after %llu ms, before the 10 s timeout",
                  (unsigned long long)held);
    close(slow);
    still_serving();
    e2e_stop(&n);
}
