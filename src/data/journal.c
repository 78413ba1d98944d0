/* The edit journal (PATH.journal): every acknowledged edit is one fsync'd
 * JSON line, replayed at open if the process died before saving. */
#include "dataset_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "agentft/fileio.h"

/* Format: the first line names the base the ops apply to,
 *   {"agentft_journal":1,"base_size":N,"base_hash":"16 hex digits"}
 * (the hash is aft_fp_final's, see below)
 * then one op a line ({"op":"set"|"unset"|"set_strings"|"add"|"delete"|
 * "dup",...}, records addressed by index), and before each save's rename
 *   {"op":"saved","size":N,"hash":"16 hex digits"}
 * naming the file the save is about to put in place.
 *
 * A session holds an flock on the journal while it has one, so a second
 * session on the same file (another process, or another handle in this one)
 * can tell a live journal from one left by a crash, and never writes into it. */

void aft_fp_init(aft_fp *fp)
{
    fp->h = 0;
    fp->size = 0;
}

void aft_fp_block(aft_fp *fp, const void *data, size_t len)
{
    uint64_t pair[2] = {fp->h, aft_hash64(data, len)};
    fp->h = aft_hash64(pair, sizeof pair);
    fp->size += len;
}

uint64_t aft_fp_final(const aft_fp *fp)
{
    uint64_t pair[2] = {fp->h, (uint64_t)fp->size};
    return aft_hash64(pair, sizeof pair);
}

uint64_t aft_fp_of(const void *data, size_t len)
{
    aft_fp fp;
    aft_fp_init(&fp);
    const char *p = data;
    for (size_t off = 0; off < len; off += AFT_FP_BLOCK)
        aft_fp_block(&fp, p + off, len - off < AFT_FP_BLOCK ? len - off : AFT_FP_BLOCK);
    return aft_fp_final(&fp);
}

char *aft_dataset_journal_path(const char *path)
{
    size_t n = strlen(path);
    char *j = malloc(n + sizeof ".journal");
    if (j) {
        memcpy(j, path, n);
        memcpy(j + n, ".journal", sizeof ".journal");
    }
    return j;
}

void aft_journal_close(aft_dataset *ds)
{
    if (ds->jfd >= 0)
        close(ds->jfd);
    ds->jfd = -1;
}

/* Writes line + '\n' at the end of the journal and makes it durable. A
 * failure cuts the journal back, so a half-written op is never followed by
 * more; if even that fails, edits are refused until a save. */
static int append_raw(aft_dataset *ds, const char *line, size_t len, aft_error *err)
{
    struct iovec iov[2] = {{(void *)line, len}, {"\n", 1}};
    size_t want = len + 1, done = 0;
    int e = 0;
    while (done < want) {
        ssize_t n = pwritev(ds->jfd, iov, 2, (off_t)(ds->jlen + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            e = n < 0 ? errno : EIO;
            break;
        }
        done += (size_t)n;
        for (int i = 0; i < 2 && n > 0; i++) {
            size_t take = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;
            iov[i].iov_base = (char *)iov[i].iov_base + take;
            iov[i].iov_len -= take;
            n -= (ssize_t)take;
        }
    }
    if (!e && fsync(ds->jfd) < 0)
        e = errno;
    if (e) {
        if (ftruncate(ds->jfd, (off_t)ds->jlen) < 0)
            ds->jbroken = 1;
        return aft_error_errno(err, e, "%s: cannot write the journal", ds->journal_path);
    }
    ds->jlen += want;
    return 0;
}

/* The loaded bytes are the file on disk until the first save, so the hash
 * of the base can wait until a journal is written or checked. */
static void know_base(aft_dataset *ds)
{
    if (!ds->base_known) {
        ds->base_hash = aft_fp_of(ds->buf, ds->len);
        ds->base_known = 1;
    }
}

enum { LOCKED, BUSY, ABSENT };

/* Opens the journal and takes its lock (ds->jfd on LOCKED). A journal that
 * was unlinked or replaced while we waited for it is opened again. */
static int lock_journal(aft_dataset *ds, int create, aft_error *err)
{
    for (int tries = 0; tries < 16; tries++) {
        int fd = open(ds->journal_path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
        if (fd < 0) {
            if (errno == ENOENT && !create)
                return ABSENT;
            return aft_error_errno(err, errno, "cannot open %s", ds->journal_path);
        }
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
            int e = errno;
            close(fd);
            if (e == EWOULDBLOCK)
                return BUSY;
            return aft_error_errno(err, e, "cannot lock %s", ds->journal_path);
        }
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(ds->journal_path, &b) == 0 &&
            a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
            ds->jfd = fd;
            return LOCKED;
        }
        close(fd);
        if (!create && errno == ENOENT)
            return ABSENT;
    }
    return aft_error_set(err, "%s keeps changing; is another program editing it?",
                         ds->journal_path);
}

int aft_journal_check_busy(const aft_dataset *ds, aft_error *err)
{
    if (!ds->jbusy)
        return 0;
    return aft_error_set(err, "%s is being edited in another agentft session (its journal %s "
                         "is in use); save or close it there, then open the dataset again",
                         ds->path, ds->journal_path);
}

/* A new journal: the header and the directory entry must be durable before
 * the first op counts as saved. */
static int journal_start(aft_dataset *ds, aft_error *err)
{
    int rc = lock_journal(ds, 1, err);
    if (rc == BUSY)
        ds->jbusy = 1;
    if (rc != LOCKED)
        return rc < 0 ? -1 : aft_journal_check_busy(ds, err);
    struct stat st;
    if (fstat(ds->jfd, &st) < 0 || st.st_size > 0) {
        aft_journal_close(ds);
        return aft_error_set(err, "%s appeared after %s was opened: another session left unsaved "
                             "edits there; open the dataset again to see them",
                             ds->journal_path, ds->path);
    }
    know_base(ds);
    char head[160];
    int n = snprintf(head, sizeof head,
                     "{\"agentft_journal\":1,\"base_size\":%zu,\"base_hash\":\"%016" PRIx64 "\"}",
                     ds->base_size, ds->base_hash);
    ds->jlen = 0;
    if (append_raw(ds, head, (size_t)n, err) < 0 ||
        aft_fsync_parent_dir(ds->journal_path, err) < 0) {
        unlink(ds->journal_path); /* still ours: we hold the lock */
        aft_journal_close(ds);
        ds->jbroken = 0;
        return -1;
    }
    ds->jlive = 1;
    return 0;
}

int aft_journal_append(aft_dataset *ds, const char *line, size_t len, aft_error *err)
{
    if (aft_journal_check_busy(ds, err) < 0)
        return -1;
    if (ds->jbroken)
        return aft_error_set(err, "%s: the journal could not be repaired after a failed write; "
                             "save the dataset to start a new one", ds->journal_path);
    if (!ds->jlive && journal_start(ds, err) < 0)
        return -1;
    return append_raw(ds, line, len, err);
}

int aft_journal_mark_saved(aft_dataset *ds, uint64_t hash, size_t size, aft_error *err)
{
    char line[120];
    int n = snprintf(line, sizeof line, "{\"op\":\"saved\",\"size\":%zu,\"hash\":\"%016" PRIx64 "\"}",
                     size, hash);
    return aft_journal_append(ds, line, (size_t)n, err);
}

void aft_journal_remove(aft_dataset *ds)
{
    /* Errors are ignored on purpose: a journal left behind ends with a
     * "saved" mark that matches the file, and the next open drops it. An
     * emptied one lets this session start a new journal in its place. */
    if (ds->jlive) {
        if (unlink(ds->journal_path) == 0)
            aft_fsync_parent_dir(ds->journal_path, NULL);
        else if (ftruncate(ds->jfd, 0) == 0)
            fsync(ds->jfd);
    }
    aft_journal_close(ds);
    ds->jlive = 0;
    ds->jbroken = 0;
    ds->jlen = 0;
}

/* ---- recovery at open -------------------------------------------------- */

/* Reads "size" and the hex "hash"-named field of a header or saved mark. */
static int base_of(const cJSON *o, const char *size_key, const char *hash_key,
                   size_t *size, uint64_t *hash)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, size_key);
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, hash_key);
    if (!cJSON_IsNumber(s) || s->valuedouble < 0 || s->valuedouble > 9007199254740992.0 ||
        !cJSON_IsString(h))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(h->valuestring, &end, 16);
    if (errno || *end || end == h->valuestring)
        return -1;
    *size = (size_t)s->valuedouble;
    *hash = v;
    return 0;
}

static int is_saved_mark(const cJSON *op)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(op, "op");
    return cJSON_IsString(k) && !strcmp(k->valuestring, "saved");
}

/* Moves a journal that belongs to another version of the file out of the
 * way, never deleting it: it holds edits the user may still want. */
static int set_aside(aft_dataset *ds, aft_diag_list *diags, aft_error *err)
{
    size_t n = strlen(ds->journal_path) + 64;
    char *to = malloc(n);
    if (!to)
        return aft_error_set(err, "out of memory");
    long now = (long)time(NULL);
    struct stat st;
    snprintf(to, n, "%s.stale-%ld", ds->journal_path, now);
    for (int k = 2; lstat(to, &st) == 0 && k < 1000; k++)
        snprintf(to, n, "%s.stale-%ld-%d", ds->journal_path, now, k);
    if (rename(ds->journal_path, to) < 0) {
        aft_error_errno(err, errno, "%s changed since its journal was written, and the journal "
                        "could not be moved to %s", ds->path, to);
        free(to);
        return -1;
    }
    aft_fsync_parent_dir(to, NULL);
    int rc = aft_diag_add(diags, AFT_DIAG_WARNING, 1, 1,
                          "the file changed since its journal %s was written, so its unsaved "
                          "edits were not applied; the journal was moved to %s",
                          ds->journal_path, to);
    free(to);
    return rc < 0 ? aft_error_set(err, "out of memory") : 0;
}

typedef struct jlines {
    char *data;
    size_t len, good;    /* good: bytes of complete lines */
    size_t *starts;      /* offsets of complete lines */
    size_t n;
} jlines;

static int split_lines(jlines *j)
{
    size_t cap = 0;
    for (size_t p = 0; p < j->len;) {
        char *nl = memchr(j->data + p, '\n', j->len - p);
        if (!nl)
            break; /* a torn last op: it was never acknowledged */
        if (j->n == cap) {
            cap = cap ? cap * 2 : 64;
            size_t *s = realloc(j->starts, cap * sizeof *s);
            if (!s)
                return -1;
            j->starts = s;
        }
        j->starts[j->n++] = p;
        *nl = '\0';
        p = (size_t)(nl - j->data) + 1;
        j->good = p;
    }
    return 0;
}

static cJSON *parse_jline(const jlines *j, size_t k)
{
    return cJSON_Parse(j->data + j->starts[k]);
}

/* The last point in the journal (0 = header, k = after line k's saved mark)
 * whose file matches the one on disk; -1 when none does. */
static long matching_point(aft_dataset *ds, const jlines *j)
{
    long found = -1;
    know_base(ds);
    static const char mark[] = "{\"op\":\"saved\"";
    for (size_t k = 0; k < j->n; k++) {
        if (k > 0 && strncmp(j->data + j->starts[k], mark, sizeof mark - 1))
            continue; /* not worth parsing: only the header and marks name a file */
        cJSON *o = parse_jline(j, k);
        size_t size;
        uint64_t hash;
        int ok = k == 0 ? base_of(o, "base_size", "base_hash", &size, &hash) == 0
                        : is_saved_mark(o) && base_of(o, "size", "hash", &size, &hash) == 0;
        if (ok && size == ds->base_size && hash == ds->base_hash)
            found = (long)k;
        cJSON_Delete(o);
    }
    return found;
}

static int replay_from(aft_dataset *ds, const jlines *j, size_t from, aft_error *err)
{
    for (size_t k = from + 1; k < j->n; k++) {
        cJSON *op = parse_jline(j, k);
        int rc = 0;
        if (!op)
            rc = aft_error_set(err, "not valid JSON");
        else if (!is_saved_mark(op) && (rc = aft_ds_replay(ds, op, err)) == 0)
            ds->replayed++;
        cJSON_Delete(op);
        if (rc < 0) {
            aft_error_prefix(err, "%s:%zu: cannot replay this edit (the dataset and the journal "
                             "were left as they are; move the journal away to open the file "
                             "without its edits)", ds->journal_path, k + 1);
            return -1;
        }
    }
    return 0;
}

static int recover(aft_dataset *ds, jlines *j, aft_diag_list *diags, aft_error *err)
{
    if (split_lines(j) < 0)
        return aft_error_set(err, "out of memory reading %s", ds->journal_path);
    if (j->n == 0) {
        unlink(ds->journal_path); /* only a torn header: nothing was acknowledged */
        return 0;
    }
    long at = matching_point(ds, j);
    if (at < 0)
        return set_aside(ds, diags, err);
    if (replay_from(ds, j, (size_t)at, err) < 0)
        return -1;
    if (ds->replayed == 0 && at > 0) {
        /* The last save finished; only its journal was left behind. */
        if (unlink(ds->journal_path) == 0)
            aft_fsync_parent_dir(ds->journal_path, NULL);
        return 0;
    }
    if (j->good < j->len && ftruncate(ds->jfd, (off_t)j->good) < 0)
        return aft_error_errno(err, errno, "cannot cut the torn end off %s", ds->journal_path);
    ds->jlive = 1;
    ds->jlen = j->good;
    ds->dirty = ds->replayed > 0;
    return 0;
}

static int note_busy(aft_dataset *ds, aft_diag_list *diags, aft_error *err)
{
    ds->jbusy = 1;
    if (aft_diag_add(diags, AFT_DIAG_WARNING, 1, 1,
                     "another agentft session is editing this file (its journal %s is in "
                     "use): showing the file as last saved, and edits here are refused",
                     ds->journal_path) < 0)
        return aft_error_set(err, "out of memory");
    return 0;
}

int aft_journal_recover(aft_dataset *ds, aft_diag_list *diags, aft_error *err)
{
    int locked = lock_journal(ds, 0, err);
    if (locked < 0)
        return -1;
    if (locked == ABSENT)
        return 0;
    if (locked == BUSY)
        return note_busy(ds, diags, err);
    jlines j = {0};
    int rc = aft_read_file(ds->journal_path, &j.data, &j.len, err);
    if (rc == 0)
        rc = recover(ds, &j, diags, err);
    free(j.data);
    free(j.starts);
    if (!ds->jlive)
        aft_journal_close(ds); /* replayed nothing to keep: let the lock go */
    return rc;
}
