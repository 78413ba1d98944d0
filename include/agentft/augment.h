/* Data augmentation: synonyms (WordNet, user files), EDA, back-translation
 * through a translator coprocess, and the dataset pass; see agentft(1). */
#ifndef AGENTFT_AUGMENT_H
#define AGENTFT_AUGMENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agentft/dataset.h"
#include "agentft/error.h"
#include "agentft/rng.h"
#include "agentft/wordnet.h"

/* ---- user synonym files -------------------------------------------------- */

/* Domain terms and languages WordNet lacks (Chinese). Two formats, by name:
 *   *.yaml, *.yml:  a mapping of word to a list of synonyms
 *                   (a lone string counts as a list of one)
 *   anything else:  TSV lines "word<TAB>syn1<TAB>syn2...", '#' starts a comment
 * An entry is one-way (word -> syns); list each direction you want. Entries
 * may be phrases and may be CJK words, which are found inside unspaced text;
 * other entries must stand as whole words. ASCII letters match in any case. */
typedef struct aft_synonyms aft_synonyms;

aft_synonyms *aft_synonyms_load(const char *path, aft_error *err);
/* The same from text already in memory; name is used in messages. */
aft_synonyms *aft_synonyms_parse(const char *name, const char *text, size_t len, int yaml,
                                 aft_error *err);
void aft_synonyms_free(aft_synonyms *s);
size_t aft_synonyms_count(const aft_synonyms *s);
/* The synonyms of word (exact entry, ASCII case folded), or NULL. */
const aft_wordlist *aft_synonyms_get(const aft_synonyms *s, const char *word);

/* ---- text operations --------------------------------------------------- */

/* Where synonyms come from: user entries win, WordNet fills in. Either may be NULL. */
typedef struct aft_lexicon {
    const aft_wordnet *wordnet;
    const aft_synonyms *user;
} aft_lexicon;

typedef enum {
    AFT_OP_SYNONYM,   /* replace n words by a synonym */
    AFT_OP_INSERT,    /* insert a synonym of a word at a random place, n times */
    AFT_OP_SWAP,      /* swap two random words, n times */
    AFT_OP_DELETE,    /* delete each word with probability rate (one is always kept) */
    AFT_OP_TYPO,      /* mistype each character with probability rate (aft_perturb's typo) */
    AFT_OP_COUNT
} aft_aug_op;

const char *aft_aug_op_name(aft_aug_op op);   /* "synonym", "insert", "swap", "delete", "typo" */

/* True for the built-in English stop words (ASCII case folded); these are
 * never replaced nor used as a source of inserted synonyms. */
int aft_is_stop_word(const char *word, size_t len);

/* One operation on text with rate alpha: n = max(1, floor(alpha * words))
 * changes for synonym, insert and swap (none when alpha is 0), and a per-word
 * probability for delete. Words are runs between spaces; a run of CJK
 * characters counts as one word (there is no segmenter), punctuation stays
 * with its word. Synonyms keep the replaced word's case (Title, UPPER) and,
 * for WordNet, its inflection (plural, -s, -ed, -ing, -er, -est); capitalised
 * words after the first and acronyms are left alone as likely names.
 * Returns a malloc'd string (rate 0 gives a copy of text), or NULL with err
 * set (out of memory, or a malformed WordNet file). */
char *aft_augment_text(const aft_lexicon *lex, aft_aug_op op, const char *text, double rate,
                       aft_rng *rng, aft_error *err);

/* Text in the form duplicates are compared in: ASCII and Latin-1 letters in
 * lower case, punctuation and white space collapsed to one space, trimmed.
 * Caller frees; NULL when out of memory. */
char *aft_augment_normalize(const char *text);

/* ---- the translator coprocess -------------------------------------------- */

/* Splits a command line into an argv for execvp: words are separated by
 * blanks; '...' keeps everything literally; "..." keeps everything but \"
 * and \\; a backslash outside quotes escapes the next character. Nothing else
 * is special: no variables, globs or ~ (no shell is involved). The caller
 * frees with aft_argv_free. Errors: empty command, unterminated quote. */
int aft_argv_split(const char *cmdline, char ***argv, aft_error *err);
void aft_argv_free(char **argv);

typedef struct aft_translator aft_translator;

typedef struct aft_translator_opts {
    int timeout_ms;        /* per request, from when it is sent (> 0) */
    size_t max_inflight;   /* requests sent and not yet answered (>= 1) */
} aft_translator_opts;

/* Starts argv[0] (found on PATH by execvp; never through a shell) with pipes
 * on its standard input and output; its standard error is captured and its
 * last line quoted in errors. It runs in a process group of its own, which
 * is killed on error. Protocol, one JSON object a line:
 *   to it:   {"id":N,"text":"...","to":"fr"}
 *   from it: {"id":N,"text":"..."}   or   {"id":N,"error":"..."}
 * in any order; ids are numbers agentft chooses. */
aft_translator *aft_translator_start(char *const argv[], const aft_translator_opts *opts,
                                     aft_error *err);

/* Translates texts[0..n) into language `to`; out[i] gets a malloc'd text.
 * On error (crash with its exit status or signal, hang past the timeout,
 * garbage with the output line number and an excerpt, output closed, unknown
 * ids, a reported error) the process is killed and reaped, out holds nothing,
 * and every later call fails with the same message. SIGPIPE is blocked while
 * writing to it, so a dead translator cannot kill the caller. */
int aft_translator_translate(aft_translator *t, const char *const *texts, size_t n,
                             const char *to, char **out, aft_error *err);

/* Closes its input and waits (up to the timeout) for it to exit, then reaps
 * it; -1 with err set when it exits non-zero, by a signal, or has to be killed. */
int aft_translator_finish(aft_translator *t, aft_error *err);
/* Kills and reaps it if it still runs, then frees. NULL is allowed. */
void aft_translator_free(aft_translator *t);
pid_t aft_translator_pid(const aft_translator *t);

/* ---- the dataset pass ---------------------------------------------------- */

enum {
    AFT_AUG_SYNONYM = 1 << 0,
    AFT_AUG_EDA = 1 << 1,          /* insert, swap and delete */
    AFT_AUG_BACKTRANSLATE = 1 << 2,
    AFT_AUG_TYPO = 1 << 3,         /* keyboard typos: variants that teach robustness to them */
};

/* Parses "synonym,eda,backtranslate,typo" (any subset) into AFT_AUG_* bits. */
int aft_augment_parse_methods(const char *list, unsigned *methods, aft_error *err);

/* What a variant was made with: the label in its "augmented" field. */
typedef enum {
    AFT_VM_SYNONYM,
    AFT_VM_INSERT,
    AFT_VM_SWAP,
    AFT_VM_DELETE,
    AFT_VM_BACKTRANSLATE,
    AFT_VM_TYPO,
    AFT_VM_COUNT
} aft_variant_method;

const char *aft_variant_method_name(aft_variant_method m); /* "synonym", "eda_insert", ... */

typedef struct aft_augment_opts {
    unsigned methods;                /* AFT_AUG_* */
    size_t per_record;               /* variants tried per source record */
    double rate[AFT_OP_COUNT];
    uint64_t seed;
    const char *const *only;         /* actions to augment; NULL: all */
    size_t n_only;
    aft_lexicon lex;
    aft_translator *there, *back;    /* back-translation; back may equal there */
    const char *pivot, *language;    /* "to" on the way there and back */
    /* When records is not NULL only these records of sources[0] may be
     * sources (and still only training ones); every record of every source
     * still counts for duplicates. */
    const size_t *records;
    size_t n_records;
} aft_augment_opts;

/* A dataset file and the split its records are in when they carry none. */
typedef struct aft_augment_source {
    const aft_dataset *ds;
    aft_split implied;
} aft_augment_source;

typedef struct aft_variant {
    size_t source, record;          /* sources[source], record index in it */
    aft_variant_method method;
    char *text;                     /* the new text of the augmented turn */
    char *json;                     /* the whole new record, one line */
    char *source_text;              /* that turn's text in the source record */
} aft_variant;

typedef struct aft_augment_result {
    aft_variant *items;             /* the variants kept, in source order */
    size_t count, cap;
    size_t sources;                 /* training records augmented */
    size_t not_train;               /* records left alone: valid or test split */
    size_t no_split;                /* records left alone: no split (run data split) */
    size_t other_action;            /* training records left out by `only` */
    size_t already_augmented;       /* training records that are variants themselves */
    size_t no_text;                 /* no context text, or no user turn */
    size_t made[AFT_VM_COUNT];      /* kept */
    size_t unchanged[AFT_VM_COUNT]; /* the operation found nothing to change */
    size_t dup_existing[AFT_VM_COUNT]; /* same normalised text as a record (any split) */
    size_t dup_variant[AFT_VM_COUNT];  /* same as another variant */
} aft_augment_result;

/* Makes variants of the training records of sources[0..n): records whose
 * split (or, lacking one, the file's implied split) is train. Records in
 * valid or test are never a source, and a variant whose normalised context
 * equals any existing record's (all splits) or another variant's is dropped.
 * Each kept variant is the source record with its context replaced (for a
 * dialogue: the last user turn only), its id suffixed "-augN", "split":
 * "train", and "augmented": {"method":..,"source_id":..} where source_id is
 * the source's id, or else its 1-based record number in its file.
 * Reproducible: the same inputs and seed give the same variants. */
int aft_augment(const aft_augment_source *sources, size_t n, const aft_augment_opts *opts,
                aft_augment_result *res, aft_error *err);
void aft_augment_result_free(aft_augment_result *res);

/* A variant record (json, as aft_augment made it) with its augmented text
 * (the context, or the last user turn's content) replaced by text: for a
 * variant a person edited. Caller frees; NULL with err set when json is not
 * such a record, text is empty, or memory runs out. */
char *aft_variant_with_text(const char *json, const char *text, aft_error *err);

/* ---- the dataset pass in steps --------------------------------------------- */

/* aft_augment in steps, for a caller that shows progress, can stop, and
 * lets another thread do the slow part: first the sources are read (in as
 * many calls as the caller likes), then the variants are made a few
 * records at a time without touching the sources, so the datasets may
 * change (or be freed) once reading is done. The same inputs give the same
 * variants as aft_augment. opts and what it points to (lexicon,
 * translators, only, records) must outlive the pass. */
typedef struct aft_augment_pass aft_augment_pass;

/* Checks opts and starts a pass over sources[0..n); res is initialised and
 * gets the counts. NULL with err set for bad options. */
aft_augment_pass *aft_augment_pass_new(const aft_augment_source *sources, size_t n,
                                       const aft_augment_opts *opts, aft_augment_result *res,
                                       aft_error *err);
/* Reads up to budget more records: 1 when every record has been read (the
 * sources are not used again), 0 when more remain, -1 with err set. */
int aft_augment_pass_read(aft_augment_pass *p, size_t budget, aft_augment_result *res,
                          aft_error *err);
/* Records to augment (all known once reading is done), and those done. */
size_t aft_augment_pass_total(const aft_augment_pass *p);
size_t aft_augment_pass_done(const aft_augment_pass *p);
/* Makes the variants of up to max more records, back-translated as one
 * batch: 1 when every record is done, 0 when more remain, -1 with err set
 * (the variants kept so far stay in res). */
int aft_augment_pass_make(aft_augment_pass *p, size_t max, aft_augment_result *res,
                          aft_error *err);
void aft_augment_pass_free(aft_augment_pass *p);

#endif
