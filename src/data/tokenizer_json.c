/* Reading and writing vocabularies: Hugging Face tokenizer.json (BPE with a
 * ByteLevel pre-tokenizer) and GPT-2's encoder.json + vocab.bpe. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "agentft/fileio.h"
#include "agentft/utf8.h"
#include "tokenizer_internal.h"

/* GPT-2's one special token, in its encoder.json like any other. */
#define GPT2_EOT "<|endoftext|>"

/* A token as the file gives it, before it becomes a tokenizer entry. */
typedef struct entry {
    const char *text;   /* byte-level form (vocab) or raw content (added) */
    int32_t id;
} entry;

typedef struct vocab {
    entry *vocab, *added;
    size_t n_vocab, n_added;
    size_t n_ids;       /* highest id + 1 */
} vocab;

/* Parses a JSON file; a syntax error is reported as path:line:column. */
static cJSON *parse_json(const char *path, aft_error *err)
{
    char *data;
    size_t len;
    if (aft_read_file(path, &data, &len, err) < 0)
        return NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(data, len, &end, 0);
    if (!root) {
        size_t at = end && end >= data && end <= data + len ? (size_t)(end - data) : 0;
        size_t line = 1, bol = 0;
        for (size_t i = 0; i < at; i++) {
            if (data[i] == '\n') {
                line++;
                bol = i + 1;
            }
        }
        aft_error_set(err, "%s:%zu:%zu: invalid JSON", path, line,
                      aft_utf8_count(data + bol, at - bol) + 1);
    }
    free(data);
    return root;
}

/* An id from a JSON number: a whole number in 0..AFT_TOK_MAX_IDS-1. */
static int json_id(const cJSON *v, int32_t *id)
{
    if (!cJSON_IsNumber(v))
        return -1;
    double d = v->valuedouble;
    if (!(d >= 0 && d < (double)AFT_TOK_MAX_IDS) || d != floor(d))
        return -1;
    *id = (int32_t)d;
    return 0;
}

static int read_vocab(const cJSON *obj, const char *what, vocab *v, aft_error *err)
{
    if (!cJSON_IsObject(obj))
        return aft_error_set(err, "%s is missing or not an object", what);
    size_t n = (size_t)cJSON_GetArraySize(obj);
    v->vocab = malloc((n ? n : 1) * sizeof *v->vocab);
    if (!v->vocab)
        return aft_error_set(err, "out of memory");
    for (const cJSON *e = obj->child; e; e = e->next) {
        entry *t = &v->vocab[v->n_vocab++];
        t->text = e->string;
        if (!cJSON_IsNumber(e))
            return aft_error_set(err, "%s: the id of token '%s' is not a number", what, e->string);
        if (json_id(e, &t->id) < 0)
            return aft_error_set(err, "%s: token '%s' has id %g, which is out of range "
                                 "(a whole number in 0..%zu)", what, e->string, e->valuedouble,
                                 AFT_TOK_MAX_IDS - 1);
        if ((size_t)t->id + 1 > v->n_ids)
            v->n_ids = (size_t)t->id + 1;
    }
    return 0;
}

static int read_added(const cJSON *arr, vocab *v, aft_error *err)
{
    if (!arr || cJSON_IsNull(arr))
        return 0;
    if (!cJSON_IsArray(arr))
        return aft_error_set(err, "added_tokens is not an array");
    size_t n = (size_t)cJSON_GetArraySize(arr);
    v->added = malloc((n ? n : 1) * sizeof *v->added);
    if (!v->added)
        return aft_error_set(err, "out of memory");
    for (const cJSON *e = arr->child; e; e = e->next) {
        size_t k = v->n_added + 1;
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(e, "content");
        if (!cJSON_IsString(content) || !content->valuestring[0])
            return aft_error_set(err, "added token %zu has no content", k);
        entry *t = &v->added[v->n_added++];
        t->text = content->valuestring;
        if (json_id(cJSON_GetObjectItemCaseSensitive(e, "id"), &t->id) < 0)
            return aft_error_set(err, "added token %zu ('%s') has no id in 0..%zu", k, t->text,
                                 AFT_TOK_MAX_IDS - 1);
        if ((size_t)t->id + 1 > v->n_ids)
            v->n_ids = (size_t)t->id + 1;
    }
    return 0;
}

/* The raw bytes of a byte-level string, into buf (at least strlen(s) bytes). */
static int bl_bytes(const char *s, char *buf, size_t *len)
{
    return aft_bl_to_bytes(s, strlen(s), buf, len);
}

/* Added tokens first: where the vocab lists one too (as GPT-2's does with
 * "<|endoftext|>"), the added token's content is what counts. `who`
 * remembers which entry set each id, to name both sides of a clash. */
static int set_added(aft_tokenizer *t, const vocab *v, const char **who, aft_error *err)
{
    for (size_t i = 0; i < v->n_added; i++) {
        const entry *e = &v->added[i];
        if (who[e->id])
            return aft_error_set(err, "added tokens '%s' and '%s' both have id %ld", who[e->id],
                                 e->text, (long)e->id);
        who[e->id] = e->text;
        if (aft_tok_set(t, e->id, e->text, strlen(e->text), AFT_TOK_SPECIAL, err) < 0)
            return -1;
    }
    return 0;
}

static int set_vocab(aft_tokenizer *t, const vocab *v, const char **who, aft_error *err)
{
    char *buf = NULL;
    int rc = 0;
    for (size_t i = 0; i < v->n_vocab && rc == 0; i++) {
        const entry *e = &v->vocab[i];
        size_t n = strlen(e->text);
        if (t->kind[e->id] == AFT_TOK_SPECIAL)
            continue;
        if (who[e->id]) {
            rc = aft_error_set(err, "tokens '%s' and '%s' both have id %ld", who[e->id], e->text,
                               (long)e->id);
            break;
        }
        who[e->id] = e->text;
        char *nb = realloc(buf, n ? n : 1);
        if (!nb) {
            rc = aft_error_set(err, "out of memory");
            break;
        }
        buf = nb;
        if (bl_bytes(e->text, buf, &n) < 0 || n == 0)
            rc = aft_error_set(err, "token '%s' (id %ld) is not in the byte-level alphabet: this "
                               "is not a byte-level BPE vocabulary", e->text, (long)e->id);
        else
            rc = aft_tok_set(t, e->id, buf, n, AFT_TOK_NORMAL, err);
    }
    free(buf);
    return rc;
}

/* Makes the tokenizer's tokens from the vocab and the added tokens. */
static aft_tokenizer *make_tokens(const vocab *v, aft_error *err)
{
    if (v->n_ids == 0) {
        aft_error_set(err, "the vocabulary is empty");
        return NULL;
    }
    aft_tokenizer *t = aft_tok_new(v->n_ids, err);
    const char **who = t ? calloc(v->n_ids, sizeof *who) : NULL;
    if (t && !who)
        aft_error_set(err, "out of memory");
    if (!who || set_added(t, v, who, err) < 0 || set_vocab(t, v, who, err) < 0 ||
        aft_tok_index(t, err) < 0) {
        aft_tokenizer_free(t);
        t = NULL;
    }
    free(who);
    return t;
}

/* The id of a merge's part (a byte-level string), or -1 after an error. */
static int32_t merge_part(const aft_tokenizer *t, const char *s, size_t len, size_t rank,
                          aft_error *err)
{
    char stack[256];
    char *buf = len <= sizeof stack ? stack : malloc(len);
    size_t n = 0;
    int32_t id = -1;
    if (!buf)
        aft_error_set(err, "out of memory");
    else if (aft_bl_to_bytes(s, len, buf, &n) < 0 || (id = aft_tok_find(t, buf, n)) < 0)
        aft_error_set(err, "merge %zu: '%.*s' is not in the vocabulary", rank, (int)len, s);
    if (buf != stack)
        free(buf);
    return id;
}

/* Resolves one merge "a b" to (a, b, merged) ids. */
static int resolve_merge(const aft_tokenizer *t, const char *a, size_t la, const char *b,
                         size_t lb, size_t rank, int32_t *out, aft_error *err)
{
    if ((out[0] = merge_part(t, a, la, rank, err)) < 0 ||
        (out[1] = merge_part(t, b, lb, rank, err)) < 0)
        return -1;
    size_t n0, n1;
    const char *b0 = aft_tokenizer_token_bytes(t, out[0], &n0);
    const char *b1 = aft_tokenizer_token_bytes(t, out[1], &n1);
    char *joined = malloc(n0 + n1);
    if (!joined)
        return aft_error_set(err, "out of memory");
    memcpy(joined, b0, n0);
    memcpy(joined + n0, b1, n1);
    out[2] = aft_tok_find(t, joined, n0 + n1);
    free(joined);
    if (out[2] < 0)
        return aft_error_set(err, "merge %zu ('%.*s %.*s') makes '%.*s%.*s', which is not in the "
                             "vocabulary", rank, (int)la, a, (int)lb, b, (int)la, a, (int)lb, b);
    return 0;
}

static int read_merges(aft_tokenizer *t, const cJSON *arr, aft_error *err)
{
    if (!cJSON_IsArray(arr))
        return aft_error_set(err, "model.merges is missing or not an array");
    size_t n = (size_t)cJSON_GetArraySize(arr), r = 0;
    int32_t *triples = malloc((n ? 3 * n : 1) * sizeof *triples);
    if (!triples)
        return aft_error_set(err, "out of memory for %zu merges", n);
    int rc = 0;
    for (const cJSON *m = arr->child; m && rc == 0; m = m->next, r++) {
        const char *a = NULL, *b = NULL;
        size_t la = 0, lb = 0;
        if (cJSON_IsString(m)) {
            /* "a b": byte-level strings never hold a real space. */
            const char *sp = strchr(m->valuestring, ' ');
            if (sp && sp > m->valuestring && sp[1] && !strchr(sp + 1, ' ')) {
                a = m->valuestring;
                la = (size_t)(sp - a);
                b = sp + 1;
                lb = strlen(b);
            }
        } else if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 && cJSON_IsString(m->child) &&
                   cJSON_IsString(m->child->next)) {
            a = m->child->valuestring;
            b = m->child->next->valuestring;
            la = strlen(a);
            lb = strlen(b);
        }
        if (!a || !la || !lb)
            rc = aft_error_set(err, "merge %zu is neither \"a b\" nor [\"a\", \"b\"]", r + 1);
        else
            rc = resolve_merge(t, a, la, b, lb, r + 1, triples + 3 * r, err);
    }
    if (rc == 0)
        rc = aft_tok_set_merges(t, triples, n, err);
    free(triples);
    return rc;
}

/* What agentft can encode exactly: GPT-2's scheme and nothing on top. */
/* No normalizer, or a Lowercase one (an uncased vocabulary): *lowercase
 * (may be NULL) says which. */
static int read_normalizer(const cJSON *root, int *lowercase, aft_error *err)
{
    const cJSON *norm = cJSON_GetObjectItemCaseSensitive(root, "normalizer");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(norm, "type");
    int lower = cJSON_IsString(type) && strcmp(type->valuestring, "Lowercase") == 0;
    if (norm && !cJSON_IsNull(norm) && !lower)
        return aft_error_set(err, "normalizer %s is not supported; only none or Lowercase",
                             cJSON_IsString(type) ? type->valuestring : "(no type)");
    if (lowercase)
        *lowercase = lower;
    return 0;
}

static int check_pipeline(const cJSON *root, const cJSON *model, aft_error *err)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(model, "type");
    if (type && !(cJSON_IsString(type) && strcmp(type->valuestring, "BPE") == 0))
        return aft_error_set(err, "model type is %s%s%s; only BPE is supported",
                             cJSON_IsString(type) ? "'" : "",
                             cJSON_IsString(type) ? type->valuestring : "not a string",
                             cJSON_IsString(type) ? "'" : "");
    static const char *const affixes[] = {"continuing_subword_prefix", "end_of_word_suffix"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(model, affixes[i]);
        if (cJSON_IsString(v) && v->valuestring[0])
            return aft_error_set(err, "model.%s '%s' is not supported (byte-level BPE has none)",
                                 affixes[i], v->valuestring);
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(model, "ignore_merges")))
        return aft_error_set(err, "model.ignore_merges true is not supported");
    if (read_normalizer(root, NULL, err) < 0)
        return -1;
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer");
    if (!pre || cJSON_IsNull(pre))
        return 0;
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(pre, "type");
    if (!cJSON_IsString(pt) || strcmp(pt->valuestring, "ByteLevel") != 0)
        return aft_error_set(err, "pre_tokenizer %s is not supported; only ByteLevel (GPT-2's) is",
                             cJSON_IsString(pt) ? pt->valuestring : "(no type)");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pre, "add_prefix_space")))
        return aft_error_set(err, "pre_tokenizer ByteLevel with add_prefix_space true is not "
                             "supported");
    if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(pre, "use_regex")))
        return aft_error_set(err, "pre_tokenizer ByteLevel with use_regex false is not supported");
    return 0;
}

static void vocab_free(vocab *v)
{
    free(v->vocab);
    free(v->added);
}

static aft_tokenizer *load_hf(const char *path, aft_error *err)
{
    cJSON *root = parse_json(path, err);
    if (!root)
        return NULL;
    vocab v = {0};
    aft_tokenizer *t = NULL;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!cJSON_IsObject(root))
        aft_error_set(err, "not a tokenizer.json: the top level is not an object");
    else if (!cJSON_IsObject(model))
        aft_error_set(err, "not a tokenizer.json: it has no \"model\" object");
    else if (check_pipeline(root, model, err) == 0 &&
             read_vocab(cJSON_GetObjectItemCaseSensitive(model, "vocab"), "model.vocab", &v, err) == 0 &&
             read_added(cJSON_GetObjectItemCaseSensitive(root, "added_tokens"), &v, err) == 0 &&
             (t = make_tokens(&v, err)) != NULL &&
             read_merges(t, cJSON_GetObjectItemCaseSensitive(model, "merges"), err) < 0) {
        aft_tokenizer_free(t);
        t = NULL;
    }
    if (t)
        read_normalizer(root, &t->lowercase, NULL);
    if (!t)
        aft_error_prefix(err, "%s", path);
    vocab_free(&v);
    cJSON_Delete(root);
    return t;
}

/* vocab.bpe: an optional "#version" line, then one "a b" merge a line. */
static int read_bpe_file(aft_tokenizer *t, const char *path, aft_error *err)
{
    char *data;
    size_t len;
    if (aft_read_file(path, &data, &len, err) < 0)
        return -1;
    size_t n = 0, line_no = 0;
    for (size_t i = 0; i < len; i++)
        n += data[i] == '\n';
    int32_t *triples = malloc((3 * n + 3) * sizeof *triples);
    int rc = triples ? 0 : aft_error_set(err, "%s: out of memory", path);
    size_t r = 0;
    for (size_t pos = 0; pos < len && rc == 0;) {
        const char *line = data + pos, *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + 1;
        line_no++;
        if (ll > 0 && line[ll - 1] == '\r')
            ll--;
        if (ll == 0 || (line_no == 1 && line[0] == '#'))
            continue;
        const char *sp = memchr(line, ' ', ll);
        if (!sp || sp == line || sp == line + ll - 1 || memchr(sp + 1, ' ', ll - (size_t)(sp - line) - 1)) {
            rc = aft_error_set(err, "%s:%zu: expected a merge \"a b\", got '%.*s'", path, line_no,
                               (int)(ll > 60 ? 60 : ll), line);
            break;
        }
        size_t la = (size_t)(sp - line);
        if (resolve_merge(t, line, la, sp + 1, ll - la - 1, r + 1, triples + 3 * r, err) < 0) {
            aft_error_prefix(err, "%s:%zu", path, line_no);
            rc = -1;
        }
        r++;
    }
    if (rc == 0 && aft_tok_set_merges(t, triples, r, err) < 0) {
        aft_error_prefix(err, "%s", path);
        rc = -1;
    }
    free(triples);
    free(data);
    return rc;
}

/* GPT-2's own files; its "<|endoftext|>" becomes a special token. */
static aft_tokenizer *load_gpt2(const char *enc_path, const char *bpe_path, aft_error *err)
{
    cJSON *root = parse_json(enc_path, err);
    if (!root)
        return NULL;
    vocab v = {0};
    entry eot = {GPT2_EOT, -1};
    aft_tokenizer *t = NULL;
    if (read_vocab(root, "encoder.json", &v, err) == 0) {
        for (size_t i = 0; i < v.n_vocab; i++)
            if (strcmp(v.vocab[i].text, GPT2_EOT) == 0)
                eot.id = v.vocab[i].id;
        if (eot.id >= 0) {
            v.added = &eot;
            v.n_added = 1;
        }
        t = make_tokens(&v, err);
        v.added = NULL;
    }
    if (!t)
        aft_error_prefix(err, "%s", enc_path);
    vocab_free(&v);
    cJSON_Delete(root);
    if (t && read_bpe_file(t, bpe_path, err) < 0) {
        aft_tokenizer_free(t);
        t = NULL;
    }
    return t;
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

aft_tokenizer *aft_tokenizer_load(const char *path, aft_error *err)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        aft_error_errno(err, errno, "%s", path);
        return NULL;
    }
    if (!S_ISDIR(st.st_mode))
        return load_hf(path, err);
    char *hf = join_path(path, "tokenizer.json");
    char *enc = join_path(path, "encoder.json");
    char *bpe = join_path(path, "vocab.bpe");
    aft_tokenizer *t = NULL;
    if (!hf || !enc || !bpe)
        aft_error_set(err, "out of memory");
    else if (is_file(hf))
        t = load_hf(hf, err);
    else if (is_file(enc) && is_file(bpe))
        t = load_gpt2(enc, bpe, err);
    else
        aft_error_set(err, "%s: the folder has neither tokenizer.json nor encoder.json and "
                      "vocab.bpe", path);
    free(hf);
    free(enc);
    free(bpe);
    return t;
}

/* ---- save ---------------------------------------------------------------- */

static cJSON *byte_level(int add_prefix_space, int trim_offsets)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "ByteLevel");
    cJSON_AddBoolToObject(o, "add_prefix_space", add_prefix_space);
    cJSON_AddBoolToObject(o, "trim_offsets", trim_offsets);
    cJSON_AddBoolToObject(o, "use_regex", 1);
    return o;
}

static cJSON *added_tokens(const aft_tokenizer *t)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t id = 0; arr && id < t->n_ids; id++) {
        if (t->kind[id] != AFT_TOK_SPECIAL)
            continue;
        cJSON *o = cJSON_CreateObject();
        char *content = strndup(t->bytes + t->off[id], t->len[id]);
        cJSON_AddNumberToObject(o, "id", (double)id);
        if (content)
            cJSON_AddStringToObject(o, "content", content);
        free(content);
        cJSON_AddBoolToObject(o, "single_word", 0);
        cJSON_AddBoolToObject(o, "lstrip", 0);
        cJSON_AddBoolToObject(o, "rstrip", 0);
        cJSON_AddBoolToObject(o, "normalized", 0);
        cJSON_AddBoolToObject(o, "special", 1);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

/* The vocab in id order; added tokens under their content, as GPT-2's
 * tokenizer.json lists "<|endoftext|>", unless a normal token has that key. */
static cJSON *vocab_json(const aft_tokenizer *t)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t id = 0; o && id < t->n_ids; id++) {
        if (t->kind[id] == AFT_TOK_HOLE)
            continue;
        char *key = t->kind[id] == AFT_TOK_SPECIAL ? strndup(t->bytes + t->off[id], t->len[id])
                                                   : aft_bytes_to_bl(t->bytes + t->off[id], t->len[id]);
        if (!key) {
            cJSON_Delete(o);
            return NULL;
        }
        if (t->kind[id] != AFT_TOK_SPECIAL || !cJSON_GetObjectItemCaseSensitive(o, key))
            cJSON_AddItemToObject(o, key, cJSON_CreateNumber((double)id));
        free(key);
    }
    return o;
}

static cJSON *merges_json(const aft_tokenizer *t)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t r = 0; arr && r < t->n_merges; r++) {
        const int32_t *m = t->merges + 3 * r;
        char *a = aft_bytes_to_bl(t->bytes + t->off[m[0]], t->len[m[0]]);
        char *b = aft_bytes_to_bl(t->bytes + t->off[m[1]], t->len[m[1]]);
        char *s = a && b ? malloc(strlen(a) + strlen(b) + 2) : NULL;
        if (s) {
            sprintf(s, "%s %s", a, b);
            cJSON_AddItemToArray(arr, cJSON_CreateString(s));
        }
        free(a);
        free(b);
        free(s);
        if (!s) {
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

int aft_tokenizer_save(const aft_tokenizer *tok, const char *path, aft_error *err)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *model = cJSON_CreateObject();
    if (!root || !model) {
        cJSON_Delete(root);
        cJSON_Delete(model);
        return aft_error_set(err, "%s: out of memory", path);
    }
    cJSON_AddStringToObject(root, "version", "1.0");
    cJSON_AddNullToObject(root, "truncation");
    cJSON_AddNullToObject(root, "padding");
    cJSON_AddItemToObject(root, "added_tokens", added_tokens(tok));
    if (tok->lowercase) {
        cJSON *norm = cJSON_AddObjectToObject(root, "normalizer");
        cJSON_AddStringToObject(norm, "type", "Lowercase");
    } else {
        cJSON_AddNullToObject(root, "normalizer");
    }
    cJSON_AddItemToObject(root, "pre_tokenizer", byte_level(0, 1));
    cJSON_AddItemToObject(root, "post_processor", byte_level(1, 0));
    cJSON_AddItemToObject(root, "decoder", byte_level(1, 1));
    cJSON_AddStringToObject(model, "type", "BPE");
    cJSON_AddNullToObject(model, "dropout");
    cJSON_AddNullToObject(model, "unk_token");
    cJSON_AddStringToObject(model, "continuing_subword_prefix", "");
    cJSON_AddStringToObject(model, "end_of_word_suffix", "");
    cJSON_AddBoolToObject(model, "fuse_unk", 0);
    cJSON_AddBoolToObject(model, "byte_fallback", 0);
    cJSON_AddItemToObject(model, "vocab", vocab_json(tok));
    cJSON_AddItemToObject(model, "merges", merges_json(tok));
    cJSON_AddItemToObject(root, "model", model);
    /* A failed allocation anywhere above leaves a member out: check them all. */
    int complete = cJSON_GetArraySize(root) == 9 && cJSON_GetArraySize(model) == 9;
    char *text = complete ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return aft_error_set(err, "%s: out of memory writing the tokenizer", path);
    int rc = aft_write_file_atomic(path, text, strlen(text), err);
    cJSON_free(text);
    return rc;
}
