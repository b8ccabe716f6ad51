/* The control protocol's client: connect to a node, one request, one reply. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "client.h"

int client_connect(const char *root, int *fd, struct rm_error *err)
{
    char path[4096];
    if (rm_proto_socket_path(root, path, sizeof path, err) < 0)
        return -1;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return rm_error_set(err, RM_EIO, "socket: %s", strerror(errno));
    if (rm_proto_connect(s, path, err) < 0) {
        int e = errno;
        close(s);
        if (e == ENOENT)
            return rm_error_set(err, RM_ENOTRUNNING, "node not running at '%s' (no socket '%s')",
                                root, path);
        if (e == ECONNREFUSED)
            return rm_error_set(err, RM_ENOTRUNNING,
                                "node not running at '%s' (connection refused on '%s')", root,
                                path);
        return -1;
    }
    *fd = s;
    return 0;
}

/* Reads the reply to a request of `type` and checks its status. *replied
   (when not NULL) tells whether an error came from the node's reply. */
static int read_reply(int fd, const char *root, unsigned type, struct client_reply *reply,
                      int *replied, struct rm_error *err)
{
    struct rm_proto_header h;
    unsigned char *payload;
    int r = rm_proto_frame_read(fd, &h, &payload, err);
    if (r == 0)
        return rm_error_set(err, RM_EIO, "node at '%s' closed the connection without replying",
                            root);
    if (r < 0)
        return rm_error_prefix(err, "reply from the node at '%s'", root);
    struct rm_proto_reader rd;
    rm_proto_reader_init(&rd, payload, h.length);
    uint32_t status;
    char msg[RM_ERROR_MAX];
    if (!(h.flags & RM_PROTO_F_REPLY) || rm_proto_get_u32(&rd, &status, "status", err) < 0) {
        free(payload);
        if (!(h.flags & RM_PROTO_F_REPLY))
            rm_error_set(err, RM_EPROTO, "frame is not a reply");
        return rm_error_prefix(err, "reply from the node at '%s'", root);
    }
    if (status != 0 && replied)
        *replied = 1;
    if (status != 0) {
        int code = (int)(int32_t)status;
        if (rm_proto_get_str(&rd, msg, sizeof msg, 0, "message", NULL) < 0)
            snprintf(msg, sizeof msg, "%s", rm_strerror(code));
        free(payload);
        return rm_error_set(err, code, "%s", msg);
    }
    if (h.type != type) {
        free(payload);
        return rm_error_set(err, RM_EPROTO,
                            "reply from the node at '%s': answers a '%s' request, not '%s'", root,
                            rm_proto_type_name(h.type), rm_proto_type_name(type));
    }
    reply->payload = payload;
    reply->fields = rd;
    return 0;
}

int client_request(const char *root, unsigned type, const struct rm_proto_writer *req,
                   int timeout_ms, struct client_reply *reply, struct rm_error *err)
{
    int fd;
    memset(reply, 0, sizeof *reply);
    if (req && rm_proto_writer_check(req, err) < 0)
        return rm_error_prefix(err, "'%s' request", rm_proto_type_name(type));
    if (client_connect(root, &fd, err) < 0)
        return -1;
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int rc =
        rm_proto_frame_write(fd, (uint16_t)type, 0, req ? req->buf : NULL, req ? req->len : 0, err);
    if (rc == 0) {
        rc = read_reply(fd, root, type, reply, NULL, err);
    } else {
        /* The node may have refused the connection with a reply (too many
           connections, another user) and closed it before the request went
           out: that reply says more than the broken pipe. */
        struct rm_error why;
        int replied = 0;
        if (read_reply(fd, root, type, reply, &replied, &why) == 0)
            client_reply_release(reply);
        if (replied)
            rm_error_copy(err, &why);
        else
            rm_error_prefix(err, "request to the node at '%s'", root);
    }
    close(fd);
    return rc;
}

void client_reply_release(struct client_reply *reply)
{
    free(reply->payload);
    memset(reply, 0, sizeof *reply);
}

int client_ping(const char *root, pid_t *node_pid, pid_t *watchdog_pid, struct rm_error *err)
{
    struct client_reply r;
    uint64_t np, wp;
    if (client_request(root, RM_MSG_PING, NULL, CLIENT_REPLY_TIMEOUT_MS, &r, err) < 0)
        return -1;
    int rc = rm_proto_get_u64(&r.fields, &np, "node pid", err) < 0 ||
                     rm_proto_get_u64(&r.fields, &wp, "watchdog pid", err) < 0
                 ? rm_error_prefix(err, "bad reply from the node at '%s'", root)
                 : 0;
    client_reply_release(&r);
    if (rc == 0) {
        *node_pid = (pid_t)np;
        *watchdog_pid = (pid_t)wp;
    }
    return rc;
}
