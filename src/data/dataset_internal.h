/* Private layout of aft_dataset and the helpers that diag.c, dataset.c,
 * dataset_load.c, dataset_save.c, the dataset_edit*.c files and journal.c share.
 * Not part of the public API. */
#ifndef AGENTFT_DATASET_INTERNAL_H
#define AGENTFT_DATASET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "agentft/dataset.h"
#include "agentft/error.h"

/* How a line ended in the file; kept per line so a save gives the same bytes. */
enum { AFT_EOL_NONE = 0, AFT_EOL_LF = 1, AFT_EOL_CRLF = 2 };

/* One good record. The facts are extracted at load (or edit) so that stats
 * and splits never parse JSON again; 40 bytes a record keeps a million-record
 * file at a fraction of its own size. */
typedef struct aft_rec {
    size_t off;          /* line start in ds->buf, when text is NULL */
    char *text;          /* edited line (cJSON allocator), or NULL */
    uint32_t len;        /* line bytes without the line end (<= 16 MiB) */
    uint32_t action;     /* index into ds->actions */
    uint32_t chars, words, turns;
    uint8_t complexity;  /* the field, 0 when absent */
    uint8_t split;       /* aft_split */
    uint8_t eol;
} aft_rec;

/* A bad or blank line: written back where it was, as it was. */
typedef struct aft_kept {
    size_t before;       /* index of the record it precedes (count = at the end) */
    size_t off, len;     /* in ds->buf, without the line end */
    uint8_t eol;
} aft_kept;

/* Interned action names; ids stay valid for the dataset's life. */
typedef struct aft_strtab {
    char **names;
    size_t count, cap;
    uint32_t *slots;     /* name index + 1; 0 = empty */
    size_t nslots;
} aft_strtab;

/* A multiset of id hashes. A false "taken" only makes duplicate() pick the
 * next suffix, so hashes are enough for keeping ids unique. */
typedef struct aft_idslot {
    uint64_t hash;       /* 0 = empty slot */
    size_t first;        /* record index of the first holder (load only) */
    uint32_t count;      /* 0 = removed, slot still occupied */
} aft_idslot;

/* Slots are chosen by the hash's top bits, so inserting hashes in sorted
 * order (as the load does) walks the table nearly sequentially. */
typedef struct aft_idset {
    aft_idslot *slots;
    size_t nslots, used; /* used counts occupied slots, removed ones included */
    unsigned shift;      /* 64 - log2(nslots) */
} aft_idset;

struct aft_dataset {
    char *path, *journal_path;
    char *buf;           /* the file as read at open, NUL after it */
    size_t len;
    size_t base_size;    /* the file on disk now (as opened or last saved): */
    uint64_t base_hash;  /* what a journal applies to, see aft_fp_final */
    int base_known;      /* base_hash computed (only needed once journaling) */
    int has_bom;
    uint8_t default_eol; /* for added records: the first line's ending */

    aft_rec *recs;
    size_t count, cap;
    aft_kept *kept;
    size_t nkept, kept_cap;
    size_t bad;          /* kept lines that are bad (not blank) */

    aft_strtab actions;
    aft_idset ids;

    int jfd;             /* our journal, open and flock'ed, or -1 */
    int jlive;           /* we hold a journal for the current base (jfd >= 0) */
    int jbroken;         /* an append failed and could not be undone */
    int jbusy;           /* another session holds the journal: no edits here */
    size_t jlen;         /* bytes of complete lines in the journal */
    size_t replayed;
    int dirty;
};

/* --- diag.c: the diagnostics list and the record checks --------------- */

int aft_diag_add(aft_diag_list *d, aft_diag_level level, size_t line, size_t column,
                 const char *fmt, ...) AFT_PRINTF(5, 6);

/* What a valid record carries; pointers point into the checked cJSON tree. */
typedef struct aft_info {
    const char *action;
    const char *id;      /* NULL when the record has no string id */
    uint32_t chars, words, turns;
    uint8_t complexity, split;
} aft_info;

/* Why a record is invalid, and where: key (top level), elem (index into its
 * array, or -1) and subkey (member of that element) locate the bad value. */
typedef struct aft_check {
    char msg[400];
    const char *key;
    long elem;
    const char *subkey;
    int dup;             /* duplicate key: point at its second occurrence */
} aft_check;

/* Checks a parsed line against the record rules; 0 when valid. */
int aft_ds_check(const cJSON *obj, aft_info *info, aft_check *pb);
/* Byte offset in line of the value (or key) that pb blames. */
size_t aft_ds_locate(const char *line, size_t len, const aft_check *pb);
/* A short display form of a JSON value for messages ("hard", 5, an array). */
void aft_ds_describe(const cJSON *v, char *buf, size_t size);

/* --- dataset.c: tables and shared record helpers ---------------------- */

int aft_strtab_intern(aft_strtab *t, const char *s, uint32_t *id);
int aft_idset_reserve(aft_idset *s, size_t extra);
/* Adds one holder of h (room reserved first); returns how many held it before. */
uint32_t aft_idset_add(aft_idset *s, uint64_t h, size_t rec, size_t *first);
void aft_idset_remove(aft_idset *s, uint64_t h);
int aft_idset_has(const aft_idset *s, uint64_t h);
uint64_t aft_id_hash(const char *id);
/* Parses record i's line; NULL with err set on failure. */
cJSON *aft_ds_parse_record(const aft_dataset *ds, size_t i, aft_error *err);
void aft_ds_set_facts(aft_rec *r, const aft_info *info, uint32_t action);
/* The 1-based file line of record rec, bad and blank lines counted (for the
 * load's duplicate-id warnings and aft_dataset_line_number). */
size_t aft_ds_line_of(const aft_dataset *ds, size_t rec);

/* --- dataset_edit_records.c ---------------------------------------------- */

/* Applies one journal op without journaling it (replay at open). */
int aft_ds_replay(aft_dataset *ds, const cJSON *op, aft_error *err);

/* --- journal.c ----------------------------------------------------------- */

/* A file's identity in a journal: aft_hash64 over each 1 MiB block, chained,
 * then mixed with the size, so a save can compute it while it streams. */
#define AFT_FP_BLOCK ((size_t)1 << 20)
typedef struct aft_fp {
    uint64_t h;
    size_t size;
} aft_fp;

void aft_fp_init(aft_fp *fp);
/* Feeds the next block: AFT_FP_BLOCK bytes, or fewer for the last one. */
void aft_fp_block(aft_fp *fp, const void *data, size_t len);
uint64_t aft_fp_final(const aft_fp *fp);
uint64_t aft_fp_of(const void *data, size_t len);

/* Appends line (no '\n') and fsyncs; on error the journal is as before. */
int aft_journal_append(aft_dataset *ds, const char *line, size_t len, aft_error *err);
/* At open: replays, discards or sets aside a leftover journal, or notes
 * that another session is editing the file (then edits are refused). */
int aft_journal_recover(aft_dataset *ds, aft_diag_list *diags, aft_error *err);
/* Before a save's rename: records the hash and size the file is about to have. */
int aft_journal_mark_saved(aft_dataset *ds, uint64_t hash, size_t size, aft_error *err);
/* After a save's rename: the journal is no longer needed. */
void aft_journal_remove(aft_dataset *ds);
void aft_journal_close(aft_dataset *ds);
/* 0, or -1 with err set when another session holds the journal. */
int aft_journal_check_busy(const aft_dataset *ds, aft_error *err);

#endif
