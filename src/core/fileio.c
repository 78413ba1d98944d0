/* Whole-file reads and crash-safe atomic writes. */
#define _POSIX_C_SOURCE 200809L
#include "agentft/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int aft_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int aft_path_join(char *buf, size_t size, const char *dir, const char *name, aft_error *err)
{
    int n = snprintf(buf, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size)
        return aft_error_set(err, "%s/%s: path too long", dir, name);
    return 0;
}

int aft_read_file(const char *path, char **data, size_t *len, aft_error *err)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return aft_error_errno(err, errno, "%s", path);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        aft_error_errno(err, errno, "%s", path);
        close(fd);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return aft_error_set(err, "%s: is a directory, not a file", path);
    }
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
    size_t used = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return aft_error_set(err, "%s: out of memory reading %zu bytes", path, cap);
    }
    for (;;) {
        if (used + 1 >= cap) {
            size_t ncap = cap * 2;
            char *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                free(buf);
                close(fd);
                return aft_error_set(err, "%s: out of memory reading %zu bytes", path, ncap);
            }
            buf = nbuf;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + used, cap - used - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            aft_error_errno(err, errno, "%s", path);
            free(buf);
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    buf[used] = '\0';
    *data = buf;
    *len = used;
    return 0;
}

int aft_fsync_parent_dir(const char *path, aft_error *err)
{
    char *copy = strdup(path);
    if (!copy)
        return aft_error_set(err, "out of memory");
    const char *dir = dirname(copy);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        aft_error_errno(err, errno, "%s", dir);
        free(copy);
        return -1;
    }
    int rc = 0;
    if (fsync(fd) < 0 && errno != EINVAL)
        rc = aft_error_errno(err, errno, "fsync %s", dir);
    close(fd);
    free(copy);
    return rc;
}

struct aft_atomic_file {
    char *path;
    char *tmp_path;
    int fd;
};

aft_atomic_file *aft_atomic_open(const char *path, aft_error *err)
{
    aft_atomic_file *f = calloc(1, sizeof *f);
    if (!f)
        goto oom;
    f->fd = -1;
    f->path = strdup(path);
    size_t n = strlen(path) + 32;
    f->tmp_path = malloc(n);
    if (!f->path || !f->tmp_path)
        goto oom;
    snprintf(f->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
    mode_t mode = 0644;
    struct stat st;
    if (stat(path, &st) == 0)
        mode = st.st_mode & 07777;
    f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (f->fd < 0) {
        aft_error_errno(err, errno, "cannot create %s", f->tmp_path);
        goto fail;
    }
    return f;
oom:
    aft_error_set(err, "out of memory");
fail:
    if (f) {
        free(f->path);
        free(f->tmp_path);
        free(f);
    }
    return NULL;
}

int aft_atomic_write(aft_atomic_file *f, const void *data, size_t len, aft_error *err)
{
    if (aft_write_all(f->fd, data, len) < 0)
        return aft_error_errno(err, errno, "write %s", f->tmp_path);
    return 0;
}

static void atomic_free(aft_atomic_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    free(f->path);
    free(f->tmp_path);
    free(f);
}

void aft_atomic_abort(aft_atomic_file *f)
{
    if (!f)
        return;
    unlink(f->tmp_path);
    atomic_free(f);
}

int aft_atomic_commit(aft_atomic_file *f, aft_error *err)
{
    if (fsync(f->fd) < 0) {
        aft_error_errno(err, errno, "fsync %s", f->tmp_path);
        goto fail;
    }
    if (close(f->fd) < 0) {
        f->fd = -1;
        aft_error_errno(err, errno, "close %s", f->tmp_path);
        goto fail;
    }
    f->fd = -1;
    if (rename(f->tmp_path, f->path) < 0) {
        aft_error_errno(err, errno, "rename %s to %s", f->tmp_path, f->path);
        goto fail;
    }
    int rc = aft_fsync_parent_dir(f->path, err);
    atomic_free(f);
    return rc;
fail:
    aft_atomic_abort(f);
    return -1;
}

int aft_write_file_atomic(const char *path, const void *data, size_t len, aft_error *err)
{
    aft_atomic_file *f = aft_atomic_open(path, err);
    if (!f)
        return -1;
    if (aft_atomic_write(f, data, len, err) < 0) {
        aft_atomic_abort(f);
        return -1;
    }
    return aft_atomic_commit(f, err);
}

uint64_t aft_hash64(const void *data, size_t len)
{
    /* Multiply-xorshift over 8-byte words: several GB/s, good enough to tell
     * two versions of a file apart. */
    const unsigned char *p = data;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (len * 0xff51afd7ed558ccdull);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h ^= w * 0x87c37b91114253d5ull;
        h = (h << 31 | h >> 33) * 0x4cf5ad432745937full;
        p += 8;
        len -= 8;
    }
    uint64_t tail = 0;
    for (size_t i = 0; i < len; i++)
        tail |= (uint64_t)p[i] << (8 * i);
    h ^= tail * 0x87c37b91114253d5ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}
