/* Text operations: synonym replacement and the EDA operations of Wei & Zou
 * (2019), insertion, swap, deletion; all randomness from the caller's rng. */
#include "augment_internal.h"

#include <stdlib.h>
#include <string.h>

#include "agentft/perturb.h"
#include "agentft/utf8.h"

const char *aft_aug_op_name(aft_aug_op op)
{
    static const char *const names[AFT_OP_COUNT] = {"synonym", "insert", "swap", "delete",
                                                    "typo"};
    return op < AFT_OP_COUNT ? names[op] : "?";
}

/* A text as words and the gaps before them; pieces point into the text or
 * into synonym strings that outlive the layout. */
typedef struct piece {
    const char *s;
    size_t len;
} piece;

typedef struct layout {
    piece *tok, *gap;     /* gap[i] comes before tok[i] */
    size_t n;
    piece tail;           /* white space after the last word */
} layout;

static int layout_of(const char *text, layout *l)
{
    size_t len = strlen(text);
    aft_aug_words w;
    if (aft_aug_split_words(text, len, &w) < 0)
        return -1;
    /* one spare slot for insertions */
    l->tok = malloc((w.n + 1) * sizeof *l->tok);
    l->gap = malloc((w.n + 1) * sizeof *l->gap);
    if (!l->tok || !l->gap) {
        free(w.w);
        return -1;
    }
    size_t end = 0;
    for (size_t i = 0; i < w.n; i++) {
        l->gap[i] = (piece){text + end, w.w[i].at - end};
        l->tok[i] = (piece){text + w.w[i].at, w.w[i].len};
        end = w.w[i].at + w.w[i].len;
    }
    l->n = w.n;
    l->tail = (piece){text + end, len - end};
    free(w.w);
    return 0;
}

static void layout_free(layout *l)
{
    free(l->tok);
    free(l->gap);
}

/* CJK letters and CJK punctuation are written without spaces around them. */
static int cjk_like(uint32_t cp)
{
    return aft_cp_is_cjk(cp) || (cp >= 0x3000 && aft_aug_is_punct(cp));
}

/* The gap given to an inserted word, told apart from gaps of the text. */
static const char inserted_gap[] = " ";

/* How many of the two sides of the gap between a and b are CJK-like. */
static int cjk_sides(piece a, piece b)
{
    uint32_t last = a.len ? aft_aug_prev_char(a.s, a.len) : 0, first = 0;
    if (b.len)
        aft_aug_decode(b.s, b.len, &first);
    return cjk_like(last) + cjk_like(first);
}

/* Joins the words with their gaps. After words moved, an empty gap between
 * non-CJK words becomes a space, and an inserted word between CJK ones gets
 * no spaces. */
static char *layout_join(const layout *l)
{
    size_t size = l->tail.len + 1;
    for (size_t i = 0; i < l->n; i++)
        size += l->tok[i].len + l->gap[i].len + 1;
    char *out = malloc(size), *p = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < l->n; i++) {
        piece g = l->gap[i];
        int sides = i > 0 ? cjk_sides(l->tok[i - 1], l->tok[i]) : 0;
        if (i > 0 && g.len == 0 && sides == 0)
            g = (piece){" ", 1};
        else if (g.s == inserted_gap && sides == 2)
            g.len = 0;
        memcpy(p, g.s, g.len);
        p += g.len;
        memcpy(p, l->tok[i].s, l->tok[i].len);
        p += l->tok[i].len;
    }
    memcpy(p, l->tail.s, l->tail.len);
    p[l->tail.len] = '\0';
    return out;
}

/* n = max(1, floor(rate * words)), none at rate 0 (EDA's n for SR, RI, RS). */
static size_t changes(double rate, size_t words)
{
    if (rate <= 0 || words == 0)
        return 0;
    size_t n = (size_t)(rate * (double)words);
    return n ? n : 1;
}

static const char *pick_syn(const aft_aug_cand *c, aft_rng *rng)
{
    return c->syns.items[aft_rng_below(rng, c->syns.count)];
}

/* Replaces up to n places that have synonyms, chosen at random. */
static char *op_synonym(const char *text, const aft_aug_cands *cands, size_t n, aft_rng *rng)
{
    size_t *order = malloc((cands->n + 1) * sizeof *order);
    const char **chosen = calloc(cands->n + 1, sizeof *chosen);
    size_t len = strlen(text), size = len + 1;
    char *out = NULL;
    if (!order || !chosen)
        goto done;
    for (size_t i = 0; i < cands->n; i++)
        order[i] = i;
    aft_rng_shuffle(rng, order, cands->n, sizeof *order);
    for (size_t k = 0; k < n && k < cands->n; k++) {
        chosen[order[k]] = pick_syn(&cands->c[order[k]], rng);
        size += strlen(chosen[order[k]]);
    }
    if (!(out = malloc(size)))
        goto done;
    size_t at = 0, o = 0;
    for (size_t i = 0; i < cands->n; i++) {
        if (!chosen[i])
            continue;
        aft_aug_span s = cands->c[i].span;
        memcpy(out + o, text + at, s.at - at);
        o += s.at - at;
        size_t sl = strlen(chosen[i]);
        memcpy(out + o, chosen[i], sl);
        o += sl;
        at = s.at + s.len;
    }
    memcpy(out + o, text + at, len - at + 1);
done:
    free(order);
    free(chosen);
    return out;
}

/* Inserts a synonym of a random place at a random word position, n times. */
static int op_insert(layout *l, const aft_aug_cands *cands, size_t n, aft_rng *rng)
{
    for (size_t k = 0; k < n && cands->n > 0; k++) {
        const char *syn = pick_syn(&cands->c[aft_rng_below(rng, cands->n)], rng);
        size_t at = (size_t)aft_rng_below(rng, l->n + 1);
        piece *tok = realloc(l->tok, (l->n + 2) * sizeof *tok);
        if (tok)
            l->tok = tok;
        piece *gap = tok ? realloc(l->gap, (l->n + 2) * sizeof *gap) : NULL;
        if (!gap)
            return -1;
        l->gap = gap;
        memmove(l->tok + at + 1, l->tok + at, (l->n - at) * sizeof *tok);
        memmove(l->gap + at + 1, l->gap + at, (l->n - at) * sizeof *gap);
        l->tok[at] = (piece){syn, strlen(syn)};
        l->gap[at] = (piece){inserted_gap, 1};
        if (at == 0 && l->n > 0) { /* the leading white space stays in front */
            l->gap[0] = l->gap[1];
            l->gap[1] = (piece){inserted_gap, 1};
        }
        l->n++;
    }
    return 0;
}

/* Swaps two random words, n times (EDA tries 3 times for a different one). */
static void op_swap(layout *l, size_t n, aft_rng *rng)
{
    if (l->n < 2)
        return;
    for (size_t k = 0; k < n; k++) {
        size_t i = (size_t)aft_rng_below(rng, l->n), j = i;
        for (int tries = 0; tries < 3 && j == i; tries++)
            j = (size_t)aft_rng_below(rng, l->n);
        piece t = l->tok[i];
        l->tok[i] = l->tok[j];
        l->tok[j] = t;
    }
}

/* Deletes each word with probability p; one random word survives if all go. */
static int op_delete(layout *l, double p, aft_rng *rng)
{
    if (l->n < 2 || p <= 0)
        return 0;
    size_t keep_one = (size_t)aft_rng_below(rng, l->n), w = 0;
    piece lead = l->gap[0];
    unsigned char *gone = calloc(l->n, 1);
    if (!gone)
        return -1;
    size_t left = l->n;
    for (size_t i = 0; i < l->n; i++)
        if (aft_rng_uniform(rng) < p)
            gone[i] = 1, left--;
    if (left == 0)
        gone[keep_one] = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (gone[i])
            continue;
        l->tok[w] = l->tok[i];
        l->gap[w] = w == 0 ? lead : l->gap[i];
        w++;
    }
    l->n = w;
    free(gone);
    return 0;
}

static char *dup_text(const char *text, aft_error *err)
{
    char *out = strdup(text);
    if (!out)
        aft_error_set(err, "out of memory");
    return out;
}

char *aft_augment_text(const aft_lexicon *lex, aft_aug_op op, const char *text, double rate,
                       aft_rng *rng, aft_error *err)
{
    if (op >= AFT_OP_COUNT || !(rate >= 0 && rate <= 1)) {
        aft_error_set(err, "augment: unknown operation or rate %g outside 0..1", rate);
        return NULL;
    }
    if (rate == 0)
        return dup_text(text, err);
    if (op == AFT_OP_TYPO) {
        char *out = aft_perturb(text, AFT_PERTURB_TYPO, rate, rng);
        if (!out)
            aft_error_set(err, "out of memory");
        return out;
    }
    layout l;
    if (layout_of(text, &l) < 0) {
        aft_error_set(err, "out of memory");
        return NULL;
    }
    size_t n = changes(rate, l.n);
    aft_aug_cands cands = {0};
    char *out = NULL;
    int rc = 0;
    if (op == AFT_OP_SYNONYM || op == AFT_OP_INSERT)
        rc = aft_aug_find_candidates(lex, text, &cands, err);
    if (rc == 0 && op == AFT_OP_SYNONYM)
        out = op_synonym(text, &cands, n, rng);
    else if (rc == 0 && op == AFT_OP_INSERT)
        out = op_insert(&l, &cands, n, rng) == 0 ? layout_join(&l) : NULL;
    else if (rc == 0 && op == AFT_OP_SWAP)
        op_swap(&l, n, rng), out = layout_join(&l);
    else if (rc == 0)
        out = op_delete(&l, rate, rng) == 0 ? layout_join(&l) : NULL;
    if (rc == 0 && !out)
        aft_error_set(err, "out of memory");
    aft_aug_cands_free(&cands);
    layout_free(&l);
    return out;
}
