/* Saving a dataset: every line, edited or kept, streamed in file order into
 * an atomic replacement of the file, fingerprinted for the journal. */
#include "dataset_internal.h"

#include <stdlib.h>
#include <string.h>

#include "agentft/fileio.h"

/* Saving streams the lines through one block-sized buffer into the temp
 * file, fingerprinting each block on the way, so a save needs no second copy
 * of the dataset in memory. Records keep pointing at the loaded bytes and at
 * their edited lines, which hold the same text the file now has. */
typedef struct sink {
    aft_atomic_file *f;
    char *blk;
    size_t used;
    aft_fp fp;
    aft_error *err;
    int failed;
} sink;

static void sink_flush(sink *s)
{
    if (s->failed || s->used == 0)
        return;
    aft_fp_block(&s->fp, s->blk, s->used);
    if (aft_atomic_write(s->f, s->blk, s->used, s->err) < 0)
        s->failed = 1;
    s->used = 0;
}

static void sink_put(sink *s, const char *p, size_t n)
{
    while (n > 0 && !s->failed) {
        size_t take = AFT_FP_BLOCK - s->used < n ? AFT_FP_BLOCK - s->used : n;
        memcpy(s->blk + s->used, p, take);
        s->used += take;
        p += take;
        n -= take;
        if (s->used == AFT_FP_BLOCK)
            sink_flush(s);
    }
}

static const char *const eol_bytes[] = {"", "\n", "\r\n"};

/* A line keeps its own ending; one that had none (the old last line) gets
 * the file's usual ending unless it is still the last. */
static uint8_t out_eol(const aft_dataset *ds, uint8_t eol, size_t idx, size_t total)
{
    if (eol != AFT_EOL_NONE)
        return eol;
    return idx + 1 == total ? AFT_EOL_NONE : ds->default_eol;
}

/* Walks every line in file order: writes it to s, or with s NULL (after a
 * save) stores the ending each line was written with. */
static void emit(aft_dataset *ds, sink *s)
{
    size_t k = 0, idx = 0, total = ds->count + ds->nkept;
    if (ds->has_bom && s)
        sink_put(s, "\xEF\xBB\xBF", 3);
    for (size_t i = 0; i <= ds->count; i++) {
        for (; k < ds->nkept && ds->kept[k].before == i; k++) {
            aft_kept *kl = &ds->kept[k];
            uint8_t eol = out_eol(ds, kl->eol, idx++, total);
            if (s) {
                sink_put(s, ds->buf + kl->off, kl->len);
                sink_put(s, eol_bytes[eol], eol);
            } else {
                kl->eol = eol;
            }
        }
        if (i == ds->count)
            break;
        aft_rec *r = &ds->recs[i];
        uint8_t eol = out_eol(ds, r->eol, idx++, total);
        if (s) {
            sink_put(s, r->text ? r->text : ds->buf + r->off, r->len);
            sink_put(s, eol_bytes[eol], eol);
        } else {
            r->eol = eol;
        }
    }
}

int aft_dataset_save(aft_dataset *ds, aft_error *err)
{
    if (aft_journal_check_busy(ds, err) < 0)
        return -1; /* a save would pull the file from under the other session */
    sink s = {.err = err};
    aft_fp_init(&s.fp);
    s.blk = malloc(AFT_FP_BLOCK);
    if (!s.blk)
        return aft_error_set(err, "%s: out of memory saving", ds->path);
    s.f = aft_atomic_open(ds->path, err);
    if (s.f) {
        emit(ds, &s);
        sink_flush(&s);
    }
    free(s.blk);
    uint64_t hash = aft_fp_final(&s.fp);
    if (!s.f || s.failed ||
        (ds->jlive && !ds->jbroken && aft_journal_mark_saved(ds, hash, s.fp.size, err) < 0)) {
        aft_atomic_abort(s.f);
        return -1;
    }
    if (aft_atomic_commit(s.f, err) < 0)
        return -1;
    emit(ds, NULL);
    ds->base_size = s.fp.size;
    ds->base_hash = hash;
    ds->base_known = 1;
    ds->dirty = 0;
    aft_journal_remove(ds);
    return 0;
}
