/* `agentft tokenizer train|encode|convert`: train a byte-level BPE on a
 * workspace's data, show the ids a text encodes to, convert vocabularies. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "agentft/clock.h"
#include "agentft/tokenizer.h"
#include "agentft/utf8.h"
#include "cli.h"

/* The added tokens every trained vocabulary gets (the trainer and the
 * model look them up by name). */
static const char *const train_specials[] = {"<|endoftext|>", "<|pad|>", "<|action|>",
                                             "<|response|>"};

typedef struct texts {
    char **items;
    size_t n, cap;
    size_t bytes, records;
} texts;

/* Takes ownership of s (NULL and "" are skipped). */
static int add_text(texts *t, char *s)
{
    if (!s || !s[0]) {
        free(s);
        return 0;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1024;
        char **items = realloc(t->items, cap * sizeof *items);
        if (!items) {
            free(s);
            fprintf(stderr, "agentft: out of memory\n");
            return -1;
        }
        t->items = items;
        t->cap = cap;
    }
    t->items[t->n++] = s;
    t->bytes += strlen(s);
    return 0;
}

static void texts_free(texts *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->items[i]);
    free(t->items);
}

/* A record's context: the string, or the content of each turn. */
static int add_context(texts *t, const aft_dataset *ds, size_t i)
{
    char *json = aft_dataset_get_json(ds, i, "context");
    cJSON *v = json ? cJSON_Parse(json) : NULL;
    free(json);
    int rc = 0;
    if (cJSON_IsString(v)) {
        rc = add_text(t, strdup(v->valuestring));
    } else if (cJSON_IsArray(v)) {
        for (const cJSON *turn = v->child; turn && rc == 0; turn = turn->next) {
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(turn, "content");
            if (cJSON_IsString(c))
                rc = add_text(t, strdup(c->valuestring));
        }
    }
    cJSON_Delete(v);
    return rc;
}

static int add_record(texts *t, const aft_dataset *ds, size_t i)
{
    static const char *const fields[] = {"agent_action", "expected_response", "reasoning"};
    if (add_context(t, ds, i) < 0)
        return -1;
    for (size_t f = 0; f < 3; f++)
        if (add_text(t, aft_dataset_get_string(ds, i, fields[f])) < 0)
            return -1;
    t->records++;
    return 0;
}

/* The training records of one file: those in the train split, or all of
 * them when the file (named by dataset.path) carries no splits at all. */
static int add_file(texts *t, const cli_dataset_ref *ref, int strict)
{
    if (ref->implied == AFT_SPLIT_VALID || ref->implied == AFT_SPLIT_TEST)
        return 0;
    aft_dataset *ds = cli_open_dataset(ref->path, strict, NULL, NULL);
    if (!ds)
        return -1;
    size_t n = aft_dataset_count(ds);
    int any_split = ref->implied != AFT_SPLIT_NONE;
    for (size_t i = 0; i < n && !any_split; i++)
        any_split = aft_dataset_split(ds, i) != AFT_SPLIT_NONE;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        aft_split s = aft_dataset_split(ds, i);
        if (s == AFT_SPLIT_NONE)
            s = ref->implied;
        if (!any_split || s == AFT_SPLIT_TRAIN)
            rc = add_record(t, ds, i);
    }
    aft_dataset_free(ds);
    return rc;
}

static char *default_out(const char *ws)
{
    char *copy = strdup(ws);
    if (!copy)
        return NULL;
    const char *dir = dirname(copy);
    size_t n = strlen(dir) + sizeof "/tokenizer.json";
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/tokenizer.json", dir);
    free(copy);
    return out;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 || errno != ENOENT;
}

/* How well the vocabulary compresses the texts it was trained on. */
static int print_compression(const aft_tokenizer *tok, const texts *t)
{
    size_t tokens = 0, words = 0;
    aft_tokens ids = {0};
    aft_error err = {0};
    for (size_t i = 0; i < t->n; i++) {
        ids.n = 0;
        if (aft_tokenizer_encode(tok, t->items[i], strlen(t->items[i]), 0, &ids, &err) < 0) {
            fprintf(stderr, "agentft: %s\n", err.msg);
            aft_tokens_free(&ids);
            return -1;
        }
        tokens += ids.n;
        words += aft_utf8_word_count(t->items[i], strlen(t->items[i]));
    }
    aft_tokens_free(&ids);
    printf("tokens:  %zu (%.2f bytes per token, %.2f tokens per word)\n", tokens,
           tokens ? (double)t->bytes / (double)tokens : 0.0,
           words ? (double)tokens / (double)words : 0.0);
    return 0;
}

static int train_and_save(const texts *t, size_t vocab_size, int lowercase, const char *out)
{
    aft_error err = {0};
    double t0 = aft_monotonic_s();
    for (size_t i = 0; lowercase && i < t->n; i++)
        aft_utf8_lower(t->items[i], strlen(t->items[i]));
    aft_tokenizer *tok = aft_tokenizer_train((const char *const *)t->items, t->n, vocab_size,
                                             train_specials, 4, &err);
    if (tok)
        aft_tokenizer_set_lowercase(tok, lowercase);
    double secs = aft_monotonic_s() - t0;
    if (!tok || aft_tokenizer_save(tok, out, &err) < 0) {
        fprintf(stderr, "agentft: %s\n", err.msg);
        aft_tokenizer_free(tok);
        return CLI_FAIL;
    }
    size_t got = aft_tokenizer_vocab_size(tok);
    printf("vocab:   %zu tokens (256 bytes, %zu merged, 4 special)%s", got, got - 256 - 4,
           lowercase ? ", uncased" : "");
    if (got < vocab_size)
        printf("; %zu asked for, but no pair of tokens is left that occurs twice", vocab_size);
    printf("\ntexts:   %zu from %zu records, %zu bytes\n", t->n, t->records, t->bytes);
    int rc = print_compression(tok, t) < 0 ? CLI_FAIL : CLI_OK;
    printf("time:    %.2f s to train\nwrote %s\n", secs, out);
    aft_tokenizer_free(tok);
    return rc;
}

int cmd_tokenizer_train(int argc, char **argv)
{
    const char *out = NULL;
    int force = 0;
    cli_opt opts[] = {{"--out", 1, &out, NULL}, {"--force", 0, NULL, &force}, {0}};
    cli_args args;
    int status;
    if (!cli_begin("tokenizer train", argc, argv, opts, 1, "one WS", &args, &status))
        return status;
    const char *ws = args.positional[0];
    if (!cli_is_workspace(ws)) {
        fprintf(stderr, "agentft tokenizer train: '%s' is not a workspace (WS.yaml)\n", ws);
        return CLI_USAGE;
    }
    aft_config *cfg = cli_load_workspace(ws, &args);
    if (!cfg)
        return CLI_FAIL;
    cli_dataset_ref refs[3];
    texts t = {0};
    char *def = out ? NULL : default_out(ws);
    const char *path = out ? out : def;
    int rc = CLI_FAIL;
    int n = cli_workspace_refs(ws, cfg, refs);
    if (n < 0 || !path)
        goto done;
    if (!force && file_exists(path)) {
        fprintf(stderr, "agentft tokenizer train: %s exists; use --force to replace it\n", path);
        goto done;
    }
    for (int i = 0; i < n; i++)
        if (add_file(&t, &refs[i], aft_config_bool(cfg, AFT_K_STRICT)) < 0)
            goto done;
    if (t.n == 0) {
        fprintf(stderr, "%s: no training text: the dataset has no records in the train split\n", ws);
        goto done;
    }
    rc = train_and_save(&t, (size_t)aft_config_int(cfg, AFT_K_VOCAB_SIZE),
                        aft_config_bool(cfg, AFT_K_LOWERCASE), path);
done:
    texts_free(&t);
    free(def);
    aft_config_free(cfg);
    return rc;
}

static aft_tokenizer *load_tokenizer(const char *path)
{
    aft_error err = {0};
    aft_tokenizer *tok = aft_tokenizer_load(path, &err);
    if (!tok)
        fprintf(stderr, "%s\n", err.msg);
    return tok;
}

static int print_ids(const aft_tokenizer *tok, const char *text, size_t len, int specials,
                     aft_tokens *ids)
{
    aft_error err = {0};
    ids->n = 0;
    if (aft_tokenizer_encode(tok, text, len, specials, ids, &err) < 0) {
        fprintf(stderr, "agentft: %s\n", err.msg);
        return -1;
    }
    for (size_t i = 0; i < ids->n; i++)
        printf(i ? " %ld" : "%ld", (long)ids->ids[i]);
    putchar('\n');
    return 0;
}

/* One JSON string a line in, one line of ids out (for batch comparisons). */
static int encode_jsonl(const aft_tokenizer *tok, int specials, aft_tokens *ids)
{
    char *line = NULL;
    size_t cap = 0, line_no = 0;
    ssize_t n;
    int rc = CLI_OK;
    while (rc == CLI_OK && (n = getline(&line, &cap, stdin)) >= 0) {
        line_no++;
        cJSON *v = cJSON_ParseWithLength(line, (size_t)n);
        if (!cJSON_IsString(v)) {
            fprintf(stderr, "stdin:%zu: expected a JSON string\n", line_no);
            rc = CLI_FAIL;
        } else if (print_ids(tok, v->valuestring, strlen(v->valuestring), specials, ids) < 0) {
            rc = CLI_FAIL;
        }
        cJSON_Delete(v);
    }
    free(line);
    return rc;
}

int cmd_tokenizer_encode(int argc, char **argv)
{
    int specials = 0, jsonl = 0;
    cli_opt opts[] = {{"--specials", 0, NULL, &specials}, {"--stdin-jsonl", 0, NULL, &jsonl}, {0}};
    cli_args args;
    if (cli_parse("tokenizer encode", argc, argv, opts, &args) < 0)
        return CLI_USAGE;
    if (args.help) {
        cli_usage("tokenizer encode", 0);
        return CLI_OK;
    }
    if (args.n_sets || args.n_positional != (jsonl ? 1u : 2u)) {
        fprintf(stderr, "agentft tokenizer encode: expected TOKENIZER and %s\n",
                jsonl ? "no TEXT with --stdin-jsonl" : "TEXT (or --stdin-jsonl)");
        cli_usage("tokenizer encode", 1);
        return CLI_USAGE;
    }
    aft_tokenizer *tok = load_tokenizer(args.positional[0]);
    if (!tok)
        return CLI_FAIL;
    aft_tokens ids = {0};
    int rc;
    if (jsonl)
        rc = encode_jsonl(tok, specials, &ids);
    else
        rc = print_ids(tok, args.positional[1], strlen(args.positional[1]), specials, &ids) < 0
                 ? CLI_FAIL : CLI_OK;
    aft_tokens_free(&ids);
    aft_tokenizer_free(tok);
    return rc;
}

int cmd_tokenizer_convert(int argc, char **argv)
{
    int force = 0;
    cli_opt opts[] = {{"--force", 0, NULL, &force}, {0}};
    cli_args args;
    int status;
    if (!cli_begin("tokenizer convert", argc, argv, opts, 2, "TOKENIZER and OUT", &args, &status))
        return status;
    const char *out = args.positional[1];
    if (!force && file_exists(out)) {
        fprintf(stderr, "agentft tokenizer convert: %s exists; use --force to replace it\n", out);
        return CLI_FAIL;
    }
    aft_tokenizer *tok = load_tokenizer(args.positional[0]);
    if (!tok)
        return CLI_FAIL;
    aft_error err = {0};
    int rc = CLI_OK;
    if (aft_tokenizer_save(tok, out, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        rc = CLI_FAIL;
    } else {
        printf("wrote %s (%zu tokens)\n", out, aft_tokenizer_vocab_size(tok));
    }
    aft_tokenizer_free(tok);
    return rc;
}
