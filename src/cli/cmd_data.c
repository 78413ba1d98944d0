/* `agentft data check|stats|split`: the dataset commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/stats.h"
#include "cli.h"

int cmd_data_check(int argc, char **argv)
{
    int strict = 0;
    cli_opt opts[] = {{"--strict", 0, NULL, &strict}, {0}};
    cli_args args;
    int status;
    if (!cli_begin("data check", argc, argv, opts, 1, "one FILE or WS", &args, &status))
        return status;
    aft_config *cfg;
    cli_dataset_ref refs[3];
    int n = cli_dataset_refs(args.positional[0], &args, &cfg, refs);
    if (n < 0)
        return CLI_FAIL;
    if (cfg && aft_config_bool(cfg, AFT_K_STRICT))
        strict = 1;
    int rc = CLI_OK;
    for (int i = 0; i < n; i++) {
        size_t errors = 0, warnings = 0;
        aft_dataset *ds = cli_open_dataset(refs[i].path, strict, &errors, &warnings);
        if (ds) {
            printf("%s: %zu records, %zu bad lines, %zu warnings%s\n", refs[i].path,
                   aft_dataset_count(ds), errors, warnings, errors ? "" : ": ok");
            aft_dataset_free(ds);
        } else {
            printf("%s: not loaded\n", refs[i].path);
        }
        if (!ds || errors)
            rc = CLI_FAIL;
    }
    aft_config_free(cfg);
    return rc;
}

static void print_bar(size_t count, size_t max, int width)
{
    int n = max ? (int)((double)count / (double)max * width + 0.5) : 0;
    if (count > 0 && n == 0)
        n = 1;
    for (int i = 0; i < n; i++)
        fputc('#', stdout);
}

static void print_stats_text(const aft_data_stats *st, size_t files)
{
    printf("%zu records in %zu file%s", st->records, files, files == 1 ? "" : "s");
    if (st->bad_lines)
        printf(" (%zu bad lines not counted; see 'agentft data check')", st->bad_lines);
    printf(", %zu actions\n\n", st->n_actions);

    printf("%-28s %7s %6s %7s %7s %7s %7s\n", "action", "count", "share", "train", "valid",
           "test", "none");
    for (size_t i = 0; i < st->n_actions; i++) {
        const aft_action_stat *a = &st->actions[i];
        printf("%-28s %7zu %5.1f%% %7zu %7zu %7zu %7zu\n", a->action, a->count,
               100.0 * (double)a->count / (double)st->records, a->by_split[AFT_SPLIT_TRAIN],
               a->by_split[AFT_SPLIT_VALID], a->by_split[AFT_SPLIT_TEST],
               a->by_split[AFT_SPLIT_NONE]);
    }
    printf("\nsplit:      train %zu, valid %zu, test %zu, none %zu\n",
           st->by_split[AFT_SPLIT_TRAIN], st->by_split[AFT_SPLIT_VALID],
           st->by_split[AFT_SPLIT_TEST], st->by_split[AFT_SPLIT_NONE]);
    printf("complexity:");
    for (int c = 1; c <= AFT_MAX_COMPLEXITY; c++)
        if (st->by_complexity[c])
            printf(" %d: %zu", c, st->by_complexity[c]);
    printf(" (%zu computed from context length)\n", st->complexity_computed);
    printf("multi-turn: %zu\n", st->multi_turn);

    printf("\ncontext length in words: min %zu, median %zu, mean %.1f, p95 %zu, max %zu\n",
           st->words_min, st->words_p50, st->words_mean, st->words_p95, st->words_max);
    size_t max = 0;
    for (size_t b = 0; b < AFT_LEN_BUCKETS; b++)
        if (st->len_hist[b] > max)
            max = st->len_hist[b];
    for (size_t b = 0; b < AFT_LEN_BUCKETS; b++) {
        char range[32];
        if (b + 1 < AFT_LEN_BUCKETS)
            snprintf(range, sizeof range, "%zu-%zu", aft_len_bucket_min(b), aft_len_bucket_min(b + 1) - 1);
        else
            snprintf(range, sizeof range, "%zu+", aft_len_bucket_min(b));
        printf("  %9s %7zu ", range, st->len_hist[b]);
        print_bar(st->len_hist[b], max, 40);
        printf("\n");
    }
}

static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void print_stats_json(const aft_data_stats *st)
{
    printf("{\"records\":%zu,\"bad_lines\":%zu,\"actions\":[", st->records, st->bad_lines);
    for (size_t i = 0; i < st->n_actions; i++) {
        const aft_action_stat *a = &st->actions[i];
        printf("%s{\"action\":", i ? "," : "");
        print_json_string(a->action);
        printf(",\"count\":%zu,\"train\":%zu,\"valid\":%zu,\"test\":%zu,\"none\":%zu}", a->count,
               a->by_split[AFT_SPLIT_TRAIN], a->by_split[AFT_SPLIT_VALID],
               a->by_split[AFT_SPLIT_TEST], a->by_split[AFT_SPLIT_NONE]);
    }
    printf("],\"split\":{\"train\":%zu,\"valid\":%zu,\"test\":%zu,\"none\":%zu},\"complexity\":{",
           st->by_split[AFT_SPLIT_TRAIN], st->by_split[AFT_SPLIT_VALID],
           st->by_split[AFT_SPLIT_TEST], st->by_split[AFT_SPLIT_NONE]);
    int first = 1;
    for (int c = 1; c <= AFT_MAX_COMPLEXITY; c++) {
        if (st->by_complexity[c]) {
            printf("%s\"%d\":%zu", first ? "" : ",", c, st->by_complexity[c]);
            first = 0;
        }
    }
    printf("},\"complexity_computed\":%zu,\"multi_turn\":%zu,", st->complexity_computed, st->multi_turn);
    printf("\"context_words\":{\"min\":%zu,\"p50\":%zu,\"mean\":%.3f,\"p95\":%zu,\"max\":%zu,\"histogram\":[",
           st->words_min, st->words_p50, st->words_mean, st->words_p95, st->words_max);
    for (size_t b = 0; b < AFT_LEN_BUCKETS; b++)
        printf("%s{\"from\":%zu,\"count\":%zu}", b ? "," : "", aft_len_bucket_min(b), st->len_hist[b]);
    printf("]}}\n");
}

int cmd_data_stats(int argc, char **argv)
{
    int json = 0;
    cli_opt opts[] = {{"--json", 0, NULL, &json}, {0}};
    cli_args args;
    int status;
    if (!cli_begin("data stats", argc, argv, opts, 1, "one FILE or WS", &args, &status))
        return status;
    aft_config *cfg;
    cli_dataset_ref refs[3];
    int n = cli_dataset_refs(args.positional[0], &args, &cfg, refs);
    if (n < 0)
        return CLI_FAIL;
    int strict = cfg && aft_config_bool(cfg, AFT_K_STRICT);
    aft_data_stats st;
    aft_data_stats_init(&st);
    int rc = CLI_OK;
    for (int i = 0; i < n && rc == CLI_OK; i++) {
        aft_dataset *ds = cli_open_dataset(refs[i].path, strict, NULL, NULL);
        aft_error err = {0};
        if (!ds || aft_data_stats_add(&st, ds, refs[i].implied, &err) < 0) {
            if (err.set)
                fprintf(stderr, "%s: %s\n", refs[i].path, err.msg);
            rc = CLI_FAIL;
        }
        aft_dataset_free(ds);
    }
    if (rc == CLI_OK) {
        aft_data_stats_finish(&st);
        if (json)
            print_stats_json(&st);
        else
            print_stats_text(&st, (size_t)n);
    }
    aft_data_stats_free(&st);
    aft_config_free(cfg);
    return rc;
}

/* Split fractions and seed: the options win, then the workspace, then the defaults. */
static int split_options(const aft_config *cfg, const char *valid, const char *test,
                         const char *seed, aft_split_opts *o)
{
    o->valid = cfg ? aft_config_float(cfg, AFT_K_SPLIT_VALID) : 0.1;
    o->test = cfg ? aft_config_float(cfg, AFT_K_SPLIT_TEST) : 0.1;
    o->seed = cfg ? (uint64_t)aft_config_int(cfg, AFT_K_SEED) : 42;
    unsigned long long s;
    if (valid && cli_parse_double("--valid", valid, &o->valid) < 0)
        return -1;
    if (test && cli_parse_double("--test", test, &o->test) < 0)
        return -1;
    if (seed) {
        if (cli_parse_u64("--seed", seed, &s) < 0)
            return -1;
        o->seed = s;
    }
    return 0;
}

int cmd_data_split(int argc, char **argv)
{
    const char *valid = NULL, *test = NULL, *seed = NULL;
    int force = 0;
    cli_opt opts[] = {{"--valid", 1, &valid, NULL}, {"--test", 1, &test, NULL},
                      {"--seed", 1, &seed, NULL}, {"--force", 0, NULL, &force}, {0}};
    cli_args args;
    int status;
    if (!cli_begin("data split", argc, argv, opts, 1, "one FILE or WS", &args, &status))
        return status;
    aft_config *cfg;
    cli_dataset_ref refs[3];
    int n = cli_dataset_refs(args.positional[0], &args, &cfg, refs);
    if (n < 0)
        return CLI_FAIL;
    int rc = CLI_FAIL;
    aft_dataset *ds = NULL;
    aft_split_opts o = {.force = force};
    if (refs[0].implied != AFT_SPLIT_NONE) {
        fprintf(stderr, "%s: the workspace names separate train/valid/test files, which are split "
                        "already; data split works on one file (dataset.path)\n", args.positional[0]);
        goto done;
    }
    if (split_options(cfg, valid, test, seed, &o) < 0) {
        rc = CLI_USAGE;
        goto done;
    }
    size_t errors = 0;
    ds = cli_open_dataset(refs[0].path, 0, &errors, NULL);
    if (!ds)
        goto done;
    if (errors)
        fprintf(stderr, "%s: %zu bad lines are kept as they are and get no split\n", refs[0].path, errors);
    aft_split_result res;
    aft_error err = {0};
    if (aft_dataset_assign_split(ds, &o, &res, &err) < 0 || aft_dataset_save(ds, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        goto done;
    }
    printf("%s: train %zu, valid %zu, test %zu (%zu strata by action and complexity, seed %llu)",
           refs[0].path, res.train, res.valid, res.test, res.strata, (unsigned long long)o.seed);
    if (res.replaced)
        printf(", replaced %zu earlier splits", res.replaced);
    printf("\n");
    rc = CLI_OK;
done:
    aft_dataset_free(ds);
    aft_config_free(cfg);
    return rc;
}
