/* Whole-file reads and crash-safe writes (temp file, fsync, rename, fsync of
 * the directory), used for every file agentft rewrites. */
#ifndef AGENTFT_FILEIO_H
#define AGENTFT_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/error.h"

/* Reads a whole file into a malloc'd buffer with a NUL after the last byte
 * (not counted in *len). The caller frees *data. */
int aft_read_file(const char *path, char **data, size_t *len, aft_error *err);

/* An atomic writer: bytes go to a temp file beside `path`; commit fsyncs it,
 * renames it over `path` and fsyncs the directory, so a reader (or a crash)
 * sees either the old file or the whole new one. abort removes the temp file.
 * The file mode of an existing `path` is kept. */
typedef struct aft_atomic_file aft_atomic_file;

aft_atomic_file *aft_atomic_open(const char *path, aft_error *err);
int aft_atomic_write(aft_atomic_file *f, const void *data, size_t len, aft_error *err);
int aft_atomic_commit(aft_atomic_file *f, aft_error *err); /* frees f */
void aft_atomic_abort(aft_atomic_file *f);                 /* frees f */

/* One-shot form of the above. */
int aft_write_file_atomic(const char *path, const void *data, size_t len, aft_error *err);

/* fsync of the directory that holds `path`, so a rename or unlink in it is durable. */
int aft_fsync_parent_dir(const char *path, aft_error *err);

/* Joins dir and name with a '/' into buf (size bytes); an error if too long. */
int aft_path_join(char *buf, size_t size, const char *dir, const char *name, aft_error *err);

/* Writes all of buf to fd, retrying short writes and EINTR. */
int aft_write_all(int fd, const void *buf, size_t len);

/* A fast 64-bit content hash (not cryptographic), to tell whether a file is
 * the one a journal was written against. */
uint64_t aft_hash64(const void *data, size_t len);

#endif
