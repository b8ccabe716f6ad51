/*
 * unpack.h - the state of one unpack, shared by unpack.c (the driver:
 * staging, placing, rollback) and unpack-entry.c (the checks and the
 * extraction of each archive entry).
 */
#ifndef RELMAN_UNPACK_H
#define RELMAN_UNPACK_H

#include <stdint.h>

#include "relman/archive.h"
#include "releases-internal.h"

struct archive;
struct archive_entry;
struct rm_store;

/* A symbolic link of the archive: its path and its target as written. */
struct rm__link {
    char *path;
    size_t len; /* strlen(path) */
    char *target;
};

struct rm__unpack {
    const char *file;   /* the archive, as given */
    uint64_t file_size; /* its size in bytes */
    uint64_t max_file;  /* limits in force */
    double max_ratio;
    const struct rm_unpack_opts *opts;
    const char *root;             /* the node root (real path) */
    const struct rm_store *store; /* its store, locked */
    char *staging;                /* absolute path of the staging directory */
    struct archive *ar;           /* reader */
    struct archive *disk;         /* writer into staging */
    struct rm__sha256 *hash;
    struct rm__sums sums; /* the archive's checksum list, once read */
    char *vsn;            /* the release version, from the list's path */
    char *sums_name;      /* "releases/<vsn>/SHA256SUMS" */
    struct rm__link *links;
    size_t nlinks, caplinks;
    size_t *linkset;        /* hash set of link paths: index + 1 into links, 0 empty */
    size_t setcap;          /* its size, a power of two (0: none yet) */
    uint64_t max_entries;   /* limit in force */
    uint64_t nentries;      /* entries read so far */
    uint64_t expanded;      /* file bytes written so far */
    uint64_t next_progress; /* archive offset of the next progress call */
};

/*
 * Reads every entry of the open archive `u->ar`, checks it, writes it into
 * the staging directory through `u->disk` and hashes it against the list.
 * At the end checks that every listed file went by and no link escapes.
 * Returns 0, or -1 with `err` naming the entry and the problem.
 */
int rm__unpack_entries(struct rm__unpack *u, struct rm_error *err);

/* Returns -1 with "archive '...': interrupted" in `err` when the caller's
   cancel flag is set, else 0. */
int rm__unpack_cancelled(const struct rm__unpack *u, struct rm_error *err);

#endif
