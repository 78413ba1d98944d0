/* The hyperparameter schema as a table built from include/agentft/schema_keys.h,
 * with look-up by name, did-you-mean suggestions and range descriptions. */
#include "config_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const aft_key_info schema_table[AFT_K_COUNT] = {
#define AFT_KEY(id, section, name, type, def, min, max, choices, live, help) \
    {AFT_K_##id, section, name, type, def, min, max, choices, live, help},
#include "agentft/schema_keys.h"
#undef AFT_KEY
};

/* String-literal concatenation gives "section.name" at compile time; top-level
 * keys come out as ".name" and are returned without the dot. */
static const char *const full_names[AFT_K_COUNT] = {
#define AFT_KEY(id, section, name, type, def, min, max, choices, live, help) section "." name,
#include "agentft/schema_keys.h"
#undef AFT_KEY
};

/* Names other tools use for our keys: never accepted, only suggested, so a
 * user coming from Hugging Face or nanoGPT gets pointed at the right key. */
static const struct {
    const char *alias;
    const char *key;
} aliases[] = {
    {"learning_rate", "lr"},           {"num_layers", "n_layer"},
    {"n_layers", "n_layer"},           {"num_hidden_layers", "n_layer"},
    {"num_heads", "n_head"},           {"n_heads", "n_head"},
    {"num_attention_heads", "n_head"}, {"hidden_size", "d_model"},
    {"n_embd", "d_model"},             {"block_size", "max_seq"},
    {"max_seq_len", "max_seq"},        {"seq_len", "max_seq"},
    {"context_length", "max_seq"},     {"warmup", "warmup_steps"},
    {"batch", "batch_size"},           {"gradient_accumulation_steps", "grad_accum"},
    {"max_grad_norm", "grad_clip"},    {"clip_grad", "grad_clip"},
    {"scheduler", "lr_schedule"},      {"lr_scheduler_type", "lr_schedule"},
    {"lora_r", "lora_rank"},           {"adam_beta1", "beta1"},
    {"adam_beta2", "beta2"},           {"adam_epsilon", "eps"},
    {"num_epochs", "epochs"},          {"num_train_epochs", "epochs"},
    {"eval_steps", "eval_every"},      {"save_steps", "checkpoint_every"},
    {"early_stopping_patience", "patience"}, {"random_seed", "seed"},
    {"num_threads", "threads"},        {"dropout_rate", "dropout"},
    {"train_file", "train"},           {"validation_file", "valid"},
};

const aft_key_info *aft_schema(size_t *count)
{
    if (count)
        *count = AFT_K_COUNT;
    return schema_table;
}

const aft_key_info *aft_schema_key(aft_key id)
{
    if ((int)id < 0 || id >= AFT_K_COUNT)
        return NULL;
    return &schema_table[id];
}

const char *aft_cfg_full_name(const aft_key_info *k)
{
    const char *full = full_names[k->id];
    return full[0] == '.' ? full + 1 : full;
}

size_t aft_cfg_sections(const char **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < AFT_K_COUNT; i++) {
        const char *s = schema_table[i].section;
        size_t j = 0;
        while (j < n && strcmp(out[j], s) != 0)
            j++;
        if (j == n && n < cap)
            out[n++] = s;
    }
    return n;
}

int aft_cfg_section_index(const char *section)
{
    const char *names[AFT_K_COUNT];
    size_t n = aft_cfg_sections(names, AFT_K_COUNT);
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], section) == 0)
            return (int)i;
    return -1;
}

int aft_cfg_is_section(const char *name)
{
    return name[0] != '\0' && aft_cfg_section_index(name) >= 0;
}

const aft_key_info *aft_cfg_section_shorthand(const char *section)
{
    if (strcmp(section, "dataset") == 0)
        return &schema_table[AFT_K_DATASET];
    for (size_t i = 0; i < AFT_K_COUNT; i++)
        if (strcmp(schema_table[i].section, section) == 0 &&
            strcmp(schema_table[i].name, section) == 0)
            return &schema_table[i];
    return NULL;
}

const aft_key_info *aft_schema_find(const char *key)
{
    if (!key)
        return NULL;
    const char *dot = strchr(key, '.');
    for (size_t i = 0; i < AFT_K_COUNT; i++) {
        const aft_key_info *k = &schema_table[i];
        if (!dot) {
            if (strcmp(k->name, key) == 0)
                return k;
        } else if (strlen(k->section) == (size_t)(dot - key) &&
                   strncmp(k->section, key, (size_t)(dot - key)) == 0 &&
                   strcmp(k->name, dot + 1) == 0) {
            return k;
        }
    }
    return NULL;
}

size_t aft_cfg_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    /* Two rows suffice; keys are short, so a small fixed buffer avoids malloc
     * and anything longer is simply "far". */
    enum { MAXLEN = 127 };
    if (la > MAXLEN || lb > MAXLEN)
        return (size_t)-1;
    size_t prev[MAXLEN + 1], cur[MAXLEN + 1];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            int same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
            size_t best = prev[j - 1] + (same ? 0 : 1);
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            cur[j] = best;
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

static void consider(const char *key, const char *candidate, const char *answer,
                     size_t *best, const char **best_answer)
{
    size_t d = aft_cfg_edit_distance(key, candidate);
    if (d < *best) {
        *best = d;
        *best_answer = answer;
    }
}

const char *aft_schema_suggest(const char *key)
{
    if (!key || !key[0] || aft_schema_find(key))
        return NULL; /* a known key is not a misspelling */
    size_t best = (size_t)-1;
    const char *answer = NULL;
    int dotted = strchr(key, '.') != NULL;
    for (size_t i = 0; i < AFT_K_COUNT; i++) {
        const aft_key_info *k = &schema_table[i];
        const char *full = aft_cfg_full_name(k);
        /* Answer in the form the user wrote, so it can be pasted back. */
        consider(key, k->name, dotted ? full : k->name, &best, &answer);
        consider(key, full, dotted ? full : k->name, &best, &answer);
    }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        const aft_key_info *k = aft_schema_find(aliases[i].key);
        if (!k)
            continue;
        consider(key, aliases[i].alias, dotted ? aft_cfg_full_name(k) : k->name, &best,
                 &answer);
    }
    size_t len = strlen(key);
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    /* Rewriting every letter ("a" into "lr") is no misspelling. */
    return best <= limit && best < len ? answer : NULL;
}

void aft_schema_describe_range(const aft_key_info *k, char *buf, size_t size)
{
    if (!buf || size == 0)
        return;
    buf[0] = '\0';
    if (!k)
        return;
    switch (k->type) {
    case AFT_T_INT:
        snprintf(buf, size, "%lld..%lld", (long long)k->min, (long long)k->max);
        break;
    case AFT_T_FLOAT:
        snprintf(buf, size, "%g..%g", k->min, k->max);
        break;
    case AFT_T_BOOL:
        snprintf(buf, size, "true or false");
        break;
    case AFT_T_ENUM: {
        size_t used = (size_t)snprintf(buf, size, "one of: ");
        for (const char *p = k->choices ? k->choices : ""; *p && used < size; p++) {
            /* Each '|' becomes ", ". */
            if (*p == '|')
                used += (size_t)snprintf(buf + used, size - used, ", ");
            else
                used += (size_t)snprintf(buf + used, size - used, "%c", *p);
        }
        break;
    }
    case AFT_T_PATH:
        snprintf(buf, size, "a path");
        break;
    case AFT_T_STRING:
    default:
        snprintf(buf, size, "any text");
        break;
    }
}
