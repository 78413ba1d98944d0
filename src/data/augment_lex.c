/* Places in a text that have synonyms: user entries, then WordNet with a crude
 * part-of-speech guess, synonyms re-inflected and re-cased to fit. */
#include "augment_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agentft/utf8.h"

typedef enum { CASE_LOWER, CASE_TITLE, CASE_UPPER } casing;
typedef enum { INF_NONE, INF_PLURAL, INF_S, INF_ED, INF_ING, INF_ER, INF_EST, INF_SKIP } inflection;

static casing casing_of(const char *w, size_t len)
{
    size_t letters = 0, upper = 0;
    for (size_t i = 0; i < len; i++) {
        if (isalpha((unsigned char)w[i])) {
            letters++;
            upper += isupper((unsigned char)w[i]) != 0;
        }
    }
    if (letters >= 2 && upper == letters)
        return CASE_UPPER;
    return len > 0 && isupper((unsigned char)w[0]) ? CASE_TITLE : CASE_LOWER;
}

static void apply_casing(char *s, casing c)
{
    if (c == CASE_UPPER)
        for (; *s; s++)
            *s = (char)toupper((unsigned char)*s);
    else if (c == CASE_TITLE)
        *s = (char)toupper((unsigned char)*s);
}

static int ends_with(const char *w, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && strncmp(w + len - n, suffix, n) == 0;
}

static int is_vowel(char c)
{
    return strchr("aeiou", c) != NULL;
}

/* Appends the inflection to the word w[0..len) into out (room for len + 4). */
static void inflect_word(const char *w, size_t len, inflection inf, char *out)
{
    memcpy(out, w, len);
    out[len] = '\0';
    int cons_y = len >= 2 && w[len - 1] == 'y' && !is_vowel(w[len - 2]);
    int final_e = len >= 2 && w[len - 1] == 'e';
    if (inf == INF_PLURAL || inf == INF_S) {
        if (cons_y)
            strcpy(out + len - 1, "ies");
        else if (ends_with(w, len, "s") || ends_with(w, len, "x") || ends_with(w, len, "z") ||
                 ends_with(w, len, "ch") || ends_with(w, len, "sh"))
            strcpy(out + len, "es");
        else
            strcpy(out + len, "s");
    } else if (inf == INF_ED) {
        strcpy(cons_y ? out + len - 1 : out + len, cons_y ? "ied" : final_e ? "d" : "ed");
    } else if (inf == INF_ING) {
        if (ends_with(w, len, "ie"))
            strcpy(out + len - 2, "ying");
        else if (final_e && !ends_with(w, len, "ee") && !ends_with(w, len, "ye"))
            strcpy(out + len - 1, "ing");
        else
            strcpy(out + len, "ing");
    } else if (inf == INF_ER || inf == INF_EST) {
        const char *suf = inf == INF_ER ? "er" : "est";
        if (cons_y)
            strcpy(out + len - 1, inf == INF_ER ? "ier" : "iest");
        else
            strcpy(out + len, final_e ? suf + 1 : suf);
    }
}

/* An irregular form from WordNet's exception lists: 1 with *out set, 0 when
 * there is none (the regular rules apply), -1 when two fit and the right one
 * can't be told ("go": "went" or "gone"). Nouns take the first plural. */
static int irregular(const aft_wordnet *wn, const char *w, size_t len, inflection inf,
                     aft_pos pos, char **out)
{
    char word[64];
    aft_wordlist forms = {0};
    *out = NULL;
    if (!wn || len >= sizeof word)
        return 0;
    memcpy(word, w, len);
    word[len] = '\0';
    if (aft_wordnet_irregular(wn, word, pos, &forms, NULL) < 0)
        return 0;
    size_t fits = 0;
    for (size_t i = 0; i < forms.count; i++) {
        const char *f = forms.items[i];
        size_t n = strlen(f);
        int ok = pos == AFT_POS_NOUN || (inf == INF_ING && ends_with(f, n, "ing")) ||
                 (inf == INF_S && ends_with(f, n, "s")) || (inf == INF_ER && ends_with(f, n, "er")) ||
                 (inf == INF_EST && ends_with(f, n, "est")) ||
                 (inf == INF_ED && !ends_with(f, n, "ing") && !ends_with(f, n, "s"));
        if (ok && fits++ == 0)
            *out = strdup(f);
    }
    aft_wordlist_free(&forms);
    if (fits > 1 && pos != AFT_POS_NOUN) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return *out ? 1 : 0;
}

/* The synonym in the form the replaced word had; NULL when that can't be
 * done (a multi-word adjective, an ambiguous irregular verb) or out of
 * memory. Nouns inflect their last word ("railway cars") or the one before
 * "of" ("flights of stairs"), verbs their first ("called off"). */
static char *inflect(const aft_wordnet *wn, const char *syn, inflection inf, aft_pos pos)
{
    size_t len = strlen(syn);
    if (inf == INF_NONE)
        return strdup(syn);
    const char *of = pos == AFT_POS_NOUN ? strstr(syn, " of ") : NULL;
    const char *space = pos == AFT_POS_NOUN && !of ? strrchr(syn, ' ') : strchr(syn, ' ');
    if (space && (pos == AFT_POS_ADJ || pos == AFT_POS_ADV))
        return NULL;
    size_t start = space && pos == AFT_POS_NOUN && !of ? (size_t)(space - syn) + 1 : 0;
    size_t end = space && (pos == AFT_POS_VERB || of) ? (size_t)(space - syn) : len;
    char *irr;
    int found = irregular(wn, syn + start, end - start, inf, pos, &irr);
    char *out = found >= 0 ? malloc(len + (irr ? strlen(irr) : 0) + 8) : NULL;
    if (out) {
        memcpy(out, syn, start);
        if (irr)
            strcpy(out + start, irr);
        else
            inflect_word(syn + start, end - start, inf, out + start);
        strcat(out, syn + end);
    }
    free(irr);
    return out;
}

static inflection inflection_of(const char *word, const char *base, aft_pos pos)
{
    size_t n = strlen(word);
    if (strcasecmp(word, base) == 0)
        return INF_NONE;
    if (pos == AFT_POS_NOUN)
        return INF_PLURAL;
    if (pos == AFT_POS_VERB)
        return ends_with(word, n, "ing") ? INF_ING : ends_with(word, n, "ed") ? INF_ED
               : ends_with(word, n, "s") ? INF_S : INF_SKIP;  /* irregular: no guess */
    if (pos == AFT_POS_ADJ)
        return ends_with(word, n, "est") ? INF_EST : ends_with(word, n, "er") ? INF_ER : INF_SKIP;
    return INF_SKIP;
}

/* WordNet words with digits or other symbols rarely fit a sentence, and
 * capitals mark names and acronyms ("Koran", "II"), not common words. */
static int plain_words(const char *s)
{
    for (; *s; s++)
        if (!islower((unsigned char)*s) && *s != ' ' && *s != '-' && *s != '\'')
            return 0;
    return 1;
}

static int push_fitted(const aft_wordnet *wn, aft_wordlist *out, const char *word,
                       const char *syn, inflection inf, aft_pos pos, casing c)
{
    if (!plain_words(syn))
        return 0;
    char *x = inflect(wn, syn, inf, pos);
    if (!x)
        return inf == INF_NONE ? -1 : 0;
    apply_casing(x, c);
    int rc = 0;
    if (strcasecmp(x, word) != 0 && !aft_wordlist_has(out, x))
        rc = aft_wordlist_push(out, x, strlen(x));
    free(x);
    return rc;
}

/* Synonyms of word from the first part of speech in `order` that has any. */
static int wordnet_syns(const aft_wordnet *wn, const char *word, const aft_pos *order,
                        size_t norder, aft_wordlist *out, aft_error *err)
{
    casing c = casing_of(word, strlen(word));
    for (size_t p = 0; p < norder && out->count == 0; p++) {
        aft_wordlist bases = {0};
        int rc = aft_wordnet_base_forms(wn, word, order[p], &bases, err);
        for (size_t b = 0; rc == 0 && b < bases.count && out->count < AFT_AUG_MAX_SYNS; b++) {
            inflection inf = inflection_of(word, bases.items[b], order[p]);
            aft_wordlist syns = {0};
            if (inf != INF_SKIP)
                rc = aft_wordnet_synonyms(wn, bases.items[b], order[p], &syns, err);
            for (size_t s = 0; rc == 0 && s < syns.count && out->count < AFT_AUG_MAX_SYNS; s++)
                if (push_fitted(wn, out, word, syns.items[s], inf, order[p], c) < 0)
                    rc = aft_error_set(err, "out of memory");
            aft_wordlist_free(&syns);
        }
        aft_wordlist_free(&bases);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int in_list(const char *w, size_t len, const char *const *list)
{
    for (; *list; list++)
        if (strlen(*list) == len && strncasecmp(*list, w, len) == 0)
            return 1;
    return 0;
}

static const char *const determiners[] = {"a", "an", "the", "my", "your", "his", "her", "its",
    "our", "their", "this", "that", "these", "those", "some", "any", "no", "every", "each",
    "another", NULL};
static const char *const verb_cues[] = {"to", "can", "could", "will", "would", "shall",
    "should", "may", "might", "must", "please", "i", "we", "you", "they", "don't", "didn't",
    "not", "let's", NULL};
static const char *const objects[] = {"me", "us", "him", "them", "it", NULL};

/* A crude guess from the neighbours: after a determiner a noun (or an
 * adjective), after "to"/a modal/a pronoun a verb, a sentence that opens
 * with a word before "a"/"me" an imperative verb, -ly an adverb. */
static size_t guess_pos(aft_aug_span prev, aft_aug_span next, const char *text,
                        const char *word, int first, aft_pos order[4])
{
    size_t n = strlen(word);
    static const aft_pos noun_adj[] = {AFT_POS_NOUN, AFT_POS_ADJ};
    static const aft_pos verb[] = {AFT_POS_VERB};
    static const aft_pos adv_adj[] = {AFT_POS_ADV, AFT_POS_ADJ};
    static const aft_pos verb_first[] = {AFT_POS_VERB, AFT_POS_ADJ, AFT_POS_NOUN};
    static const aft_pos all[] = {AFT_POS_NOUN, AFT_POS_VERB, AFT_POS_ADJ, AFT_POS_ADV};
    const aft_pos *pick = all;
    size_t count = 4;
    if (prev.len && in_list(text + prev.at, prev.len, determiners))
        pick = noun_adj, count = 2;
    else if (prev.len && in_list(text + prev.at, prev.len, verb_cues))
        pick = verb, count = 1;
    else if (first && next.len && (in_list(text + next.at, next.len, determiners) ||
                                   in_list(text + next.at, next.len, objects)))
        pick = verb, count = 1;
    else if (ends_with(word, n, "ly"))
        pick = adv_adj, count = 2;
    else if (ends_with(word, n, "ing") || ends_with(word, n, "ed"))
        pick = verb_first, count = 3;
    memcpy(order, pick, count * sizeof *order);
    return count;
}

/* End of an ASCII word at i: letters, with inner ' or - before a letter. */
static size_t ascii_word_end(const char *t, size_t len, size_t i)
{
    while (i < len && (isalpha((unsigned char)t[i]) ||
                       ((t[i] == '\'' || t[i] == '-') && i + 1 < len &&
                        isalpha((unsigned char)t[i + 1]) && i > 0 && isalpha((unsigned char)t[i - 1]))))
        i++;
    return i;
}

static aft_aug_span next_ascii_word(const char *t, size_t len, size_t i)
{
    while (i < len && t[i] == ' ')
        i++;
    size_t e = i < len && isalpha((unsigned char)t[i]) ? ascii_word_end(t, len, i) : i;
    return (aft_aug_span){i, e - i};
}

static int push_cand(aft_aug_cands *out, aft_aug_span span, aft_wordlist *syns)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 16;
        aft_aug_cand *c = realloc(out->c, cap * sizeof *c);
        if (!c)
            return -1;
        out->c = c;
        out->cap = cap;
    }
    out->c[out->n++] = (aft_aug_cand){span, *syns};
    memset(syns, 0, sizeof *syns);
    return 0;
}

static int user_cand(const aft_wordlist *us, const char *text, aft_aug_span span,
                     aft_aug_cands *out)
{
    aft_wordlist syns = {0};
    casing c = casing_of(text + span.at, span.len);
    for (size_t k = 0; k < us->count && syns.count < AFT_AUG_MAX_SYNS; k++) {
        if (aft_wordlist_push(&syns, us->items[k], strlen(us->items[k])) < 0) {
            aft_wordlist_free(&syns);
            return -1;
        }
        apply_casing(syns.items[syns.count - 1], c);
    }
    if (push_cand(out, span, &syns) < 0) {
        aft_wordlist_free(&syns);
        return -1;
    }
    return 0;
}

/* An ASCII word at span: looked up in WordNet unless it is a stop word, an
 * acronym, or a capitalised word inside a sentence (likely a name). */
static int word_cand(const aft_wordnet *wn, const char *text, size_t len, aft_aug_span span,
                     aft_aug_span prev, int first, aft_aug_cands *out, aft_error *err)
{
    char word[64];
    if (!wn || span.len < 2 || span.len >= sizeof word || aft_is_stop_word(text + span.at, span.len))
        return 0;
    casing c = casing_of(text + span.at, span.len);
    if (c == CASE_UPPER || (c == CASE_TITLE && !first))
        return 0;
    memcpy(word, text + span.at, span.len);
    word[span.len] = '\0';
    aft_pos order[4];
    size_t norder = guess_pos(prev, next_ascii_word(text, len, span.at + span.len), text, word,
                              first, order);
    aft_wordlist syns = {0};
    if (wordnet_syns(wn, word, order, norder, &syns, err) < 0) {
        aft_wordlist_free(&syns);
        return -1;
    }
    if (syns.count == 0)
        return 0;
    if (push_cand(out, span, &syns) < 0) {
        aft_wordlist_free(&syns);
        return aft_error_set(err, "out of memory");
    }
    return 0;
}

int aft_aug_find_candidates(const aft_lexicon *lex, const char *text, aft_aug_cands *out,
                            aft_error *err)
{
    size_t len = strlen(text);
    aft_aug_span prev = {0, 0};
    int seen_word = 0; /* in this sentence */
    for (size_t i = 0; i < len;) {
        const aft_wordlist *us;
        size_t m = aft_synonyms_match(lex->user, text, len, i, &us);
        if (m) {
            if (user_cand(us, text, (aft_aug_span){i, m}, out) < 0)
                return aft_error_set(err, "out of memory");
            seen_word = 1;
            prev = (aft_aug_span){0, 0};
            i += m;
            continue;
        }
        uint32_t cp;
        size_t n = aft_aug_decode(text + i, len - i, &cp);
        int starts = !aft_aug_is_word_char(aft_aug_prev_char(text, i));
        if (cp < 0x80 && isalpha((int)cp) && starts) {
            size_t e = ascii_word_end(text, len, i);
            uint32_t after = 0;
            if (e < len)
                aft_aug_decode(text + e, len - e, &after);
            aft_aug_span span = {i, e - i};
            if (!aft_aug_is_word_char(after) &&
                word_cand(lex->wordnet, text, len, span, prev, !seen_word, out, err) < 0)
                return -1;
            prev = aft_aug_is_word_char(after) ? (aft_aug_span){0, 0} : span;
            seen_word = 1;
            i = e;
            continue;
        }
        if (cp == '.' || cp == '!' || cp == '?' || cp == '\n' || cp == 0x3002) {
            seen_word = 0;
            prev = (aft_aug_span){0, 0};
        } else if (aft_aug_is_word_char(cp) || aft_cp_is_cjk(cp)) {
            seen_word = 1;
            prev = (aft_aug_span){0, 0};
        }
        i += n;
    }
    return 0;
}

void aft_aug_cands_free(aft_aug_cands *c)
{
    for (size_t i = 0; i < c->n; i++)
        aft_wordlist_free(&c->c[i].syns);
    free(c->c);
    c->c = NULL;
    c->n = c->cap = 0;
}
