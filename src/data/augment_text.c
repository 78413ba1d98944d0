/* Text pieces of augmentation: character classes, the stop-word list, the
 * normal form used to find duplicates, and splitting a text into words. */
#include "augment_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "agentft/utf8.h"

size_t aft_aug_decode(const char *s, size_t left, uint32_t *cp)
{
    size_t n = aft_utf8_decode(s, left, cp);
    if (n == 0) {
        *cp = 0xFFFD;
        n = 1;
    }
    return n;
}

int aft_aug_is_space(uint32_t cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' ||
           cp == 0xA0 || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200B);
}

int aft_aug_is_punct(uint32_t cp)
{
    if (cp < 0x80)
        return ispunct((int)cp) != 0;
    return (cp >= 0xA1 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 ||
           (cp >= 0x2010 && cp <= 0x206F) ||   /* general punctuation */
           (cp >= 0x3001 && cp <= 0x303F) ||   /* CJK symbols and punctuation */
           (cp >= 0xFE30 && cp <= 0xFE4F) ||   /* CJK compatibility forms */
           (cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
           (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65);
}

int aft_aug_is_word_char(uint32_t cp)
{
    if (cp < 0x80)
        return isalnum((int)cp) || cp == '_';
    return !aft_cp_is_cjk(cp) && !aft_aug_is_punct(cp) && !aft_aug_is_space(cp);
}

uint32_t aft_aug_prev_char(const char *text, size_t at)
{
    if (at == 0)
        return 0;
    size_t start = at - 1;
    while (start > 0 && at - start < 4 && ((unsigned char)text[start] & 0xC0) == 0x80)
        start--;
    uint32_t cp;
    aft_aug_decode(text + start, at - start, &cp);
    return cp;
}

/* A common English stop-word list (function words, pronouns, auxiliaries)
 * plus number words, whose WordNet synonyms ("deuce", "II") never fit;
 * sorted (strcmp order) for bsearch. Written for agentft. */
static const char *const stop_words[] = {
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and",
    "any", "are", "as", "at", "be", "because", "been", "before", "being", "below",
    "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "don't",
    "down", "during", "each", "eight", "eleven", "few", "first", "five", "for", "four",
    "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers",
    "herself", "him", "himself", "his", "how", "hundred", "i", "i'm", "if", "in", "into",
    "is", "it", "it's", "its", "itself", "just", "let", "let's", "may", "me", "might",
    "more", "most", "must", "my", "myself", "nine", "no", "nor", "not", "now", "of", "off",
    "on", "once", "one", "only", "or", "other", "our", "ours", "ourselves", "out", "over",
    "own", "please", "same", "second", "seven", "shall", "she", "should", "six", "so",
    "some", "such", "ten", "than", "that", "the", "their", "theirs", "them", "themselves",
    "then", "there", "these", "they", "third", "thirty", "this", "those", "thousand",
    "three", "through", "to", "too", "twelve", "twenty", "two", "under", "until", "up",
    "us", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who",
    "whom", "why", "will", "with", "would", "yes", "you", "your", "yours", "yourself",
    "yourselves",
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int aft_is_stop_word(const char *word, size_t len)
{
    char buf[16];
    if (len == 0 || len >= sizeof buf)
        return 0;
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)tolower((unsigned char)word[i]);
    buf[len] = '\0';
    const char *key = buf;
    return bsearch(&key, stop_words, sizeof stop_words / sizeof stop_words[0],
                   sizeof stop_words[0], cmp_str) != NULL;
}

/* Latin-1 capitals (U+00C0..U+00DE but U+00D7) fold to their small letters. */
static uint32_t fold_cp(uint32_t cp)
{
    if (cp < 0x80)
        return (uint32_t)tolower((int)cp);
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
        return cp + 0x20;
    return cp;
}

static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

char *aft_augment_normalize(const char *text)
{
    size_t len = strlen(text);
    char *out = malloc(len * 3 + 1); /* a stray byte becomes U+FFFD, 3 bytes */
    if (!out)
        return NULL;
    size_t n = 0;
    int gap = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += aft_aug_decode(text + i, len - i, &cp);
        if (aft_aug_is_space(cp) || aft_aug_is_punct(cp)) {
            gap = n > 0;
            continue;
        }
        if (gap)
            out[n++] = ' ';
        gap = 0;
        n += put_utf8(out + n, fold_cp(cp));
    }
    out[n] = '\0';
    return out;
}

/* ---- words --------------------------------------------------------------- */

static int is_cjk_punct(uint32_t cp)
{
    return cp >= 0x3000 ? aft_aug_is_punct(cp) : 0;
}

/* Inside a run of non-space characters, a word ends after CJK punctuation,
 * where CJK letters meet other letters, and after punctuation before CJK. */
static int boundary(uint32_t a, uint32_t b)
{
    if (is_cjk_punct(a))
        return 1;
    int ca = aft_cp_is_cjk(a), cb = aft_cp_is_cjk(b);
    if (ca && !cb && !aft_aug_is_punct(b))
        return 1;
    return !ca && cb;
}

int aft_aug_split_words(const char *text, size_t len, aft_aug_words *out)
{
    out->n = 0;
    out->w = malloc((len + 1) * sizeof *out->w);
    if (!out->w)
        return -1;
    uint32_t prev = 0;
    int in_word = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = aft_aug_decode(text + i, len - i, &cp);
        if (aft_aug_is_space(cp)) {
            in_word = 0;
        } else if (!in_word || boundary(prev, cp)) {
            out->w[out->n++] = (aft_aug_span){i, n};
            in_word = 1;
        } else {
            out->w[out->n - 1].len += n;
        }
        prev = cp;
        i += n;
    }
    return 0;
}
