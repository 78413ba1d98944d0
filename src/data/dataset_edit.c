/* The steps every dataset edit (dataset_edit_fields.c, dataset_edit_records.c)
 * goes through: build and check the new record, journal it (fsync'd), then
 * commit in memory, so a failure before the commit changes nothing. */
#include "dataset_edit_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/utf8.h"

/* ---- journal lines ---------------------------------------------------------- */

void aft_sb_put(aft_sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (n >= b->cap - b->len || !b->p) {
        size_t ncap = b->cap ? b->cap : 256;
        while (ncap - b->len <= n) {
            if (ncap > SIZE_MAX / 2) {
                b->failed = 1;
                return;
            }
            ncap *= 2;
        }
        char *np = realloc(b->p, ncap);
        if (!np) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void aft_sb_str(aft_sbuf *b, const char *s)
{
    aft_sb_put(b, s, strlen(s));
}

/* s as a JSON string; s is valid UTF-8, which passes through unescaped. */
void aft_sb_json(aft_sbuf *b, const char *s)
{
    aft_sb_put(b, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        aft_sb_put(b, run, (size_t)(s - run));
        char esc[8];
        snprintf(esc, sizeof esc, c == '"' || c == '\\' ? "\\%c" : "\\u%04x", c);
        aft_sb_str(b, esc);
        run = s + 1;
    }
    aft_sb_put(b, run, (size_t)(s - run));
    aft_sb_put(b, "\"", 1);
}

void aft_sb_index(aft_sbuf *b, const char *op, size_t i)
{
    char head[64];
    snprintf(head, sizeof head, "{\"op\":\"%s\",\"i\":%zu", op, i);
    aft_sb_str(b, head);
}

/* Journals b's line unless replaying; frees b. */
int aft_edit_journal(aft_dataset *ds, aft_sbuf *b, int replaying, aft_error *err)
{
    int rc = 0;
    if (!replaying) {
        aft_sb_put(b, "}", 1);
        rc = b->failed ? aft_error_set(err, "out of memory")
                       : aft_journal_append(ds, b->p, b->len, err);
    }
    free(b->p);
    b->p = NULL;
    return rc;
}

/* ---- building a checked record -------------------------------------------- */


int aft_edit_id_hash_of(const cJSON *tree, uint64_t *h)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(tree, "id");
    if (!cJSON_IsString(id))
        return 0;
    *h = aft_id_hash(id->valuestring);
    return 1;
}

int aft_edit_prepare(aft_dataset *ds, const cJSON *tree, size_t recno, aft_edit_prep *p,
                     aft_error *err)
{
    aft_info info;
    aft_check pb;
    memset(p, 0, sizeof *p);
    if (aft_ds_check(tree, &info, &pb) < 0)
        return aft_error_set(err, "record %zu: %s", recno, pb.msg);
    uint32_t action;
    if (aft_strtab_intern(&ds->actions, info.action, &action) < 0)
        return aft_error_set(err, "out of memory");
    char *line = cJSON_PrintUnformatted(tree);
    if (!line)
        return aft_error_set(err, "out of memory");
    size_t len = strlen(line);
    if (len > AFT_MAX_LINE_BYTES) {
        cJSON_free(line);
        return aft_error_set(err, "record %zu would be %zu bytes, over the %zu MiB line limit",
                             recno, len, AFT_MAX_LINE_BYTES >> 20);
    }
    p->rec.text = line;
    p->rec.len = (uint32_t)len;
    aft_ds_set_facts(&p->rec, &info, action);
    p->has_id = info.id != NULL;
    if (p->has_id)
        p->id_hash = aft_id_hash(info.id);
    return 0;
}

int aft_edit_check_key(const char *key, aft_error *err)
{
    if (!key || !key[0])
        return aft_error_set(err, "a field name can't be empty");
    if (!aft_utf8_valid(key, strlen(key), NULL))
        return aft_error_set(err, "field name is not valid UTF-8");
    return 0;
}

int aft_edit_check_index(const aft_dataset *ds, size_t i, aft_error *err)
{
    if (i >= ds->count)
        return aft_error_set(err, "record %zu does not exist (the dataset has %zu records)",
                             i, ds->count);
    return 0;
}

/* Room for one more record, made before journaling so the commit can't fail. */
int aft_edit_reserve_one(aft_dataset *ds, aft_error *err)
{
    if (aft_idset_reserve(&ds->ids, 1) < 0)
        return aft_error_set(err, "out of memory");
    if (ds->count < ds->cap)
        return 0;
    size_t ncap = ds->cap ? ds->cap * 2 : 64;
    aft_rec *n = ncap <= SIZE_MAX / sizeof *n ? realloc(ds->recs, ncap * sizeof *n) : NULL;
    if (!n)
        return aft_error_set(err, "out of memory");
    ds->recs = n;
    ds->cap = ncap;
    return 0;
}

/* ---- commits (cannot fail) ------------------------------------------------- */

void aft_edit_commit_replace(aft_dataset *ds, size_t i, aft_edit_prep *p, int old_has,
                             uint64_t old_h)
{
    aft_rec *r = &ds->recs[i];
    p->rec.eol = r->eol;
    cJSON_free(r->text);
    *r = p->rec;
    if (old_has)
        aft_idset_remove(&ds->ids, old_h);
    if (p->has_id)
        aft_idset_add(&ds->ids, p->id_hash, i, NULL);
    ds->dirty = 1;
}

/* Inserts at `at`; kept lines from record `shift_from` on move down with it. */
void aft_edit_commit_insert(aft_dataset *ds, size_t at, size_t shift_from, aft_edit_prep *p)
{
    memmove(&ds->recs[at + 1], &ds->recs[at], (ds->count - at) * sizeof *ds->recs);
    ds->recs[at] = p->rec;
    ds->count++;
    for (size_t k = 0; k < ds->nkept; k++)
        if (ds->kept[k].before >= shift_from)
            ds->kept[k].before++;
    if (p->has_id)
        aft_idset_add(&ds->ids, p->id_hash, at, NULL);
    ds->dirty = 1;
}

void aft_edit_commit_delete(aft_dataset *ds, size_t i, int old_has, uint64_t old_h)
{
    cJSON_free(ds->recs[i].text);
    memmove(&ds->recs[i], &ds->recs[i + 1], (ds->count - i - 1) * sizeof *ds->recs);
    ds->count--;
    for (size_t k = 0; k < ds->nkept; k++)
        if (ds->kept[k].before > i)
            ds->kept[k].before--;
    if (old_has)
        aft_idset_remove(&ds->ids, old_h);
    ds->dirty = 1;
}
