/*
 * relman/protocol.h - the control protocol between `relman` and a node.
 *
 * This is the one header the client (the relman program) and the server (the
 * node's control server, relman/ctl.h) share: where the socket lives, the
 * frame layout, the message types, their fields, and the functions that
 * encode and decode them. docs/protocol.md describes the same in prose.
 *
 * A connection carries request frames from the client and one reply frame
 * per request from the node, in order. Every frame is a fixed 16-byte header
 * followed by `length` bytes of payload:
 *
 *     offset  size  field
 *          0     4  magic    RM_PROTO_MAGIC, "RMAN"
 *          4     2  version  RM_PROTOCOL_VERSION
 *          6     2  type     enum rm_msg_type
 *          8     4  flags    RM_PROTO_F_REPLY on replies; other bits must be 0
 *         12     4  length   payload bytes, at most RM_PROTO_MAX_PAYLOAD
 *
 * All integers are unsigned and big-endian (network order). The payload is a
 * sequence of fields, each a 4-byte big-endian length followed by that many
 * bytes. A string field holds its bytes without a terminating NUL and must
 * not contain one; an integer field is a 4-byte (u32) or 8-byte (u64)
 * big-endian number in a field of exactly that length.
 *
 * A reply's payload starts with a u32 status field: 0 for success, else a
 * (negative, two's complement) enum rm_errcode followed by one string field,
 * the complete error message. Successful replies go on with the fields the
 * message type lists below.
 */
#ifndef RELMAN_PROTOCOL_H
#define RELMAN_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "relman/error.h"
#include "relman/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The protocol version, sent in every frame header. A node refuses frames of
 * another version and the client reports a reply of another version. Bump
 * this if any of these change: the header layout, the field encoding, a
 * message type's number, or the fields of an existing message type.
 */
#define RM_PROTOCOL_VERSION 2

/* First four bytes of every frame: "RMAN". */
#define RM_PROTO_MAGIC 0x524d414eu

/* Size of the frame header in bytes. */
#define RM_PROTO_HEADER_SIZE 16

/* Largest payload a frame may carry (1 MiB); longer frames are refused. */
#define RM_PROTO_MAX_PAYLOAD (1u << 20)

/* Header flag: this frame is a reply. */
#define RM_PROTO_F_REPLY 0x1u

/* Where a node listens and records itself, relative to its root. */
#define RM_NODE_RUN_DIR     "run"       /* created with mode 0700 */
#define RM_NODE_SOCKET_NAME "node.sock" /* the control socket, mode 0600 */
#define RM_NODE_PID_NAME    "node.pid"  /* the node's process id, decimal */

/*
 * The message types. Request fields are listed first, "->" then the fields of
 * a successful reply after the status. "str" is a string field, "u32"/"u64"
 * an integer field, "bytes" any bytes. Types 1-63 are the node and process
 * commands (served by the control library, relman/ctl.h); 64-127 belong to
 * release handling (served by the release handler, relman/handler.h). Each
 * command of the relman program names the type it sends in its table entry,
 * and the node keeps one table from type to the function serving it. To add
 * one, see docs/protocol.md.
 */
enum rm_msg_type {
    /* Not a message: what an offline command of the relman program sends.
       Never on the wire (a frame of type 0 gets an error reply). */
    RM_MSG_NONE = 0,
    /* (nothing) -> u64 node pid, u64 watchdog pid (0: none), str root */
    RM_MSG_PING = 1,
    /* (nothing) -> (nothing); the node then stops gracefully */
    RM_MSG_STOP = 2,
    /* u64 after pid (0: from the start) -> u32 count, u32 more (1 when
       processes with higher pids remain: ask again after the last pid), then
       per process: u64 pid, str name, str module, str version, u32 suspended,
       u32 tracing, u64 queue length, u32 descriptors, u32 links, u32
       monitors (counts). A page holds at most
       RM_PROTO_STATUS_PAGE processes, so any number of them fits in frames. */
    RM_MSG_STATUS = 3,
    /* str process, bytes message, u32 timeout ms -> bytes reply */
    RM_MSG_CALL = 4,
    /* str process, bytes message -> (nothing) */
    RM_MSG_CAST = 5,
    /* u32 timeout ms, str process... (at least one) -> (nothing) */
    RM_MSG_SUSPEND = 6,
    /* str process... (at least one) -> (nothing) */
    RM_MSG_RESUME = 7,
    /* str module, str absolute path -> str module, str version */
    RM_MSG_LOAD = 8,
    /* str module, u32 mode (enum rm_purge_mode) -> u64 processes killed */
    RM_MSG_PURGE = 9,
    /* str process, str module, str version, str extra, u32 direction
       (enum rm_direction) -> (nothing) */
    RM_MSG_CHANGE_CODE = 10,
    /* str process, u32 on (0 or 1) -> (nothing) */
    RM_MSG_TRACE = 11,
    /* str process -> str state, as the module's format_state writes it
       (OTP's sys:get_state) */
    RM_MSG_STATE = 12,

    /* Release handling, served by the release handler. A "report" is: str
       from, str to, u32 direction, u64 plan length, u64 first irreversible
       step + 1 (0: none), u64 pause ns, u64 total ns, u32 steps, then per
       step: str what, u64 processes, u64 ns (struct rm_report,
       relman/report.h). A timeout of 0xffffffff (RM_PROTO_TIMEOUT_MANIFEST)
       means the manifest's own timeouts. */
    /* str version, u32 json -> str document, u64 first irreversible step + 1 */
    RM_MSG_RH_PLAN = 64,
    /* str version [, str relup name, bytes relup text] -> report (the two
       optional fields: `check VSN --relup FILE`, a relup the user edited) */
    RM_MSG_RH_CHECK = 65,
    /* str version, u32 timeout ms [, str relup name, bytes relup text] ->
       report (the optional fields as for check) */
    RM_MSG_RH_INSTALL = 66,
    /* str version -> (nothing) */
    RM_MSG_RH_PERMANENT = 67,
    /* u32 timeout ms -> report */
    RM_MSG_RH_ROLLBACK = 68,
    /* str version -> (nothing); the node then restarts into it */
    RM_MSG_RH_REBOOT_OLD = 69,
    /* str version -> (nothing) */
    RM_MSG_RH_REMOVE = 70,
    /* (nothing) -> str the running release's version */
    RM_MSG_RH_WHICH = 71,
};

/* Number of message types above, RM_MSG_NONE excluded. A table that must
   have one row per type (their names, the node's handlers) asserts its
   size against this at compile time: bump it with each new type. */
#define RM_MSG_COUNT 20

/* Number of message types a node can dispatch (type values 0 .. this - 1). */
#define RM_MSG_TYPE_LIMIT 128

/* Names on the wire (process, module, release) are at most RM_NAME_MAX
   bytes; direction and purge-mode fields carry enum rm_direction and enum
   rm_purge_mode values (relman/vocab.h: those numbers are the protocol's). */

/* A timeout field (install, rollback) meaning "the manifest's own timeouts". */
#define RM_PROTO_TIMEOUT_MANIFEST UINT32_MAX

/* Most processes one status reply carries. Each is at most 265 bytes: every
   field has its 4-byte length, so pid and queue length take 12 bytes each,
   the two flags and three counts 8 each, and name, module and version
   4 + RM_NAME_MAX (63) each; 3840 of them (1,017,600 bytes) fit
   RM_PROTO_MAX_PAYLOAD. */
#define RM_PROTO_STATUS_PAGE 3840

/* Longest timeout (ms) a request may carry: one hour. */
#define RM_PROTO_MAX_TIMEOUT_MS 3600000u

/* A decoded frame header. */
struct rm_proto_header {
    uint32_t magic;
    uint16_t version;
    uint16_t type;
    uint32_t flags;
    uint32_t length;
};

/* The name of a message type for messages ("call"), or "unknown". */
const char *rm_proto_type_name(unsigned type);

/* Writes the header of a frame of this protocol version into `out`. */
void rm_proto_header_encode(uint16_t type, uint32_t flags, uint32_t length,
                            unsigned char out[RM_PROTO_HEADER_SIZE]);

/*
 * Decodes and checks a header: magic, version, flags and length (at most
 * RM_PROTO_MAX_PAYLOAD). Fills *h in every case (so the caller can tell what
 * was wrong), and returns 0, or -1 with RM_EPROTO and a message saying which
 * check failed.
 */
int rm_proto_header_decode(const unsigned char in[RM_PROTO_HEADER_SIZE], struct rm_proto_header *h,
                           struct rm_error *err);

/* ---- payload fields ---------------------------------------------------- */

/* A growing payload. Zero-initialise it (or rm_proto_writer_init), put
   fields, send buf[0..len), then rm_proto_writer_release(). */
struct rm_proto_writer {
    unsigned char *buf;
    size_t len;
    size_t cap;
    int failed; /* set when a put ran out of memory or over the maximum */
};

/* Empties a writer (it owns no memory afterwards). */
void rm_proto_writer_init(struct rm_proto_writer *w);

/* Frees a writer's buffer and empties it. */
void rm_proto_writer_release(struct rm_proto_writer *w);

/*
 * Appends a field of `n` bytes. On failure (out of memory, or the payload
 * would exceed RM_PROTO_MAX_PAYLOAD) sets w->failed and returns -1; later
 * puts then do nothing, so a sequence of puts is checked once, with
 * rm_proto_writer_check().
 */
int rm_proto_put_bytes(struct rm_proto_writer *w, const void *p, size_t n);

/* Appends a string field (strlen(s) bytes). 0 or -1 as rm_proto_put_bytes. */
int rm_proto_put_str(struct rm_proto_writer *w, const char *s);

/* Appends a 4-byte integer field. 0 or -1 as rm_proto_put_bytes. */
int rm_proto_put_u32(struct rm_proto_writer *w, uint32_t v);

/* Appends an 8-byte integer field. 0 or -1 as rm_proto_put_bytes. */
int rm_proto_put_u64(struct rm_proto_writer *w, uint64_t v);

/* Returns 0 when every put succeeded, else -1 with RM_ELIMIT ("payload
   larger than ...") or RM_ENOMEM in `err`. */
int rm_proto_writer_check(const struct rm_proto_writer *w, struct rm_error *err);

/* Reads the fields of a payload in order. The reader does not own `p`. */
struct rm_proto_reader {
    const unsigned char *p;
    size_t len;
    size_t off;
};

/* Starts reading the `len` bytes at `p`. */
void rm_proto_reader_init(struct rm_proto_reader *r, const void *p, size_t len);

/* Tells whether fields remain to be read. */
int rm_proto_more(const struct rm_proto_reader *r);

/*
 * Reads the next field without copying: *p points into the payload, *n is
 * its length. `what` names the field in messages ("process"). Returns 0, or
 * -1 with RM_EPROTO "field 'process' missing" or "... truncated".
 */
int rm_proto_get_bytes(struct rm_proto_reader *r, const void **p, size_t *n, const char *what,
                       struct rm_error *err);

/*
 * Reads a string field into buf (size bytes, NUL-terminated). Refused with
 * RM_EPROTO when missing, truncated, holding a NUL, or not fitting in
 * size - 1 bytes; with `nonempty`, also when empty.
 */
int rm_proto_get_str(struct rm_proto_reader *r, char *buf, size_t size, int nonempty,
                     const char *what, struct rm_error *err);

/* Reads a 4-byte integer field. 0, or -1 with RM_EPROTO. */
int rm_proto_get_u32(struct rm_proto_reader *r, uint32_t *v, const char *what,
                     struct rm_error *err);

/* Reads an 8-byte integer field. 0, or -1 with RM_EPROTO. */
int rm_proto_get_u64(struct rm_proto_reader *r, uint64_t *v, const char *what,
                     struct rm_error *err);

/* Checks that every field was read: 0, or -1 with RM_EPROTO "unexpected
   field after the last one". */
int rm_proto_end(const struct rm_proto_reader *r, struct rm_error *err);

/* ---- frames on a socket ------------------------------------------------- */

/*
 * Writes one whole frame (header and payload) to the blocking socket `fd`,
 * retrying on EINTR and never raising SIGPIPE. Returns 0, or -1 with RM_EIO
 * naming `fd`'s errno (RM_ETIMEOUT when a send timeout expired).
 */
int rm_proto_frame_write(int fd, uint16_t type, uint32_t flags, const void *payload, size_t len,
                         struct rm_error *err);

/*
 * Reads one whole frame from the blocking socket `fd`: the header, checked
 * with rm_proto_header_decode, then the payload into a new buffer (*payload,
 * free() it; NULL when empty). Returns 1 with a frame, 0 on a clean end of
 * stream before any byte of a frame, or -1 with `err`: RM_EPROTO for a bad
 * header or a frame cut short, RM_ETIMEOUT when a receive timeout expired,
 * RM_EIO for other errors. *h is filled as far as it was read.
 */
int rm_proto_frame_read(int fd, struct rm_proto_header *h, unsigned char **payload,
                        struct rm_error *err);

/*
 * The same, with the whole frame (waiting for its first byte included) due
 * by `deadline` (rm_clock_ns(); UINT64_MAX: none): a peer that trickles a
 * frame byte by byte cannot hold the reader longer than that. Fails with
 * RM_ETIMEOUT "receive frame: timed out" when the deadline passes.
 */
int rm_proto_frame_read_by(int fd, struct rm_proto_header *h, unsigned char **payload,
                           uint64_t deadline, struct rm_error *err);

/* ---- the socket's address ------------------------------------------------ */

/*
 * Builds "ROOT/run/node.sock" into buf (size bytes). Returns 0, or -1 with
 * RM_ELIMIT when it does not fit.
 */
int rm_proto_socket_path(const char *root, char *buf, size_t size, struct rm_error *err);

/*
 * Binds the Unix stream socket `fd` to `path`. A path longer than sun_path
 * allows is reached through its directory, opened and named as
 * /proc/self/fd/N/NAME, so deep roots work on Linux. Returns 0, or -1 with
 * errno set and `err` filled ("bind 'PATH': Address already in use").
 */
int rm_proto_bind(int fd, const char *path, struct rm_error *err);

/* Connects the Unix stream socket `fd` to `path`, long paths handled as by
   rm_proto_bind(). Returns 0, or -1 with errno set and `err` filled. */
int rm_proto_connect(int fd, const char *path, struct rm_error *err);

#ifdef __cplusplus
}
#endif
#endif
