/* The trainer's data: the workspace's dataset files, the tokenizer trained on
 * them, the action set, the examples per split, and noticing records edited
 * during a run (they join at the next epoch boundary). */
#include "trainer_internal.h"

#include "agentft/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agentft/fileio.h"

static const aft_key split_keys[3] = {AFT_K_TRAIN_FILE, AFT_K_VALID_FILE, AFT_K_TEST_FILE};
static const aft_split split_of_key[3] = {AFT_SPLIT_TRAIN, AFT_SPLIT_VALID, AFT_SPLIT_TEST};

int tr_data_files(tr_data *d, const aft_config *cfg, aft_error *err)
{
    const char *single = aft_config_string(cfg, AFT_K_DATASET);
    d->n_files = 0;
    if (single[0]) {
        d->paths[0] = strdup(single);
        d->implied[0] = AFT_SPLIT_NONE;
        d->n_files = 1;
    } else {
        for (size_t i = 0; i < 3; i++) {
            const char *p = aft_config_string(cfg, split_keys[i]);
            if (!p[0])
                continue;
            d->paths[d->n_files] = strdup(p);
            d->implied[d->n_files++] = split_of_key[i];
        }
    }
    if (d->n_files == 0)
        return aft_error_set(err, "no dataset: set dataset.path, or dataset.train (and valid, test)");
    for (size_t i = 0; i < d->n_files; i++)
        if (!d->paths[i])
            return aft_error_set(err, "out of memory");
    return 0;
}

static int stamp_of(const char *path, tr_file_stamp *s)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return -1;
    s->size = (int64_t)st.st_size;
    s->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    s->ino = (uint64_t)st.st_ino;
    return 0;
}

static int cmp_print(const void *a, const void *b)
{
    const tr_print *x = a, *y = b;
    if (x->has_id != y->has_id)
        return x->has_id < y->has_id ? -1 : 1;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return 0;
}

static int add_prints(tr_print **out, size_t *n, const aft_dataset *ds, aft_error *err)
{
    size_t count = aft_dataset_count(ds);
    tr_print *p = realloc(*out, (*n + count + 1) * sizeof *p);
    if (!p)
        return aft_error_set(err, "out of memory");
    *out = p;
    for (size_t i = 0; i < count; i++) {
        size_t len;
        const char *line = aft_dataset_line(ds, i, &len);
        char *id = aft_dataset_get_json(ds, i, "id");
        tr_print *q = &p[(*n)++];
        q->line = aft_hash64(line, len);
        q->has_id = id != NULL;
        q->key = id ? aft_hash64(id, strlen(id)) : q->line;
        free(id);
    }
    return 0;
}

static size_t count_unsplit(const aft_dataset *ds)
{
    size_t n = 0;
    for (size_t i = 0; i < aft_dataset_count(ds); i++)
        n += aft_dataset_split(ds, i) == AFT_SPLIT_NONE;
    return n;
}

void tr_data_close(aft_dataset *ds[3])
{
    for (size_t i = 0; i < 3; i++) {
        aft_dataset_free(ds[i]);
        ds[i] = NULL;
    }
}

int tr_data_open(tr_data *d, const aft_config *cfg, aft_dataset *ds[3], int require_split,
                 aft_error *err)
{
    aft_load_opts lo = {.strict = aft_config_bool(cfg, AFT_K_STRICT)};
    free(d->prints);
    d->prints = NULL;
    d->n_prints = d->unsplit = d->bad_lines = 0;
    for (size_t i = 0; i < d->n_files; i++) {
        aft_diag_list diags;
        aft_diag_list_init(&diags);
        /* The stamp first: an edit landing during the read shows up next time. */
        if (stamp_of(d->paths[i], &d->stamps[i]) < 0)
            memset(&d->stamps[i], 0, sizeof d->stamps[i]);
        ds[i] = aft_dataset_open(d->paths[i], &lo, &diags, err);
        aft_diag_list_free(&diags);
        if (!ds[i] || add_prints(&d->prints, &d->n_prints, ds[i], err) < 0) {
            tr_data_close(ds);
            return -1;
        }
        d->bad_lines += aft_dataset_bad_lines(ds[i]);
        if (d->implied[i] == AFT_SPLIT_NONE)
            d->unsplit += count_unsplit(ds[i]);
    }
    if (require_split && d->unsplit > 0) {
        aft_error_set(err, "%s: %zu of %zu records have no split field; run "
                      "'agentft data split %s' first (or name dataset.train, valid and test files)",
                      d->paths[0], d->unsplit, aft_dataset_count(ds[0]), d->paths[0]);
        tr_data_close(ds);
        return -1;
    }
    qsort(d->prints, d->n_prints, sizeof *d->prints, cmp_print);
    return 0;
}

int tr_data_probe(const tr_data *d, const aft_config *cfg, aft_dataset *ds[3], aft_error *err)
{
    tr_data probe = {0};
    probe.n_files = d->n_files;
    memcpy(probe.paths, d->paths, sizeof probe.paths);
    memcpy(probe.implied, d->implied, sizeof probe.implied);
    int rc = tr_data_open(&probe, cfg, ds, 0, err);
    free(probe.prints);
    return rc;
}

static aft_split split_of(const tr_data *d, const aft_dataset *ds, size_t f, size_t i)
{
    aft_split s = aft_dataset_split(ds, i);
    return s == AFT_SPLIT_NONE ? d->implied[f] : s;
}

/* What the examples encode: the context as a sequence sees it, the action
 * and the response (reasoning is never encoded, so it does not train). */
static int collect_texts(const tr_data *d, aft_dataset *const ds[3], char ***out, size_t *n)
{
    size_t cap = 0;
    for (size_t f = 0; f < d->n_files; f++)
        cap += 3 * aft_dataset_count(ds[f]);
    char **texts = calloc(cap ? cap : 1, sizeof *texts);
    if (!texts)
        return -1;
    size_t k = 0;
    static const char *const fields[] = {"context", "agent_action", "expected_response"};
    for (size_t f = 0; f < d->n_files; f++)
        for (size_t i = 0; i < aft_dataset_count(ds[f]); i++) {
            if (split_of(d, ds[f], f, i) != AFT_SPLIT_TRAIN)
                continue;
            for (size_t j = 0; j < 3; j++) {
                char *s = aft_dataset_get_string(ds[f], i, fields[j]);
                if (s && s[0])
                    texts[k++] = s;
                else
                    free(s);
            }
        }
    *out = texts;
    *n = k;
    return 0;
}

int tr_data_train_tokenizer(tr_data *d, aft_dataset *const ds[3], const aft_config *cfg,
                            aft_error *err)
{
    char **texts;
    size_t n;
    if (collect_texts(d, ds, &texts, &n) < 0)
        return aft_error_set(err, "out of memory collecting the training text");
    static const char *const specials[] = {AFT_TOK_EOT, AFT_TOK_PAD, AFT_TOK_ACTION,
                                           AFT_TOK_RESPONSE};
    size_t vocab = (size_t)aft_config_int(cfg, AFT_K_VOCAB_SIZE);
    int lowercase = aft_config_bool(cfg, AFT_K_LOWERCASE);
    for (size_t i = 0; lowercase && i < n; i++)
        aft_utf8_lower(texts[i], strlen(texts[i]));
    d->tok = aft_tokenizer_train((const char *const *)texts, n, vocab, specials, 4, err);
    if (d->tok)
        aft_tokenizer_set_lowercase(d->tok, lowercase);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    if (!d->tok)
        aft_error_prefix(err, "training the tokenizer");
    return d->tok ? 0 : -1;
}

int tr_data_actions(tr_data *d, aft_dataset *const ds[3], aft_error *err)
{
    if (d->actions.count > 0)
        return 0;
    return aft_action_set_build(&d->actions, (const aft_dataset *const *)ds, d->n_files, err);
}

static void free_sets(aft_example_set sets[TR_NSETS])
{
    for (int s = 0; s < TR_NSETS; s++)
        aft_example_set_free(&sets[s]);
}

static int build_sets(const tr_data *d, aft_dataset *const ds[3], aft_example_set sets[TR_NSETS],
                      aft_error *err)
{
    static const aft_split which[TR_NSETS] = {AFT_SPLIT_TRAIN, AFT_SPLIT_VALID, AFT_SPLIT_TEST};
    for (int s = 0; s < TR_NSETS; s++) {
        aft_example_set_init(&sets[s]);
        for (size_t f = 0; f < d->n_files; f++) {
            aft_example_opts eo = {.max_seq = d->max_seq, .with_target = d->with_target,
                                   .split_filter = (int)which[s], .implied = d->implied[f]};
            if (aft_examples_add(&sets[s], ds[f], d->tok, &d->actions, &eo, err) < 0) {
                for (int k = 0; k <= s; k++)
                    aft_example_set_free(&sets[k]);
                return -1;
            }
        }
    }
    return 0;
}

int tr_data_build_examples(tr_data *d, aft_dataset *const ds[3], aft_error *err)
{
    aft_example_set fresh[TR_NSETS];
    if (build_sets(d, ds, fresh, err) < 0)
        return -1;
    free_sets(d->sets);
    memcpy(d->sets, fresh, sizeof fresh);
    /* Pad positions may hold any id; a tokenizer without <|pad|> (GPT-2's)
     * pads with <|endoftext|>. */
    d->pad = aft_tokenizer_special(d->tok, AFT_TOK_PAD);
    if (d->pad < 0)
        d->pad = aft_tokenizer_special(d->tok, AFT_TOK_EOT);
    if (d->pad < 0)
        d->pad = 0;
    d->have_order = 0;
    return 0;
}

void tr_data_free(tr_data *d)
{
    for (size_t i = 0; i < 3; i++)
        free(d->paths[i]);
    free(d->prints);
    aft_tokenizer_free(d->tok);
    aft_action_set_free(&d->actions);
    free_sets(d->sets);
    free(d->order);
    memset(d, 0, sizeof *d);
}

/* Merges two sorted print lists, counting the differences. */
static void diff_prints(const tr_print *a, size_t na, const tr_print *b, size_t nb,
                        size_t *added, size_t *removed, size_t *changed)
{
    size_t i = 0, j = 0;
    *added = *removed = *changed = 0;
    while (i < na || j < nb) {
        int c = i == na ? 1 : j == nb ? -1 : 0;
        if (c == 0 && (a[i].has_id != b[j].has_id || a[i].key != b[j].key))
            c = cmp_print(&a[i], &b[j]);
        if (c < 0) {
            (*removed)++;
            i++;
        } else if (c > 0) {
            (*added)++;
            j++;
        } else {
            *changed += a[i].line != b[j].line;
            i++;
            j++;
        }
    }
}

static int files_changed(const tr_data *d)
{
    for (size_t i = 0; i < d->n_files; i++) {
        tr_file_stamp now;
        if (stamp_of(d->paths[i], &now) < 0)
            return 1; /* gone: the reload reports it */
        if (now.size != d->stamps[i].size || now.mtime_ns != d->stamps[i].mtime_ns ||
            now.ino != d->stamps[i].ino)
            return 1;
    }
    return 0;
}

static void add_counts(cJSON *ev, size_t added, size_t removed, size_t changed, const tr_data *d)
{
    cJSON_AddNumberToObject(ev, "added", (double)added);
    cJSON_AddNumberToObject(ev, "removed", (double)removed);
    cJSON_AddNumberToObject(ev, "changed", (double)changed);
    cJSON_AddNumberToObject(ev, "train", (double)d->sets[TR_TRAIN].count);
    cJSON_AddNumberToObject(ev, "valid", (double)d->sets[TR_VALID].count);
    cJSON_AddNumberToObject(ev, "test", (double)d->sets[TR_TEST].count);
    size_t unknown = d->sets[TR_TRAIN].unknown_label + d->sets[TR_VALID].unknown_label;
    if (unknown)
        cJSON_AddNumberToObject(ev, "unknown_actions", (double)unknown);
    if (d->unsplit)
        cJSON_AddNumberToObject(ev, "unsplit", (double)d->unsplit);
}

int tr_data_reload(tr_data *d, const aft_config *cfg, int *changed, cJSON *event,
                   aft_error *err)
{
    *changed = 0;
    if (!files_changed(d))
        return 0;
    tr_print *old = d->prints;
    size_t n_old = d->n_prints;
    tr_file_stamp old_stamps[3];
    memcpy(old_stamps, d->stamps, sizeof old_stamps);
    d->prints = NULL;
    aft_dataset *ds[3] = {0};
    aft_example_set fresh[TR_NSETS];
    if (tr_data_open(d, cfg, ds, 0, err) < 0 || build_sets(d, ds, fresh, err) < 0) {
        /* Keep training on what we had; the stamps stay old so the next
         * boundary tries again. */
        tr_data_close(ds);
        free(d->prints);
        d->prints = old;
        d->n_prints = n_old;
        memcpy(d->stamps, old_stamps, sizeof old_stamps);
        return -1;
    }
    tr_data_close(ds);
    size_t added, removed, changed_n;
    diff_prints(old, n_old, d->prints, d->n_prints, &added, &removed, &changed_n);
    free(old);
    if (added + removed + changed_n == 0) {
        free_sets(fresh); /* touched but the same records: keep the examples */
        return 0;
    }
    free_sets(d->sets);
    memcpy(d->sets, fresh, sizeof fresh);
    d->have_order = 0;
    *changed = 1;
    add_counts(event, added, removed, changed_n, d);
    return 0;
}

uint64_t tr_data_fingerprint(const tr_data *d)
{
    const aft_example_set *s = &d->sets[TR_TRAIN];
    uint64_t h = aft_hash64(s->tokens, s->n_tokens * sizeof *s->tokens);
    for (size_t i = 0; i < s->count; i++) {
        uint64_t item[3] = {(uint64_t)(uint32_t)s->items[i].label, s->items[i].length,
                            s->items[i].complexity};
        h = h * 0x100000001b3ULL ^ aft_hash64(item, sizeof item);
    }
    return h;
}
