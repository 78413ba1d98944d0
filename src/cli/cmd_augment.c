/* `agentft data augment`: new training records from the training split by
 * synonyms, EDA and back-translation, written through the dataset store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/augment.h"
#include "agentft/fileio.h"
#include "cli.h"

/* What the command holds; freed in one place. */
typedef struct aug_cli {
    aft_config *cfg;
    aft_dataset *ds[3];
    aft_augment_source src[3];
    int n;
    aft_wordnet *wn;
    aft_synonyms *user;
    aft_translator *there, *back;
    char **only;
    size_t n_only;
} aug_cli;

static void aug_cli_free(aug_cli *c)
{
    for (int i = 0; i < c->n; i++)
        aft_dataset_free(c->ds[i]);
    aft_wordnet_free(c->wn);
    aft_synonyms_free(c->user);
    aft_translator_free(c->there);
    aft_translator_free(c->back);
    for (size_t i = 0; i < c->n_only; i++)
        free(c->only[i]);
    free(c->only);
    aft_config_free(c->cfg);
}

/* --only A,B: the actions, empty entries skipped. */
static int split_only(aug_cli *c, const char *list)
{
    size_t cap = strlen(list) / 2 + 1;
    if (!(c->only = calloc(cap, sizeof *c->only)))
        return -1;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n && !(c->only[c->n_only++] = strndup(p, n)))
            return -1;
        p += n + (p[n] == ',');
    }
    return 0;
}

/* The workspace's methods, count, seed and rates, with the options over them.
 * Returns -1 for a bad option (usage), -2 for a bad workspace value. */
static int read_options(aug_cli *c, const char *methods, const char *per, const char *seed,
                        const char *only, aft_augment_opts *o)
{
    static const aft_key rate_keys[AFT_OP_COUNT] = {AFT_K_AUG_SYNONYM_RATE, AFT_K_AUG_INSERT_RATE,
                                                    AFT_K_AUG_SWAP_RATE, AFT_K_AUG_DELETE_RATE};
    aft_error err = {0};
    const char *m = methods ? methods : aft_config_string(c->cfg, AFT_K_AUG_METHODS);
    if (aft_augment_parse_methods(m, &o->methods, &err) < 0) {
        fprintf(stderr, "agentft data augment: %s%s\n", methods ? "--methods: " : "augment.methods: ",
                err.msg);
        return methods ? -1 : -2;
    }
    unsigned long long v;
    o->per_record = (size_t)aft_config_int(c->cfg, AFT_K_AUG_PER_RECORD);
    if (per) {
        if (cli_parse_u64("--per-record", per, &v) < 0)
            return -1;
        if (v < 1 || v > 1000) {
            fprintf(stderr, "agentft: --per-record expects 1..1000, got %llu\n", v);
            return -1;
        }
        o->per_record = (size_t)v;
    }
    o->seed = (uint64_t)aft_config_int(c->cfg, AFT_K_SEED);
    if (seed) {
        if (cli_parse_u64("--seed", seed, &v) < 0)
            return -1;
        o->seed = v;
    }
    for (int k = 0; k < AFT_OP_COUNT; k++)
        o->rate[k] = aft_config_float(c->cfg, rate_keys[k]);
    if (only && split_only(c, only) < 0)
        return -1;
    o->only = (const char *const *)c->only;
    o->n_only = c->n_only;
    o->pivot = aft_config_string(c->cfg, AFT_K_AUG_PIVOT);
    o->language = aft_config_string(c->cfg, AFT_K_AUG_LANGUAGE);
    return 0;
}

/* WordNet (a warning when the default one is missing) and the user's synonyms. */
static int open_lexicon(aug_cli *c, aft_augment_opts *o)
{
    aft_error err = {0};
    const char *user = aft_config_string(c->cfg, AFT_K_AUG_SYNONYMS);
    if (user[0] && !(c->user = aft_synonyms_load(user, &err))) {
        fprintf(stderr, "augment.synonyms: %s\n", err.msg);
        return -1;
    }
    const char *dir = aft_config_string(c->cfg, AFT_K_AUG_WORDNET);
    if (!(c->wn = aft_wordnet_open(dir[0] ? dir : NULL, &err))) {
        if (dir[0]) {
            fprintf(stderr, "augment.wordnet: %s\n", err.msg);
            return -1;
        }
        fprintf(stderr, "agentft: warning: no WordNet in %s (apt-get install wordnet-base, or set "
                        "augment.wordnet): %s; synonyms come only from augment.synonyms\n",
                AFT_WORDNET_DIR, err.msg);
    }
    o->lex.wordnet = c->wn;
    o->lex.user = c->user;
    return 0;
}

/* Starts the translator a key names; a relative program path with a '/' is
 * taken relative to the workspace's folder, like the workspace's paths. */
static aft_translator *start_translator(const aug_cli *c, aft_key key)
{
    const aft_key_info *k = aft_schema_key(key);
    const char *cmd = aft_config_string(c->cfg, key);
    aft_error err = {0};
    char **argv = NULL;
    if (aft_argv_split(cmd, &argv, &err) < 0) {
        fprintf(stderr, "augment.%s: %s\n", k->name, err.msg);
        return NULL;
    }
    const char *ws = aft_config_path(c->cfg);
    const char *slash = ws ? strrchr(ws, '/') : NULL;
    if (slash && strchr(argv[0], '/') && argv[0][0] != '/') {
        char *joined = malloc((size_t)(slash - ws) + strlen(argv[0]) + 2);
        if (joined) {
            sprintf(joined, "%.*s/%s", (int)(slash - ws), ws, argv[0]);
            free(argv[0]);
            argv[0] = joined;
        }
    }
    aft_translator_opts topts = {(int)aft_config_int(c->cfg, AFT_K_AUG_TIMEOUT),
                                 (size_t)aft_config_int(c->cfg, AFT_K_AUG_INFLIGHT)};
    aft_translator *t = aft_translator_start(argv, &topts, &err);
    if (!t)
        fprintf(stderr, "augment.%s: %s\n", k->name, err.msg);
    aft_argv_free(argv);
    return t;
}

static int start_translators(aug_cli *c, aft_augment_opts *o)
{
    if (!aft_config_string(c->cfg, AFT_K_AUG_TRANSLATOR)[0]) {
        fprintf(stderr, "agentft data augment: backtranslate needs augment.translator, the command "
                        "of a translator (see examples/translator)\n");
        return -1;
    }
    if (!(c->there = start_translator(c, AFT_K_AUG_TRANSLATOR)))
        return -1;
    if (aft_config_string(c->cfg, AFT_K_AUG_BACK_TRANSLATOR)[0] &&
        !(c->back = start_translator(c, AFT_K_AUG_BACK_TRANSLATOR)))
        return -1;
    o->there = c->there;
    o->back = c->back;
    return 0;
}

/* Translators that misbehave after answering everything only get a warning. */
static void finish_translators(aug_cli *c)
{
    aft_translator *ts[2] = {c->there, c->back};
    for (int i = 0; i < 2; i++) {
        aft_error err = {0};
        if (ts[i] && aft_translator_finish(ts[i], &err) < 0)
            fprintf(stderr, "agentft: warning: %s\n", err.msg);
    }
}

/* Opens the dataset files; returns the index of the one variants go to. */
static int open_datasets(aug_cli *c, const cli_dataset_ref *refs, int n)
{
    int strict = aft_config_bool(c->cfg, AFT_K_STRICT), train = -1;
    for (int i = 0; i < n; i++) {
        if (!(c->ds[i] = cli_open_dataset(refs[i].path, strict, NULL, NULL)))
            return -1;
        c->src[i] = (aft_augment_source){c->ds[i], refs[i].implied};
        c->n = i + 1;
        if (refs[i].implied == AFT_SPLIT_NONE || refs[i].implied == AFT_SPLIT_TRAIN)
            train = train < 0 ? i : train;
    }
    if (train < 0)
        fprintf(stderr, "agentft data augment: the workspace names no training file (dataset.train "
                        "or dataset.path)\n");
    return train;
}

static void print_summary(const aft_augment_result *r)
{
    printf("%zu training records augmented", r->sources);
    if (r->not_train)
        printf(", %zu valid/test records left alone", r->not_train);
    if (r->other_action)
        printf(", %zu with other actions left out (--only)", r->other_action);
    if (r->already_augmented)
        printf(", %zu variants themselves not augmented again", r->already_augmented);
    if (r->no_text)
        printf(", %zu without a user turn skipped", r->no_text);
    printf("\n");
    if (r->no_split)
        printf("%zu records have no split and were left alone: run 'agentft data split' first\n",
               r->no_split);
    printf("\n%-14s %7s %10s %14s %15s\n", "method", "kept", "unchanged", "dup of record",
           "dup of variant");
    size_t dups = 0;
    for (int m = 0; m < AFT_VM_COUNT; m++) {
        size_t tried = r->made[m] + r->unchanged[m] + r->dup_existing[m] + r->dup_variant[m];
        dups += r->dup_existing[m] + r->dup_variant[m];
        if (tried)
            printf("%-14s %7zu %10zu %14zu %15zu\n", aft_variant_method_name((aft_variant_method)m),
                   r->made[m], r->unchanged[m], r->dup_existing[m], r->dup_variant[m]);
    }
    printf("%-14s %7zu, %zu duplicates dropped\n", "total", r->count, dups);
}

/* --dry-run: each kept variant beside where it came from, for review. */
static void print_variants(const aug_cli *c, const aft_augment_result *r)
{
    printf("\n");
    for (size_t i = 0; i < r->count; i++) {
        const aft_variant *v = &r->items[i];
        char *id = aft_dataset_get_string(c->ds[v->source], v->record, "id");
        char num[32];
        snprintf(num, sizeof num, "#%zu", v->record + 1);
        printf("[%s] %s: %s\n", aft_variant_method_name(v->method), id ? id : num, v->text);
        free(id);
    }
}

static int write_out(const char *path, const aft_augment_result *r)
{
    size_t size = 1;
    for (size_t i = 0; i < r->count; i++)
        size += strlen(r->items[i].json) + 1;
    char *buf = malloc(size), *p = buf;
    aft_error err = {0};
    if (!buf) {
        fprintf(stderr, "agentft: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < r->count; i++)
        p += sprintf(p, "%s\n", r->items[i].json);
    int rc = aft_write_file_atomic(path, buf, (size_t)(p - buf), &err);
    if (rc < 0)
        fprintf(stderr, "%s\n", err.msg);
    else
        printf("wrote %zu records to %s\n", r->count, path);
    free(buf);
    return rc;
}

/* Adds the variants to the training file through the journal, then saves. */
static int write_dataset(aft_dataset *ds, const aft_augment_result *r)
{
    aft_error err = {0};
    for (size_t i = 0; i < r->count; i++) {
        if (aft_dataset_add(ds, r->items[i].json, NULL, &err) < 0) {
            fprintf(stderr, "%s: %s\n", aft_dataset_path(ds), err.msg);
            return -1;
        }
    }
    if (r->count && aft_dataset_save(ds, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    printf("added %zu records to %s\n", r->count, aft_dataset_path(ds));
    return 0;
}

int cmd_data_augment(int argc, char **argv)
{
    const char *per = NULL, *only = NULL, *methods = NULL, *out = NULL, *seed = NULL;
    int dry = 0;
    cli_opt opts[] = {{"--per-record", 1, &per, NULL}, {"--only", 1, &only, NULL},
                      {"--methods", 1, &methods, NULL}, {"--out", 1, &out, NULL},
                      {"--seed", 1, &seed, NULL}, {"--dry-run", 0, NULL, &dry}, {0}};
    cli_args args;
    int status;
    if (!cli_begin("data augment", argc, argv, opts, 1, "one FILE or WS", &args, &status))
        return status;
    aug_cli c;
    memset(&c, 0, sizeof c);
    cli_dataset_ref refs[3];
    int n = cli_dataset_refs(args.positional[0], &args, &c.cfg, refs);
    if (n < 0)
        return CLI_FAIL;
    if (!c.cfg && !(c.cfg = aft_config_new()))
        return CLI_FAIL;
    aft_augment_opts o;
    memset(&o, 0, sizeof o);
    int rc = read_options(&c, methods, per, seed, only, &o);
    if (rc < 0) {
        rc = rc == -2 ? CLI_FAIL : CLI_USAGE;
        goto done;
    }
    rc = CLI_FAIL;
    int train = open_datasets(&c, refs, n);
    if (train < 0)
        goto done;
    if ((o.methods & (AFT_AUG_SYNONYM | AFT_AUG_EDA)) && open_lexicon(&c, &o) < 0)
        goto done;
    if ((o.methods & AFT_AUG_BACKTRANSLATE) && start_translators(&c, &o) < 0)
        goto done;
    aft_augment_result res;
    aft_error err = {0};
    if (aft_augment(c.src, (size_t)c.n, &o, &res, &err) < 0) {
        fprintf(stderr, "agentft data augment: %s\n", err.msg);
        goto done;
    }
    finish_translators(&c);
    print_summary(&res);
    if (res.sources == 0)
        fprintf(stderr, "agentft data augment: no training records to augment\n");
    else if (dry)
        print_variants(&c, &res), printf("dry run: nothing written\n"), rc = CLI_OK;
    else if (out)
        rc = write_out(out, &res) < 0 ? CLI_FAIL : CLI_OK;
    else
        rc = write_dataset(c.ds[train], &res) < 0 ? CLI_FAIL : CLI_OK;
    aft_augment_result_free(&res);
done:
    aug_cli_free(&c);
    return rc;
}
