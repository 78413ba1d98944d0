/* `agentft data augment`: new training records from the training split by
 * synonyms, EDA and back-translation, written through the dataset store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/augment_config.h"
#include "agentft/fileio.h"
#include "cli.h"

/* What the command holds; freed in one place. */
typedef struct aug_cli {
    aft_config *cfg;
    aft_dataset *ds[3];
    aft_augment_source src[3];
    int n;
    aft_augment_kit kit;
    char **only;
    size_t n_only;
} aug_cli;

static void aug_cli_free(aug_cli *c)
{
    for (int i = 0; i < c->n; i++)
        aft_dataset_free(c->ds[i]);
    aft_augment_kit_close(&c->kit);
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
    aft_error err = {0};
    const char *m = methods ? methods : aft_config_string(c->cfg, AFT_K_AUG_METHODS);
    if (aft_augment_parse_methods(m, &o->methods, &err) < 0) {
        fprintf(stderr, "agentft data augment: %s%s\n", methods ? "--methods: " : "augment.methods: ",
                err.msg);
        return methods ? -1 : -2;
    }
    aft_augment_opts_from_config(c->cfg, o);
    unsigned long long v;
    if (per) {
        if (cli_parse_u64("--per-record", per, &v) < 0)
            return -1;
        if (v < 1 || v > 1000) {
            fprintf(stderr, "agentft: --per-record expects 1..1000, got %llu\n", v);
            return -1;
        }
        o->per_record = (size_t)v;
    }
    if (seed) {
        if (cli_parse_u64("--seed", seed, &v) < 0)
            return -1;
        o->seed = v;
    }
    if (only && split_only(c, only) < 0)
        return -1;
    o->only = (const char *const *)c->only;
    o->n_only = c->n_only;
    return 0;
}

/* WordNet (a warning when the default one is missing), the user's synonyms
 * and the translators the methods need. */
static int open_kit(aug_cli *c, aft_augment_opts *o)
{
    char warning[1024];
    aft_error err = {0};
    if (aft_augment_kit_open(c->cfg, o, &c->kit, warning, sizeof warning, &err) < 0) {
        fprintf(stderr, "agentft data augment: %s\n", err.msg);
        return -1;
    }
    if (warning[0])
        fprintf(stderr, "agentft: warning: %s\n", warning);
    return 0;
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
    if (open_kit(&c, &o) < 0)
        goto done;
    aft_augment_result res;
    aft_error err = {0};
    if (aft_augment(c.src, (size_t)c.n, &o, &res, &err) < 0) {
        fprintf(stderr, "agentft data augment: %s\n", err.msg);
        goto done;
    }
    /* Translators that misbehave after answering everything only get a warning. */
    if (aft_augment_kit_finish(&c.kit, &err) < 0)
        fprintf(stderr, "agentft: warning: %s\n", err.msg);
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
