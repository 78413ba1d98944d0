/* Dataset statistics (`agentft data stats`) and the stratified split
 * (`agentft data split`). */
#ifndef AGENTFT_STATS_H
#define AGENTFT_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "agentft/dataset.h"
#include "agentft/error.h"

/* Context length histogram, in words (each CJK character a word):
 * 1-4, 5-8, 9-16, 17-32, 33-64, 65-128, 129-256, 257+. */
#define AFT_LEN_BUCKETS 8

typedef struct aft_action_stat {
    char *action;                              /* owned */
    size_t count;
    size_t by_split[4];                        /* indexed by aft_split */
    size_t by_complexity[AFT_MAX_COMPLEXITY + 1];
} aft_action_stat;

typedef struct aft_data_stats {
    size_t records;
    size_t bad_lines;
    aft_action_stat *actions;                  /* sorted by count, then name, after finish */
    size_t n_actions, cap_actions;
    size_t by_complexity[AFT_MAX_COMPLEXITY + 1];
    size_t complexity_computed;                /* records whose complexity came from the length rule */
    size_t by_split[4];
    size_t multi_turn;
    size_t len_hist[AFT_LEN_BUCKETS];
    size_t words_min, words_max, words_p50, words_p95;
    double words_mean;
    /* private: all word counts, for the percentiles */
    size_t *words_all;
    size_t words_cap;
} aft_data_stats;

void aft_data_stats_init(aft_data_stats *st);
/* Adds a dataset's records. Records without a split field count under
 * `implied` (the file's role when a workspace names train/valid/test files). */
int aft_data_stats_add(aft_data_stats *st, const aft_dataset *ds, aft_split implied,
                       aft_error *err);
/* Sorts the actions and computes the summary figures; call once after the adds. */
void aft_data_stats_finish(aft_data_stats *st);
void aft_data_stats_free(aft_data_stats *st);
/* Lower edge of histogram bucket b, in words. */
size_t aft_len_bucket_min(size_t b);

typedef struct aft_split_opts {
    double valid;      /* fractions of the records, valid + test < 1 */
    double test;
    uint64_t seed;
    int force;         /* replace split fields that records already have */
} aft_split_opts;

typedef struct aft_split_result {
    size_t train, valid, test;
    size_t strata;     /* (action, complexity) groups */
    size_t replaced;   /* records whose earlier split field was replaced */
} aft_split_result;

/* Assigns every record to train/valid/test, stratified by action and
 * complexity: within each stratum the records are shuffled with the seed and
 * cut in the given proportions, with the rounding carried from one stratum to
 * the next so the totals match the fractions. Writes the `split` field of
 * every record as one journalled edit; the caller saves. Refuses (and changes
 * nothing) when records already have a split and opts->force is 0. */
int aft_dataset_assign_split(aft_dataset *ds, const aft_split_opts *opts,
                             aft_split_result *res, aft_error *err);

#endif
