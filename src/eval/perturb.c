/* Seeded, UTF-8-safe text noise for the robustness part of the evaluation. */
#include "agentft/perturb.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/utf8.h"

const char *aft_perturb_name(aft_perturb_kind kind)
{
    static const char *const names[AFT_PERTURB_COUNT] = {"typo", "word_drop", "word_swap",
                                                         "case", "punct"};
    return kind < AFT_PERTURB_COUNT ? names[kind] : "?";
}

/* A span of the text: one character, or one word with the space before it. */
typedef struct span {
    size_t at, len;
} span;

typedef struct spans {
    span *items;
    size_t n;
} spans;

static size_t char_len(const char *s, size_t left)
{
    uint32_t cp;
    size_t n = aft_utf8_decode(s, left, &cp);
    return n ? n : 1; /* a stray byte moves as one unit */
}

static int is_space_at(const char *s, size_t left, size_t *len)
{
    uint32_t cp;
    size_t n = aft_utf8_decode(s, left, &cp);
    *len = n ? n : 1;
    return n && (cp == ' ' || cp == '\t' || cp == '\n' || cp == 0x3000);
}

/* Words: runs of non-space characters, each CJK character on its own. */
static int split_words(const char *t, size_t len, spans *out)
{
    out->items = malloc((len + 1) * sizeof *out->items);
    out->n = 0;
    if (!out->items)
        return -1;
    size_t i = 0;
    while (i < len) {
        size_t n;
        if (is_space_at(t + i, len - i, &n)) {
            i += n;
            continue;
        }
        size_t start = i;
        uint32_t cp;
        size_t cl = aft_utf8_decode(t + i, len - i, &cp);
        if (cl && aft_cp_is_cjk(cp)) {
            i += cl;
        } else {
            while (i < len && !is_space_at(t + i, len - i, &n)) {
                cl = aft_utf8_decode(t + i, len - i, &cp);
                if (cl && aft_cp_is_cjk(cp))
                    break;
                i += char_len(t + i, len - i);
            }
        }
        out->items[out->n++] = (span){start, i - start};
    }
    return 0;
}

static const char *const keyboard_rows[] = {"qwertyuiop", "asdfghjkl", "zxcvbnm"};

static char neighbour(char c, aft_rng *rng)
{
    char lower = (char)tolower((unsigned char)c);
    for (int r = 0; r < 3; r++) {
        const char *p = strchr(keyboard_rows[r], lower);
        if (!p || !*p)
            continue;
        size_t i = (size_t)(p - keyboard_rows[r]), n = strlen(keyboard_rows[r]);
        size_t j = i == 0 ? 1 : i + 1 >= n ? i - 1 : (aft_rng_below(rng, 2) ? i + 1 : i - 1);
        char out = keyboard_rows[r][j];
        return isupper((unsigned char)c) ? (char)toupper((unsigned char)out) : out;
    }
    return c;
}

static char *typos(const char *t, size_t len, double rate, aft_rng *rng)
{
    char *out = malloc(2 * len + 1), *o = out;
    if (!out)
        return NULL;
    size_t i = 0;
    while (i < len) {
        size_t n = char_len(t + i, len - i);
        int ascii_letter = n == 1 && isalpha((unsigned char)t[i]);
        if (aft_rng_uniform(rng) >= rate) {
            memcpy(o, t + i, n);
            o += n;
            i += n;
            continue;
        }
        switch (aft_rng_below(rng, 4)) {
        case 0: /* swap with the next character */
            if (i + n < len) {
                size_t m = char_len(t + i + n, len - i - n);
                memcpy(o, t + i + n, m);
                memcpy(o + m, t + i, n);
                o += n + m;
                i += n + m;
                continue;
            }
            break;
        case 1: /* drop */
            i += n;
            continue;
        case 2: /* double */
            memcpy(o, t + i, n);
            o += n;
            break;
        default: /* keyboard neighbour */
            if (ascii_letter) {
                *o++ = neighbour(t[i], rng);
                i += n;
                continue;
            }
            break;
        }
        memcpy(o, t + i, n);
        o += n;
        i += n;
    }
    *o = '\0';
    return out;
}

/* Rebuilds the text from words in `order` (indexes into w). A word that
 * followed a space gets one; CJK characters stay unspaced as they were. */
static char *join_words(const char *t, const spans *w, const size_t *order, size_t n)
{
    size_t total = 0;
    for (size_t k = 0; k < n; k++)
        total += w->items[order[k]].len + 1;
    char *out = malloc(total + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t k = 0; k < n; k++) {
        const span *s = &w->items[order[k]];
        size_t gap;
        if (k > 0 && (s->at == 0 || is_space_at(t + s->at - 1, 1, &gap)))
            *o++ = ' ';
        memcpy(o, t + s->at, s->len);
        o += s->len;
    }
    *o = '\0';
    return out;
}

static char *word_noise(const char *t, size_t len, aft_perturb_kind kind, double rate,
                        aft_rng *rng)
{
    spans w;
    if (split_words(t, len, &w) < 0)
        return NULL;
    size_t *order = malloc((w.n + 1) * sizeof *order), n = 0;
    if (!order) {
        free(w.items);
        return NULL;
    }
    for (size_t k = 0; k < w.n; k++) {
        if (kind == AFT_PERTURB_WORD_DROP && aft_rng_uniform(rng) < rate)
            continue;
        order[n++] = k;
    }
    if (n == 0 && w.n > 0)
        order[n++] = (size_t)aft_rng_below(rng, w.n); /* keep one word */
    if (kind == AFT_PERTURB_WORD_SWAP) {
        for (size_t k = 0; k + 1 < n; k++) {
            if (aft_rng_uniform(rng) < rate) {
                size_t tmp = order[k];
                order[k] = order[k + 1];
                order[k + 1] = tmp;
                k++; /* a word moves at most once */
            }
        }
    }
    char *out = join_words(t, &w, order, n);
    free(order);
    free(w.items);
    return out;
}

static char *case_noise(const char *t, size_t len, double rate, aft_rng *rng)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c < 0x80 && isalpha(c) && aft_rng_uniform(rng) < rate)
            c = (unsigned char)(islower(c) ? toupper(c) : tolower(c));
        out[i] = (char)c;
    }
    out[len] = '\0';
    return out;
}

static char *punct_noise(const char *t, size_t len, double rate, aft_rng *rng)
{
    static const char marks[] = ",.!?;";
    char *out = malloc(2 * len + 2), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c < 0x80 && ispunct(c) && aft_rng_uniform(rng) < rate)
            continue; /* remove a mark */
        *o++ = (char)c;
        if (c == ' ' && aft_rng_uniform(rng) < rate) {
            o[-1] = marks[aft_rng_below(rng, sizeof marks - 1)];
            *o++ = ' ';
        }
    }
    *o = '\0';
    return out;
}

char *aft_perturb(const char *text, aft_perturb_kind kind, double rate, aft_rng *rng)
{
    size_t len = strlen(text);
    if (!(rate > 0))
        return strdup(text);
    if (rate > 1)
        rate = 1;
    switch (kind) {
    case AFT_PERTURB_TYPO:
        return typos(text, len, rate, rng);
    case AFT_PERTURB_WORD_DROP:
    case AFT_PERTURB_WORD_SWAP:
        return word_noise(text, len, kind, rate, rng);
    case AFT_PERTURB_CASE:
        return case_noise(text, len, rate, rng);
    case AFT_PERTURB_PUNCT:
        return punct_noise(text, len, rate, rng);
    default:
        return strdup(text);
    }
}
